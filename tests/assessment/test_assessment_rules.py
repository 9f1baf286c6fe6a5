"""The monthly ranking and the bulletin's rules (seed 001 四(一)(二), seed 004 六.3): last places two months
running → rectification notice and a plan the leader approves; three months → self-examination and a
deduction; the best three rewarded; key management withholds excellence. Each at its edges."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from tests.conftest import D, unit_make, user_make
from xinfang.assessment import services
from xinfang.assessment.models import (
    KeyManagement,
    MonthClose,
    MonthRank,
    PlanState,
    Rule,
    RuleFiring,
    UnitMonth,
)
from xinfang.org.models import Region, RegionLevel, Role, UnitKind
from xinfang.schedule.models import Outcome
from xinfang.schedule.services import job_run

JAN, FEB, MAR, APR = D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)
TODAY = D(2026, 6, 1)


@pytest.fixture
def towns(org):
    """Eight township offices (the ranking's default kinds), the two of the org tree and six more."""
    units = [org.units["town_a"], org.units["town_b"]]
    for i in range(6):
        units.append(
            unit_make(f"测试{i}镇人民政府", UnitKind.TOWNSHIP_OFFICE, org.regions["county"], org.units["county_gov"])
        )
    return units


def month_with(month: dt.date, quality: dict) -> None:
    """A month where each unit accepted `quality[unit]` of 10 petitions in time (others: 10 of 10)."""
    for unit, good in quality.items():
        UnitMonth.objects.create(month=month, unit=unit, received=10, accept_on_time=good, accept_late=10 - good)


def close(month: dt.date, quality: dict) -> services.CloseResult:
    month_with(month, quality)
    return services.month_close(month, today=TODAY, rebuild=False)


def ranked(towns, *worst: int) -> dict:
    """Quality per unit: the units at `worst` indexes do worst (in that order), the rest all well and
    distinctly, so that the top three are towns[0..2] unless named."""
    out = {u: 10 if i < 3 else 9 for i, u in enumerate(towns)}
    for n, i in enumerate(worst):
        out[towns[i]] = 6 + n  # 6, 7, 8: below everyone else
    return out


def fired(month: dt.date, rule: str) -> set[int]:
    return set(RuleFiring.objects.filter(month=month, rule=rule).values_list("unit_id", flat=True))


def test_one_month_at_the_bottom_fires_nothing(towns):
    close(JAN, ranked(towns, 5, 6, 7))
    assert {r.unit_id for r in MonthRank.objects.filter(month=JAN, bottom=True)} == {towns[i].pk for i in (5, 6, 7)}
    assert fired(JAN, Rule.RECTIFICATION) == set() and fired(JAN, Rule.SELF_EXAMINATION) == set()


def test_two_months_running_fire_the_rectification_notice(towns):
    close(JAN, ranked(towns, 5, 6, 7))
    result = close(FEB, ranked(towns, 7, 3, 4))  # only towns[7] is last both months
    assert fired(FEB, Rule.RECTIFICATION) == {towns[7].pk}
    assert result.fired[Rule.RECTIFICATION] == [towns[7].pk]
    firing = RuleFiring.objects.get(month=FEB, rule=Rule.RECTIFICATION)
    assert firing.streak == 2 and firing.due_on == TODAY + dt.timedelta(days=10)


def test_a_gap_breaks_the_run(towns):
    close(JAN, ranked(towns, 5, 6, 7))
    close(FEB, ranked(towns, 2, 3, 4))
    close(MAR, ranked(towns, 5, 6, 7))
    assert fired(MAR, Rule.RECTIFICATION) == set()


def test_three_months_running_require_self_examination_and_deduction(towns):
    close(JAN, ranked(towns, 5, 6, 7))
    close(FEB, ranked(towns, 5, 3, 4))
    close(MAR, ranked(towns, 5, 6, 4))
    assert fired(MAR, Rule.SELF_EXAMINATION) == {towns[5].pk}
    assert fired(MAR, Rule.RECTIFICATION) == {towns[4].pk}  # its second month, not its third
    exam = RuleFiring.objects.get(month=MAR, rule=Rule.SELF_EXAMINATION)
    assert (exam.streak, exam.deduction) == (3, Decimal("5.00"))
    close(APR, ranked(towns, 5, 6, 7))  # still there in the fourth month: again
    assert RuleFiring.objects.get(month=APR, rule=Rule.SELF_EXAMINATION).streak == 4


def test_ties_share_a_place_at_both_ends(towns):
    quality = {u: 9 for u in towns}
    quality[towns[0]] = quality[towns[1]] = 10  # two tied first
    for i in (4, 5, 6, 7):  # four tied last
        quality[towns[i]] = 7
    close(JAN, quality)
    ranks = {r.unit_id: r for r in MonthRank.objects.filter(month=JAN)}
    assert ranks[towns[0].pk].rank == ranks[towns[1].pk].rank == 1
    assert ranks[towns[2].pk].rank == 3  # then 3: competition ranking
    assert {u for u, r in ranks.items() if r.bottom} == {towns[i].pk for i in (4, 5, 6, 7)}
    # the top three includes everyone tied at third place
    assert {u for u, r in ranks.items() if r.excellent} == {towns[i].pk for i in (0, 1, 2, 3)}


def test_the_best_three_are_rewarded(towns):
    close(JAN, ranked(towns, 5, 6, 7))
    assert fired(JAN, Rule.REWARD) == {towns[i].pk for i in (0, 1, 2)}


def test_key_management_withholds_excellence(towns):
    KeyManagement.objects.create(unit=towns[0], from_month=JAN, reason="信访问题突出")
    quality = ranked(towns, 5, 6, 7)  # towns[0..2] first (tied), towns[3] and [4] next
    close(JAN, quality)
    ranks = {r.unit_id: r for r in MonthRank.objects.filter(month=JAN)}
    assert ranks[towns[0].pk].top and not ranks[towns[0].pk].excellent and ranks[towns[0].pk].key_management
    assert fired(JAN, Rule.EXCELLENCE_WITHHELD) == {towns[0].pk}
    assert towns[0].pk not in fired(JAN, Rule.REWARD)
    assert ranks[towns[3].pk].excellent and ranks[towns[4].pk].excellent  # the next ones instead
    KeyManagement.objects.all().update(to_month=JAN)
    close(FEB, quality)
    assert towns[0].pk in fired(FEB, Rule.REWARD)  # management ended with January


def test_closing_is_idempotent_and_refuses_an_unfinished_month(towns):
    close(JAN, ranked(towns, 5, 6, 7))
    close(FEB, ranked(towns, 5, 6, 7))
    count = RuleFiring.objects.count()
    again = services.month_close(FEB, today=TODAY, rebuild=False)
    assert again.already_closed and RuleFiring.objects.count() == count
    assert MonthClose.objects.count() == 2
    with pytest.raises(services.AssessmentError, match="尚未结束"):
        services.month_close(D(2026, 6, 1), today=TODAY)


def test_the_rectification_notice_names_the_unit_and_its_places(towns):
    from docx import Document

    close(JAN, ranked(towns, 5, 6, 7))
    close(FEB, ranked(towns, 5, 6, 7))
    firing = RuleFiring.objects.filter(month=FEB, rule=Rule.RECTIFICATION, unit=towns[5]).get()
    notice = services.notice_for(firing)
    assert notice.title == "限期整改督查通知书"
    text = "\n".join(p.text for p in notice.paragraphs)
    assert towns[5].name in text and "连续2个月" in text and "2026年1月第" in text and "2026年2月第" in text
    doc = Document(io.BytesIO(services.notice_docx(firing)))
    assert any("限期整改督查通知书" in p.text for p in doc.paragraphs)
    with pytest.raises(services.AssessmentError):
        services.notice_for(RuleFiring.objects.filter(rule=Rule.REWARD).first())


# ---------------------------------------------------------------- plans


@pytest.fixture
def firing(org, towns):
    close(JAN, ranked(towns, 7, 6, 5))
    close(FEB, ranked(towns, 7, 6, 5))
    return RuleFiring.objects.get(month=FEB, rule=Rule.RECTIFICATION, unit=towns[7])


def test_the_unit_submits_and_the_leader_approves(org, towns, firing):
    handler = user_make(towns[7], Role.HANDLER, "t7_handler")
    with pytest.raises(services.AssessmentError, match="只有被通报单位"):
        services.plan_submit(firing, actor=org.users["bureau_staff"], text="整改")
    plan = services.plan_submit(firing, actor=handler, text="一、健全台账；二、每周排查。")
    assert plan.state == PlanState.SUBMITTED
    with pytest.raises(services.AssessmentError, match="等待领导审定"):
        services.plan_submit(firing, actor=handler, text="再交一份")
    with pytest.raises(services.AssessmentError, match="主管领导"):
        services.plan_approve(plan, actor=org.users["supervisor"])
    with pytest.raises(services.AssessmentError, match="写明意见"):
        services.plan_return(plan, actor=org.users["leader"], note=" ")
    returned = services.plan_return(plan, actor=org.users["leader"], note="措施不具体")
    assert returned.state == PlanState.RETURNED
    second = services.plan_submit(firing, actor=handler, text="一、明确专人；二、限期化解积案12件。")
    approved = services.plan_approve(second, actor=org.users["leader"], note="同意")
    assert approved.state == PlanState.APPROVED and approved.decided_by == org.users["leader"]
    assert list(firing.plans.values_list("state", flat=True)) == [PlanState.APPROVED, PlanState.RETURNED]


def test_a_leader_of_another_county_may_not_approve(org, towns, firing):
    plan = services.plan_submit(firing, actor=user_make(towns[7], Role.UNIT_HEAD, "t7_head"), text="整改方案")
    other = user_make(org.units["other_gov"], Role.LEADER, "other_leader")
    with pytest.raises(services.AssessmentError, match="本辖区"):
        services.plan_approve(plan, actor=other)


# ---------------------------------------------------------------- the schedule


def test_the_default_jobs_close_last_month_by_themselves(org, towns, settings):
    """The schedule's default job, through its real task: the month before today is closed and its
    rules fire without anyone asking."""
    from django.utils import timezone

    from xinfang.lib.months import month_previous, month_start

    last = month_previous(month_start(timezone.localdate()))
    Region.objects.filter(level=RegionLevel.TOWNSHIP).update(population=40000)  # a silent township is ranked
    run = job_run("assessment_month_close")
    assert run is not None and run.outcome == Outcome.OK, run.error
    assert MonthClose.objects.filter(month=last).exists()
    assert set(MonthRank.objects.filter(month=last).values_list("unit_id", flat=True)) == {
        org.units["town_a"].pk,
        org.units["town_b"].pk,
    }
