"""The staff workbench: login, registration desk, work queue, Excel export, petition page and actions."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.support.workbench import PASSWORD, accepted_by_town_a, client_for, make_org, queue_codes, register
from xinfang.org.models import Role, Unit, UnitKind, User
from xinfang.petitions import registration, services
from xinfang.petitions.models import (
    Category,
    Channel,
    Deadline,
    Event,
    Petition,
    State,
)
from xinfang.petitions.services import query_code_display

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- a small county of our own


@pytest.fixture
def org(db):
    return make_org()


# ---------------------------------------------------------------- login


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/register/", "/register/lookup?phone=13800000000", "/queue/", "/queue/export.xlsx", "/p/1/"]
)
def test_login_required(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_login_page_in_chinese_and_logs_in(client, org):
    page = client.get("/login/").content.decode()
    assert "登录" in page and "用户名" in page
    response = client.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


# ---------------------------------------------------------------- registration desk


def register_form_data(org: dict, **overrides) -> dict:
    now = timezone.localtime().replace(second=0, microsecond=0)
    data = {
        "channel": "visit",
        "kind": "claim",
        "category": "",
        "place": "甲镇 · 甲一村",
        "title": "拖欠工资",
        "content": "某公司拖欠农民工工资三个月。",
        "received_at": now.strftime("%Y-%m-%dT%H:%M"),
        "priority": "1",
        "name": "李四",
        "phone": "13900001111",
        "id_number": "",
        "address": "甲一村3组",
        "headcount": "1",
        "accused_unit": "",
        "accused_name": "",
    }
    data.update(overrides)
    return data


def test_register_page_renders_with_places_and_autofocus(org):
    page = client_for(org["clerk"]).get("/register/").content.decode()
    assert "登记信访事项" in page
    assert 'value="甲镇 · 甲一村"' in page and 'value="乙镇"' in page
    assert page.count("autofocus") == 1
    assert 'value="visit" id="id_channel_0" checked autofocus' in page


def test_register_creates_petition_and_shows_query_code(org):
    category = Category.objects.filter(level=3).first()
    c = client_for(org["clerk"])
    response = c.post("/register/", register_form_data(org, category=category.path))
    assert response.status_code == 302
    p = Petition.objects.get()
    assert response["Location"] == f"/p/{p.pk}/?new=1"
    assert (p.channel, p.kind, p.region, p.category, p.priority) == ("visit", "claim", org["village_a"], category, 1)
    assert p.owner_unit == org["bureau"] and p.state == State.REGISTERED
    assert list(p.petitioners.values_list("name", "phone")) == [("李四", "13900001111")]
    page = c.get(response["Location"]).content.decode()
    assert query_code_display(p.query_code) in page
    assert "信访事项登记回执" in page and "receipt-code" in page


def test_register_collective_visit_with_representatives(org):
    c = client_for(org["clerk"])
    data = register_form_data(org, headcount="12", rep_1="王五", rep_2="赵六", rep_3="李四")
    assert c.post("/register/", data).status_code == 302
    p = Petition.objects.get()
    assert p.headcount == 12 and p.is_collective
    reps = set(p.parties.filter(is_representative=True).values_list("petitioner__name", flat=True))
    assert reps == {"王五", "赵六"}  # the petitioner named twice is recorded once
    assert p.petitioners.count() == 3


def test_register_refusals_keep_the_form_and_create_nothing(org):
    c = client_for(org["clerk"])
    response = c.post("/register/", register_form_data(org, title="", place="不存在的地方"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "请从列表中选择地点" in page and "这个字段是必填项" in page
    # a rule of the service (a claim needs a petitioner) comes back as its Chinese message
    response = c.post("/register/", register_form_data(org, name=""))
    assert response.status_code == 400
    assert "申诉求决类事项需要登记信访人姓名和联系方式" in response.content.decode()
    assert Petition.objects.count() == 0


def test_register_links_earlier_petition_found_by_phone(org):
    earlier = register(org, phone="13700002222", title="第一次来访")
    c = client_for(org["clerk"])
    partial = c.get("/register/lookup", {"phone": "13700002222"}).content.decode()
    assert earlier.query_code in partial and "第一次来访" in partial
    person = earlier.petitioners.get()
    data = register_form_data(org, phone="13700002222", petitioner_id=str(person.pk), related=[str(earlier.pk)])
    assert c.post("/register/", data).status_code == 302
    new = Petition.objects.exclude(pk=earlier.pk).get()
    assert list(new.petitioners.all()) == [person]
    assert list(new.related.all()) == [earlier]


def test_lookup_shows_only_visible_petitions(org):
    register(org, actor=org["handler_a"], phone="13600003333", title="甲镇的事")
    assert "甲镇的事" in client_for(org["head_a"]).get("/register/lookup?phone=13600003333").content.decode()
    assert "甲镇的事" not in client_for(org["handler_b"]).get("/register/lookup?phone=13600003333").content.decode()


# ---------------------------------------------------------------- visibility of the petition page


def test_other_township_gets_404_on_page_and_act(org):
    p = accepted_by_town_a(org)
    events_before = Event.objects.count()
    other = client_for(org["handler_b"])
    assert other.get(f"/p/{p.pk}/").status_code == 404
    assert other.post(f"/p/{p.pk}/act/record_step/", {"record_step-note": "越权"}).status_code == 404
    assert Event.objects.count() == events_before
    assert client_for(org["handler_a"]).get(f"/p/{p.pk}/").status_code == 200


def test_unknown_action_is_404(org):
    p = accepted_by_town_a(org)
    assert client_for(org["head_a"]).post(f"/p/{p.pk}/act/delete/").status_code == 404


# ---------------------------------------------------------------- action forms follow the rules


def offered(page: str, pk: int) -> set[str]:
    prefix = f'action="/p/{pk}/act/'
    return {chunk.split("/", 1)[0] for chunk in page.split(prefix)[1:]}


def test_page_offers_exactly_the_allowed_actions(org):
    p = accepted_by_town_a(org)
    handler = offered(client_for(org["handler_a"]).get(f"/p/{p.pk}/").content.decode(), p.pk)
    head = offered(client_for(org["head_a"]).get(f"/p/{p.pk}/").content.decode(), p.pk)
    assert handler == {"record_step", "decide"}
    assert head == {"record_step", "decide", "extend"}
    # the bureau registered it and still sees it, but town A owns it: nothing to do there now
    assert offered(client_for(org["clerk"]).get(f"/p/{p.pk}/").content.decode(), p.pk) == set()


def test_registered_petition_offers_routing_to_the_clerk(org):
    p = register(org)
    page = client_for(org["clerk"]).get(f"/p/{p.pk}/").content.decode()
    assert offered(page, p.pk) == {"accept", "decline", "forward", "assign", "redirect"}
    assert "甲镇人民政府" in page  # assignable unit
    assert "不属于本机关职权范围" in page  # a legal reason to decline


def test_illegal_post_is_refused_with_the_chinese_message_and_changes_nothing(org):
    p = accepted_by_town_a(org)
    handling = Deadline.objects.get(petition=p, kind="handling")
    events_before = p.events.count()
    response = client_for(org["handler_a"]).post(
        f"/p/{p.pk}/act/extend/", {"extend-days": "20", "extend-reason": "案情复杂"}
    )
    assert response.status_code == 400
    assert "您的角色（单位经办人）不能延期。" in response.content.decode()
    handling.refresh_from_db()
    assert handling.extension_days == 0
    assert p.events.count() == events_before
    # a state that does not allow the action: refused by the service, nothing changes
    response = client_for(org["head_a"]).post(f"/p/{p.pk}/act/accept/")
    assert response.status_code == 400
    assert "该事项当前状态为“办理中”，不能受理。" in response.content.decode()
    assert p.events.count() == events_before


def test_invalid_form_is_shown_again(org):
    p = accepted_by_town_a(org)
    response = client_for(org["head_a"]).post(f"/p/{p.pk}/act/extend/", {"extend-days": "", "extend-reason": ""})
    assert response.status_code == 400
    assert "请更正“延期”的表单" in response.content.decode()


def test_allowed_action_goes_through_the_service_and_shows_on_the_timeline(org):
    p = accepted_by_town_a(org)
    c = client_for(org["head_a"])
    response = c.post(f"/p/{p.pk}/act/extend/", {"extend-days": "20", "extend-reason": "案情复杂"})
    assert response.status_code == 302 and response["Location"] == f"/p/{p.pk}/"
    assert Deadline.objects.get(petition=p, kind="handling").extension_days == 20
    page = c.get(response["Location"]).content.decode()
    assert "已完成：延期" in page
    for text in ("登记", "交办", "受理", "延期", "案情复杂", "经批准延长20日"):
        assert text in page
    c.post(
        f"/p/{p.pk}/act/decide/",
        {"decide-outcome": "support", "decide-measure": "resolved", "decide-text": "已督促企业支付工资。"},
    )
    p.refresh_from_db()
    assert p.state == State.DECIDED
    page = c.get(f"/p/{p.pk}/").content.decode()
    assert "已督促企业支付工资。" in page and "办理中 → 已出具处理意见" in page


def test_routing_from_the_page(org):
    p = register(org)
    c = client_for(org["clerk"])
    response = c.post(f"/p/{p.pk}/act/assign/", {"assign-to_unit": org["office_a"].pk, "assign-report_days": "20"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.state, p.owner_unit) == (State.ASSIGNED, org["office_a"])
    # decline needs a legal reason from the list
    q = register(org)
    c.post(f"/p/{q.pk}/act/decline/", {"decline-reason": "not_petition"})
    q.refresh_from_db()
    assert (q.state, q.decline_reason) == (State.DECLINED, "not_petition")


# ---------------------------------------------------------------- work queue


def test_queue_tabs_filters_and_sorting(org):
    now = timezone.now()
    old = register(
        org, actor=org["handler_a"], title="旧件", channel=Channel.LETTER, received_at=now - dt.timedelta(days=20)
    )
    urgent = register(org, actor=org["handler_a"], title="急件", priority=2)
    b_place = register(org, actor=org["handler_a"], title="乙镇的事", region=org["village_b"])
    handled = accepted_by_town_a(org, title="办理中的件")
    register(org, actor=org["handler_b"], title="别人的件")  # another unit's: never in town A's queue
    c = client_for(org["handler_a"])

    def codes(**params) -> list[str]:
        return queue_codes(c.get("/queue/", params).content.decode())

    everything = codes()
    assert sorted(everything) == sorted(p.query_code for p in (old, urgent, b_place, handled))
    assert everything[0] == old.query_code  # default: earliest due date first (received 20 days ago)
    assert set(codes(tab="accept")) == {old.query_code, urgent.query_code, b_place.query_code}
    assert codes(tab="handle") == [handled.query_code]
    assert codes(tab="overdue") == [old.query_code]  # intake period of 15 days has passed
    assert codes(tab="soon") == []
    assert codes(channel="letter") == [old.query_code]
    assert codes(region=org["town_b"].prefix) == [b_place.query_code]
    assert codes(tab="accept", sort="priority")[0] == urgent.query_code
    today = timezone.localdate()
    assert old.query_code not in codes(received_from=(today - dt.timedelta(days=3)).isoformat())
    assert codes(received_to=(today - dt.timedelta(days=10)).isoformat()) == [old.query_code]
    page = c.get("/queue/").content.decode()
    assert "别人的件" not in page
    assert 'class="u-overdue"' in page and "已超期" in page


def test_excel_export_has_the_same_rows(org):
    from openpyxl import load_workbook

    for i in range(3):
        register(org, actor=org["handler_a"], title=f"来信{i}", channel=Channel.LETTER)
    register(org, actor=org["handler_a"], title="来访", channel=Channel.VISIT)
    c = client_for(org["handler_a"])
    shown = queue_codes(c.get("/queue/", {"channel": "letter"}).content.decode())
    response = c.get("/queue/export.xlsx", {"channel": "letter"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "查询码" and rows[0][1] == "标题"
    assert [services.query_code_normalise(r[0]) for r in rows[1:]] == shown
    assert len(shown) == 3 and {r[2] for r in rows[1:]} == {"来信"}


# ---------------------------------------------------------------- a fixed number of queries


def count_queries(c: Client, url: str) -> int:
    """Queries of one GET, once the in-memory tables (units, regions, categories, notice kinds) are loaded."""
    c.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/queue/", "/queue/?tab=accept&sort=priority", "/"])
def test_queue_costs_the_same_queries_for_5_and_50_petitions(org, url, django_assert_max_num_queries):
    c = client_for(org["handler_a"])
    for i in range(5):
        register(org, actor=org["handler_a"], title=f"件{i}")
    few = count_queries(c, url)
    for i in range(45):
        register(org, actor=org["handler_a"], title=f"件{i + 5}", priority=i % 3)
    many = count_queries(c, url)
    assert few == many
    with django_assert_max_num_queries(10):
        c.get(url)


def test_petition_page_costs_the_same_queries_whatever_the_history(org, django_assert_max_num_queries):
    head, clerk = client_for(org["head_a"]), client_for(org["clerk"])
    for i in range(5):
        register(org, actor=org["handler_a"], title=f"件{i}")
    p = accepted_by_town_a(org)
    new = register(org)  # the clerk's page offers forward and assign: two unit selects
    few = count_queries(head, f"/p/{p.pk}/"), count_queries(clerk, f"/p/{new.pk}/")
    for i in range(45):
        register(org, actor=org["handler_a"], title=f"件{i + 5}")
    for i in range(10):
        services.petition_record_step(p, actor=org["handler_a"], note=f"第{i}次走访")
    Unit.objects.bulk_create(Unit(name=f"部门{i}", kind=UnitKind.DEPARTMENT, region=org["county"]) for i in range(20))
    many = count_queries(head, f"/p/{p.pk}/"), count_queries(clerk, f"/p/{new.pk}/")
    assert few == many
    for c, pk in ((head, p.pk), (clerk, new.pk)):
        with django_assert_max_num_queries(10):
            c.get(f"/p/{pk}/")


# ---------------------------------------------------------------- language


def test_chinese_by_default_and_english_on_request(org):
    c = client_for(org["clerk"])
    page = c.get("/queue/").content.decode()
    assert "信访工作台" in page and "待办事项" in page and 'lang="zh-hans"' in page and ">English</button>" in page
    response = c.post("/i18n/setlang/", {"language": "en", "next": "/queue/"})
    assert response.status_code == 302 and response["Location"] == "/queue/"
    page = c.get("/queue/").content.decode()
    assert 'lang="en"' in page and "Work queue" in page and "Export to Excel" in page
    assert ">简体中文</button>" in page


def test_petition_page_stays_within_ten_queries_for_every_role(org, tmp_path, settings):
    """A petition with everything a page shows (petitioners and representatives, a co-handling
    unit, a linked earlier petition, an attachment, decisions, an evaluation, an open supervision)
    costs the same ≤ 10 queries for everyone who may open it, however long its history."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xinfang.oversight import services as oversight
    from xinfang.petitions.models import CoHandling

    settings.MEDIA_ROOT = tmp_path
    supervisor = User.objects.create(username="sup", role=Role.SUPERVISOR, unit=org["bureau"])
    leader = User.objects.create(username="lead", role=Role.LEADER, unit=org["gov"])
    earlier = register(org, title="上次来访")
    p = accepted_by_town_a(org, phone="13500001111")
    p.related.add(earlier)
    CoHandling.objects.create(petition=p, unit=org["office_b"], part="协助调查")
    registration.attachment_add(
        p, actor=org["handler_a"], file=SimpleUploadedFile("信.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n")
    )
    oversight.supervision_open(
        p, actor=supervisor, mode="online", reason="关注", requirement="报告", answer_due_on=timezone.localdate()
    )
    viewers = [org["clerk"], org["handler_a"], org["head_a"], org["handler_b"], supervisor, leader]

    def costs() -> list[int]:
        return [count_queries(client_for(u), f"/p/{p.pk}/") for u in viewers]

    few = costs()
    for i in range(10):
        services.petition_record_step(p, actor=org["handler_a"], note=f"第{i}次走访")
    services.petition_decide(p, actor=org["handler_a"], outcome="support", measure="resolved", text="已解决。")
    services.petition_evaluate(p, actor=org["clerk"], satisfaction="basically", reason="较慢")
    many = costs()
    # (a supervisor's session reads its TOTP device from the cache: org.middleware.CachedOTPMiddleware)
    assert few == many and all(n <= 10 for n in many), (few, many)
    page = client_for(org["clerk"]).get(f"/p/{p.pk}/").content.decode()
    for text in ("信.pdf", "协助调查", "上次来访", "网上督办", "基本满意", "较慢"):
        assert text in page, text
    # town A cannot see the earlier petition the bureau registered: the link is not shown to it
    assert "上次来访" not in client_for(org["handler_a"]).get(f"/p/{p.pk}/").content.decode()
