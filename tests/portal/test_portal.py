"""The public portal (issue 4): submit a petition from a phone, get a query code and a receipt, track it
by code and phone, evaluate the handling, ask for review or reexamination inside the legal window; the
reception days and policy answers. Abuse: rate limits (429), files checked by content, a wrong
code/phone pair answered exactly like a missing code, never another person's petition."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import D, act, at_date, handler, head, is_chinese, path_to, register, staff_login
from tests.support.desk import EXE, pdf, upload
from tests.support.portal import PHONE, browser, form, submit
from xinfang.demo.portal import portal_demo_load
from xinfang.petitions import registration, rules, services
from xinfang.petitions.crypto import lookup_digest
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import (
    Attachment,
    Channel,
    Deadline,
    DeadlineKind,
    Evaluation,
    Event,
    Kind,
    LegalPeriod,
    Petition,
    Petitioner,
    State,
)
from xinfang.portal import selectors
from xinfang.portal.forms import submission_token_new
from xinfang.portal.models import PolicyAnswer, ReceptionDay, TrackingPhone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portal_state(settings, tmp_path):
    """Uploads in a folder of the test's own; the places the portal holds in memory loaded afresh
    (a test's rollback sends no signal)."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    selectors.invalidate_cache()
    yield
    selectors.invalidate_cache()


def submitted(c: Client, org, **overrides) -> Petition:
    """Submit, follow the redirect to the receipt, and return the new petition."""
    response = submit(c, org, **overrides)
    assert response.status_code == 302, response.content.decode()[:2000]
    receipt = c.get(response["Location"])
    assert receipt.status_code == 200
    code = re.search(r'data-testid="query-code">([^<]+)<', receipt.content.decode()).group(1)
    return Petition.objects.get(query_code=services.query_code_normalise(code))


def track(c: Client, code: str, phone: str):
    return c.post("/portal/track/", {"code": code, "phone": phone})


def tracked(org, petition: Petition, phone: str = "13800000000") -> Client:
    """A browser that has looked the petition up by its code and phone."""
    c = browser()
    assert track(c, petition.query_code, phone).status_code == 302
    return c


def page(c: Client, petition: Petition) -> str:
    response = c.get(f"/portal/p/{petition.pk}/")
    assert response.status_code == 200
    return response.content.decode()


RATE_LIMIT_QUERIES = 4  # the address counted in CACHES["limits"] (the database without Redis): add, then incr


def petition_queries(ctx) -> list[dict]:
    return [q for q in ctx.captured_queries if "xinfang_cache" not in q["sql"]]


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


# ---------------------------------------------------------------- submitting


def test_a_claim_is_registered_in_the_county_bureau_as_the_petitioner_with_a_query_code(org):
    c = browser()
    response = submit(c, org, phone="+86 139-1234-5678", email="lisi@example.org")
    assert response.status_code == 302 and "/portal/receipt/" in response["Location"]
    receipt = c.get(response["Location"]).content.decode()
    p = Petition.objects.get()
    assert services.query_code_display(p.query_code) in receipt
    assert "示范县信访局" in receipt and "《信访工作条例》第二十二条" in receipt  # who received it, the next legal step
    assert (p.channel, p.kind, p.state) == (Channel.WEB, Kind.CLAIM, State.REGISTERED)
    assert p.registered_by is None and p.registering_unit == org.bureau == p.owner_unit
    assert p.region == org.regions["village_a"]
    person = p.petitioners.get()
    assert (person.name, person.phone, person.email) == ("李某乙", PHONE, "lisi@example.org")
    event = p.events.get()
    assert (event.action, event.actor_id, event.actor_label) == ("register", None, "信访人")
    assert list(verify_chains([p.pk])) == []
    assert p.deadlines.get().kind == DeadlineKind.INTAKE


def test_inside_wechat_the_channel_is_wechat(org):
    c = Client(HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.47.2560 NetType/WIFI")
    assert submitted(c, org).channel == Channel.WECHAT


def test_a_petition_goes_to_the_bureau_of_the_county_where_it_arose(org):
    other_village = org.regions["other_county"]
    p = submitted(browser(), org, place=str(other_village.pk))
    assert p.registering_unit == org.other_bureau


def test_only_places_of_a_county_with_a_petition_bureau_are_offered(org):
    offered = {place.pk for place in selectors.places.get().values()}
    assert org.regions["village_a"].pk in offered and org.regions["county"].pk in offered
    assert org.regions["city"].pk not in offered  # the city has no county-level bureau of its own
    response = submit(browser(), org, place=str(org.regions["city"].pk))
    assert response.status_code == 400 and not Petition.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"anonymous": "on"}, "申诉求决类"),  # a claim cannot be anonymous
        ({"phone": ""}, "手机号"),
        ({"name": " "}, "姓名"),
        ({"phone": "12ab"}, "手机号"),
        ({"title": ""}, "必填"),
    ],
)
def test_a_claim_needs_a_name_and_a_phone(org, overrides, field_error):
    response = submit(browser(), org, **overrides)
    html = response.content.decode()
    assert response.status_code == 400 and field_error in html
    assert not Petition.objects.exists() and not Petitioner.objects.exists()


