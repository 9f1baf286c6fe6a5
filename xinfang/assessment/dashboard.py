"""The leaders' dashboard (领导驾驶舱): what the petitions placed in the user's area did in a period of whole
months, read from the dashboard's roll-ups of the daily facts (PlaceMonth, PlaceDay: xinfang.assessment.
selectors.place_sums, within place_scope_for(user), the statistics' side of the one visibility rule) and
the latest hot issues, never from the petitions.

`dashboard_for(user, period)` makes every chart's data in a fixed number of queries whatever the table's
size: one sum of the months grouped by category × channel × place, one of the days by day × place, the
place names when they are villages (the upper levels are held in memory), and the hot issues (three).
A county's month is a few thousand rows of each roll-up, so the cost hardly grows with the petitions. Each point of
each chart carries the link that lists its petitions in the work queue (area=True: what the user may
see, not only what their unit owns), so a click drills down.

What a figure counts (the facts' own dates, see xinfang.assessment.models): received by the day
received; concluded by the day of the handling decision; satisfaction by the day of the evaluation;
open and overdue as of the latest snapshot in the period's last month (the end of a month, or the day
the current month was last rebuilt).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xinfang.assessment.selectors import place_sums
from xinfang.org.models import Region, RegionLevel, User
from xinfang.org.roles import ROLES_WHO_SEE_THE_DASHBOARD
from xinfang.org.selectors import upper_regions
from xinfang.oversight.hot import hot_issue_list_for
from xinfang.petitions.categories import category_rows
from xinfang.petitions.models import Channel, Satisfaction

DAILY_SERIES_MAX_DAYS = 92  # a longer period is drawn by month
CUSTOM_MAX_MONTHS = 24
TOP_CATEGORIES = 15
HOT_ISSUES = 10
SUMMED = (
    "received",
    "concluded",
    "handling_on_time",
    "handling_late",
    "evaluated",
    "satisfied",
    "basically",
    "dissatisfied",
    "collective",
    "repeat",
)


def dashboard_visible_to(user: User) -> bool:
    return user.is_authenticated and (user.role in ROLES_WHO_SEE_THE_DASHBOARD or user.is_superuser)


# ---------------------------------------------------------------- the period


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | custom
    start: dt.date
    end: dt.date  # inclusive

    @property
    def by_month(self) -> bool:
        return (self.end - self.start).days + 1 > DAILY_SERIES_MAX_DAYS

    @property
    def month_value(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def quarter_value(self) -> str:
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _month_of(text: str) -> dt.date:
    """The first day of the month of 'YYYY-MM' or 'YYYY-MM-DD'."""
    return dt.datetime.strptime(text[:7], "%Y-%m").date()


def period_parse(params, today: dt.date) -> Period:
    """The period asked for: ?period=month&month=YYYY-MM, ?period=quarter&quarter=YYYY-Qn or
    ?period=custom&from=YYYY-MM&to=YYYY-MM (whole months, at most two years; a full date stands for its
    month). Anything else: this month."""
    kind = params.get("period", "month")
    try:
        if kind == "quarter":
            year, q = params.get("quarter", "").split("-Q")
            first = dt.date(int(year), 3 * int(q) - 2, 1)
            return Period("quarter", first, _month_end(first.replace(month=first.month + 2)))
        if kind == "custom":
            start, last = _month_of(params.get("from", "")), _month_of(params.get("to", ""))
            if start <= last and (last.year - start.year) * 12 + last.month - start.month < CUSTOM_MAX_MONTHS:
                return Period("custom", start, _month_end(last))
            raise ValueError
        if kind == "month" and params.get("month"):
            first = dt.datetime.strptime(params["month"], "%Y-%m").date()
            return Period("month", first, _month_end(first))
    except (ValueError, TypeError):
        pass
    first = today.replace(day=1)
    return Period("month", first, _month_end(first))


# ---------------------------------------------------------------- the charts' data


@dataclass
class Chart:
    """One chart: labels and values (one or more series), each point with its drill-down link."""

    id: str
    title: str
    kind: str  # bar | hbar | line | pie
    labels: list[str] = field(default_factory=list)
    series: list[dict] = field(default_factory=list)  # {"name", "values", "links"}
    note: str = ""

    @property
    def table(self) -> list[tuple[str, list[tuple[int, str]]]]:
        """The chart as rows of a table: label, then (value, link) per series."""

        def cell(series: dict, i: int) -> tuple[int, str]:
            links = series["links"]
            return series["values"][i], links[i] if i < len(links) else ""

        return [(label, [cell(s, i) for s in self.series]) for i, label in enumerate(self.labels)]

    def as_json(self) -> dict:
        return {"id": self.id, "title": self.title, "kind": self.kind, "labels": self.labels, "series": self.series}


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    link: str = ""


@dataclass
class Dashboard:
    period: Period
    area_name: str
    tiles: list[Tile]
    charts: list[Chart]
    overdue_as_of: dt.date | None


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


class _Links:
    """Links into the work queue for what the user may see in the period."""

    def __init__(self, period: Period) -> None:
        self.base = reverse("workbench:queue")
        self.period = period

    def received(self, start: dt.date | None = None, end: dt.date | None = None, **filters: str) -> str:
        params = {
            "tab": "all",
            "area": "True",
            "sort": "received",
            "received_from": (start or self.period.start).isoformat(),
            "received_to": (end or self.period.end).isoformat(),
            **filters,
        }
        return f"{self.base}?{urlencode(params)}"

    def overdue(self, **filters: str) -> str:
        return f"{self.base}?{urlencode({'tab': 'overdue', 'area': 'True', **filters})}"

    def evaluated(self, satisfaction: str) -> str:
        params = {
            "tab": "all",
            "area": "True",
            "satisfaction": satisfaction,
            "evaluated_from": self.period.start.isoformat(),
            "evaluated_to": self.period.end.isoformat(),
        }
        return f"{self.base}?{urlencode(params)}"


def _area(user: User) -> tuple[str, str, int]:
    """(prefix, name, level to roll places up to) of the user's area."""
    if user.unit_id is None:  # an administrator without a unit: the whole tree, by county
        return "", _("all regions"), RegionLevel.COUNTY
    region = user.unit.region
    return region.prefix, region.name, min(region.level + 1, RegionLevel.VILLAGE)


