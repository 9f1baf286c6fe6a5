"""The figures of a report, read from the pre-aggregated daily facts of xinfang.assessment (fact_sums,
within the report's region; never a petition), as plain JSON-able values: the report stores them, its
documents are written from them, and the tests compare them with the table.

Every report has the period's totals and the same totals of the period before (环比), received by
channel, kind, first-level category and place, and the open-and-overdue snapshot. The weekly analysis
adds the days and the categories that grew most; the fortnightly bulletin and the monthly review add the
units' timeliness (the bulletin names the units that concluded late), the monthly review the rates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xinfang.assessment.models import MEASURES
from xinfang.assessment.selectors import fact_sums, ranking_for
from xinfang.org.models import Region, RegionLevel, Role, Unit, User
from xinfang.petitions.categories import category_rows
from xinfang.petitions.models import Channel, Kind
from xinfang.reports.schedule import Period, ReportKind

TOP = 10
TOTALS = tuple(m for m in MEASURES if m != "open_overdue")
# Not a stored user: the scope fact_sums gives an administrator (the whole table), for the command that
# builds the reports of every region.
READER = User(username="reports_build", role=Role.ADMIN, is_active=True)
UNIT_MEASURES = (
    "received",
    "handling_due",
    "handling_on_time",
    "handling_late",
    "evaluated",
    "satisfied",
    "basically",
    "accept_due",
    "accept_on_time",
)


def _sums(
    region: Region,
    start: dt.date,
    end: dt.date,
    group_by: tuple[str, ...] = (),
    measures: tuple[str, ...] = TOTALS,
    region_level: int | None = None,
) -> list[dict]:
    """fact_sums over [start, end] (inclusive) within the region's subtree. A report is the region's, and
    is listed to those who may see the whole region (xinfang.reports.selectors): it is read as the
    statistics office reads the table, the whole of it (an administrator's scope), narrowed to the region."""
    return fact_sums(
        READER,
        start=start,
        end=end + dt.timedelta(days=1),
        group_by=group_by,
        measures=measures,
        region_level=region_level,
        filters={"region_prefix": region.prefix},
    )


def _ranked(rows: list[dict], key: str, names: dict, measure: str = "received", top: int | None = TOP) -> list[list]:
    """[[name, value], …] largest first (ties by name), zeros left out."""
    items = [
        [str(names.get(r[key], r[key] if r[key] is not None else "未分类")), r[measure]] for r in rows if r[measure]
    ]
    items.sort(key=lambda kv: (-kv[1], kv[0]))
    return items[:top] if top else items


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _overdue(region: Region, period: Period) -> tuple[int, str | None]:
    """The open-and-overdue snapshot: the latest one from the period's last month to the day after the
    period (a month's snapshot is taken on its last day, or on the day the current month was last
    rebuilt: the report's own rebuild, the day after the period, counts what was overdue at its end)."""
    first = period.end.replace(day=1)
    rows = _sums(region, first, period.end + dt.timedelta(days=1), group_by=("day",), measures=("open_overdue",))
    days = [r for r in rows if r["open_overdue"]]
    if not days:
        return 0, None
    last = max(days, key=lambda r: r["day"])
    return last["open_overdue"], last["day"].isoformat()


def figures_for(kind: str, region: Region, period: Period) -> dict[str, Any]:
    previous = period.previous()
    totals = _sums(region, period.start, period.end)[0]
    before = _sums(region, previous.start, previous.end, measures=("received", "concluded"))[0]
    level = min(region.level + 1, RegionLevel.VILLAGE)
    by_place = _sums(region, period.start, period.end, group_by=("region",), measures=("received",), region_level=level)
    categories = {c.pk: c.name for c in category_rows() if c.level == 1}
    by_category = _sums(region, period.start, period.end, group_by=("category",), measures=("received",))
    by_channel = _sums(region, period.start, period.end, group_by=("channel",), measures=("received",))
    by_kind = _sums(region, period.start, period.end, group_by=("kind",), measures=("received",))
    prefixes = {r["region"] for r in by_place}
    place_names = dict(Region.objects.filter(prefix__in=prefixes).values_list("prefix", "name"))
    place_names[region.prefix] = f"{region.name}（本级）"
    overdue, overdue_as_of = _overdue(region, period)
    figures: dict[str, Any] = {
        "kind": kind,
        "region": region.name,
        "period": [period.start.isoformat(), period.end.isoformat()],
        "previous": [previous.start.isoformat(), previous.end.isoformat()],
        "totals": {m: totals[m] for m in TOTALS},
        "previous_totals": before,
        "open_overdue": overdue,
        "overdue_as_of": overdue_as_of,
        "by_channel": _ranked(by_channel, "channel", dict(Channel.choices), top=None),
        "by_kind": _ranked(by_kind, "kind", dict(Kind.choices), top=None),
        "by_category": _ranked(by_category, "category", categories),
        "by_place": _ranked(by_place, "region", place_names),
    }
    if kind != ReportKind.DAILY:
        days = {
            r["day"]: r
            for r in _sums(region, period.start, period.end, group_by=("day",), measures=("received", "concluded"))
        }
        figures["series"] = [
            [
                (period.start + dt.timedelta(days=i)).isoformat(),
                days.get(period.start + dt.timedelta(days=i), {}).get("received", 0),
                days.get(period.start + dt.timedelta(days=i), {}).get("concluded", 0),
            ]
            for i in range(period.days)
        ]
    if kind == ReportKind.WEEKLY:
        earlier = _sums(region, previous.start, previous.end, group_by=("category",), measures=("received",))
        was = {r["category"]: r["received"] for r in earlier}
        now = {r["category"]: r["received"] for r in by_category}
        growth = [
            [str(categories.get(k, "未分类")), n, n - was.get(k, 0)] for k, n in now.items() if n - was.get(k, 0) > 0
        ]
        growth.sort(key=lambda row: (-row[2], row[0]))
        figures["growth"] = growth[:5]
    if kind in (ReportKind.FORTNIGHTLY, ReportKind.MONTHLY):
        units = _sums(region, period.start, period.end, group_by=("unit",), measures=UNIT_MEASURES)
        names = dict(Unit.objects.filter(pk__in=[r["unit"] for r in units]).values_list("pk", "name"))
        rows = [
            [names.get(r["unit"], str(r["unit"])), *(r[m] for m in UNIT_MEASURES)]
            for r in units
            if any(r[m] for m in UNIT_MEASURES)
        ]
        rows.sort(key=lambda row: (-row[1], row[0]))
        figures["units"] = rows
        figures["unit_columns"] = list(UNIT_MEASURES)
    if kind == ReportKind.MONTHLY:
        figures["ranking"] = _ranking(region, period.start)
    return figures


RULE_WORDS = {
    "rectification": "限期整改",
    "self_examination": "书面检查、年度考核扣分",
    "reward": "表扬奖励",
    "excellence_withheld": "重点管理期间不得评先",
}


def _ranking(region: Region, month: dt.date) -> dict[str, Any]:
    """The month's ranking of units (xinfang.assessment: published when the month is closed, else
    provisional, from the pre-aggregated UnitMonth), for the units of the region, best first."""
    ranking = ranking_for(month)
    mine = set(Unit.objects.filter(region__prefix__startswith=region.prefix).values_list("pk", flat=True))
    rows = [
        [r.unit_name, f"{r.score:.1f}", r.rank, r.top, r.bottom, [RULE_WORDS.get(x, x) for x in r.firings]]
        for r in ranking.rows
        if r.unit_id in mine
    ]
    return {"published": ranking.published, "ranked": len(ranking.rows), "rows": rows}
