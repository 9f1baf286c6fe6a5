"""The org tree as plain data for the generator: where petitions are placed, who registers and routes
them there, and a handler, unit head and router for every unit (synthetic staff where a unit has none)."""

from __future__ import annotations

from dataclasses import dataclass, field

from xinfang.org.models import Region, RegionLevel, Role, Unit, UnitKind, User
from xinfang.petitions.models import Category
from xinfang.petitions.services import actor_label

NO_ORG_MESSAGE = (
    "没有行政区划和责任单位，无法生成信访事项：请先运行 manage.py load_demo。"
    " (No regions or units to place petitions in: run manage.py load_demo first.)"
)
# places petitions are put in, and their weight (times the square root of the population)
LEVEL_WEIGHT = {RegionLevel.VILLAGE: 1.0, RegionLevel.TOWNSHIP: 1.5, RegionLevel.COUNTY: 2.0}


class GenerateError(Exception):
    pass


@dataclass
class Org:
    places: list[int] = field(default_factory=list)  # region ids petitions are placed in
    place_weights: list[float] = field(default_factory=list)
    region_code: dict[int, str] = field(default_factory=dict)
    region_name: dict[int, str] = field(default_factory=dict)
    registrars: dict[int, list[int]] = field(default_factory=dict)  # place -> units that register there (bureau first)
    township_office: dict[int, int] = field(default_factory=dict)  # place -> township office unit (if any)
    village_committee: dict[int, int] = field(default_factory=dict)  # place -> village committee unit (if any)
    departments: dict[int, list[int]] = field(default_factory=dict)  # place -> county departments that may receive it
    unit_kind: dict[int, str] = field(default_factory=dict)
    unit_parent: dict[int, int | None] = field(default_factory=dict)
    handler: dict[int, tuple[int, str]] = field(default_factory=dict)  # unit -> (user id, actor label)
    head: dict[int, tuple[int, str]] = field(default_factory=dict)
    router: dict[int, tuple[int, str]] = field(default_factory=dict)
    categories: list[tuple[int, list[int]]] = field(default_factory=list)  # (level-1 id, level-2 ids)
    category_by_name: dict[str, int] = field(default_factory=dict)


class _Tree:
    """Regions and active units, with the lookups placing a petition needs."""

    def __init__(self, regions: dict[int, Region], units: list[Unit]) -> None:
        self.regions = regions
        self.by_region: dict[int, list[Unit]] = {}
        for u in units:
            self.by_region.setdefault(u.region_id, []).append(u)

    def ancestors(self, rid: int | None) -> list[int]:
        out = []
        while rid is not None:
            out.append(rid)
            rid = self.regions[rid].parent_id
        return out

    def first(self, rid: int, kinds: tuple[str, ...]) -> Unit | None:
        found = [u for u in self.by_region.get(rid, []) if u.kind in kinds]
        return min(found, key=lambda u: u.pk) if found else None

    def level(self, rid: int) -> int:
        return self.regions[rid].level


def _place(org: Org, tree: _Tree, rid: int, region: Region) -> None:
    """Add a village, township or county as a place (with its registering units and departments) to org,
    if it lies in a county that has units."""
    chain = [a for a in tree.ancestors(rid) if tree.level(a) >= RegionLevel.COUNTY]
    county = next((a for a in chain if tree.level(a) == RegionLevel.COUNTY), None)
    if county is None:
        return
    bureau = tree.first(county, (UnitKind.BUREAU,))
    gov = tree.first(county, (UnitKind.GOVERNMENT,))
    kinds = (UnitKind.DEPARTMENT, UnitKind.STATIONED)
    depts = sorted(u.pk for u in tree.by_region.get(county, []) if u.kind in kinds)
    regs = [bureau.pk] if bureau else ([gov.pk] if gov else [])
    town = next(
        (tree.first(a, (UnitKind.TOWNSHIP_OFFICE,)) for a in chain if tree.level(a) == RegionLevel.TOWNSHIP), None
    )
    village = tree.first(rid, (UnitKind.VILLAGE_COMMITTEE,)) if region.level == RegionLevel.VILLAGE else None
    if town:
        org.township_office[rid] = town.pk
        regs.append(town.pk)
    if village:
        org.village_committee[rid] = village.pk
        regs.append(village.pk)
    if not regs:
        regs = [u.pk for a in chain for u in tree.by_region.get(a, [])][:1]
    if not regs:
        return
    org.registrars[rid] = regs
    org.departments[rid] = depts
    org.places.append(rid)
    org.place_weights.append(LEVEL_WEIGHT[region.level] * max(1, (region.population or 1000)) ** 0.5)