@pytest.mark.parametrize("kind", [Kind.ACCUSATION, Kind.SUGGESTION])
def test_accusations_and_suggestions_may_be_anonymous_and_nothing_names_the_sender(org, kind):
    p = submitted(
        browser(), org, kind=kind, anonymous="on", name="王某丙", phone="", email="w@example.org", address="丰收村3组"
    )
    assert not p.parties.exists() and not Petitioner.objects.exists()
    assert not TrackingPhone.objects.exists()
    stored = " ".join(str(e.data) for e in Event.objects.all())
    assert "王某丙" not in stored and "w@example.org" not in stored and "丰收村3组" not in stored


def test_an_anonymous_accuser_tracks_with_a_phone_kept_only_as_a_keyed_hash(org):
    p = submitted(
        browser(), org, kind=Kind.ACCUSATION, anonymous="on", name="", phone=PHONE, accused_name="某单位某科长"
    )
    assert p.accused_name == "某单位某科长" and not p.parties.exists()
    digest = TrackingPhone.objects.get(petition=p).digest
    assert PHONE not in digest and len(digest) == 64
    assert not Petitioner.objects.filter(phone_digest=lookup_digest("phone", PHONE)).exists()
    assert track(browser(), p.query_code, "+86 139 1234 5678").status_code == 302
    assert track(browser(), p.query_code, "13912345679").status_code == 200  # not found
    assert track(browser(), p.query_code, "").status_code == 200  # not found: a phone is on file


def test_the_accused_is_recorded_only_for_accusations(org):
    p = submitted(browser(), org, kind=Kind.CLAIM, accused_name="某人")
    assert p.accused_name == ""


def test_attachments_are_stored_after_the_content_check(org):
    c = browser()
    data = form(org, attachments=[upload("工资条.pdf", pdf(), "application/pdf")])
    response = c.post("/portal/submit/", data)
    assert response.status_code == 302
    a = Attachment.objects.get()
    assert a.name == "工资条.pdf" and a.uploaded_by is None and a.content_type == "application/pdf"
    assert Path(a.file.path).read_bytes() == pdf()
    assert [e.action for e in a.petition.events.order_by("seq")] == ["register", "attach"]


