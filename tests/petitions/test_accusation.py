"""Accusations (检举控告, Art. 30 of the 2022 regulation): the accuser's materials never reach the accused
person or unit. Routing there is refused by the services with the reason in Chinese; nothing the
accused may see shows, exports or counts the accusation (pages, queue and its tab counts, search,
Excel, the registration desk's lookups, notices, hot issues, the API and its statistics).

The accusation here is against 青石镇's unit head (so 青石镇 is recorded as the accused unit with him).
Tests of the visibility rule itself: tests/petitions/test_visibility.py; of the routing proposals:
tests/routing/test_routing_unit.py; of the portal's timeline: tests/portal/test_portal.py."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from tests.conftest import Org, act, at, handler, head, is_chinese, register, staff_login
from tests.support.api import ALL_SCOPES, Api, api_client_make
from xinfang.org.models import Role, User
from xinfang.oversight import hot
from xinfang.oversight.models import HotIssueMember
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Kind, Petition, Petitioner
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.services import query_code_display
from xinfang.workbench.selectors import queue_tab_counts

pytestmark = pytest.mark.django_db

ACCUSER_PHONE = "13722223333"
CONTENT = "检举青石镇负责人挪用征地补偿款，涉及丰收村多户村民。"


def accusation(org: Org, **kw) -> Petition:
    """Registered by the county bureau, against 青石镇's unit head, from a named accuser."""
    kw = {
        "accused_user": head(org, "town_a"),
        "accused_name": "青石镇负责人",
        "title": "检举挪用补偿款",
        "content": CONTENT,
        "petitioners": [Petitioner(name="检举人甲", phone=ACCUSER_PHONE)],
    } | kw
    return register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, **kw)


def refused(call) -> str:
    with pytest.raises(WorkflowError) as e:
        call()
    message = str(e.value)
    assert is_chinese(message) and "第三十条" in message, message
    return message


def the_accused(org: Org) -> list[User]:
    """The accused official and everyone of his unit, whatever their role (a leader or supervisor of
    the township sees its whole area: not this)."""
    return [
        head(org, "town_a"),
        handler(org, "town_a"),
        org.u_town_a_clerk,
        org.user("town_a", Role.LEADER),
        org.user("town_a", Role.SUPERVISOR),
    ]


def client_for(user: User) -> Client:
    c = Client()
    staff_login(c, user)
    return c


# ---------------------------------------------------------------- never routed to them


def test_forward_or_assign_to_the_accused_unit_is_refused_with_the_reason(org):
    p = accusation(org)
    assert p.accused_unit_id == org.town_a.pk
    for action, kw in (("forward", {}), ("assign", {"report_days": 30})):
        message = refused(
            lambda action=action, kw=kw: act(
                org, action, p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.town_a, **kw
            )
        )
        assert "被检举控告" in message and org.town_a.name in message
    p.refresh_from_db()
    assert p.owner_unit_id == org.bureau.pk and p.events.count() == 1


def test_routing_to_the_unit_the_accused_official_is_in_now_is_refused(org):
    """The unit recorded may not be the official's (both given, or he moved since): his unit is refused too."""
    p = accusation(org, accused_unit=org.land)  # the accused unit given apart from the official's
    refused(lambda: act(org, "assign", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.town_a, report_days=30))
    official = head(org, "town_a")
    official.unit = org.hrss  # moved to 县人社局 after the accusation was registered
    official.save(update_fields=["unit"])
    refused(lambda: act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.hrss))
    p = act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.discipline)
    assert p.owner_unit_id == org.discipline.pk


def test_a_return_that_would_send_it_to_the_accused_is_refused(org):
    """退回 goes back to the unit that routed it: not if the accused official has joined that unit since."""
    p = accusation(org, accused_user=handler(org, "hrss"), accused_name="人社局经办人")
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.discipline)
    official = handler(org, "hrss")
    official.unit = org.bureau
    official.save(update_fields=["unit"])
    refused(lambda: act(org, "return", p, handler(org, "discipline"), at(2026, 3, 4)))
    p.refresh_from_db()
    assert p.owner_unit_id == org.discipline.pk


