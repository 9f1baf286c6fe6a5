"""Every legal period at its edges (《信访工作条例》 arts. 22, 23, 34–36; docs/rules.md).

Expected dates are written out by hand from the State Council's 2026 holiday arrangement (National
Day 10-01..10-07 with make-up working days Sunday 09-20 and Saturday 10-10; Labour Day 05-01..05-05
with make-up Saturday 05-09), not recomputed with the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import D, act, at, at_date, handler, head, is_chinese, register
from xinfang.org import calendar
from xinfang.org.models import Holiday
from xinfang.petitions import alerts, deadlines, rules
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Deadline, LegalPeriod, State
from xinfang.petitions.models import DeadlineKind as K

pytestmark = pytest.mark.django_db


def open_deadline(p, kind) -> Deadline:
    return Deadline.objects.get(petition=p, kind=kind, is_open=True)


def overdue(day: dt.date):
    """Overdue is a query: an open deadline whose due date is before today."""
    return Deadline.objects.filter(is_open=True, due_on__lt=day)


# ---------------------------------------------------------------- intake: 15 days (art. 22)


def test_intake_day_15_is_not_overdue_day_16_is(org):
    p = register(org, on=at(2026, 3, 2))
    d = open_deadline(p, K.INTAKE)
    assert (d.start_on, d.period_days, d.working_days) == (D(2026, 3, 2), 15, False)
    assert d.due_on == D(2026, 3, 17)
    assert p.due_on == D(2026, 3, 17)
    assert not overdue(D(2026, 3, 17)).filter(pk=d.pk).exists()
    assert overdue(D(2026, 3, 18)).filter(pk=d.pk).exists()


def test_intake_check_deadlines_flags_the_day_after_not_on_the_day(org):
    p = register(org, on=at(2026, 3, 2))
    assert alerts.deadlines_check(at(2026, 3, 17, 23, 59)).flagged == 0
    assert alerts.deadlines_check(at(2026, 3, 18, 0, 1)).flagged == 1
    assert open_deadline(p, K.INTAKE).overdue_at is not None


def test_intake_counts_from_the_day_received_not_the_day_registered(org):
    p = register(org, on=at(2026, 3, 4), received_at=at(2026, 3, 2))
    assert open_deadline(p, K.INTAKE).due_on == D(2026, 3, 17)


def test_routing_on_day_15_meets_the_intake_deadline(org):
    p = register(org, on=at(2026, 3, 2))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 17))
    intake = Deadline.objects.get(petition=p, kind=K.INTAKE)
    assert not intake.is_open and intake.met_on == D(2026, 3, 17)
    assert intake.met_on <= intake.due_on


# ---------------------------------------------------------------- acceptance 15 days, objection 5 working days (art. 23)


def test_acceptance_15_days_from_forwarding(org):
    p = register(org, on=at(2026, 3, 2))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 4))
    d = open_deadline(p, K.ACCEPTANCE)
    assert d.due_on == D(2026, 3, 19)
    assert d.unit_id == org.hrss.pk
    assert not overdue(D(2026, 3, 19)).filter(pk=d.pk).exists()
    assert overdue(D(2026, 3, 20)).filter(pk=d.pk).exists()


def test_objection_return_on_the_5th_working_day_is_allowed(org):
    p = register(org, on=at(2026, 3, 2))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 4))  # Wednesday
    d = open_deadline(p, K.OBJECTION)
    assert (d.working_days, d.period_days, d.due_on) == (True, 5, D(2026, 3, 11))  # Thu Fri Mon Tue Wed
    p = act(org, "return", p, handler(org, "hrss"), at(2026, 3, 11))
    assert p.state == State.REGISTERED and p.owner_unit_id == org.bureau.pk


def test_objection_return_on_the_6th_working_day_is_refused(org):
    p = register(org, on=at(2026, 3, 2))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 4))
    with pytest.raises(WorkflowError) as e:
        act(org, "return", p, handler(org, "hrss"), at(2026, 3, 12))
    assert "5个工作日期限已过" in str(e.value) and "2026年3月11日" in str(e.value)
    p.refresh_from_db()
    assert p.state == State.FORWARDED and p.owner_unit_id == org.hrss.pk


def test_objection_after_an_assignment_is_also_5_working_days(org):
    p = register(org, on=at(2026, 3, 2))
    act(org, "assign", p, org.u_bureau_staff, at(2026, 3, 4), to_unit=org.town_a, report_days=20)
    assert open_deadline(p, K.OBJECTION).due_on == D(2026, 3, 11)
    report = open_deadline(p, K.ASSIGNMENT_REPORT)
    assert (report.period_days, report.due_on) == (20, D(2026, 3, 24))


# ---------------------------------------------------------------- handling 60 days, one extension ≤ 30 (art. 34)


def accepted_on(org, day: dt.date):
    p = register(org, on=at(2026, 3, 2))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 2))
    return act(org, "accept", p, handler(org, "hrss"), at_date(day))


def test_handling_60_days_from_acceptance(org):
    p = accepted_on(org, D(2026, 3, 9))
    d = open_deadline(p, K.HANDLING)
    assert (d.period_days, d.due_on, d.unit_id) == (60, D(2026, 5, 8), org.hrss.pk)
    assert p.due_on == D(2026, 5, 8)
    assert not overdue(D(2026, 5, 8)).filter(pk=d.pk).exists()
    assert overdue(D(2026, 5, 9)).filter(pk=d.pk).exists()


def test_handling_ending_in_labour_day_holiday_rolls_to_next_working_day(org):
    p = accepted_on(org, D(2026, 3, 2))  # +60 = Friday 2026-05-01, holiday to 05-05
    assert open_deadline(p, K.HANDLING).due_on == D(2026, 5, 6)


def test_handling_ending_on_a_make_up_saturday_does_not_roll(org):
    p = accepted_on(org, D(2026, 3, 10))  # +60 = Saturday 2026-05-09, a make-up working day
    assert open_deadline(p, K.HANDLING).due_on == D(2026, 5, 9)


def test_extension_of_30_days_by_the_unit_head_on_the_due_date(org):
    p = accepted_on(org, D(2026, 3, 9))
    p = act(org, "extend", p, head(org, "hrss"), at(2026, 5, 8), days=30, reason="涉及多个部门，需要会商")
    d = open_deadline(p, K.HANDLING)
    # 2026-03-09 + 90 = Sunday 2026-06-07 → Monday 06-08
    assert (d.extension_days, d.due_on) == (30, D(2026, 6, 8))
    assert p.due_on == D(2026, 6, 8)
    event = p.events.get(action="extend")
    assert event.data["due_before"] == "2026-05-08" and event.data["due_after"] == "2026-06-08"
    assert event.data["approved_by"] == head(org, "hrss").pk


def test_extension_of_31_days_is_refused(org):
    p = accepted_on(org, D(2026, 3, 9))
    with pytest.raises(WorkflowError, match="不得超过30日"):
        act(org, "extend", p, head(org, "hrss"), at(2026, 4, 1), days=31)
    assert open_deadline(p, K.HANDLING).due_on == D(2026, 5, 8)


def test_a_second_extension_is_refused(org):
    p = accepted_on(org, D(2026, 3, 9))
    act(org, "extend", p, head(org, "hrss"), at(2026, 4, 1), days=10)
    with pytest.raises(WorkflowError, match="只能延长一次"):
        act(org, "extend", p, head(org, "hrss"), at(2026, 4, 2), days=5)
    assert open_deadline(p, K.HANDLING).extension_days == 10


def test_a_handler_cannot_extend(org):
    p = accepted_on(org, D(2026, 3, 9))
    with pytest.raises(WorkflowError) as e:
        act(org, "extend", p, handler(org, "hrss"), at(2026, 4, 1))
    assert "不能延期" in str(e.value) and is_chinese(str(e.value))


def test_another_units_head_cannot_extend(org):
    p = accepted_on(org, D(2026, 3, 9))
    with pytest.raises(WorkflowError, match="负责办理"):
        act(org, "extend", p, head(org, "land"), at(2026, 4, 1))


def test_extension_after_the_due_date_is_refused(org):
    p = accepted_on(org, D(2026, 3, 9))
    with pytest.raises(WorkflowError) as e:
        act(org, "extend", p, head(org, "hrss"), at(2026, 5, 9), days=10)
    assert "已于2026年5月8日届满" in str(e.value)


def test_extension_needs_a_reason(org):
    p = accepted_on(org, D(2026, 3, 9))
    with pytest.raises(WorkflowError, match="理由"):
        act(org, "extend", p, head(org, "hrss"), at(2026, 4, 1), reason="  ")


# ---------------------------------------------------------------- review: request within 30, answer within 30 (art. 35)


def decided_on(org, day: dt.date):
    p = accepted_on(org, D(2026, 3, 2))
    return act(org, "decide", p, handler(org, "hrss"), at_date(day))


def test_review_request_on_day_30_is_allowed(org):
    p = decided_on(org, D(2026, 3, 16))
    w = open_deadline(p, K.REVIEW_REQUEST)
    assert (w.due_on, w.unit_id) == (D(2026, 4, 15), None)
    p = act(org, "request_review", p, org.u_clerk, at(2026, 4, 15))
    assert p.state == State.REVIEW_REQUESTED and p.owner_unit_id == org.county_gov.pk


def test_review_request_on_day_31_is_refused_with_a_clear_message(org):
    p = decided_on(org, D(2026, 3, 16))
    with pytest.raises(WorkflowError) as e:
        act(org, "request_review", p, org.u_clerk, at(2026, 4, 16))
    msg = str(e.value)
    assert "申请复查的期限已于2026年4月15日届满" in msg and "不再受理" in msg
    p.refresh_from_db()
    assert p.state == State.DECIDED and p.owner_unit_id == org.hrss.pk


def test_review_answer_30_days_from_the_request(org):
    p = decided_on(org, D(2026, 3, 9))
    p = act(org, "request_review", p, org.u_clerk, at(2026, 3, 10))
    d = open_deadline(p, K.REVIEW_ANSWER)
    assert (d.due_on, d.unit_id) == (D(2026, 4, 9), org.county_gov.pk)
    assert p.due_on == D(2026, 4, 9)
    assert overdue(D(2026, 4, 10)).filter(pk=d.pk).exists()
    assert not overdue(D(2026, 4, 9)).filter(pk=d.pk).exists()


# ---------------------------------------------------------------- reexamination 30 + 30, hearing time not counted (art. 36)


def reexamination_requested_on(org, day: dt.date):
    p = decided_on(org, D(2026, 3, 9))
    p = act(org, "request_review", p, org.u_clerk, at(2026, 3, 10))
    p = act(org, "review_decide", p, handler(org, "county_gov"), at(2026, 4, 20))
    return act(org, "request_reexamination", p, org.u_clerk, at_date(day))


def test_reexamination_request_window_30_days(org):
    p = decided_on(org, D(2026, 3, 9))
    p = act(org, "request_review", p, org.u_clerk, at(2026, 3, 10))
    p = act(org, "review_decide", p, handler(org, "county_gov"), at(2026, 5, 11))
    assert open_deadline(p, K.REEXAMINATION_REQUEST).due_on == D(2026, 6, 10)
    with pytest.raises(WorkflowError, match="申请复核的期限已于2026年6月10日届满"):
        act(org, "request_reexamination", p, org.u_clerk, at(2026, 6, 11))
    p = act(org, "request_reexamination", p, org.u_clerk, at(2026, 6, 10))
    assert p.owner_unit_id == org.city_gov.pk


def test_reexamination_answer_30_days(org):
    p = reexamination_requested_on(org, D(2026, 5, 11))
    d = open_deadline(p, K.REEXAMINATION_ANSWER)
    assert (d.due_on, d.unit_id) == (D(2026, 6, 10), org.city_gov.pk)


def test_hearing_days_do_not_count(org):
    p = reexamination_requested_on(org, D(2026, 5, 11))
    city = handler(org, "city_gov")
    p = act(org, "hearing_start", p, city, at(2026, 5, 20))
    assert open_deadline(p, K.REEXAMINATION_ANSWER).due_on == D(2026, 6, 10)  # unchanged while paused
    p = act(org, "hearing_end", p, city, at(2026, 5, 21))
    d = open_deadline(p, K.REEXAMINATION_ANSWER)
    # two hearing days (both ends count as paused): 06-10 + 2 = Friday 06-12
    assert (d.paused_days, d.paused_since, d.due_on) == (2, None, D(2026, 6, 12))
    assert d.due_on - D(2026, 6, 10) == dt.timedelta(days=d.paused_days)
    assert p.due_on == D(2026, 6, 12)
    assert p.events.get(action="hearing_end").data["days_not_counted"] == 2


def test_one_day_hearing_moves_the_due_date_by_one_day(org):
    p = reexamination_requested_on(org, D(2026, 5, 11))
    city = handler(org, "city_gov")
    act(org, "hearing_start", p, city, at(2026, 5, 20, 9))
    act(org, "hearing_end", p, city, at(2026, 5, 20, 17))
    assert open_deadline(p, K.REEXAMINATION_ANSWER).due_on == D(2026, 6, 11)


def test_two_hearings_add_up(org):
    p = reexamination_requested_on(org, D(2026, 5, 11))
    city = handler(org, "city_gov")
    for start, end in ((D(2026, 5, 18), D(2026, 5, 18)), (D(2026, 5, 25), D(2026, 5, 26))):
        act(org, "hearing_start", p, city, at_date(start))
        act(org, "hearing_end", p, city, at_date(end))
    d = open_deadline(p, K.REEXAMINATION_ANSWER)
    assert (d.paused_days, d.due_on) == (3, D(2026, 6, 15))  # 06-13 is a Saturday → Monday 06-15


def test_a_paused_deadline_is_not_flagged_overdue(org):
    p = reexamination_requested_on(org, D(2026, 5, 11))
    act(org, "hearing_start", p, handler(org, "city_gov"), at(2026, 5, 20))
    assert alerts.deadlines_check(at(2026, 6, 20)).flagged == 0


def test_decision_refused_while_the_hearing_is_open(org):
    p = reexamination_requested_on(org, D(2026, 5, 11))
    act(org, "hearing_start", p, handler(org, "city_gov"), at(2026, 5, 20))
    with pytest.raises(WorkflowError, match="听证尚未结束"):
        act(org, "reexamine_decide", p, handler(org, "city_gov"), at(2026, 5, 22))


# ---------------------------------------------------------------- National Day and make-up working days


def test_intake_ending_in_national_day_rolls_to_the_next_working_day(org):
    p = register(org, on=at(2026, 9, 18))  # +15 = 10-03, inside 10-01..10-07
    d = open_deadline(p, K.INTAKE)
    assert d.due_on == D(2026, 10, 8)
    text = deadlines.explain(d)
    assert "期满日2026年10月3日为节假日，顺延至其后第一个工作日2026年10月8日" in text


def test_acceptance_ending_in_national_day_rolls(org):
    p = register(org, on=at(2026, 9, 18))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 9, 20))  # +15 = 10-05
    assert open_deadline(p, K.ACCEPTANCE).due_on == D(2026, 10, 8)


def test_registered_on_mid_autumn_day_ends_on_make_up_saturday(org):
    p = register(org, on=at(2026, 9, 25))  # Mid-Autumn holiday; +15 = Saturday 10-10, a make-up working day
    d = open_deadline(p, K.INTAKE)
    assert d.due_on == D(2026, 10, 10)
    assert "顺延" not in deadlines.explain(d)


def test_objection_across_national_day_counts_only_working_days(org):
    p = register(org, on=at(2026, 9, 28))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 9, 29))
    # 09-30 (1), [10-01..10-07 holiday], 10-08 (2), 10-09 (3), Sat 10-10 make-up (4), [Sun 10-11], 10-12 (5)
    assert open_deadline(p, K.OBJECTION).due_on == D(2026, 10, 12)
    with pytest.raises(WorkflowError, match="期限已过"):
        act(org, "return", p, handler(org, "hrss"), at(2026, 10, 13))
    p = act(org, "return", p, handler(org, "hrss"), at(2026, 10, 12))
    assert p.state == State.REGISTERED


def test_objection_counts_the_make_up_sunday(org):
    p = register(org, on=at(2026, 9, 18))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 9, 18))  # Friday
    # Sun 09-20 make-up (1), 09-21 (2), 09-22 (3), 09-23 (4), 09-24 (5); Mon–Fri alone would give 09-25
    assert open_deadline(p, K.OBJECTION).due_on == D(2026, 9, 24)


def test_calendar_knows_the_2026_arrangement():
    assert calendar.is_workday(D(2026, 10, 10))  # Saturday, make-up
    assert calendar.is_workday(D(2026, 9, 20))  # Sunday, make-up
    assert not calendar.is_workday(D(2026, 10, 5))  # Monday, National Day
    assert not calendar.is_workday(D(2026, 9, 25))  # Friday, Mid-Autumn


# ---------------------------------------------------------------- a year chinesecalendar does not know


def test_unknown_year_falls_back_to_monday_to_friday_and_says_so(org):
    p = register(org, on=at(2027, 2, 5))  # +15 = Saturday 2027-02-20
    d = open_deadline(p, K.INTAKE)
    assert d.due_on == D(2027, 2, 22)
    text = deadlines.explain(d)
    assert "2027年的法定节假日安排尚未录入节假日表，按周一至周五为工作日计算" in text


def test_unknown_year_working_days(org):
    p = register(org, on=at(2027, 2, 5))
    act(org, "forward", p, org.u_bureau_staff, at(2027, 2, 5))  # Friday
    d = open_deadline(p, K.OBJECTION)
    assert d.due_on == D(2027, 2, 12)
    assert "按周一至周五" in deadlines.explain(d)


def test_period_crossing_into_an_unknown_year_says_so(org):
    p = register(org, on=at(2026, 12, 24))  # +15 = Friday 2027-01-08
    d = open_deadline(p, K.INTAKE)
    assert d.due_on == D(2027, 1, 8)
    assert "2027年" in deadlines.explain(d)


def test_holiday_rows_override_the_fallback_for_an_unknown_year(org):
    calendar.is_workday(D(2027, 2, 22))  # load the cache before the rows exist
    Holiday.objects.create(date=D(2027, 2, 22), is_workday=False, name="春节（假设）")
    p = register(org, on=at(2027, 2, 5))
    d = open_deadline(p, K.INTAKE)
    assert d.due_on == D(2027, 2, 23)
    assert "按周一至周五" not in deadlines.explain(d)


def test_holiday_row_make_up_workday_in_an_unknown_year(org):
    Holiday.objects.create(date=D(2027, 2, 20), is_workday=True, name="调休上班（假设）")
    p = register(org, on=at(2027, 2, 5))
    assert open_deadline(p, K.INTAKE).due_on == D(2027, 2, 20)


def test_holiday_row_overrides_chinesecalendar_in_a_known_year(org):
    Holiday.objects.create(date=D(2026, 3, 17), is_workday=False, name="地方性假日（假设）")
    p = register(org, on=at(2026, 3, 2))
    assert open_deadline(p, K.INTAKE).due_on == D(2026, 3, 18)


def test_deleting_a_holiday_row_takes_effect(org):
    h = Holiday.objects.create(date=D(2026, 3, 17), is_workday=False)
    assert not calendar.is_workday(D(2026, 3, 17))
    h.delete()
    assert calendar.is_workday(D(2026, 3, 17))


# ---------------------------------------------------------------- a county changes a period


def test_county_shortens_intake_to_10_days(org):
    before = register(org, on=at(2026, 3, 2))
    assert rules.period("intake").days == 15  # cache filled
    row = LegalPeriod.objects.get(key="intake")
    row.days = 10
    row.save()
    after = register(org, on=at(2026, 3, 2))
    assert open_deadline(after, K.INTAKE).due_on == D(2026, 3, 12)
    assert open_deadline(before, K.INTAKE).due_on == D(2026, 3, 17)  # existing deadlines keep their period


def test_county_counts_intake_in_working_days(org):
    assert not rules.period("intake").working_days  # cache filled
    row = LegalPeriod.objects.get(key="intake")
    row.working_days = True
    row.save()
    p = register(org, on=at(2026, 9, 18))
    d = open_deadline(p, K.INTAKE)
    # 15 working days from Fri 09-18: 09-20(1) 21 22 23 24(5) 28 29 30(8) 10-08 09 10(11) 12 13 14 15(15)
    assert (d.working_days, d.due_on) == (True, D(2026, 10, 15))
    assert "15个工作日" in deadlines.explain(d)


def test_county_changes_the_extension_maximum(org):
    p = accepted_on(org, D(2026, 3, 9))  # cache filled
    row = LegalPeriod.objects.get(key="extension_max")
    row.days = 20
    row.save()
    p = accepted_on(org, D(2026, 3, 9))
    with pytest.raises(WorkflowError, match="不得超过20日"):
        act(org, "extend", p, head(org, "hrss"), at(2026, 4, 1), days=21)


def test_deleting_a_legal_period_row_falls_back_to_the_default(org):
    row = LegalPeriod.objects.get(key="intake")
    row.days = 10
    row.save()
    assert rules.period("intake").days == 10
    row.delete()
    assert rules.period("intake").days == 15


# ---------------------------------------------------------------- explain()


def test_explain_names_start_period_unit_extension_and_due_date(org):
    p = accepted_on(org, D(2026, 3, 9))
    act(org, "extend", p, head(org, "hrss"), at(2026, 4, 1), days=30, reason="需要会商")
    text = deadlines.explain(open_deadline(p, K.HANDLING))
    for part in (
        "自2026年3月9日起算",
        "期限60日",
        "第三十四条",
        "经批准延长30日",
        "需要会商",
        "顺延至其后第一个工作日2026年6月8日",
        "截止日期2026年6月8日",
    ):
        assert part in text, part


def test_explain_names_the_pause(org):
    p = reexamination_requested_on(org, D(2026, 5, 11))
    city = handler(org, "city_gov")
    act(org, "hearing_start", p, city, at(2026, 5, 20))
    assert "自2026年5月20日起中止计算" in deadlines.explain(open_deadline(p, K.REEXAMINATION_ANSWER))
    act(org, "hearing_end", p, city, at(2026, 5, 21))
    text = deadlines.explain(open_deadline(p, K.REEXAMINATION_ANSWER))
    for part in ("自2026年5月11日起算", "期限30日", "听证等中止期间2日不计入", "截止日期2026年6月12日"):
        assert part in text, part


def test_explain_names_working_days_and_the_met_date(org):
    p = register(org, on=at(2026, 3, 2))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 4))
    act(org, "accept", p, handler(org, "hrss"), at(2026, 3, 6))
    d = Deadline.objects.get(petition=p, kind=K.OBJECTION)
    text = deadlines.explain(d)
    assert "期限5个工作日" in text and "截止日期2026年3月11日" in text and "已于2026年3月6日完成" in text


def test_every_default_period_matches_the_law():
    expected = {
        "intake": (15, False),
        "acceptance": (15, False),
        "objection": (5, True),
        "handling": (60, False),
        "extension_max": (30, False),
        "review_request": (30, False),
        "review_answer": (30, False),
        "reexamination_request": (30, False),
        "reexamination_answer": (30, False),
    }
    assert {k: (p.days, p.working_days) for k, p in rules.DEFAULT_PERIODS.items()} == expected


def test_migrated_rows_equal_the_defaults(db):
    rows = {r.key: (r.days, r.working_days) for r in LegalPeriod.objects.all()}
    assert rows == {k: (p.days, p.working_days) for k, p in rules.DEFAULT_PERIODS.items()}
