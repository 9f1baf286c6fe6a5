"""Scheduled reports (日统计、单周研判、双周通报、月点评): which day builds which report, idempotence,
the figures equal to the pre-aggregated table, the documents saying those figures, who may list and
download them."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import D, at, register, staff_login
from xinfang.assessment.models import DailyFact
from xinfang.petitions import registration
from xinfang.petitions.models import Category, Channel, Kind, Petitioner
from xinfang.reports import figures as report_figures
from xinfang.reports.models import Report
from xinfang.reports.schedule import (
    FORTNIGHT_EPOCH,
    ReportKind,
    period_due,
    period_ending,
)
from xinfang.reports.services import report_regions, reports_build_due

KINDS = list(ReportKind.values)


# ---------------------------------------------------------------- the schedule


@pytest.mark.parametrize(
    ("today", "kind", "start", "end"),
    [
        (D(2026, 3, 10), ReportKind.DAILY, D(2026, 3, 9), D(2026, 3, 9)),
        (D(2026, 3, 1), ReportKind.DAILY, D(2026, 2, 28), D(2026, 2, 28)),
        (D(2026, 3, 9), ReportKind.WEEKLY, D(2026, 3, 2), D(2026, 3, 8)),  # a Monday: last week
        (D(2026, 3, 15), ReportKind.WEEKLY, D(2026, 3, 2), D(2026, 3, 8)),  # Sunday: the week has not ended
        (D(2026, 3, 16), ReportKind.WEEKLY, D(2026, 3, 9), D(2026, 3, 15)),
        (D(2026, 3, 9), ReportKind.FORTNIGHTLY, D(2026, 2, 23), D(2026, 3, 8)),
        (D(2026, 3, 22), ReportKind.FORTNIGHTLY, D(2026, 2, 23), D(2026, 3, 8)),
        (D(2026, 3, 23), ReportKind.FORTNIGHTLY, D(2026, 3, 9), D(2026, 3, 22)),
        (D(2026, 3, 1), ReportKind.MONTHLY, D(2026, 2, 1), D(2026, 2, 28)),
        (D(2026, 3, 31), ReportKind.MONTHLY, D(2026, 2, 1), D(2026, 2, 28)),
        (D(2025, 1, 1), ReportKind.MONTHLY, D(2024, 12, 1), D(2024, 12, 31)),
    ],
)
def test_which_period_a_day_builds(today, kind, start, end):
    p = period_due(kind, today)
    assert (p.start, p.end) == (start, end)


@given(st.dates(min_value=dt.date(2024, 1, 2), max_value=dt.date(2030, 12, 31)), st.sampled_from(KINDS))
def test_periods_tile_the_calendar_and_have_ended(day, kind):
    """The period due on a day has ended before it; the periods of a kind follow each other without gap or
    overlap; weeks and fortnights start on Mondays, fortnights on the epoch's rhythm, months on the 1st."""
    p = period_due(kind, day)
    assert p.end < day and p.start <= p.end
    following = period_ending(kind, p.end + dt.timedelta(days=1))
    assert following.start == p.end + dt.timedelta(days=1)
    assert p.previous().end == p.start - dt.timedelta(days=1)
    assert p.days == {"daily": 1, "weekly": 7, "fortnightly": 14}.get(kind, p.days)
    if kind in (ReportKind.WEEKLY, ReportKind.FORTNIGHTLY):
        assert p.start.weekday() == 0
    if kind == ReportKind.FORTNIGHTLY:
        assert (p.start - FORTNIGHT_EPOCH).days % 14 == 0
    if kind == ReportKind.MONTHLY:
        assert p.start.day == 1 and (p.end + dt.timedelta(days=1)).day == 1


# ---------------------------------------------------------------- building