def _categories(org: Org) -> None:
    cats: dict[int, list[int]] = {}
    for pk, name in Category.objects.filter(level=1).values_list("pk", "name"):
        cats.setdefault(pk, [])
        org.category_by_name[name] = pk
    for pk, parent_id in Category.objects.filter(level=2).values_list("pk", "parent_id"):
        cats.setdefault(parent_id, []).append(pk)
    org.categories = sorted((k, sorted(v)) for k, v in cats.items())


def org_load() -> Org:
    regions = {r.pk: r for r in Region.objects.all()}
    units = [u for u in Unit.objects.filter(is_active=True).select_related("region")]
    if not regions or not units:
        raise GenerateError(NO_ORG_MESSAGE)
    org, tree = Org(), _Tree(regions, units)
    for rid, region in regions.items():
        if region.level in LEVEL_WEIGHT:
            _place(org, tree, rid, region)
    if not org.places:
        raise GenerateError(NO_ORG_MESSAGE)
    unit_ids = {u.pk for u in units}
    org.region_code = {rid: r.code for rid, r in regions.items()}
    org.region_name = {rid: r.name for rid, r in regions.items()}
    org.unit_kind = {u.pk: u.kind for u in units}
    org.unit_parent = {u.pk: (u.parent_id if u.parent_id in unit_ids else None) for u in units}
    org.handler, org.head, org.router = _actors(units)
    _categories(org)
    return org


def _staff_missing(units: list[Unit], existing: dict[tuple[int, str], User]) -> None:
    """Synthetic handlers and unit heads (no usable password) for the units that have none, into existing."""
    new = []
    for u in units:
        for role, suffix, title in ((Role.HANDLER, "handler", "经办人"), (Role.UNIT_HEAD, "head", "负责人")):
            if (u.pk, role) not in existing:
                user = User(
                    username=f"gen-{u.pk}-{suffix}", unit=u, role=role, display_name=f"{u.name}{title}", is_active=True
                )
                user.set_unusable_password()
                new.append(user)
    if new:
        taken = set(User.objects.filter(username__in=[n.username for n in new]).values_list("username", flat=True))
        User.objects.bulk_create([n for n in new if n.username not in taken])
        for user in User.objects.filter(username__in=[n.username for n in new]):
            existing.setdefault((user.unit_id, user.role), user)


def _actors(units: list[Unit]):
    """A handler, a unit head and a router (clerk/bureau staff/handler) for every unit; synthetic
    staff (no usable password) where a unit has none."""
    existing: dict[tuple[int, str], User] = {}
    for user in User.objects.filter(unit__in=units, is_active=True).order_by("pk"):
        existing.setdefault((user.unit_id, user.role), user)
    _staff_missing(units, existing)
    handler, head, router = {}, {}, {}
    for u in units:
        h, hd = existing[(u.pk, Role.HANDLER)], existing[(u.pk, Role.UNIT_HEAD)]
        r = existing.get((u.pk, Role.CLERK)) or existing.get((u.pk, Role.BUREAU_STAFF)) or h
        handler[u.pk] = (h.pk, actor_label(h))
        head[u.pk] = (hd.pk, actor_label(hd))
        router[u.pk] = (r.pk, actor_label(r))
    return handler, head, router
