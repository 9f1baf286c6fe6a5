"""Unit proposals (责任单位建议) from the routing table (派单目录, RoutingRule, edited in the admin).

Of the active rules that fit a petition's category and place, the one with the more specific category
wins (a rule for 城乡建设/住房保障与房地产 beats one for 城乡建设, which beats one for every
category), then the one with the more specific place (a region named, the deeper the better, beats a
level of place, which beats any place), then the older rule. The rules it overrides are listed after
it as alternatives. A rule may name its unit, or say "the township office (or village committee) of
the petition's place", found from the place.

Confidence starts from how specific the rule is and moves towards how often staff chose what the rule
proposed (its counts, kept by xinfang.routing.services.unit_outcome_record). An accusation is never
proposed to the unit it accuses (Art. 30): such a proposal is kept, marked `excluded`, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from xinfang.org.models import Region, RegionLevel, Unit, UnitKind
from xinfang.org.selectors import unit_list_active
from xinfang.petitions.categories import CategoryRow
from xinfang.petitions.models import Kind
from xinfang.routing.models import RoutingRule, RuleTarget
from xinfang.routing.tables import DerivedTable

LIMIT = 3
PRIOR_WEIGHT = 5  # staff choices it takes to move a rule's confidence halfway to its record
ALTERNATIVE = 0.5  # an overridden rule's share
TIE = 0.6  # two equally specific rules that disagree


@dataclass(frozen=True)
class RuleRow:
    pk: int
    category_path: str
    category_level: int
    region_level: int | None
    region_prefix: str
    region_name: str
    region_depth: int
    target: str
    unit_id: int | None
    proposed_count: int
    accepted_count: int

    def fits(self, path: str, region: Region | None) -> bool:
        if self.category_path and not (path == self.category_path or path.startswith(self.category_path + "/")):
            return False
        if self.region_level is not None and (region is None or region.level != self.region_level):
            return False
        return not self.region_prefix or (region is not None and region.prefix.startswith(self.region_prefix))

    def specificity(self) -> tuple[int, int]:
        place = 10 + self.region_depth if self.region_prefix else (5 if self.region_level is not None else 0)
        return self.category_level, place

    def prior(self) -> float:
        category, place = self.specificity()
        return min(0.95, 0.6 + 0.1 * category + (0.1 if place >= 10 else 0.05 if place else 0))

    def confidence(self) -> float:
        """The prior, moved towards how often staff took this rule's proposal."""
        return (self.accepted_count + PRIOR_WEIGHT * self.prior()) / (self.proposed_count + PRIOR_WEIGHT)


@dataclass(frozen=True)
class UnitProposal:
    unit: Unit
    confidence: float
    reason: str  # "派单目录第3条：城乡建设 → 县住房和城乡建设局"
    rule_pk: int | None = None
    excluded: str = ""  # why it is not proposed (Art. 30; the unit has it already)

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


def _rules() -> list[RuleRow]:
    rows = (
        RoutingRule.objects.filter(is_active=True)
        .order_by("pk")
        .values_list(
            "pk",
            "category__path",
            "category__level",
            "region_level",
            "region__prefix",
            "region__name",
            "region__level",
            "target",
            "unit_id",
            "proposed_count",
            "accepted_count",
        )
    )
    return [
        RuleRow(
            pk,
            path or "",
            level or 0,
            region_level,
            prefix or "",
            region_name or "",
            depth or 0,
            target,
            unit_id,
            proposed,
            accepted,
        )
        for pk, path, level, region_level, prefix, region_name, depth, target, unit_id, proposed, accepted in rows
    ]


# rebuilt with the unit table (an admin change, the minute's expiry) and on a save of a rule
rules_table = DerivedTable(_rules, unit_list_active)


def _units() -> tuple[dict[int, Unit], dict[tuple[str, int], Unit]]:
    units = unit_list_active()
    return {u.pk: u for u in units}, {(u.kind, u.region_id): u for u in units}


units_table = DerivedTable(_units, unit_list_active)


def place_township_id(region: Region | None) -> int | None:
    if region is None:
        return None
    if region.level == RegionLevel.TOWNSHIP:
        return region.pk
    return region.parent_id if region.level == RegionLevel.VILLAGE else None