def test_a_program_renamed_to_pdf_is_refused_by_its_content_and_nothing_is_registered(org):
    data = form(org, attachments=[upload("工资条.pdf", EXE, "application/pdf")])
    response = browser().post("/portal/submit/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "附件“工资条.pdf”不是允许的文件类型" in html and "按文件内容判断" in html
    assert not Petition.objects.exists() and not Attachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(org, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    data = form(org, attachments=[upload("扫描件.pdf", pdf(2048), "application/pdf")])
    response = browser().post("/portal/submit/", data)
    assert response.status_code == 400 and "超过每个文件 1 KB 的上限" in response.content.decode()
    assert not Petition.objects.exists()


def test_submission_costs_at_most_eleven_queries_however_many_petitions_there_are(org):
    """Issue 4's ten, the row of the form's one-time token (issue 18, point 6), and the rate limit's
    count in the database cache."""
    c = browser()

    def post() -> None:
        assert submit(c, org).status_code == 302

    post()  # the cached tables (periods, holidays, places) are warm, as on a running server
    few = count_queries(post)
    for i in range(30):
        register(org, on=timezone.now(), kind=Kind.CLAIM, petitioners=[Petitioner(name=f"甲{i}", phone=PHONE)])
    many = count_queries(post)
    assert few == many <= 11 + RATE_LIMIT_QUERIES


def test_the_form_page_loads_its_pickers_from_memory(org, django_assert_max_num_queries):
    browser().get("/portal/submit/")
    with django_assert_max_num_queries(0):
        response = browser().get("/portal/submit/")
    html = response.content.decode()
    assert 'value="%d"' % org.regions["village_a"].pk in html and "<optgroup" in html


# ---------------------------------------------------------------- the receipt


def test_a_receipt_address_that_was_never_given_is_not_found(org):
    c = browser()
    location = submit(c, org)["Location"]
    token = location.rstrip("/").rsplit("/", 1)[1]
    assert c.get(f"/portal/receipt/{submission_token_new()}/").status_code == 404
    assert c.get(f"/portal/receipt/{token[:-2]}xx/").status_code == 404
    assert c.get(location).status_code == 200


# ---------------------------------------------------------------- tracking


def test_tracking_by_code_and_phone_as_typed(org):
    p, _ = path_to(org, State.ACCEPTED)
    c = browser()
    typed = services.query_code_display(p.query_code).lower()
    response = track(c, f" {typed} ", "+86 138-0000-0000")
    assert response.status_code == 302 and response["Location"] == f"/portal/p/{p.pk}/"
    html = page(c, p)
    assert p.title in html and str(State.ACCEPTED.label) in html


def _answer(response) -> str:
    """The page without what differs between any two requests (the CSRF token) or echoes the input."""
    html = response.content.decode()
    html = re.sub(r'name="(?:csrfmiddlewaretoken|next)" value="[^"]+"', "", html)
    return re.sub(r'(name="(?:code|phone)"[^>]*?) value="[^"]*"', r"\1", html)


def test_a_wrong_phone_gets_exactly_the_answer_of_a_missing_code(org):
    p, _ = path_to(org, State.ACCEPTED)
    c = browser()
    track(c, p.query_code, "13800000002")  # the address's count in the rate limit exists from here on
    with CaptureQueriesContext(connection) as wrong_q:
        wrong = track(c, p.query_code, "13800000001")
    missing_code = "".join(reversed(p.query_code))
    assert not Petition.objects.filter(query_code=missing_code).exists()
    with CaptureQueriesContext(connection) as missing_q:
        missing = track(c, missing_code, "13800000000")
    assert wrong.status_code == missing.status_code == 200
    assert _answer(wrong) == _answer(missing)
    assert "没有找到" in wrong.content.decode()
    assert len(wrong_q.captured_queries) == len(missing_q.captured_queries)
    assert len(petition_queries(wrong_q)) == 1  # the rest count the address in the shared rate limit
    assert c.get(f"/portal/p/{p.pk}/").status_code == 404


def test_a_petition_without_any_phone_is_found_by_its_code_alone(org):
    p = register(org, on=timezone.now(), kind=Kind.SUGGESTION)  # an anonymous letter
    assert track(browser(), p.query_code, "13800000000").status_code == 200
    assert track(browser(), p.query_code, "").status_code == 302


def test_nobody_sees_a_petition_they_have_not_looked_up(org):
    mine, _ = path_to(org, State.DECIDED)
    other, _ = path_to(org, State.DECIDED, petitioners=[Petitioner(name="赵某", phone="13700000000")])
    c = tracked(org, mine)
    assert c.get(f"/portal/p/{mine.pk}/").status_code == 200
    not_found = browser().get("/portal/p/999999/")
    for response in (c.get(f"/portal/p/{other.pk}/"), browser().get(f"/portal/p/{mine.pk}/")):
        assert response.status_code == 404
        assert _answer(response) == _answer(not_found)
    # nor can its forms be posted
    assert c.post(f"/portal/p/{other.pk}/evaluate/", {"satisfaction": "satisfied"}).status_code == 404
    assert c.post(f"/portal/p/{other.pk}/appeal/", {"confirm": "on"}).status_code == 404
    other.refresh_from_db()
    assert other.state == State.DECIDED and not Evaluation.objects.filter(petition=other).exists()


def test_forgetting_a_petition_on_a_shared_device(org):
    p, _ = path_to(org, State.ACCEPTED)
    c = tracked(org, p)
    assert c.post(f"/portal/p/{p.pk}/forget/").status_code == 302
    assert c.get(f"/portal/p/{p.pk}/").status_code == 404


# ---------------------------------------------------------------- what the petitioner sees


def test_the_timeline_shows_decisions_and_dates_but_no_staff_notes_names_or_accused(org):
    p = register(
        org,
        on=at_date(D(2026, 3, 2)),
        kind=Kind.ACCUSATION,
        accused_unit=org.units["land"],
        accused_name="某科长",
        petitioners=[Petitioner(name="钱某", phone="13800000000")],
    )
    act(
        org,
        "forward",
        p,
        org.users["bureau_staff"],
        at_date(D(2026, 3, 3)),
        to_unit=org.units["discipline"],
        note="内部备注：注意保密",
    )
    act(org, "accept", p, handler(org, "discipline"), at_date(D(2026, 3, 4)))
    act(org, "record_step", p, handler(org, "discipline"), at_date(D(2026, 3, 5)), note="内部记录：约谈当事人")
    act(org, "extend", p, head(org, "discipline"), at_date(D(2026, 3, 6)), days=10, reason="需要调取档案")
    act(
        org,
        "decide",
        p,
        handler(org, "discipline"),
        at_date(D(2026, 3, 20)),
        text="经核查，反映问题部分属实，已依规处理。",
    )
    html = page(tracked(org, p), p)
    for shown in (
        "县纪委监委",
        "经核查，反映问题部分属实，已依规处理。",
        "需要调取档案",
        "处理意见",
        "《信访工作条例》第二十二条",
    ):
        assert shown in html
    for hidden in (
        "内部备注",
        "内部记录",
        "县自然资源局",
        "某科长",
        "discipline_handler",
        "bureau_staff",
        "单位经办人",
        "信访局工作人员",
    ):
        assert hidden not in html, hidden
    assert "提出异议" not in html  # the units' objection period is not the petitioner's


def test_the_timeline_shows_the_notices_sent_to_the_petitioner(org):
    notify = pytest.importorskip("xinfang.notify.models")
    p, _ = path_to(org, State.DECIDED)
    notices = list(notify.Notice.objects.filter(petition=p))
    assert notices, "the notify app writes a notice at each stage"
    html = unescape(page(tracked(org, p), p))
    for n in notices:
        assert n.text in html


def test_the_petition_page_costs_the_same_queries_however_long_the_history(org):
    short, _ = path_to(org, State.ACCEPTED)
    long, _ = path_to(org, State.REEXAMINED, petitioners=[Petitioner(name="孙某", phone="13700000000")])
    c1, c2 = tracked(org, short), tracked(org, long, "13700000000")
    c1.get(f"/portal/p/{short.pk}/")
    few = count_queries(lambda: c1.get(f"/portal/p/{short.pk}/"))
    many = count_queries(lambda: c2.get(f"/portal/p/{long.pk}/"))
    assert few == many <= 8


def test_deadlines_are_explained_with_the_periods_in_force(org):
    LegalPeriod.objects.filter(key="intake").update(days=10, article="本县规定：登记后10日内转送或交办")
    rules.invalidate_cache()
    p = submitted(browser(), org)
    html = page(tracked(org, p, PHONE), p)
    assert "期限10日" in html and "本县规定" in html


# ---------------------------------------------------------------- evaluation


def test_evaluating_a_decision_once_through_the_service(org):
    p, _ = path_to(org, State.DECIDED)
    c = tracked(org, p)
    assert "满意度" in page(c, p) or "满意" in page(c, p)
    response = c.post(f"/portal/p/{p.pk}/evaluate/", {"satisfaction": "basically", "reason": "答复及时"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.state == State.EVALUATED
    e = Evaluation.objects.get(petition=p)
    assert (e.satisfaction, e.reason) == ("basically", "答复及时")
    event = p.events.order_by("-seq").first()
    assert (event.action, event.actor_id, event.actor_label) == ("evaluate", None, "信访人")
    assert list(verify_chains([p.pk])) == []
    # once per decision
    again = c.post(f"/portal/p/{p.pk}/evaluate/", {"satisfaction": "dissatisfied", "reason": "改主意了"}, follow=True)
    assert "已经评价" in again.content.decode()
    assert Evaluation.objects.filter(petition=p).count() == 1


def test_dissatisfied_needs_reasons(org):
    p, _ = path_to(org, State.DECIDED)
    c = tracked(org, p)
    response = c.post(f"/portal/p/{p.pk}/evaluate/", {"satisfaction": "dissatisfied", "reason": " "})
    assert response.status_code == 400 and "不满意的理由" in response.content.decode()
    assert not Evaluation.objects.exists()
    assert (
        c.post(f"/portal/p/{p.pk}/evaluate/", {"satisfaction": "dissatisfied", "reason": "工资仍未发放"}).status_code
        == 302
    )
    assert Evaluation.objects.get().satisfaction == "dissatisfied"


def test_no_evaluation_before_a_decision(org):
    p, _ = path_to(org, State.ACCEPTED)
    c = tracked(org, p)
    assert 'action="/portal/p/%d/evaluate/"' % p.pk not in page(c, p)
    response = c.post(f"/portal/p/{p.pk}/evaluate/", {"satisfaction": "satisfied"}, follow=True)
    assert "不能记录满意度评价" in response.content.decode()
    assert not Evaluation.objects.exists()


# ---------------------------------------------------------------- review and reexamination


@pytest.fixture
def on_day(monkeypatch):
    """Make "now" 10:00 of a given day, for the services and the pages alike."""

    def set_day(day: dt.date) -> None:
        monkeypatch.setattr(timezone, "now", lambda: at_date(day))

    return set_day


def _window(p: Petition, kind: str) -> dt.date:
    return Deadline.objects.get(petition=p, kind=kind, is_open=True).due_on


def test_review_on_the_last_day_of_the_window(org, on_day):
    p, decided_on = path_to(org, State.DECIDED)
    last = _window(p, DeadlineKind.REVIEW_REQUEST)
    assert last >= decided_on + dt.timedelta(days=30)
    c = tracked(org, p)
    on_day(last)
    html = page(c, p)
    assert "申请复查" in html and f"{last.year}年{last.month}月{last.day}日" in html
    response = c.post(f"/portal/p/{p.pk}/appeal/", {"confirm": "on"}, follow=True)
    assert "已收到您的申请" in response.content.decode()
    p.refresh_from_db()
    assert p.state == State.REVIEW_REQUESTED and p.owner_unit == org.units["county_gov"]
    event = p.events.order_by("-seq").first()
    assert (event.action, event.actor_id, event.actor_label) == ("request_review", None, "信访人")


def test_review_the_day_after_the_window_is_refused_plainly(org, on_day):
    p, _ = path_to(org, State.DECIDED)
    last = _window(p, DeadlineKind.REVIEW_REQUEST)
    c = tracked(org, p)
    on_day(last + dt.timedelta(days=1))
    response = c.post(f"/portal/p/{p.pk}/appeal/", {"confirm": "on"}, follow=True)
    html = response.content.decode()
    assert f"申请复查的期限已于{last.year}年{last.month}月{last.day}日届满，依法不再受理该复查申请。" in html
    p.refresh_from_db()
    assert p.state == State.DECIDED


def test_reexamination_after_the_review_inside_its_window(org, on_day):
    p, _ = path_to(org, State.REVIEWED)
    c = tracked(org, p)
    last = _window(p, DeadlineKind.REEXAMINATION_REQUEST)
    on_day(last)
    assert "申请复核" in page(c, p)
    assert c.post(f"/portal/p/{p.pk}/appeal/", {"confirm": "on"}).status_code == 302
    p.refresh_from_db()
    assert p.state == State.REEXAMINATION_REQUESTED and p.owner_unit == org.units["city_gov"]
    late, _ = path_to(org, State.REVIEWED, petitioners=[Petitioner(name="周某", phone="13700000000")])
    c2 = tracked(org, late, "13700000000")
    on_day(_window(late, DeadlineKind.REEXAMINATION_REQUEST) + dt.timedelta(days=1))
    html = c2.post(f"/portal/p/{late.pk}/appeal/", {"confirm": "on"}, follow=True).content.decode()
    assert "申请复核的期限已于" in html and "依法不再受理该复核申请" in html


def test_an_appeal_must_be_confirmed_and_is_not_offered_after_closing(org):
    p, _ = path_to(org, State.DECIDED)
    c = tracked(org, p)
    assert c.post(f"/portal/p/{p.pk}/appeal/", {}).status_code == 400
    closed, _ = path_to(org, State.CLOSED, petitioners=[Petitioner(name="吴某", phone="13700000000")])
    c2 = tracked(org, closed, "13700000000")
    assert 'action="/portal/p/%d/appeal/"' % closed.pk not in page(c2, closed)
    html = c2.post(f"/portal/p/{closed.pk}/appeal/", {"confirm": "on"}, follow=True).content.decode()
    assert "不能申请复查" in html


# ---------------------------------------------------------------- the services the portal relies on


def test_the_public_may_take_only_the_petitioners_own_actions(org):
    p, _ = path_to(org, State.REGISTERED)
    with pytest.raises(WorkflowError, match="需要由工作人员办理"):
        services.petition_accept(p, actor=None)
    with pytest.raises(WorkflowError, match="指定接收的信访部门"):
        registration.petition_register(
            actor=None,
            channel=Channel.WEB,
            kind=Kind.SUGGESTION,
            region=org.regions["village_a"],
            title="建议",
            content="建议增设公交站。",
        )


# ---------------------------------------------------------------- rate limits


def test_too_many_lookups_from_one_address_get_a_kind_429(org, settings):
    settings.PORTAL_TRACK_RATE = "3/m"
    p, _ = path_to(org, State.ACCEPTED)
    c = browser()
    for _ in range(3):
        assert track(c, p.query_code, "13900000000").status_code == 200
    refused = track(c, p.query_code, "13800000000")  # even the right pair, once over the limit
    html = refused.content.decode()
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "请在约" in html and "分钟后再试" in html and is_chinese(html)
    assert c.get("/portal/track/").status_code == 200  # reading the form is not counted
    other = Client(REMOTE_ADDR="10.0.0.8")
    assert track(other, p.query_code, "13800000000").status_code == 302


def test_too_many_submissions_from_one_address_get_a_429_and_register_nothing(org, settings):
    settings.PORTAL_SUBMIT_RATE = "2/h"
    c = browser()
    assert submit(c, org).status_code == 302
    assert submit(c, org).status_code == 302
    assert submit(c, org).status_code == 429
    assert Petition.objects.count() == 2


def test_evaluations_and_appeals_count_as_submissions(org, settings):
    settings.PORTAL_SUBMIT_RATE = "1/h"
    p, _ = path_to(org, State.DECIDED)
    c = tracked(org, p)
    assert c.post(f"/portal/p/{p.pk}/evaluate/", {"satisfaction": "satisfied"}).status_code == 302
    assert c.post(f"/portal/p/{p.pk}/appeal/", {"confirm": "on"}).status_code == 429
    p.refresh_from_db()
    assert p.state == State.EVALUATED


# ---------------------------------------------------------------- reception days, policy answers, home


def test_reception_days_show_what_is_published_and_still_to_come(org, django_assert_max_num_queries):
    today = timezone.localdate()
    gov = org.units["county_gov"]
    for days, leader, published in [
        (-1, "昨天的领导", True),
        (0, "县长（演示）", True),
        (7, "副县长（演示）", True),
        (3, "未公布的领导", False),
    ]:
        ReceptionDay.objects.create(
            leader=leader,
            unit=gov,
            on=today + dt.timedelta(days=days),
            place="人民来访接待中心",
            is_published=published,
        )
    with django_assert_max_num_queries(1):
        html = browser().get("/portal/reception/").content.decode()
    assert html.index("县长（演示）") < html.index("副县长（演示）")
    assert "昨天的领导" not in html and "未公布的领导" not in html and "示范县人民政府" in html


def test_policy_answers_are_searchable(org, django_assert_max_num_queries):
    PolicyAnswer.objects.create(
        question="对处理意见不满意怎么办？", answer="可以申请复查。", basis="第三十五条", order=1
    )
    PolicyAnswer.objects.create(question="拖欠工资向哪里反映？", answer="人社部门。", order=2)
    PolicyAnswer.objects.create(question="草稿", answer="未发布", is_published=False)
    with django_assert_max_num_queries(1):
        html = browser().get("/portal/policy/").content.decode()
    assert html.index("不满意") < html.index("拖欠工资") and "草稿" not in html
    found = browser().get("/portal/policy/", {"q": "复查"}).content.decode()
    assert "不满意" in found and "拖欠工资" not in found


def test_the_demo_loader_adds_reception_days_and_answers_once(org):
    assert portal_demo_load() > 0
    assert portal_demo_load() == 0
    assert ReceptionDay.objects.filter(on__gte=timezone.localdate()).exists()
    assert PolicyAnswer.objects.filter(answer__contains="15日内").exists()


def test_the_home_page_says_the_periods_in_force(org):
    LegalPeriod.objects.filter(key="handling").update(days=45, article="本县规定")
    rules.invalidate_cache()
    html = browser().get("/portal/").content.decode()
    assert "45日内" in html and "15日内" in html


@pytest.mark.parametrize(
    "url", ["/portal/", "/portal/submit/", "/portal/track/", "/portal/reception/", "/portal/policy/"]
)
def test_pages_are_chinese_first_with_english_on_request(org, url):
    zh = browser().get(url).content.decode()
    en = browser().get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in zh and "网上信访" in zh and 'name="language" value="en"' in zh
    assert '<html lang="en">' in en and "Online petitions" in en and "网上信访" not in en
    assert "workbench" not in zh  # no staff navigation
    assert "/static/portal/portal.css" in zh and "http://" not in zh.replace("http://www.w3.org", "")


def test_admin_edits_reception_days_and_policy_answers(org):
    admin = org.users["admin"]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    admin_client = Client()
    staff_login(admin_client, admin)
    for url in (
        "/admin/portal/receptionday/",
        "/admin/portal/receptionday/add/",
        "/admin/portal/policyanswer/",
        "/admin/portal/policyanswer/add/",
    ):
        assert admin_client.get(url).status_code == 200
    assert admin_client.get("/admin/portal/trackingphone/").status_code == 404


def test_staff_work_on_a_submitted_petition_as_on_any_other(org):
    p = submitted(browser(), org)
    staff = Client()
    staff_login(staff, org.users["bureau_staff"])
    html = staff.get(f"/p/{p.pk}/").content.decode()
    assert "信访人" in html and "李某乙" in html and "网上" in html
    act(org, "accept", p, org.users["bureau_staff"], timezone.now())
    p.refresh_from_db()
    assert p.state == State.ACCEPTED
