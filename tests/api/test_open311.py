"""Open311 GeoReport v2 at /api/open311/v2/: our categories as services, web petitions as service
requests (registered through petition_register), states as open/closed with a Chinese note."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import at, handler, path_to, register
from tests.support.api import Api, api_client_make, api_for
from tests.support.open311 import BASE, form, leaf
from xinfang.api.models import Scope
from xinfang.api.open311 import STATUS_NOTES
from xinfang.petitions.models import Category, Channel, Event, Kind, Petition, State

pytestmark = pytest.mark.django_db

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


# ---------------------------------------------------------------- services


def test_services_are_our_categories(org):
    response = Api().get(f"{BASE}/services.json")  # public, as in GeoReport
    assert response.status_code == 200
    services = response.json()
    assert len(services) == Category.objects.count()
    c = leaf()
    service = next(s for s in services if s["service_code"] == str(c.pk))
    first, second, third = c.path.split("/")
    assert service == {
        "service_code": str(c.pk),
        "service_name": third,
        "description": f"{first} › {second} › {third}",
        "metadata": False,
        "type": "realtime",
        "keywords": f"{first},{second},{third}",
        "group": first,
    }


# ---------------------------------------------------------------- POST requests


def test_posting_a_request_registers_a_web_petition(org):
    client, token = api_client_make(org, "town_a", name="网上信访平台")
    response = Api().post_form(f"{BASE}/requests.json", form(org, api_key=token))
    assert response.status_code == 201
    [created] = response.json()
    p = Petition.objects.get(pk=int(created["service_request_id"]))
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert p.query_code[:5] in created["service_notice"] and "查询码" in created["service_notice"]
    assert (p.channel, p.kind, p.region, p.category, p.owner_unit) == (
        Channel.WEB,
        Kind.CLAIM,
        org.r_village_a,
        leaf(),
        org.town_a,
    )
    assert p.title == "村口路灯不亮已经一周" and "地址：青石镇丰收村村口" in p.content
    person = p.petitioners.get()
    assert (person.name, person.phone, person.email) == ("测试人", "10012345678", "tester@example.invalid")
    event = Event.objects.get(petition=p)
    assert event.action == "register" and event.actor_label.startswith("网上信访平台")


def test_a_request_finds_its_place_by_code_or_by_name(org):
    api = api_for(org, "bureau")

    def place(**kw) -> str:
        response = api.post_form(f"{BASE}/requests.json", form(org, **kw))
        assert response.status_code == 201, response.content
        return Petition.objects.get(pk=int(response.json()[0]["service_request_id"])).region.name

    assert place(address_id=org.r_town_b.code, address_string="") == "柳河镇"
    assert place(address_string="柳河镇新民村三组") == "新民村"
    assert place(address_string="青石镇政府门口") == "青石镇"


def test_a_request_without_a_name_is_a_suggestion_and_kind_can_be_given(org):
    api = api_for(org, "bureau")
    anonymous = api.post_form(f"{BASE}/requests.json", form(org, last_name="", first_name="", phone=""))
    p = Petition.objects.get(pk=int(anonymous.json()[0]["service_request_id"]))
    assert p.kind == Kind.SUGGESTION and not p.petitioners.exists()
    given = api.post_form(f"{BASE}/requests.json", form(org, kind="accusation"))
    assert Petition.objects.get(pk=int(given.json()[0]["service_request_id"])).kind == Kind.ACCUSATION


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"description": ""}, "description"),
        ({"service_code": "999999"}, "服务代码"),
        ({"address_string": "", "lat": "30.1", "long": "120.2"}, "address_id"),
        ({"address_string": "某市某路"}, "address_id"),
        ({"address_id": "990122", "address_string": ""}, "辖区"),  # not the client's county
        ({"service_code": "abc"}, "service_code"),
    ],
)
def test_a_bad_request_is_400_in_georeport_shape(org, change, expected):
    response = api_for(org, "bureau").post_form(f"{BASE}/requests.json", form(org, **change))
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == 400 and expected in error["description"]
    assert not Petition.objects.exists()


def test_posting_needs_a_token_and_the_write_scope(org):
    response = Api().post_form(f"{BASE}/requests.json", form(org))
    assert response.status_code == 401 and response.json()[0]["code"] == 401
    assert Api().post_form(f"{BASE}/requests.json", form(org, api_key="xf_wrong")).status_code == 401
    reader = api_for(org, "bureau", scopes=[Scope.PETITIONS_READ])
    refused = reader.post_form(f"{BASE}/requests.json", form(org))
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    assert not Petition.objects.exists()


# ---------------------------------------------------------------- GET requests


def test_a_request_reads_as_georeport_says(org):
    p = register(org, on=at(2026, 11, 2, 9), category=leaf())
    api = api_for(org, "bureau", scopes=[Scope.PETITIONS_READ])
    [row] = api.get(f"{BASE}/requests/{p.pk}.json").json()
    assert set(row) == REQUEST_FIELDS
    assert row["service_request_id"] == str(p.pk) and row["status"] == "open"
    assert row["status_notes"] == "已登记，正在依法转送、交办或受理。"
    assert row["service_code"] == str(leaf().pk) and row["service_name"] == leaf().name
    assert row["address"] == "示范省示范市示范县青石镇丰收村" and row["address_id"] == org.r_village_a.code
    assert row["agency_responsible"] == "示范县信访局"
    assert row["requested_datetime"] == "2026-11-02T09:00:00+08:00"
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert ISO_WITH_OFFSET.match(row[field]), row[field]
    assert row["lat"] is None and row["long"] is None


@pytest.mark.parametrize(
    "state,status",
    [
        (State.REGISTERED, "open"),
        (State.ASSIGNED, "open"),
        (State.ACCEPTED, "open"),
        (State.DECIDED, "open"),
        (State.REVIEW_REQUESTED, "open"),
        (State.DECLINED, "closed"),
        (State.REDIRECTED, "closed"),
        (State.CLOSED, "closed"),
    ],
)
def test_states_map_to_open_or_closed_with_a_chinese_note(org, state, status):
    p, _ = path_to(org, state, start=dt.date(2026, 9, 1))
    api = api_for(org, "city_bureau", role="bureau_staff", scopes=[Scope.PETITIONS_READ])
    [row] = api.get(f"{BASE}/requests/{p.pk}.json").json()
    assert row["status"] == status and row["status_notes"] == STATUS_NOTES[state]
    if state == State.ACCEPTED:
        assert row["status_notes"] == "已受理，正在办理。"


def test_request_filters(org):
    c = leaf()
    recent = register(org, on=at(2026, 11, 1), category=c)
    older = register(org, on=at(2026, 10, 1))
    ancient = register(org, on=at(2026, 3, 2))  # more than 90 days ago
    declined, _ = path_to(org, State.DECLINED, start=dt.date(2026, 10, 15))
    api = api_for(org, "bureau", role="bureau_staff", scopes=[Scope.PETITIONS_READ])

    def ids(**params) -> list[int]:
        response = api.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return [int(r["service_request_id"]) for r in response.json()]

    assert ids() == [recent.pk, declined.pk, older.pk]  # newest first, the last 90 days
    assert ids(service_request_id=f"{ancient.pk},{recent.pk}") == [recent.pk, ancient.pk]
    assert ids(service_code=str(c.pk), start_date="2026-01-01T00:00:00+08:00") == [recent.pk]
    assert ids(start_date="2026-09-30T00:00:00+08:00", end_date="2026-10-20T00:00:00+08:00") == [declined.pk, older.pk]
    assert ids(status="closed") == [declined.pk]
    assert ids(status="open") == [recent.pk, older.pk]
    assert ids(status="open,closed") == [recent.pk, declined.pk, older.pk]
    bad = api.get(f"{BASE}/requests.json", {"status": "pending"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400
    # ISO 8601 allows offsets PostgreSQL refuses (schemathesis found -20:25): read in UTC
    assert ids(start_date="2026-09-30T00:00:00-20:25", end_date="2026-10-20T00:00:00+08:00") == [declined.pk, older.pk]
    too_early = api.get(f"{BASE}/requests.json", {"start_date": "0001-01-01T00:00:00+08:00"})
    assert too_early.status_code == 400


def test_a_client_sees_only_its_own_townships_requests(org):
    mine = register(org, on=at(2026, 11, 2), actor=org.u_town_a_clerk, region=org.r_village_a)
    theirs = register(org, on=at(2026, 11, 2), actor=org.u_town_b_clerk, region=org.r_village_b)
    api = api_for(org, "town_a", scopes=[Scope.PETITIONS_READ])
    assert [r["service_request_id"] for r in api.get(f"{BASE}/requests.json").json()] == [str(mine.pk)]
    missing = api.get(f"{BASE}/requests/{theirs.pk}.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    assert api.get(f"{BASE}/requests.json", {"service_request_id": str(theirs.pk)}).json() == []
    no_scope = api_for(org, "town_a", scopes=[Scope.STATISTICS_READ], name="统计系统")
    assert no_scope.get(f"{BASE}/requests.json").status_code == 403
    assert Api().get(f"{BASE}/requests/{mine.pk}.json").status_code == 401
    client, token = api_client_make(org, "town_a", scopes=[Scope.PETITIONS_READ], name="查询系统")
    assert Api().get(f"{BASE}/requests/{mine.pk}.json", {"api_key": token}).status_code == 200


def test_the_request_list_costs_the_same_queries_at_any_size(org):
    api = api_for(org, "bureau", role="bureau_staff", scopes=[Scope.PETITIONS_READ])

    def queries(n: int) -> int:
        api.get(f"{BASE}/requests.json")
        with CaptureQueriesContext(connection) as ctx:
            assert len(api.get(f"{BASE}/requests.json").json()) == n
        return len(ctx.captured_queries)

    for _ in range(5):
        register(org, on=at(2026, 11, 2), actor=handler(org, "town_a"), region=org.r_village_a)
    small = queries(5)
    for _ in range(25):
        register(org, on=at(2026, 11, 2), actor=org.u_town_b_clerk, region=org.r_village_b)
    assert small == queries(30) <= 2  # the client, the page