def rule_unit(rule: RuleRow, region: Region | None) -> Unit | None:
    """The unit a rule routes a petition about `region` to (None if the place has no such unit)."""
    by_pk, by_place = units_table.get()
    if rule.target == RuleTarget.UNIT:
        return by_pk.get(rule.unit_id)
    if rule.target == RuleTarget.TOWNSHIP_OFFICE:
        township = place_township_id(region)
        return by_place.get((UnitKind.TOWNSHIP_OFFICE, township)) if township else None
    if region is not None and region.level == RegionLevel.VILLAGE:
        return by_place.get((UnitKind.VILLAGE_COMMITTEE, region.pk))
    return None


def rule_describe(rule: RuleRow, unit: Unit) -> str:
    """「派单目录第3条：城乡建设（村级事项） → 青石镇人民政府（事项所在乡镇）」"""
    what = rule.category_path or _("every category")
    if rule.region_prefix:
        what = _("%(what)s in %(region)s") % {"what": what, "region": rule.region_name}
    elif rule.region_level is not None:
        what = _("%(what)s, places of %(level)s level") % {"what": what, "level": RegionLevel(rule.region_level).label}
    to = unit.name
    if rule.target == RuleTarget.TOWNSHIP_OFFICE:
        to = _("%(unit)s (township of the place)") % {"unit": unit.name}
    elif rule.target == RuleTarget.VILLAGE_COMMITTEE:
        to = _("%(unit)s (village of the place)") % {"unit": unit.name}
    return _("Routing table rule %(n)s: %(what)s → %(to)s") % {"n": rule.pk, "what": what, "to": to}


def unit_propose(
    category: CategoryRow | None,
    region: Region | None,
    *,
    kind: str = "",
    accused_unit_id: int | None = None,
    owner_unit_id: int | None = None,
    limit: int = LIMIT,
) -> list[UnitProposal]:
    """The responsible units the routing table gives for a petition of `category` about `region`,
    the winning rule first; those that may not be proposed (an accusation's accused unit, Art. 30; the
    unit that has the petition now) come last, marked `excluded` with the reason. No query once the
    tables are in memory."""
    path = category.path if category is not None else ""
    fitting = sorted(
        (r for r in rules_table.get() if r.fits(path, region)), key=lambda r: (tuple(-x for x in r.specificity()), r.pk)
    )
    proposals: list[UnitProposal] = []
    excluded: list[UnitProposal] = []
    seen: set[int] = set()
    top_key = fitting[0].specificity() if fitting else None
    for rule in fitting:
        unit = rule_unit(rule, region)
        if unit is None or unit.pk in seen:
            continue
        seen.add(unit.pk)
        confidence = rule.confidence()
        if proposals:
            confidence *= ALTERNATIVE
        reason = rule_describe(rule, unit)
        if kind == Kind.ACCUSATION and unit.pk == accused_unit_id:
            excluded.append(
                UnitProposal(
                    unit,
                    0.0,
                    reason,
                    rule.pk,
                    _("Not proposed: an accusation never goes to the unit it accuses (Art. 30)."),
                )
            )
        elif unit.pk == owner_unit_id:
            excluded.append(UnitProposal(unit, 0.0, reason, rule.pk, _("Not proposed: this unit has it already.")))
        else:
            proposals.append(UnitProposal(unit, round(confidence, 4), reason, rule.pk))
    if len(proposals) > 1 and fitting and _tied(fitting, top_key, region):
        first = proposals[0]
        proposals[0] = UnitProposal(
            first.unit,
            round(first.confidence * TIE, 4),
            first.reason + _(" (another rule as specific names another unit)"),
            first.rule_pk,
        )
    return proposals[:limit] + excluded


def _tied(fitting: list[RuleRow], top_key: tuple[int, int] | None, region: Region | None) -> bool:
    """Two equally specific rules at the top that give different units."""
    top = {u.pk for r in fitting if r.specificity() == top_key and (u := rule_unit(r, region)) is not None}
    return len(top) > 1


def unit_propose_for(petition, *, category: CategoryRow | None = None) -> list[UnitProposal]:
    """unit_propose for a petition (its category and place loaded, or the category row given)."""
    if category is None and petition.category_id is not None:
        category = petition.category
    return unit_propose(
        category,
        petition.region,
        kind=petition.kind,
        accused_unit_id=petition.accused_unit_id,
        owner_unit_id=petition.owner_unit_id,
    )