def _place_names(prefixes: set[str]) -> dict[str, str]:
    """Names of rolled-up places: from memory above villages, one query for villages."""
    names = {r.prefix: r.name for r in upper_regions.get().values() if r.prefix in prefixes}
    missing = prefixes - names.keys()
    if missing:
        names |= dict(Region.objects.filter(prefix__in=missing).values_list("prefix", "name"))
    return names


def _sum(rows: list[dict], key: str) -> dict:
    out: dict = {}
    for row in rows:
        bucket = out.setdefault(row[key], dict.fromkeys(SUMMED, 0))
        for m in SUMMED:
            bucket[m] += row[m]
    return out


def dashboard_for(user: User, period: Period, today: dt.date) -> Dashboard:
    prefix, area_name, level = _area(user)
    end = period.end + dt.timedelta(days=1)
    by_kind = place_sums(
        user,
        start=period.start,
        end=end,
        by_day=False,
        group_by=("category", "channel", "region"),
        region_level=level,
        measures=SUMMED,
    )
    # by day, through the day after the period: its overdue snapshot is the state at the period's end
    by_day = place_sums(
        user,
        start=period.start,
        end=end + dt.timedelta(days=1),
        by_day=True,
        group_by=("day", "region"),
        region_level=level,
        measures=("received", "concluded", "open_overdue"),
    )
    links = _Links(period)
    total = dict.fromkeys(SUMMED, 0)
    for row in by_kind:
        for m in SUMMED:
            total[m] += row[m]

    # open and overdue: the latest snapshot from the period's last month to the day after it (a month's
    # is taken on its last day, the current month's on the day it was last rebuilt)
    last_month = min(period.end, today).replace(day=1)
    snapshots = [r for r in by_day if r["open_overdue"] and r["day"] >= last_month]
    as_of = max((r["day"] for r in snapshots), default=None)
    overdue: dict[str, int] = {}
    for r in snapshots:
        if r["day"] == as_of:
            overdue[r["region"]] = overdue.get(r["region"], 0) + r["open_overdue"]

    places = _place_names({r["region"] for r in by_kind} | set(overdue))
    charts = [
        _time_chart([r for r in by_day if r["day"] <= period.end], period, links),
        _channel_chart(_sum(by_kind, "channel"), links),
        _category_chart(_sum(by_kind, "category"), links),
        _place_chart(_sum(by_kind, "region"), places, prefix, links),
        _overdue_chart(overdue, places, prefix, links, as_of),
        _satisfaction_chart(total, links),
    ]
    on_time = total["handling_on_time"] + total["handling_late"]
    tiles = [
        Tile("received", pgettext("statistics", "received"), f"{total['received']:,}", links.received()),
        Tile("concluded", pgettext("statistics", "concluded"), f"{total['concluded']:,}"),
        Tile("on_time", _("on-time conclusion rate"), _rate(total["handling_on_time"], on_time)),
        Tile(
            "satisfied",
            _("satisfaction rate (satisfied or basically)"),
            _rate(total["satisfied"] + total["basically"], total["evaluated"]),
        ),
        Tile("overdue", _("open and overdue"), f"{sum(overdue.values()):,}", links.overdue()),
        Tile("collective", _("collective visits"), f"{total['collective']:,}"),
    ]
    return Dashboard(period, area_name, tiles, charts, as_of)


