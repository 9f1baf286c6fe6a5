"""Building the scheduled reports (writes). `reports_build_due(today)` builds, for every region with a
petition bureau, each kind's latest ended period that has no report yet (so a scheduler may ask as often
as it likes, and a day missed is made up the next time); `report_build` builds (or, forced, rebuilds)
one. The figures come from the pre-aggregated tables only, which are rebuilt first for the months the
new reports cover (xinfang.assessment.aggregates.aggregates_rebuild: the daily statistics of yesterday
need yesterday's last petitions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from xinfang.assessment.aggregates import aggregates_rebuild
from xinfang.org.models import Region, Unit, UnitKind
from xinfang.reports import figures as report_figures
from xinfang.reports import layout, writing
from xinfang.reports.models import Report
from xinfang.reports.schedule import Period, periods_due


def report_regions() -> list[Region]:
    """The regions that have an active petition bureau (信访局): each gets its own reports."""
    ids = Unit.objects.filter(kind=UnitKind.BUREAU, is_active=True).values("region_id")
    return list(Region.objects.filter(pk__in=ids).order_by("code"))


def _issuer(region: Region) -> str:
    bureau = Unit.objects.filter(kind=UnitKind.BUREAU, is_active=True, region=region).order_by("pk").first()
    return bureau.name if bureau else region.name


def report_build(region: Region, period: Period, *, today: dt.date, force: bool = False) -> Report | None:
    """The report of `period` for `region`: built and stored, or None if it exists (and not `force`)."""
    existing = Report.objects.filter(kind=period.kind, region=region, period_start=period.start).first()
    if existing and not force:
        return None
    f = report_figures.figures_for(period.kind, region, period)
    title = writing.title_for(period.kind, region.name, period.start, period.end)
    doc = writing.report_doc(f, title=title, issuer=_issuer(region), built_on=today)
    values = {
        "period_end": period.end,
        "title": title,
        "built_at": timezone.now(),
        "figures": f,
        "docx": layout.docx_bytes(doc),
        "pdf": layout.pdf_bytes(doc),
    }
    with transaction.atomic():
        report, _created = Report.objects.update_or_create(
            kind=period.kind, region=region, period_start=period.start, defaults=values
        )
    return report


@dataclass
class BuildResult:
    built: list[Report]
    skipped: int
    months_rebuilt: list[dt.date]


def _months(periods: Iterable[Period]) -> list[dt.date]:
    months = set()
    for p in periods:
        day = p.start.replace(day=1)
        while day <= p.end:
            months.add(day)
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return sorted(months)


def reports_build_due(
    today: dt.date,
    *,
    kinds: list[str] | None = None,
    force: bool = False,
    rebuild: bool = True,
    say: Callable[[str], object] = lambda text: None,
) -> BuildResult:
    """Build each kind's latest ended period before `today` for every report region, when missing (or
    always, with `force`). With `rebuild`, the aggregates of the months those reports cover are rebuilt
    first (once each)."""
    regions = report_regions()
    periods = periods_due(today, kinds)
    have = set(
        Report.objects.filter(period_start__in={p.start for p in periods}).values_list(
            "kind", "region_id", "period_start"
        )
    )
    todo = [(r, p) for r in regions for p in periods if force or (p.kind, r.pk, p.start) not in have]
    months = _months(p for _r, p in todo) if rebuild else []
    for month in months:
        say(f"{month:%Y-%m}: rebuilding the aggregates")
        aggregates_rebuild(month, today=today)
    built = []
    for region, period in todo:
        report = report_build(region, period, today=today, force=force)
        if report is not None:
            say(f"{report.title}")
            built.append(report)
    return BuildResult(built, len(regions) * len(periods) - len(built), months)