def test_review_never_goes_up_to_the_accused_unit(org):
    p = accusation(org, accused_user=None, accused_unit=org.county_gov, accused_name="县政府")
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.hrss)
    act(org, "accept", p, handler(org, "hrss"), at(2026, 3, 4))
    act(org, "decide", p, handler(org, "hrss"), at(2026, 3, 10))
    refused(lambda: act(org, "request_review", p, org.u_clerk, at(2026, 3, 11)))


def test_the_accused_unit_is_never_a_co_handler_nor_the_registering_unit(org):
    refused(lambda: accusation(org, co_units=[org.town_a, org.hrss]))
    refused(lambda: accusation(org, accused_unit=org.land, co_units=[org.town_a]))  # the official's unit
    # a clerk of the official's unit cannot register it there, even naming another unit as accused
    refused(lambda: accusation(org, actor=org.u_town_a_clerk, accused_unit=org.land, region=org.r_village_a))
    assert not Petition.objects.filter(kind=Kind.ACCUSATION).exists()


def test_the_api_refuses_routing_to_the_accused_with_the_reason(org):
    p = accusation(org)
    api = Api(api_client_make(org, "bureau", role=Role.BUREAU_STAFF, scopes=ALL_SCOPES)[1])
    response = api.post(f"/api/petitions/{p.pk}/forward", {"to_unit": org.town_a.pk})
    assert response.status_code == 400 and "第三十条" in response.json()["detail"]


def test_the_page_does_not_offer_the_accused_and_refuses_it(org):
    p = accusation(org)
    c = client_for(org.u_bureau_staff)
    page = c.get(f"/p/{p.pk}/").content.decode()
    assert f'<option value="{org.hrss.pk}"' in page and f'<option value="{org.town_a.pk}"' not in page
    response = c.post(f"/p/{p.pk}/act/forward/", {"to_unit": org.town_a.pk})
    assert response.status_code == 400
    p.refresh_from_db()
    assert p.owner_unit_id == org.bureau.pk


# ---------------------------------------------------------------- never shown, exported or counted


@pytest.fixture
def owned_by_the_accused(org) -> Petition:
    """An accusation that the accused unit owns (a row routed before these checks, or by hand): the
    visibility rule hides it from them all the same."""
    p = accusation(org)
    Petition.objects.filter(pk=p.pk).update(owner_unit=org.town_a)
    p.refresh_from_db()
    return p


def test_the_accused_do_not_see_it_in_their_queue_its_counts_search_or_export(org, owned_by_the_accused):
    from openpyxl import load_workbook

    p = owned_by_the_accused
    codes = (p.query_code, query_code_display(p.query_code))
    for user in the_accused(org):
        c = client_for(user)
        assert sum(queue_tab_counts(user, at(2026, 3, 5).date()).values()) == 0, user.username
        for params in (
            {},
            {"q": "补偿款"},
            {"tab": "all", "area": "1"},
            {"tab": "all", "area": "1", "kind": "accusation"},
        ):
            page = c.get("/queue/", params).content.decode()
            assert not any(c in page for c in codes) and "挪用" not in page, (user.username, params)
            book = load_workbook(io.BytesIO(c.get("/queue/export.xlsx", params).content), read_only=True)
            cells = " ".join(str(v) for row in book.active.iter_rows(values_only=True) for v in row if v)
            assert not any(c in cells for c in codes) and "挪用" not in cells, (user.username, params)
    # the same lists show it to whoever may see it: the checks above could fail
    bureau = client_for(org.u_bureau_staff)
    assert p.query_code in bureau.get("/queue/", {"tab": "all", "area": "1", "q": "补偿款"}).content.decode()


