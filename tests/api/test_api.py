"""The native REST API: tokens and scopes, the one visibility rule, filters, keyset pages with a fixed
number of queries, masking of personal data, registration and actions through the services, and
statistics from aggregate queries."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import at, handler, is_chinese, path_to, register, staff_login
from tests.support.api import ALL_SCOPES, Api, api_client_make, api_for, petition_body
from xinfang.api.models import ApiClient, Scope
from xinfang.api.services import ApiClientError, api_client_create, api_client_token_rotate
from xinfang.org.models import Role, User
from xinfang.petitions.models import Category, Event, Kind, Petition, Petitioner, State
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.workflow import actions_for

pytestmark = pytest.mark.django_db

ENDPOINTS = [  # (method, path with {pk}) of every native endpoint
    ("get", "/api/petitions"),
    ("get", "/api/petitions/{pk}"),
    ("post", "/api/petitions"),
    ("post", "/api/petitions/{pk}/accept"),
    ("post", "/api/petitions/{pk}/forward"),
    ("get", "/api/statistics/petitions?group_by=state"),
]


def call(api: Api, method: str, path: str, pk: int, body: dict | None = None):
    url = path.format(pk=pk)
    return api.get(url) if method == "get" else api.post(url, body or {})


# ---------------------------------------------------------------- documentation, offline


def test_schema_and_docs_are_served_from_this_server(org):
    schema = Api().get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/petitions" in paths and "/api/open311/v2/requests.json" in paths
    page = Api().get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "http://" not in html and "https://" not in html and "cdn" not in html.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 3
    for url in assets:
        assert url.startswith("/api/docs/assets/")
        response = Api().get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content)
    assert Api().get("/api/docs/assets/..%2Fsettings.py").status_code == 404


# ---------------------------------------------------------------- tokens and scopes


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_missing_wrong_or_revoked_token_is_401(org, method, path):
    p = register(org, on=at(2026, 3, 2))
    client, token = api_client_make(org, "bureau", scopes=ALL_SCOPES)
    for api in (Api(), Api("xf_not-a-token"), Api(token[:-2] + "zz")):
        response = call(api, method, path, p.pk)
        assert response.status_code == 401
        assert is_chinese(response.json()["detail"]) and response["WWW-Authenticate"] == "Bearer"
    assert call(Api(token), method, path, p.pk).status_code != 401
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    assert call(Api(token), method, path, p.pk).status_code == 401


@pytest.mark.parametrize(
    "method,path,needs",
    [
        ("get", "/api/petitions", Scope.PETITIONS_READ),
        ("get", "/api/petitions/{pk}", Scope.PETITIONS_READ),
        ("post", "/api/petitions", Scope.PETITIONS_WRITE),
        ("post", "/api/petitions/{pk}/accept", Scope.PETITIONS_WRITE),
        ("get", "/api/statistics/petitions?group_by=state", Scope.STATISTICS_READ),
    ],
)
def test_a_missing_scope_is_403(org, method, path, needs):
    p = register(org, on=at(2026, 3, 2))
    others = [s for s in ALL_SCOPES if s != needs]
    response = call(api_for(org, "bureau", scopes=others), method, path, p.pk, petition_body(org))
    assert response.status_code == 403 and needs in response.json()["detail"]
    assert Petition.objects.count() == 1 and p.events.count() == 1  # nothing done
    allowed = call(api_for(org, "bureau", scopes=[needs], name="有权限"), method, path, p.pk, petition_body(org))
    assert allowed.status_code in (200, 201)


def test_the_token_is_shown_once_and_only_its_hash_is_kept(org):
    out = io.StringIO()
    call_command(
        "api_client_create",
        "--name",
        "12345热线",
        "--unit",
        "示范县信访局",
        "--role",
        "clerk",
        "--scope",
        "petitions:read",
        "--scope",
        "petitions:write",
        stdout=out,
    )
    token = out.getvalue().strip().splitlines()[-1]
    client = ApiClient.objects.get(name="12345热线")
    assert token.startswith("xf_") and len(token) > 40
    stored = [str(v) for v in ApiClient.objects.filter(pk=client.pk).values().get().values()]
    assert not any(token in v for v in stored)
    assert client.user.unit == org.bureau and client.user.role == Role.CLERK and not client.user.has_usable_password()
    assert Api(token).get("/api/petitions").status_code == 200
    new = api_client_token_rotate(client)
    assert Api(token).get("/api/petitions").status_code == 401
    assert Api(new).get("/api/petitions").status_code == 200


def test_creating_a_client_refuses_unknown_scopes_roles_and_units(org):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("api_client_create", "--name", "x", "--unit", "没有这个单位", "--scope", "petitions:read")
    with pytest.raises(CommandError, match="admin"):
        call_command(
            "api_client_create", "--name", "x", "--unit", "示范县信访局", "--role", "admin", "--scope", "petitions:read"
        )
    with pytest.raises(ApiClientError, match="角色"):  # an administrator would see everything
        api_client_create(name="x", unit=org.bureau, role=Role.ADMIN, scopes=[Scope.PETITIONS_READ])
    with pytest.raises(ApiClientError, match="权限"):
        api_client_create(name="x", unit=org.bureau, role=Role.CLERK, scopes=["petitions:delete"])
    assert not ApiClient.objects.exists()


def test_the_admin_issues_a_new_token_once(org, client):
    api_client, token = api_client_make(org, "bureau")
    User.objects.filter(pk=org.u_admin.pk).update(is_staff=True)
    staff_login(client, org.u_admin)
    response = client.post(
        "/admin/api/apiclient/", {"action": "token_issue", "_selected_action": [api_client.pk]}, follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    new = re.search(r"xf_\S+", shown[0]).group(0)
    assert Api(new).get("/api/petitions").status_code == 200
    assert Api(token).get("/api/petitions").status_code == 401
    assert new not in client.get(f"/admin/api/apiclient/{api_client.pk}/change/").content.decode()


# ---------------------------------------------------------------- visibility: the pages' rule, unchanged


def test_a_township_client_cannot_read_list_or_act_on_another_townships_petitions(org):
    mine = register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk, region=org.r_village_a)
    theirs = register(org, on=at(2026, 3, 2), actor=org.u_town_b_clerk, region=org.r_village_b)
    api = api_for(org, "town_a", scopes=ALL_SCOPES)
    assert [row["id"] for row in api.get("/api/petitions").json()["items"]] == [mine.pk]
    assert api.get(f"/api/petitions/{theirs.pk}").status_code == 404
    for action in ("accept", "decline"):
        response = api.post(f"/api/petitions/{theirs.pk}/{action}", {"reason": "not_competent"})
        assert response.status_code == 404 and is_chinese(response.json()["detail"])
    theirs.refresh_from_db()
    assert theirs.state == State.REGISTERED and theirs.events.count() == 1
    assert api.get(f"/api/petitions/{mine.pk}").status_code == 200
    totals = api.get("/api/statistics/petitions", {"group_by": "state"}).json()
    assert totals["total"] == 1


def test_the_list_is_exactly_what_the_service_user_may_see(org):
    for actor, region in (
        (org.u_town_a_clerk, org.r_village_a),
        (org.u_town_b_clerk, org.r_village_b),
        (handler(org, "other_gov"), org.r_other_county),
        (org.u_clerk, org.r_town_a),
    ):
        register(org, on=at(2026, 3, 2), actor=actor, region=region)
    accusation = services_accusation(org)
    for unit, role in (
        ("bureau", Role.BUREAU_STAFF),
        ("town_a", Role.HANDLER),
        ("city_bureau", Role.BUREAU_STAFF),
        ("town_b", Role.LEADER),
    ):
        client, token = api_client_make(org, unit, role=role, scopes=[Scope.PETITIONS_READ])
        listed = {row["id"] for row in Api(token).get("/api/petitions", {"limit": 200}).json()["items"]}
        assert listed == set(petition_list_for(client.user).values_list("pk", flat=True))
    town_a = ApiClient.objects.get(user__unit=org.town_a).user
    assert not petition_list_for(town_a).filter(pk=accusation.pk).exists()  # Art. 30, and the API agrees


def services_accusation(org) -> Petition:
    from xinfang.petitions import registration

    return registration.petition_register(
        actor=org.u_clerk,
        channel="letter",
        kind=Kind.ACCUSATION,
        region=org.r_village_a,
        title="检举",
        content="检举青石镇某事。",
        accused_unit=org.town_a,
        at=at(2026, 3, 3),
    )


# ---------------------------------------------------------------- filters and pages


def test_filters(org):
    cat = Category.objects.filter(level=1).first()
    leaf = Category.objects.filter(path__startswith=cat.path + "/", level=3).first()
    old = register(org, on=at(2026, 1, 5), region=org.r_village_a, kind=Kind.CLAIM, category=leaf)
    new = register(org, on=at(2026, 3, 2), region=org.r_village_b)
    phone = services_phone(org)
    accepted, _ = path_to(org, State.ACCEPTED, start=dt.date(2026, 2, 2))
    api = api_for(org, "bureau", role=Role.BUREAU_STAFF, scopes=[Scope.PETITIONS_READ])

    def ids(**params) -> set[int]:
        response = api.get("/api/petitions", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids() == {old.pk, new.pk, phone.pk, accepted.pk}
    assert ids(state="accepted") == {accepted.pk}
    assert ids(kind="claim") == {old.pk, accepted.pk}
    assert ids(channel="phone") == {phone.pk}
    assert ids(category=cat.pk) == {old.pk}  # the category with everything under it
    assert ids(region=org.r_town_b.code) == {new.pk}  # the township with its villages
    assert ids(received_from="2026-02-01", received_to="2026-03-01") == {accepted.pk}
    assert ids(received_to="2026-01-05") == {old.pk}  # the last day counts
    Petition.objects.filter(pk=old.pk).update(updated_at=at(2026, 1, 5))
    Petition.objects.exclude(pk=old.pk).update(updated_at=at(2026, 6, 1))
    assert ids(updated_since="2026-05-01T00:00:00+08:00") == {new.pk, phone.pk, accepted.pk}
    assert api.get("/api/petitions", {"region": "990199"}).status_code == 400
    assert api.get("/api/petitions", {"state": "nonsense"}).status_code == 422


def services_phone(org) -> Petition:
    from xinfang.petitions import registration

    return registration.petition_register(
        actor=org.u_clerk,
        channel="phone",
        kind=Kind.SUGGESTION,
        region=org.r_village_a,
        title="建议",
        content="建议增设路灯。",
        at=at(2026, 3, 3),
    )


def test_pages_follow_the_cursor_without_gaps_or_repeats(org):
    made = [register(org, on=at(2026, 3, 2), title=f"第{i}件").pk for i in range(7)]
    api = api_for(org, "bureau")
    seen, cursor, pages = [], None, 0
    while True:
        page = api.get("/api/petitions", {"limit": 3} | ({"cursor": cursor} if cursor else {})).json()
        seen += [row["id"] for row in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True) and pages == 3
    assert api.get("/api/petitions", {"limit": 201}).status_code == 422  # capped


def _list_queries(api: Api, n_expected: int) -> int:
    api.get("/api/petitions")  # warm the in-process tables (region tree)
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/petitions", {"limit": 50})
    assert response.status_code == 200 and len(response.json()["items"]) == n_expected
    return len(ctx.captured_queries)


def test_the_list_costs_the_same_queries_at_10_and_50_petitions(org, django_assert_max_num_queries):
    api = api_for(org, "bureau", role=Role.BUREAU_STAFF)
    people = [Petitioner(name=f"测试人{i}", phone=f"100000000{i:02d}") for i in range(2)]
    for _ in range(10):
        register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=people, headcount=2)
    small = _list_queries(api, 10)
    for i in range(40):
        register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[Petitioner(name=f"测试人{i}")])
    large = _list_queries(api, 50)
    assert small == large <= 3  # the client, the page, its petitioners
    with django_assert_max_num_queries(3):
        api.get("/api/petitions", {"limit": 50, "kind": "claim", "region": org.r_town_a.code})


# ---------------------------------------------------------------- personal data


def test_phone_and_id_number_are_masked_without_personal_read(org):
    api = api_for(org, "bureau", scopes=[Scope.PETITIONS_READ, Scope.PETITIONS_WRITE])
    person_in = {
        "name": "测试人甲",
        "phone": "10012345678",
        "id_number": "990121199001011234",
        "address": "示范县青石镇丰收村3组12号",
    }
    pk = api.post("/api/petitions", petition_body(org, petitioners=[person_in])).json()["id"]
    for response in (api.get("/api/petitions"), api.get(f"/api/petitions/{pk}")):
        body = response.json()
        person = (body["items"][0] if "items" in body else body)["petitioners"][0]
        assert person["phone"] == "100****5678" and person["id_number"] == "990***********1234"
        assert person["address"] == "示范县青石镇丰收村****"
        assert "10012345678" not in response.content.decode()
    full = api_for(org, "bureau", scopes=[Scope.PETITIONS_READ, Scope.PERSONAL_READ], name="有个人信息权限")
    person = full.get(f"/api/petitions/{pk}").json()["petitioners"][0]
    assert person["phone"] == "10012345678" and person["id_number"] == "990121199001011234"
    assert person["address"] == "示范县青石镇丰收村3组12号"


# ---------------------------------------------------------------- registration


def test_a_hotline_registers_a_phone_petition_for_its_unit_in_the_log_under_its_name(org):
    client, token = api_client_make(org, "bureau", name="12345热线")
    response = Api(token).post("/api/petitions", petition_body(org, received_at="2026-11-01T09:30:00+08:00"))
    assert response.status_code == 201
    body = response.json()
    p = Petition.objects.get(pk=body["id"])
    assert (p.channel, p.kind, p.owner_unit, p.registering_unit, p.registered_by) == (
        "phone",
        "claim",
        org.bureau,
        org.bureau,
        client.user,
    )
    assert p.received_at == at(2026, 11, 1, 9, 30)
    assert body["query_code"] == p.query_code and body["state"] == "registered"
    assert body["region"]["full_name"] == "示范省示范市示范县青石镇丰收村"
    event = Event.objects.get(petition=p, action="register")
    assert event.actor_id == client.user.pk and event.actor_label.startswith("12345热线")
    assert set(body["actions"]) == {t.action for t in actions_for(client.user, p)}


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"region": "990122"}, "辖区"),  # 邻县: not the client's county
        ({"kind": "claim", "petitioners": []}, "信访人"),
        ({"category": 99999}, "内容分类"),
        ({"title": "   "}, "标题"),
        ({"received_at": "2099-01-01T00:00:00+08:00"}, "收到时间"),
        ({"petitioners": [{"name": "测试人乙", "email": "not-an-address"}]}, "邮箱"),
    ],
)
def test_registration_refused_with_the_reason_in_chinese(org, change, expected):
    response = api_for(org, "bureau").post("/api/petitions", petition_body(org, **change))
    assert response.status_code == 400 and expected in response.json()["detail"]
    assert not Petition.objects.exists()


def test_a_malformed_body_is_422(org):
    api = api_for(org, "bureau")
    assert api.post("/api/petitions", {"kind": "claim"}).status_code == 422
    assert api.post("/api/petitions", petition_body(org, channel="pigeon")).status_code == 422
    assert not Petition.objects.exists()


# ---------------------------------------------------------------- actions through the services


def test_actions_go_through_the_services_and_the_workflow_decides(org):
    hotline = api_for(org, "bureau", role=Role.BUREAU_STAFF, name="12345热线")
    pk = hotline.post("/api/petitions", petition_body(org)).json()["id"]
    forwarded = hotline.post(f"/api/petitions/{pk}/forward", {"to_unit": org.hrss.pk, "note": "属人社局职责"})
    assert forwarded.status_code == 200 and forwarded.json()["state"] == "forwarded"
    again = hotline.post(f"/api/petitions/{pk}/accept")
    assert again.status_code == 409 and "县人力资源和社会保障局" in again.json()["detail"]  # not the owner now
    hrss = api_for(org, "hrss", role=Role.HANDLER, name="人社局系统")
    assert hrss.post(f"/api/petitions/{pk}/accept").json()["state"] == "accepted"
    refused = hrss.post(f"/api/petitions/{pk}/decide", {"outcome": "support", "measure": "resolved", "text": " "})
    assert refused.status_code == 400 and refused.json()["detail"] == "请填写意见书正文。"
    decided = hrss.post(
        f"/api/petitions/{pk}/decide", {"outcome": "support", "measure": "resolved", "text": "经调查，予以支持。"}
    ).json()
    assert decided["state"] == "decided" and decided["decisions"][0]["text"] == "经调查，予以支持。"
    labels = [(e.action, e.actor_label.split("（")[0]) for e in Event.objects.filter(petition_id=pk).order_by("seq")]
    assert labels == [
        ("register", "12345热线"),
        ("forward", "12345热线"),
        ("accept", "人社局系统"),
        ("decide", "人社局系统"),
    ]
    wrong_state = hrss.post(f"/api/petitions/{pk}/accept")
    assert wrong_state.status_code == 409 and "已出具处理意见" in wrong_state.json()["detail"]


def test_action_data_is_checked(org):
    p = register(org, on=at(2026, 3, 2))
    api = api_for(org, "bureau", role=Role.BUREAU_STAFF)
    assert api.post(f"/api/petitions/{p.pk}/forward", {"to_unit": 999999}).status_code == 400
    assert api.post(f"/api/petitions/{p.pk}/forward", {}).status_code == 422
    assert api.post(f"/api/petitions/{p.pk}/decline", {"reason": "because"}).status_code == 422
    other = api.post(f"/api/petitions/{p.pk}/assign", {"to_unit": org.other_gov.pk, "report_days": 30})
    assert other.status_code == 400 and "转送" in other.json()["detail"]
    p.refresh_from_db()
    assert p.state == State.REGISTERED and p.events.count() == 1


def test_a_role_without_the_action_is_409(org):
    p, _ = path_to(org, State.ACCEPTED, start=dt.date.today() - dt.timedelta(days=5))
    clerk = api_for(org, org.unit_key(p.owner_unit_id), role=Role.CLERK)
    response = clerk.post(f"/api/petitions/{p.pk}/extend", {"days": 10, "reason": "需要现场勘查"})
    assert response.status_code == 409 and "登记员" in response.json()["detail"]
    head = api_for(org, org.unit_key(p.owner_unit_id), role=Role.UNIT_HEAD, name="单位负责人系统")
    assert head.post(f"/api/petitions/{p.pk}/extend", {"days": 10, "reason": "需要现场勘查"}).status_code == 200


# ---------------------------------------------------------------- statistics


def test_statistics_count_what_the_client_may_see_with_one_aggregate_query(org, django_assert_max_num_queries):
    cat = Category.objects.filter(level=3).first()
    for day in (2, 3):
        register(org, on=at(2026, 3, day), actor=org.u_town_a_clerk, region=org.r_village_a, category=cat)
    register(org, on=at(2026, 4, 1), actor=org.u_town_b_clerk, region=org.r_village_b)
    register(org, on=at(2026, 4, 1), actor=handler(org, "other_gov"), region=org.r_other_county)
    path_to(org, State.DECLINED, start=dt.date(2026, 4, 2))
    city = api_for(org, "city_bureau", role=Role.LEADER, scopes=[Scope.STATISTICS_READ])
    county = api_for(org, "bureau", role=Role.LEADER, scopes=[Scope.STATISTICS_READ], name="县统计")

    def rows(api: Api, **params) -> dict:
        response = api.get("/api/statistics/petitions", params)
        assert response.status_code == 200, response.content
        return {row["key"]: row["count"] for row in response.json()["rows"]}

    assert rows(city, group_by="state") == {"registered": 4, "declined": 1}
    assert rows(county, group_by="state") == {"registered": 3, "declined": 1}  # not the other county's
    assert rows(city, group_by="region", region_level=3) == {"990121": 4, "990122": 1}
    assert rows(city, group_by="region", region_level=4) == {"990121001": 3, "990121002": 1, "990122": 1}
    assert rows(city, group_by="period", period="month") == {"2026-03-01": 2, "2026-04-01": 3}
    top = Category.objects.get(pk=cat.parent.parent_id)
    assert rows(city, group_by="category", category_level=1) == {str(top.pk): 2, None: 3}
    assert rows(city, group_by="category", category_level=3, region=org.r_town_a.code) == {str(cat.pk): 2, None: 1}
    assert rows(city, group_by="kind", state="declined") == {"claim": 1}
    with django_assert_max_num_queries(3):  # the client, the aggregate, the names of the regions
        city.get("/api/statistics/petitions", {"group_by": "region"})
    assert city.get("/api/statistics/petitions", {"group_by": "nonsense"}).status_code == 422


def test_statistics_labels_are_chinese(org):
    register(org, on=at(2026, 3, 2))
    body = (
        api_for(org, "bureau", scopes=[Scope.STATISTICS_READ])
        .get("/api/statistics/petitions", {"group_by": "region", "region_level": 5})
        .json()
    )
    assert body == {
        "group_by": "region",
        "total": 1,
        "rows": [{"key": "990121001001", "label": "示范省示范市示范县青石镇丰收村", "count": 1}],
    }
    user = User.objects.get(api_client__isnull=False)
    assert user.display_name == ApiClient.objects.get().name