def _petitions(org) -> None:
    """In 示范县 on Monday 2026-03-09: 2 visits and a letter (one collective, 6 people); one the week
    before (2026-03-03); one in 邻县 (another report region) on 03-09."""
    top = Category.objects.filter(level=1).order_by("pk")
    leaf = Category.objects.filter(parent__parent=top[0]).first()
    register(org, on=at(2026, 3, 9, 9), category=leaf)
    register(org, on=at(2026, 3, 9, 15), category=leaf, headcount=6)
    registration.petition_register(
        actor=org.users["clerk"],
        channel=Channel.LETTER,
        kind=Kind.SUGGESTION,
        region=org.regions["village_b"],
        title="路灯",
        content="路灯不亮。",
        at=at(2026, 3, 9, 11),
    )
    register(org, on=at(2026, 3, 3))
    registration.petition_register(
        actor=org.users["other_bureau_staff"],
        channel=Channel.VISIT,
        kind=Kind.CLAIM,
        region=org.regions["other_county"],
        title="工资",
        content="拖欠工资。",
        petitioners=[Petitioner(name="李四", phone="13900000000")],
        at=at(2026, 3, 9),
    )


def _table_sum(prefix: str, start: dt.date, end: dt.date, measure: str = "received") -> int:
    return (
        DailyFact.objects.filter(region__prefix__startswith=prefix, day__gte=start, day__lte=end).aggregate(
            n=Sum(measure)
        )["n"]
        or 0
    )


def test_one_day_builds_each_kind_once_per_region_and_again_is_a_no_op(org):
    _petitions(org)
    regions = report_regions()
    assert {r.name for r in regions} == {"示范市", "示范县", "邻县"}  # the regions with a petition bureau
    first = reports_build_due(D(2026, 3, 10))
    assert len(first.built) == 4 * 3 and first.skipped == 0
    assert first.months_rebuilt == [D(2026, 2, 1), D(2026, 3, 1)]
    got = {(r.kind, r.period_start, r.period_end) for r in Report.objects.filter(region__name="示范县")}
    assert got == {
        ("daily", D(2026, 3, 9), D(2026, 3, 9)),
        ("weekly", D(2026, 3, 2), D(2026, 3, 8)),
        ("fortnightly", D(2026, 2, 23), D(2026, 3, 8)),
        ("monthly", D(2026, 2, 1), D(2026, 2, 28)),
    }
    again = reports_build_due(D(2026, 3, 10))
    assert again.built == [] and again.skipped == 12 and again.months_rebuilt == []
    next_day = reports_build_due(D(2026, 3, 11))  # only the new daily statistics
    assert sorted({r.kind for r in next_day.built}) == ["daily"] and len(next_day.built) == 3
    assert Report.objects.count() == 15


def test_the_command_builds_a_kind_as_on_a_date(org):
    out = io.StringIO()
    call_command("reports_build", "--kind", "weekly", "--date", "2026-03-16", stdout=out, stderr=io.StringIO())
    assert set(Report.objects.values_list("kind", "period_start")) == {("weekly", D(2026, 3, 9))}
    assert "built: 3" in out.getvalue()
    call_command("reports_build", "--kind", "weekly", "--date", "2026-03-16", stdout=out, stderr=io.StringIO())
    assert Report.objects.count() == 3


def test_daily_figures_equal_the_aggregates_and_the_documents_say_them(org):
    _petitions(org)
    reports_build_due(D(2026, 3, 10), kinds=["daily"])
    county = org.regions["county"]
    report = Report.objects.get(kind="daily", region=county)
    f = report.figures
    # what the table holds for the county on that day, summed independently of the report's code
    assert f["totals"]["received"] == _table_sum(county.prefix, D(2026, 3, 9), D(2026, 3, 9)) == 3
    assert f["totals"]["collective"] == _table_sum(county.prefix, D(2026, 3, 9), D(2026, 3, 9), "collective") == 1
    assert f["previous_totals"]["received"] == _table_sum(county.prefix, D(2026, 3, 8), D(2026, 3, 8)) == 0
    assert dict(map(tuple, f["by_channel"])) == {"来访": 2, "来信": 1}
    assert dict(map(tuple, f["by_place"])) == {"青石镇": 2, "柳河镇": 1}
    assert f["by_category"][0][1] == 2
    # and 邻县's day is its own
    other = Report.objects.get(kind="daily", region=org.regions["other_county"])
    assert other.figures["totals"]["received"] == 1
    city = Report.objects.get(kind="daily", region=org.regions["city"])
    assert city.figures["totals"]["received"] == 4

    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(bytes(report.docx))).paragraphs)
    assert report.title == "示范县信访工作日统计（2026年3月9日）" and report.title in text
    assert "共收到信访事项3件，较前一日增加3件" in text and "集体访1件" in text
    assert bytes(report.pdf).startswith(b"%PDF")
    if shutil.which("pdftotext"):
        pdf_text = subprocess.run(
            ["pdftotext", "-", "-"], input=bytes(report.pdf), capture_output=True, check=True
        ).stdout.decode()
        assert "共收到信访事项3件" in pdf_text.replace("\n", "")