def test_the_accused_cannot_open_find_download_or_print_it(org, owned_by_the_accused):
    p = owned_by_the_accused
    for user in the_accused(org):
        c = client_for(user)
        assert c.get(f"/p/{p.pk}/").status_code == 404
        assert c.get(f"/p/{p.pk}/notice/routing.docx").status_code == 404
        assert c.post(f"/p/{p.pk}/act/accept/").status_code == 404
        found = c.get("/find/", {"code": p.query_code})
        assert found.status_code == 302 and found["Location"] == "/"
    assert client_for(org.u_bureau_staff).get(f"/p/{p.pk}/").status_code == 200


def test_the_desk_lookups_do_not_lead_the_accused_to_the_accuser(org):
    """Typing the accuser's phone or the accusation's words at the accused unit's desk finds nothing."""
    p = accusation(org)
    for user in (org.u_town_a_clerk, handler(org, "town_a")):
        c = client_for(user)
        lookup = c.get("/register/lookup", {"phone": ACCUSER_PHONE}).content.decode()
        assert "检举人甲" not in lookup and p.query_code not in lookup
        similar = c.get("/register/similar", {"title": p.title, "content": CONTENT, "place": "丰收村"}).content.decode()
        assert p.query_code not in similar and "挪用" not in similar
    bureau = client_for(org.u_clerk).get("/register/lookup", {"phone": ACCUSER_PHONE}).content.decode()
    assert "检举人甲" in bureau


def test_the_api_and_its_statistics_leave_it_out_for_the_accused(org, owned_by_the_accused):
    p = owned_by_the_accused
    accused = Api(api_client_make(org, "town_a", role=Role.HANDLER, scopes=ALL_SCOPES)[1])
    assert accused.get(f"/api/petitions/{p.pk}").status_code == 404
    assert p.pk not in {row["id"] for row in accused.get("/api/petitions", {"limit": 200}).json()["items"]}
    assert accused.post(f"/api/petitions/{p.pk}/accept").status_code == 404
    for group_by in ("kind", "state", "region"):
        stats = accused.get("/api/statistics/petitions", {"group_by": group_by}).json()
        assert stats["total"] == 0, group_by
    requests = accused.get("/api/open311/v2/requests.json", {"start_date": "2026-01-01T00:00:00+08:00"}).json()
    assert str(p.pk) not in {r["service_request_id"] for r in requests}
    bureau = Api(api_client_make(org, "bureau", role=Role.BUREAU_STAFF, scopes=ALL_SCOPES)[1])
    assert bureau.get("/api/statistics/petitions", {"group_by": "kind"}).json()["total"] == 1


def test_hot_issues_never_count_an_accusation(org):
    """A group's figures and title reach every unit with a petition in it: accusations stay out."""
    from tests.support.hot import END, MIXER, START

    petitions = [
        register(
            org,
            on=at(2026, 3, 10 + n),
            kind=Kind.CLAIM,
            title=t,
            content=c,
            petitioners=[Petitioner(name=f"居民{n}", phone=f"1370000000{n}")],
        )
        for n, (t, c) in enumerate(MIXER[:3])
    ]
    accused = accusation(org, title=MIXER[3][0], content=MIXER[3][1])
    keys = {i.key for i in hot.petition_items(START, END)}
    assert {p.pk for p in petitions} <= keys and accused.pk not in keys
    hot.hot_issues_build(until=END.date(), days=31, at=END)
    members = set(HotIssueMember.objects.values_list("petition_id", flat=True))
    assert members == {p.pk for p in petitions}  # the group is found, without the accusation


def test_the_accused_official_is_refused_every_action_even_through_another_unit(org):
    """Art. 28 and 30: an official who moved to the unit handling it still cannot act on it."""
    official = head(org, "town_a")
    p = accusation(org)
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.discipline)
    official.unit = org.discipline
    official.save(update_fields=["unit"])
    assert not petition_list_for(official).filter(pk=p.pk).exists()
    with pytest.raises(WorkflowError, match="被检举控告"):
        act(org, "accept", p, official, at(2026, 3, 4))
