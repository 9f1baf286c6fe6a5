"""The pre-aggregated tables: what each measure family counts, on which day, for which unit; the
rebuild is SQL (its query count does not grow with the petitions) and idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import D, act, at, owner_handler, path_to, register
from xinfang.assessment.aggregates import aggregates_rebuild
from xinfang.assessment.models import DailyFact, UnitMonth
from xinfang.assessment.selectors import fact_sums, place_sums
from xinfang.org.models import RegionLevel
from xinfang.petitions import registration
from xinfang.petitions.models import Channel, Kind, State

TODAY = D(2026, 9, 1)


def month_of(org, unit_key: str, month: dt.date) -> UnitMonth:
    return UnitMonth.objects.get(month=month, unit=org.units[unit_key])


def totals(**filters) -> dict:
    rows = DailyFact.objects.filter(**filters)
    return {
        m: sum(getattr(r, m) for r in rows)
        for m in (
            "received",
            "accept_on_time",
            "accept_late",
            "handling_on_time",
            "handling_late",
            "concluded",
            "resolved",
            "resolved_locally",
            "evaluated",
            "satisfied",
            "open_overdue",
        )
    }


def test_received_counted_on_the_local_day(org):
    register(org, on=at(2026, 3, 31, 23, 30))  # 15:30 UTC on 31 March
    register(org, on=at(2026, 4, 1, 0, 30))  # 16:30 UTC on 31 March, but 1 April in Beijing
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    aggregates_rebuild(D(2026, 4, 1), today=TODAY)
    assert totals(day=D(2026, 3, 31))["received"] == 1
    assert totals(day=D(2026, 4, 1))["received"] == 1
    assert month_of(org, "bureau", D(2026, 3, 1)).received == 1


def test_acceptance_on_time_late_and_still_open(org):
    on_time, _ = path_to(org, State.ACCEPTED, start=D(2026, 3, 2))  # forwarded day 1, accepted day 2
    late = register(org, on=at(2026, 3, 2))
    act(org, "forward", late, org.users["bureau_staff"], at(2026, 3, 3))
    act(org, "accept", late, owner_handler(org, late), at(2026, 3, 25))  # 15 days from 3 March: late
    never = register(org, on=at(2026, 3, 2))
    act(org, "forward", never, org.users["bureau_staff"], at(2026, 3, 3))  # never accepted
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    hrss = month_of(org, "hrss", D(2026, 3, 1))
    assert (hrss.accept_on_time, hrss.accept_late) == (1, 2)
    bureau = month_of(org, "bureau", D(2026, 3, 1))  # its intake: all three routed the next day
    assert (bureau.accept_on_time, bureau.accept_late) == (3, 0)
    assert on_time.state == State.ACCEPTED


def test_a_deadline_not_yet_due_is_neither_on_time_nor_late(org):
    p = register(org, on=at(2026, 3, 20))
    act(org, "forward", p, org.users["bureau_staff"], at(2026, 3, 21))  # acceptance due 5 April
    aggregates_rebuild(D(2026, 4, 1), today=D(2026, 4, 2))
    hrss = month_of(org, "hrss", D(2026, 4, 1))
    assert (hrss.accept_due, hrss.accept_on_time, hrss.accept_late) == (1, 0, 0)


def test_conclusions_resolution_and_evaluations(org):
    settled, _ = path_to(org, State.EVALUATED, start=D(2026, 3, 2))  # decided 12 March, satisfied
    appealed, _ = path_to(org, State.REVIEW_REQUESTED, start=D(2026, 3, 2))  # decided 12 March, then appealed
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    hrss = month_of(org, "hrss", D(2026, 3, 1))
    assert (hrss.concluded, hrss.resolved, hrss.evaluated, hrss.satisfied) == (2, 1, 2, 2)
    # the county department decides a village's matter: not at the place's own township line
    assert hrss.resolved_locally == 0
    aggregates_rebuild(D(2026, 5, 1), today=TODAY)  # handling deadlines (60 days) fall due in May
    assert month_of(org, "hrss", D(2026, 5, 1)).handling_on_time == 2
    assert settled.state == State.EVALUATED and appealed.state == State.REVIEW_REQUESTED


def test_a_township_settling_its_own_village_matter_is_local(org):
    p = register(org, on=at(2026, 3, 2), actor=org.users["town_a_clerk"], kind=Kind.CLAIM)
    act(org, "accept", p, owner_handler(org, p), at(2026, 3, 3))
    act(org, "decide", p, owner_handler(org, p), at(2026, 3, 10))
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    town = month_of(org, "town_a", D(2026, 3, 1))
    assert (town.concluded, town.resolved, town.resolved_locally, town.claims) == (1, 1, 1, 1)


def test_overdue_snapshot_on_the_months_last_day(org):
    p = register(org, on=at(2026, 3, 2))  # intake due 17 March, never routed
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    assert totals(day=D(2026, 3, 31))["open_overdue"] == 1
    act(org, "forward", p, org.users["bureau_staff"], at(2026, 4, 10))  # routed late, in April
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    assert totals(day=D(2026, 3, 31))["open_overdue"] == 1  # it was still overdue on 31 March
    aggregates_rebuild(D(2026, 4, 1), today=TODAY)
    assert totals(day=D(2026, 4, 30), unit=org.units["bureau"])["open_overdue"] == 0


def test_rebuild_is_idempotent(org):
    path_to(org, State.EVALUATED, start=D(2026, 3, 2))
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    first = sorted(DailyFact.objects.values_list("day", "unit_id", "received", "concluded", "evaluated"))
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    assert sorted(DailyFact.objects.values_list("day", "unit_id", "received", "concluded", "evaluated")) == first
    assert UnitMonth.objects.filter(month=D(2026, 3, 1), unit=org.units["hrss"]).count() == 1


def test_every_active_unit_has_a_unit_month(org):
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    assert UnitMonth.objects.filter(month=D(2026, 3, 1)).count() == len(org.units)
    assert month_of(org, "town_a", D(2026, 3, 1)).population is None  # no population recorded


@pytest.mark.parametrize("n", [1, 6])
def test_rebuild_queries_do_not_grow_with_the_petitions(org, n):
    for i in range(n):
        path_to(org, State.EVALUATED, start=D(2026, 3, 2) + dt.timedelta(days=i))
    with CaptureQueriesContext(connection) as ctx:
        aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    # delete ×4, six families, unit months ×2, place months and days, then the provisional scores (weights,
    # settings, qualitative scores, the unit months, one UPDATE): one row per unit, never per petition
    assert len([q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) == 19


def test_the_dashboards_roll_ups_sum_to_the_daily_facts_of_each_area(org):
    """PlaceMonth and PlaceDay are DailyFact without the unit: for every user who sees the dashboard,
    their sums per place equal the daily facts' within the user's area, accusations against the user
    left out of both."""
    for i in range(4):
        path_to(org, State.EVALUATED, start=D(2026, 3, 2) + dt.timedelta(days=i))
    register(org, on=at(2026, 3, 20, 9))
    registration.petition_register(
        actor=org.users["clerk"],
        channel=Channel.LETTER,
        kind=Kind.ACCUSATION,
        region=org.regions["village_a"],
        title="举报",
        content="举报县政府某人。",
        accused_unit=org.units["county_gov"],
        at=at(2026, 3, 12),
    )
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    start, end = D(2026, 3, 1), D(2026, 4, 1)
    for key in ("bureau_staff", "leader", "admin"):
        user = org.users[key]
        daily = {
            r["region"]: r
            for r in fact_sums(user, start=start, end=end, group_by=("region",), region_level=RegionLevel.VILLAGE)
        }
        monthly = {
            r["region"]: r
            for r in place_sums(
                user, start=start, end=end, by_day=False, group_by=("region",), region_level=RegionLevel.VILLAGE
            )
        }
        days = {
            r["region"]: r
            for r in place_sums(
                user,
                start=start,
                end=end,
                by_day=True,
                group_by=("region",),
                region_level=RegionLevel.VILLAGE,
                measures=("received", "concluded", "open_overdue"),
            )
        }
        assert daily and monthly == daily, key
        day_measures = ("received", "concluded", "open_overdue")
        expected = {
            place: {"region": place, **{m: row[m] for m in day_measures}}
            for place, row in daily.items()
            if any(row[m] for m in day_measures)
        }
        assert days == expected, key
    county = fact_sums(org.users["bureau_staff"], start=start, end=end)[0]["received"]
    assert county == 6 and place_sums(org.users["leader"], start=start, end=end, by_day=False)[0]["received"] == 5


def test_fact_sums_follow_visibility_and_roll_up_places(org):
    register(org, on=at(2026, 3, 2), region=org.regions["village_a"])
    register(org, on=at(2026, 3, 3), region=org.regions["village_b"])
    register(org, on=at(2026, 3, 4), region=org.regions["town_b"])
    aggregates_rebuild(D(2026, 3, 1), today=TODAY)
    rows = fact_sums(
        org.users["bureau_staff"],
        start=D(2026, 3, 1),
        end=D(2026, 4, 1),
        group_by=("region",),
        region_level=RegionLevel.TOWNSHIP,
        measures=("received",),
    )
    assert {r["region"]: r["received"] for r in rows} == {"990121001": 1, "990121002": 2}
    assert fact_sums(
        org.users["other_bureau_staff"], start=D(2026, 3, 1), end=D(2026, 4, 1), measures=("received",)
    ) == [{"received": 0}]
    by_day = fact_sums(
        org.users["admin"], start=D(2026, 3, 1), end=D(2026, 4, 1), group_by=("day", "channel"), measures=("received",)
    )
    assert [(r["day"], r["channel"], r["received"]) for r in by_day if r["received"]] == [
        (D(2026, 3, 2), "visit", 1),
        (D(2026, 3, 3), "visit", 1),
        (D(2026, 3, 4), "visit", 1),
    ]