def test_weekly_and_monthly_figures_equal_the_aggregates(org):
    _petitions(org)
    reports_build_due(D(2026, 3, 16), kinds=["weekly"])
    county = org.regions["county"]
    week = Report.objects.get(kind="weekly", region=county).figures
    assert week["totals"]["received"] == _table_sum(county.prefix, D(2026, 3, 9), D(2026, 3, 15)) == 3
    assert week["previous_totals"]["received"] == _table_sum(county.prefix, D(2026, 3, 2), D(2026, 3, 8)) == 1
    assert [row[1] for row in week["series"]] == [3, 0, 0, 0, 0, 0, 0]
    first_category = Category.objects.filter(level=1).order_by("pk").first().name
    assert week["growth"] == [[first_category, 2, 2]]  # the uncategorised stayed at 1
    reports_build_due(D(2026, 4, 1), kinds=["monthly", "fortnightly"])
    month = Report.objects.get(kind="monthly", region=county, period_start=D(2026, 3, 1)).figures
    assert month["totals"]["received"] == _table_sum(county.prefix, D(2026, 3, 1), D(2026, 3, 31)) == 4
    assert sum(row[1] for row in month["series"]) == 4 and len(month["series"]) == 31
    units = {row[0]: row[1] for row in month["units"]}
    assert sum(units.values()) == 4  # every received petition has its owning unit's row
    fortnight = Report.objects.get(kind="fortnightly", region=county)
    assert (fortnight.period_start, fortnight.period_end) == (D(2026, 3, 9), D(2026, 3, 22))
    assert fortnight.figures["totals"]["received"] == 3


def test_figures_read_only_the_aggregates(org, django_assert_max_num_queries):
    """A report's figures are a handful of queries on the table whatever the number of petitions, and
    none of them reads the petitions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xinfang.assessment.aggregates import aggregates_rebuild
    from xinfang.reports.schedule import Period

    _petitions(org)
    aggregates_rebuild(D(2026, 3, 1), today=D(2026, 4, 1))
    with CaptureQueriesContext(connection) as ctx:
        report_figures.figures_for("monthly", org.regions["county"], Period("monthly", D(2026, 3, 1), D(2026, 3, 31)))
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    for table in ("petitions_petition", "petitions_deadline", "petitions_decision", "petitions_evaluation"):
        assert f'"{table}"' not in sql, table
    # 12 on the daily facts and small tables, and the month's ranking (xinfang.assessment, from UnitMonth)
    assert len(ctx.captured_queries) <= 22


# ---------------------------------------------------------------- the page


def test_the_list_shows_the_reports_of_the_regions_the_user_sees_whole(org):
    reports_build_due(D(2026, 3, 10), kinds=["daily"], rebuild=False)
    county = Report.objects.get(region=org.regions["county"])
    other = Report.objects.get(region=org.regions["other_county"])
    city = Report.objects.get(region=org.regions["city"])
    c = Client()
    staff_login(c, org.users["bureau_staff"])
    page = c.get("/reports/").content.decode()
    assert county.title in page and other.title not in page and city.title not in page
    assert c.get(f"/reports/{county.pk}.docx")["Content-Type"].startswith("application/vnd.openxmlformats")
    assert c.get(f"/reports/{county.pk}.pdf").content.startswith(b"%PDF")
    assert c.get(f"/reports/{other.pk}.pdf").status_code == 404
    assert c.get(f"/reports/{city.pk}.pdf").status_code == 404
    c2 = Client()
    staff_login(c2, org.users["city_bureau_staff"])
    page = c2.get("/reports/").content.decode()
    assert county.title in page and other.title in page and city.title in page
    c3 = Client()
    staff_login(c3, org.user("town_a", "handler"))
    assert county.title not in c3.get("/reports/").content.decode()
    assert c3.get(f"/reports/{county.pk}.docx").status_code == 404
