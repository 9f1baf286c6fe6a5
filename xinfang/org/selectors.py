"""Reads of the organisation: the region tree above villages and the active units, held in memory
(xinfang.org.tablecache: reloaded within a minute of an admin change, at once in the process that
made it), so that pages offering unit and place pickers pay no query for them."""

from __future__ import annotations

from dataclasses import dataclass

from xinfang.org.models import Region, RegionLevel, Unit, User
from xinfang.org.tablecache import TableCache


@dataclass(frozen=True)
class RegionRow:
    pk: int
    code: str
    prefix: str
    name: str
    level: int
    parent_id: int | None


def _upper_regions() -> dict[int, RegionRow]:
    rows = (
        Region.objects.filter(level__lte=RegionLevel.TOWNSHIP)
        .order_by("code")
        .values_list("pk", "code", "prefix", "name", "level", "parent_id")
    )
    return {r[0]: RegionRow(*r) for r in rows}


def _active_units() -> list[Unit]:
    return list(Unit.objects.filter(is_active=True).select_related("region").order_by("region__code", "name"))


upper_regions = TableCache(_upper_regions)
active_units = TableCache(_active_units)
# The registration desk's place pickers, one per county, filled as counties are asked for
# (xinfang.workbench.forms.place_choices): county prefix → label → region (shared: do not modify).
county_places: TableCache[dict[str, dict[str, Region]]] = TableCache(dict)


def invalidate_cache(**_: object) -> None:
    upper_regions.invalidate()
    active_units.invalidate()
    county_places.invalidate()


def townships_of(county_prefix: str) -> list[RegionRow]:
    """The townships (乡镇、街道) under a county (or any larger area), in code order."""
    return [
        r
        for r in upper_regions.get().values()
        if r.level == RegionLevel.TOWNSHIP and r.prefix.startswith(county_prefix)
    ]


def unit_list_active() -> list[Unit]:
    """Every active unit with its region, in region-code order (shared objects: do not modify)."""
    return active_units.get()


def home_region(user: User) -> Region | None:
    """The county (or the larger area of a city or province unit) whose places the user registers."""
    if user.unit_id is None:
        return None
    region = user.unit.region
    while region.level > RegionLevel.COUNTY and region.parent_id is not None:
        region = region.parent
    return region