def _time_chart(rows: list[dict], period: Period, links: _Links) -> Chart:
    """Received (columns, each a link) and concluded (a line) per day, or per month for a long period."""

    def bucket(day: dt.date) -> dt.date:
        return day.replace(day=1) if period.by_month else day

    received: dict[dt.date, int] = {}
    concluded: dict[dt.date, int] = {}
    for r in rows:
        d = bucket(r["day"])
        received[d] = received.get(d, 0) + r["received"]
        concluded[d] = concluded.get(d, 0) + r["concluded"]
    buckets, day = [], period.start
    while day <= period.end:
        last = min(_month_end(day), period.end) if period.by_month else day
        buckets.append((bucket(day), day, last))
        day = last + dt.timedelta(days=1)
    labels = [f"{b[0]:%Y-%m}" if period.by_month else f"{b[0]:%m-%d}" for b in buckets]
    title = _("received and concluded by month") if period.by_month else _("received and concluded by day")
    return Chart(
        "time",
        title,
        "line",
        labels,
        [
            {
                "name": pgettext("statistics", "received"),
                "values": [received.get(b[0], 0) for b in buckets],
                "links": [links.received(b[1], b[2]) for b in buckets],
            },
            {
                "name": pgettext("statistics", "concluded"),
                "values": [concluded.get(b[0], 0) for b in buckets],
                "links": [],
            },
        ],
    )


def _channel_chart(sums: dict, links: _Links) -> Chart:
    labels = dict(Channel.choices)
    items = sorted(((k, v["received"]) for k, v in sums.items() if v["received"]), key=lambda kv: (-kv[1], str(kv[0])))
    return Chart(
        "channel",
        _("received by channel"),
        "pie",
        [str(labels.get(k, k)) for k, _v in items],
        [
            {
                "name": pgettext("statistics", "received"),
                "values": [v for _k, v in items],
                "links": [links.received(channel=k) for k, _v in items],
            },
        ],
    )


def _category_chart(sums: dict, links: _Links) -> Chart:
    names = {c.pk: c.name for c in category_rows() if c.level == 1}
    items = sorted(((k, v["received"]) for k, v in sums.items() if v["received"]), key=lambda kv: (-kv[1], str(kv[0])))
    items = items[:TOP_CATEGORIES]
    return Chart(
        "category",
        _("received by category"),
        "hbar",
        [names.get(k, _("no category")) if k else _("no category") for k, _v in items],
        [
            {
                "name": pgettext("statistics", "received"),
                "values": [v for _k, v in items],
                "links": [links.received(category=str(k)) if k else "" for k, _v in items],
            },
        ],
    )


def _place_label(p: str, places: dict[str, str], area_prefix: str) -> str:
    if p == area_prefix:
        return _("(the area itself)")
    return places.get(p, p)


def _place_link(p: str, area_prefix: str) -> bool:
    """Whether the queue's place filter can list exactly this place's petitions (its own level is a
    county or township below the user's area, which the filter offers)."""
    return p != area_prefix and len(p) in (6, 9)


def _place_chart(sums: dict, places: dict[str, str], area_prefix: str, links: _Links) -> Chart:
    items = sorted(((k, v["received"]) for k, v in sums.items() if v["received"]), key=lambda kv: (-kv[1], str(kv[0])))
    return Chart(
        "place",
        _("received by place"),
        "hbar",
        [_place_label(k, places, area_prefix) for k, _v in items],
        [
            {
                "name": pgettext("statistics", "received"),
                "values": [v for _k, v in items],
                "links": [links.received(region=k) if _place_link(k, area_prefix) else "" for k, _v in items],
            },
        ],
    )


def _overdue_chart(
    overdue: dict, places: dict[str, str], area_prefix: str, links: _Links, as_of: dt.date | None
) -> Chart:
    items = sorted(overdue.items(), key=lambda kv: (-kv[1], str(kv[0])))
    chart = Chart(
        "overdue",
        _("open and overdue by place"),
        "hbar",
        [_place_label(k, places, area_prefix) for k, _v in items],
        [
            {
                "name": _("open and overdue"),
                "values": [v for _k, v in items],
                "links": [links.overdue(region=k) if _place_link(k, area_prefix) else "" for k, _v in items],
            },
        ],
    )
    if as_of:
        chart.title = _("open and overdue by place, as of %(day)s") % {"day": f"{as_of:%Y-%m-%d}"}
    return chart


def _satisfaction_chart(total: dict, links: _Links) -> Chart:
    keys = [
        (Satisfaction.SATISFIED, "satisfied"),
        (Satisfaction.BASICALLY, "basically"),
        (Satisfaction.DISSATISFIED, "dissatisfied"),
    ]
    return Chart(
        "satisfaction",
        _("evaluations by the petitioners"),
        "pie",
        [str(s.label) for s, _m in keys],
        [
            {
                "name": pgettext("statistics", "evaluated"),
                "values": [total[m] for _s, m in keys],
                "links": [links.evaluated(s.value) for s, _m in keys],
            },
        ],
    )


def hot_chart(user: User) -> Chart:
    """The latest hot issues of which the user may see a petition, named by the first of them (three
    queries, xinfang.oversight.hot); a click opens the hot issue with its petitions."""
    rows = hot_issue_list_for(user, groups=HOT_ISSUES, shown=1)
    labels = [
        f"{row.petitions[0].title[:16] if row.petitions else row.issue.region.name}·{row.issue.region.name}"
        for row in rows
    ]
    return Chart(
        "hot",
        _("hot issues (latest)"),
        "hbar",
        labels,
        [
            {
                "name": _("petitions you may see"),
                "values": [row.visible for row in rows],
                "links": [reverse("oversight:hot_issue", args=[row.issue.pk]) for row in rows],
            },
        ],
    )
