"""Notices to petitioners (B5): which changes queue which notice, to whom, with what words; the
queue is written with the change and costs the change a fixed, small number of queries; the
petitioner's timeline reads them in one query; the admin masks phone numbers and addresses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import CJK, act, at, at_date, owner_handler, path_to, register, staff_login
from xinfang.notify.masking import mask_email, mask_phone, mobile_number
from xinfang.notify.models import Notice, NoticeState
from xinfang.notify.selectors import notice_list_for_petitioner
from xinfang.notify.services import notices_send_due
from xinfang.notify.texts import DEFAULTS
from xinfang.org import calendar
from xinfang.petitions.eventlog import workflow_events_written
from xinfang.petitions.models import Deadline, DeadlineKind, Kind, Petition, Petitioner, State
from xinfang.petitions.services import query_code_display

pytestmark = pytest.mark.django_db

PHONE = "13900001234"
EMAIL = "lmy@example.org"


def person(name: str = "李某乙", phone: str = PHONE, email: str = EMAIL) -> Petitioner:
    return Petitioner(name=name, phone=phone, email=email)


def notices(petition: Petition, channel: str | None = None) -> list[Notice]:
    rows = Notice.objects.filter(petition=petition).order_by("pk")
    return list(rows.filter(channel=channel) if channel else rows)


def stages(petition: Petition, channel: str = "sms") -> list[str]:
    return [n.stage for n in notices(petition, channel)]


# ---------------------------------------------------------------- which change, which notice


def test_every_stage_of_the_happy_path_notifies_by_sms_and_email(org):
    p, _ = path_to(org, State.CLOSED, petitioners=[person()])
    expected = [
        "register",
        "forward",
        "accept",
        "decide",
        "request_review",
        "review_decide",
        "request_reexamination",
        "reexamine_decide",
        "close",
    ]  # evaluating sends nothing
    assert stages(p, "sms") == expected
    assert stages(p, "email") == expected
    assert {n.recipient for n in notices(p, "sms")} == {PHONE}
    assert {n.recipient for n in notices(p, "email")} == {EMAIL}
    assert all(n.state == NoticeState.PENDING and n.attempts == 0 for n in notices(p))


@pytest.mark.parametrize(
    "state,stage",
    [
        (State.DECLINED, "decline"),
        (State.ASSIGNED, "assign"),
        (State.REDIRECTED, "redirect"),
    ],
)
def test_declining_assigning_and_redirecting_notify(org, state, stage):
    p, _ = path_to(org, state, petitioners=[person()])
    assert stages(p) == ["register", stage]


def test_extension_notifies_with_the_new_date(org):
    p, day = path_to(org, State.ACCEPTED, petitioners=[person()])
    act(org, "extend", p, org.user(org.unit_key(p.owner_unit_id), "unit_head"), at_date(day + dt.timedelta(days=5)))
    handling = Deadline.objects.get(petition=p, kind=DeadlineKind.HANDLING)
    sms = notices(p, "sms")[-1]
    assert sms.stage == "extend" and calendar.format_date(handling.due_on) in sms.text
    mail = notices(p, "email")[-1]
    assert "需要现场勘查" in mail.text and "10日" in mail.text


def test_steps_that_do_not_concern_the_petitioner_send_nothing(org):
    p, day = path_to(org, State.ACCEPTED, petitioners=[person()])
    before = Notice.objects.count()
    act(org, "record_step", p, owner_handler(org, p), at_date(day + dt.timedelta(days=1)))
    assert Notice.objects.count() == before


# ---------------------------------------------------------------- the words


def test_texts_give_the_query_code_the_portal_and_the_dates_that_matter(org):
    p, _ = path_to(org, State.DECIDED, petitioners=[person()])
    code = query_code_display(p.query_code)
    by_stage = {n.stage: n for n in notices(p, "sms")}
    for n in notices(p):
        assert code in n.text and "/portal/" in n.text and CJK.search(n.text)
    handling = Deadline.objects.get(petition=p, kind=DeadlineKind.HANDLING)
    review = Deadline.objects.get(petition=p, kind=DeadlineKind.REVIEW_REQUEST)
    acceptance = Deadline.objects.get(petition=p, kind=DeadlineKind.ACCEPTANCE)
    assert calendar.format_date(handling.due_on) in by_stage["accept"].text  # when it will be concluded
    assert calendar.format_date(review.due_on) in by_stage["decide"].text  # the last day to ask for review
    assert "县人力资源和社会保障局" in by_stage["forward"].text  # where it went
    forward_mail = next(n for n in notices(p, "email") if n.stage == "forward")
    assert calendar.format_date(acceptance.due_on) in forward_mail.text  # when they will say whether accepted
    decide_mail = next(n for n in notices(p, "email") if n.stage == "decide")
    assert "予以支持" in decide_mail.text and "村道损坏" in decide_mail.text and code in decide_mail.subject


def test_sms_texts_fit_one_message_with_the_default_portal_path(org):
    """One SMS is 70 Chinese characters; every stage fits, signature included, even with a long unit name."""
    from xinfang.notify.texts import wording_for

    context = {
        "query_code": "ABCDE-FGHJK",
        "portal": "/portal/",
        "title": "村道损坏",
        "on": "2026年12月31日",
        "unit": "县人力资源和社会保障局",
        "due_on": "2026年12月31日",
        "handling_due_on": "2026年12月31日",
        "extension_days": 30,
        "extension_reason": "需要现场勘查",
        "decline_reason": "不属于本机关职权范围",
        "legal_channel": "行政复议",
        "outcome": "不予支持",
    }
    for stage in DEFAULTS:
        text = wording_for(stage, context).sms
        assert len(text) <= 70, (stage, len(text), text)
        assert text.startswith("【信访】") and "ABCDE-FGHJK" in text


def test_a_county_rewords_a_notice_in_settings_and_a_broken_wording_falls_back(org, settings):
    settings.NOTIFY_TEXTS = {"register": {"sms": "登记好了：{{ query_code }}"}, "forward": {"sms": "{% if %}"}}
    p, _ = path_to(org, State.FORWARDED, petitioners=[person()])
    register_sms, forward_sms = notices(p, "sms")
    assert register_sms.text == f"【信访】登记好了：{query_code_display(p.query_code)}"
    assert "已转送" in forward_sms.text  # the default wording: the change itself went through
    assert p.state == State.FORWARDED


# ---------------------------------------------------------------- to whom


def test_each_channel_only_when_the_petitioner_has_it(org):
    on = at(2026, 3, 2)
    nothing = register(org, on=on, kind=Kind.CLAIM, petitioners=[person(phone="", email="")])
    sms_only = register(org, on=on, kind=Kind.CLAIM, petitioners=[person(email="")])
    mail_only = register(org, on=on, kind=Kind.CLAIM, petitioners=[person(phone="")])
    landline = register(org, on=on, kind=Kind.CLAIM, petitioners=[person(phone="0571-8700 0000", email="")])
    assert notices(nothing) == [] and notices(landline) == []
    assert [n.channel for n in notices(sms_only)] == ["sms"]
    assert [n.channel for n in notices(mail_only)] == ["email"]


def test_anonymous_accusations_get_nothing_at_any_stage(org):
    p = register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_unit=org.units["land"])
    act(org, "forward", p, org.users["bureau_staff"], at(2026, 3, 3), to_unit=org.units["discipline"])
    act(org, "accept", p, owner_handler(org, p), at(2026, 3, 4))
    act(org, "decide", p, owner_handler(org, p), at(2026, 3, 10))
    assert Notice.objects.filter(petition=p).count() == 0


def test_a_collective_visit_notifies_its_representatives_only(org):
    reps = [person(f"代表{i}", f"1390000{i:04d}", f"rep{i}@example.org") for i in range(2)]
    others = [person(f"群众{i}", f"1380000{i:04d}", "") for i in range(4)]
    p = register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=reps + others, representatives=reps, headcount=30)
    assert {n.recipient for n in notices(p, "sms")} == {"13900000000", "13900000001"}
    assert {n.recipient for n in notices(p, "email")} == {"rep0@example.org", "rep1@example.org"}


def test_a_petitioner_of_a_later_step_is_read_from_the_database(org):
    p = register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person("王某丙", "+86 139-0000-5678", "")])
    act(org, "accept", p, org.users["bureau_staff"], at(2026, 3, 3))
    assert [n.recipient for n in notices(p)] == ["13900005678", "13900005678"]


# ---------------------------------------------------------------- with the change, never instead of it


def test_notices_are_queued_with_the_change_and_nothing_is_sent_by_it(org, settings):
    from tests.support.sms import RecordingSms

    settings.SMS_BACKEND = f"{RecordingSms.__module__}.RecordingSms"
    RecordingSms.sent.clear()
    p, _ = path_to(org, State.ACCEPTED, petitioners=[person()])
    assert len(notices(p)) == 6 and RecordingSms.sent == []


def test_a_change_that_is_rolled_back_leaves_no_notice(org):
    with pytest.raises(RuntimeError), transaction.atomic():
        register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person()])
        assert Notice.objects.count() == 2
        raise RuntimeError("the request failed later")
    assert Notice.objects.count() == 0 and Petition.objects.count() == 0


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_hook_costs_one_insert_at_registration_and_three_queries_on_acceptance(org):
    """Registration passes the petitioners it has in memory: one INSERT for every notice. A later
    step reads the petitioners, then (accept) the handling deadline, and inserts: three queries."""

    def register_one() -> Petition:
        return register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person()])

    register_one()  # the period and calendar tables are cached, as at a desk
    counts = {}
    for hooked in (True, False):
        if not hooked:
            workflow_events_written.disconnect(dispatch_uid="notify_enqueue")
        try:
            holder: list[Petition] = []
            counts[hooked, "register"] = _queries(lambda holder=holder: holder.append(register_one()))
            counts[hooked, "accept"] = _queries(
                lambda holder=holder: act(org, "accept", holder[0], org.users["bureau_staff"], at(2026, 3, 3))
            )
        finally:
            if not hooked:
                from xinfang.notify.services import on_workflow_events_written

                workflow_events_written.connect(on_workflow_events_written, dispatch_uid="notify_enqueue")
    # act() refreshes the petition first: the same in both counts
    assert counts[True, "register"] - counts[False, "register"] == 1
    assert counts[True, "accept"] - counts[False, "accept"] == 3


# ---------------------------------------------------------------- the petitioner's timeline


def test_the_timeline_reads_the_notices_in_one_query_whatever_their_number(org, django_assert_num_queries):
    reps = [person(f"代表{i}", f"1390000{i:04d}", f"rep{i}@example.org") for i in range(5)]
    p, _ = path_to(org, State.CLOSED, petitioners=reps, representatives=reps, headcount=10)
    assert Notice.objects.filter(petition=p).count() == 9 * 2 * 5
    with django_assert_num_queries(1):
        shown = notice_list_for_petitioner(p)
        fields = [(n.created_at, n.channel, n.text, n.state) for n in shown]
    assert len(shown) == 9 * 2  # one per stage and channel, not one per representative
    assert [n.stage for n in shown if n.channel == "sms"][:2] == ["register", "forward"]
    assert all(state == "pending" and "/portal/" in text for _, _, text, state in fields)
    assert [c for _, c, _, _ in fields][:2] == ["email", "sms"]


def test_the_timeline_shows_the_best_delivered_copy(org, settings):
    from tests.support.sms import RecordingSms

    settings.SMS_BACKEND = f"{RecordingSms.__module__}.RecordingSms"
    reps = [person(f"代表{i}", f"1390000{i:04d}", "") for i in range(2)]
    p = register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=reps, representatives=reps, headcount=5)
    first = Notice.objects.filter(petition=p).order_by("pk").first()
    Notice.objects.filter(pk=first.pk).update(state=NoticeState.FAILED)
    notices_send_due()
    assert [n.state for n in notice_list_for_petitioner(p)] == ["sent"]


def test_other_petitions_notices_are_not_shown(org):
    mine = register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person()])
    register(
        org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person("赵某丁", "13900009999", "")], title="路灯不亮"
    )
    assert {n.petition_id for n in notice_list_for_petitioner(mine)} == {mine.pk}


# ---------------------------------------------------------------- personal data in the admin


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_email("abc@example.org") == "a***@example.org"
    assert mobile_number("+86 138-1234-5678") == "13812345678"
    assert mobile_number("0571-87000000") is None and mobile_number("") is None


@pytest.fixture
def admin_client_for(org):
    c = Client()
    admin = org.users["admin"]
    admin.is_staff = True
    admin.save()
    staff_login(c, admin)
    return c


def test_the_admin_lists_notices_masked_filters_by_state_and_costs_fixed_queries(org, admin_client_for):
    register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person()])
    url = "/admin/notify/notice/"

    def page(params: str = "") -> str:
        response = admin_client_for.get(url + params)
        assert response.status_code == 200
        return response.content.decode()

    html = page()
    assert "139****1234" in html and "l***@example.org" in html
    assert PHONE not in html and EMAIL not in html
    assert "139****1234" not in page("?state__exact=sent")
    assert "139****1234" in page("?state__exact=pending")
    sms = Notice.objects.get(channel="sms")
    detail = admin_client_for.get(f"{url}{sms.pk}/change/").content.decode()
    assert PHONE not in detail and "139****1234" in detail

    def count() -> int:
        return _queries(page)

    few = count()
    for i in range(20):
        register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person(phone=f"1390001{i:04d}")])
    assert count() == few


def test_the_admin_retries_a_given_up_notice_now(org, admin_client_for):
    p = register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person(email="")])
    later = timezone.now() + dt.timedelta(days=1)
    Notice.objects.filter(petition=p).update(
        state=NoticeState.FAILED, attempts=8, next_attempt_at=later, last_error="DeliveryError: 短信网关无法连接或超时"
    )
    notice = Notice.objects.get(petition=p)
    response = admin_client_for.post("/admin/notify/notice/", {"action": "retry_now", "_selected_action": [notice.pk]})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.state == NoticeState.PENDING and notice.next_attempt_at < later


def test_the_admin_shows_only_notices_of_petitions_the_user_may_see(org):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from xinfang.notify.admin import NoticeAdmin

    p = register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person()])
    request = RequestFactory().get("/admin/notify/notice/")
    request.user = org.users["other_bureau_staff"]
    assert not NoticeAdmin(Notice, site).get_queryset(request).filter(petition=p).exists()
    request.user = org.users["bureau_staff"]
    assert NoticeAdmin(Notice, site).get_queryset(request).filter(petition=p).count() == 2


def test_a_decision_date_is_in_words(org):
    """The e-mail of a decision gives the day it was made, in Chinese."""
    p, day = path_to(org, State.DECIDED, petitioners=[person()])
    mail = next(n for n in notices(p, "email") if n.stage == "decide")
    assert calendar.format_date(day) in mail.text
