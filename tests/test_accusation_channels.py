"""Art. 30 on every channel: an accusation received online (the portal, the API, Open311) names its
accused as records, proposed from the text and the place (xinfang.routing.accused); until the bureau
confirms them only the staff who handle accusations and discipline inspection see it, nothing routes
it, and one against the bureau itself goes to discipline inspection.

Each channel replays the probe of issue 18: a portal accusation against "青石镇人民政府 王镇长" assigned
by the bureau's API client to 青石镇 (it was 200, and 青石镇's handler read it); an API accusation
against "示范县信访局 李某" from the bureau's own client (it was 201 and stayed with the bureau)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from tests.conftest import Org, at, handler, head, is_chinese, register, staff_login
from tests.support.api import ALL_SCOPES, Api, api_client_make
from tests.support.open311 import BASE as OPEN311
from tests.support.open311 import form as open311_form
from tests.support.portal import browser
from tests.support.portal import form as portal_form
from xinfang.org.models import Role, User
from xinfang.oversight.recommendations import recommendation_make
from xinfang.petitions import services
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Event, Kind, Petition, State
from xinfang.petitions.selectors import petition_is_visible, petition_list_for, petition_owned_list_for
from xinfang.portal import selectors as portal_selectors
from xinfang.routing.accused import accused_propose

pytestmark = pytest.mark.django_db

CONTENT = "检举青石镇人民政府王镇长挪用丰收村征地补偿款。"


@pytest.fixture(autouse=True)
def _portal_places(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    portal_selectors.invalidate_cache()
    yield
    portal_selectors.invalidate_cache()


def client_for(user: User) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def api_of(org: Org, unit_key: str, role: str = Role.BUREAU_STAFF) -> Api:
    return Api(api_client_make(org, unit_key, role=role, scopes=ALL_SCOPES)[1])


def portal_accusation(org: Org, accused_name: str = "青石镇人民政府 王镇长", content: str = CONTENT) -> Petition:
    c = browser()
    response = c.post(
        "/portal/submit/",
        portal_form(org, kind=Kind.ACCUSATION, title="检举挪用补偿款", content=content, accused_name=accused_name),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Petition.objects.get(kind=Kind.ACCUSATION, title="检举挪用补偿款")


def town_a_people(org: Org) -> list[User]:
    return [handler(org, "town_a"), head(org, "town_a"), org.u_town_a_clerk]


# ---------------------------------------------------------------- the proposal


@pytest.mark.parametrize(
    "named, text, place, expected",
    [
        ("青石镇人民政府 王镇长", "", "village_a", "town_a"),
        ("青石镇政府", "", "village_b", "town_a"),
        ("", "检举县人社局工作人员收受好处费。", "village_a", "hrss"),
        ("", "县人力资源和社会保障局的科长刁难群众。", "village_b", "hrss"),
        ("", "县自然资源局违规审批占用耕地。", "village_a", "land"),
        ("", "青石镇王镇长挪用补偿款。", "village_b", "town_a"),  # a place and a title
        ("", "柳河镇的书记打人。", "village_a", "town_b"),
        ("", "丰收村支书侵占集体土地。", "village_a", "village_a"),
        ("", "镇政府干部挪用补偿款。", "village_a", "town_a"),  # a title only: the petition's own place
        ("", "村干部私分救灾款。", "village_b", "village_b"),
        ("示范县信访局 李某", "", "village_a", "bureau"),
        ("县自然资源局", "青石镇政府也知情。", "village_a", "land"),  # the accuser's own words come first
    ],
)
def test_the_accused_unit_is_read_from_the_accusers_words_the_text_and_the_place(org, named, text, place, expected):
    found = accused_propose(named=named, text=text, region=org.regions[place])
    assert found.unit == org.units[expected], (found.unit, found.words)


@pytest.mark.parametrize("text", ["我是青石镇丰收村村民，村道损坏请求维修。", "请求解决拖欠的工资。", ""])
def test_a_place_alone_accuses_nobody(org, text):
    assert not accused_propose(named="", text=text, region=org.regions["village_a"]).found


def test_a_member_named_in_full_is_proposed_as_the_person(org):
    official = head(org, "town_a")
    official.display_name = "王某某"
    official.save(update_fields=["display_name"])
    found = accused_propose(named="", text="检举青石镇人民政府王某某镇长挪用补偿款。", region=org.regions["village_a"])
    assert found.unit == org.units["town_a"] and found.user == official


# ---------------------------------------------------------------- the portal (the probe's first half)


def test_a_portal_accusation_records_its_accused_and_only_accusation_staff_see_it(org):
    p = portal_accusation(org)
    assert (p.accused_unit_id, p.accused_confirmed, p.owner_unit_id) == (org.town_a.pk, False, org.bureau.pk)
    register_event = Event.objects.get(petition=p, action="register")
    assert register_event.data["accused_unit"] == org.town_a.pk and register_event.data["accused_confirmed"] is False
    may = [org.u_bureau_staff, handler(org, "discipline"), head(org, "discipline")]
    may_not = town_a_people(org) + [
        org.u_clerk,
        org.u_supervisor,
        org.u_leader,
        org.u_admin,
        handler(org, "hrss"),
        org.user("town_a", Role.LEADER),
    ]
    assert [u.username for u in may if not petition_is_visible(u, p)] == []
    assert [u.username for u in may_not if petition_is_visible(u, p)] == []
    # the bureau's clerk does not find it in the bureau's own queue; its bureau staff do
    assert not petition_owned_list_for(org.u_clerk).filter(pk=p.pk).exists()
    assert petition_owned_list_for(org.u_bureau_staff).filter(pk=p.pk).exists()
    assert p.query_code in client_for(org.u_bureau_staff).get("/queue/").content.decode()
    assert p.query_code not in client_for(org.u_clerk).get("/queue/").content.decode()


def test_the_probe_portal_accusation_never_reaches_the_accused_township(org):
    """Portal accusation against 青石镇人民政府 王镇长 → the bureau's API client assigns it to 青石镇."""
    p = portal_accusation(org)
    bureau = api_of(org, "bureau")
    before = bureau.post(f"/api/petitions/{p.pk}/assign", {"to_unit": org.town_a.pk, "report_days": 30})
    assert before.status_code == 409 and "请先确认被检举控告" in before.json()["detail"]
    detail = bureau.get(f"/api/petitions/{p.pk}").json()
    assert detail["accused"] == {
        "unit": {"id": org.town_a.pk, "name": org.town_a.name},
        "user": None,
        "name": "青石镇人民政府 王镇长",
        "confirmed": False,
    }
    assert "confirm_accused" in detail["actions"] and "assign" not in detail["actions"]
    confirmed = bureau.post(f"/api/petitions/{p.pk}/confirm_accused", {"accused_unit": org.town_a.pk})
    assert confirmed.status_code == 200 and confirmed.json()["accused"]["confirmed"] is True
    after = bureau.post(f"/api/petitions/{p.pk}/assign", {"to_unit": org.town_a.pk, "report_days": 30})
    assert after.status_code == 400 and "第三十条" in after.json()["detail"]
    p.refresh_from_db()
    assert p.owner_unit_id == org.bureau.pk and p.state == State.REGISTERED
    town = client_for(handler(org, "town_a"))
    assert p.query_code not in town.get("/queue/", {"tab": "all", "area": "1"}).content.decode()
    assert town.get(f"/p/{p.pk}/").status_code == 404
    town_api = api_of(org, "town_a", Role.HANDLER)
    assert town_api.get(f"/api/petitions/{p.pk}").status_code == 404
    # it can still go where it belongs
    routed = bureau.post(f"/api/petitions/{p.pk}/forward", {"to_unit": org.discipline.pk})
    assert routed.status_code == 200


# ---------------------------------------------------------------- the API (the probe's second half)


def test_the_probe_api_accusation_against_the_bureau_goes_to_discipline_inspection(org):
    bureau = api_of(org, "bureau")
    body = {
        "channel": "web",
        "kind": "accusation",
        "region": org.regions["village_a"].code,
        "title": "检举信访局工作人员",
        "content": "信访局李某收受好处、压案不办。",
        "accused_name": "示范县信访局 李某",
    }
    response = bureau.post("/api/petitions", body)
    assert response.status_code == 201, response.content
    p = Petition.objects.get(pk=response.json()["id"])
    assert (p.accused_unit_id, p.owner_unit_id, p.routed_by_unit_id) == (
        org.bureau.pk,
        org.discipline.pk,
        org.bureau.pk,
    )
    assert p.deadlines.get(kind="intake").unit_id == org.discipline.pk
    assert bureau.get(f"/api/petitions/{p.pk}").status_code == 404
    for user in (org.u_bureau_staff, org.u_clerk, org.u_admin, org.u_supervisor):
        assert not petition_is_visible(user, p), user.username
    discipline = handler(org, "discipline")
    assert petition_owned_list_for(discipline).filter(pk=p.pk).exists()
    services.petition_confirm_accused(p, actor=discipline, accused_unit=org.bureau, accused_name="李某")
    p.refresh_from_db()
    assert p.accused_confirmed and p.owner_unit_id == org.discipline.pk
    assert not petition_is_visible(org.u_bureau_staff, p)


def test_the_desk_still_refuses_an_accusation_against_the_clerks_own_unit(org):
    with pytest.raises(WorkflowError, match="第三十条"):
        register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_unit=org.bureau, accused_name="李某")


# ---------------------------------------------------------------- Open311


def test_an_open311_accusation_records_its_accused_and_the_township_never_sees_it(org):
    _, token = api_client_make(org, "bureau", role=Role.BUREAU_STAFF, name="网上信访平台")
    response = Api().post_form(
        f"{OPEN311}/requests.json",
        open311_form(
            org, api_key=token, kind="accusation", description="检举青石镇人民政府王镇长挪用补偿款\n涉及多户村民"
        ),
    )
    assert response.status_code == 201, response.content
    p = Petition.objects.get(pk=int(response.json()[0]["service_request_id"]))
    assert (p.kind, p.accused_unit_id, p.accused_confirmed) == (Kind.ACCUSATION, org.town_a.pk, False)
    town_api = api_of(org, "town_a", Role.HANDLER)
    requests = town_api.get(f"{OPEN311}/requests.json", {"start_date": "2020-01-01T00:00:00+08:00"}).json()
    assert str(p.pk) not in {r["service_request_id"] for r in requests}
    assert [u.username for u in town_a_people(org) if petition_is_visible(u, p)] == []


# ---------------------------------------------------------------- confirming


def unconfirmed(org: Org, **kw) -> Petition:
    kw = {"accused_unit": org.town_a, "accused_name": "王镇长", "accused_confirmed": False} | kw
    return register(
        org,
        on=at(2026, 3, 2),
        actor=org.u_bureau_staff,
        kind=Kind.ACCUSATION,
        title="检举挪用补偿款",
        content=CONTENT,
        **kw,
    )


@pytest.mark.parametrize(
    "action, kw", [("forward", {"to_unit": "land"}), ("assign", {"to_unit": "land"}), ("accept", {})]
)
def test_nothing_routes_an_accusation_before_its_accused_are_confirmed(org, action, kw):
    p = unconfirmed(org)
    kw = {k: org.units[v] for k, v in kw.items()}
    if action == "assign":
        kw["report_days"] = 30
    with pytest.raises(WorkflowError) as e:
        services.ACTIONS[action](p, actor=org.u_bureau_staff, at=at(2026, 3, 3), **kw)
    assert is_chinese(str(e.value)) and "第三十条" in str(e.value)
    p.refresh_from_db()
    assert p.owner_unit_id == org.bureau.pk and p.log_seq == 1


def test_confirming_may_correct_the_proposal_and_is_in_the_history(org):
    p = unconfirmed(org)
    official = head(org, "land")
    services.petition_confirm_accused(p, actor=org.u_bureau_staff, accused_user=official, at=at(2026, 3, 3))
    p.refresh_from_db()
    assert (p.accused_unit_id, p.accused_user_id, p.accused_name, p.accused_confirmed) == (
        org.land.pk,
        official.pk,
        "王镇长",
        True,
    )
    event = p.events.get(action="confirm_accused")
    assert event.data == {
        "accused_unit": org.land.pk,
        "accused_user": official.pk,
        "accused_name": "王镇长",
        "accused_confirmed": True,
        "proposed_unit": org.town_a.pk,
    }
    assert event.actor_id == org.u_bureau_staff.pk
    # now an ordinary accusation: seen by the bureau's clerk, never by the accused unit
    assert petition_is_visible(org.u_clerk, p) and not petition_is_visible(handler(org, "land"), p)
    assert petition_is_visible(handler(org, "town_a"), p) is False  # not theirs either: the bureau owns it
    with pytest.raises(WorkflowError, match="第三十条"):
        services.petition_forward(p, actor=org.u_bureau_staff, to_unit=org.land, at=at(2026, 3, 4))
    with pytest.raises(WorkflowError, match="已经确认"):
        services.petition_confirm_accused(p, actor=org.u_bureau_staff, accused_unit=org.hrss, at=at(2026, 3, 4))


def test_confirming_needs_a_unit_or_an_official_and_staff_who_handle_accusations(org):
    p = unconfirmed(org)
    with pytest.raises(WorkflowError, match="请选择被检举控告"):
        services.petition_confirm_accused(p, actor=org.u_bureau_staff, accused_name="某人", at=at(2026, 3, 3))
    with pytest.raises(WorkflowError, match="角色"):
        services.petition_confirm_accused(p, actor=org.u_clerk, accused_unit=org.land, at=at(2026, 3, 3))
    p.refresh_from_db()
    assert not p.accused_confirmed and p.log_seq == 1


def test_confirming_the_holding_unit_as_accused_sends_it_to_discipline_inspection(org):
    p = unconfirmed(org, accused_unit=None)  # nothing found in the text
    services.petition_confirm_accused(p, actor=org.u_bureau_staff, accused_unit=org.bureau, at=at(2026, 3, 3))
    p.refresh_from_db()
    assert (p.owner_unit_id, p.routed_by_unit_id) == (org.discipline.pk, org.bureau.pk)
    assert p.events.get(action="confirm_accused").data["owner_unit"] == org.discipline.pk
    assert not petition_is_visible(org.u_bureau_staff, p)
    assert petition_is_visible(handler(org, "discipline"), p)


def test_the_petition_page_offers_the_confirmation_with_the_proposal_chosen(org):
    p = portal_accusation(org)
    c = client_for(org.u_bureau_staff)
    page = c.get(f"/p/{p.pk}/").content.decode()
    assert "系统根据文字推荐，待确认" in page
    select = re.search(r'<select name="confirm_accused-accused_unit".*?</select>', page, re.S).group(0)
    assert f'<option value="{org.town_a.pk}" selected>' in select
    assert 'action="/p/%d/act/assign/"' % p.pk not in page
    response = c.post(
        f"/p/{p.pk}/act/confirm_accused/",
        {"confirm_accused-accused_unit": org.town_a.pk, "confirm_accused-accused_name": "王镇长"},
    )
    assert response.status_code in (200, 302)
    p.refresh_from_db()
    assert p.accused_confirmed and p.accused_unit_id == org.town_a.pk
    assert "系统根据文字推荐，待确认" not in c.get(f"/p/{p.pk}/").content.decode()


# ---------------------------------------------------------------- supervision


def test_a_recommendation_never_goes_to_the_accused_officials_unit(org):
    p = register(
        org,
        on=at(2026, 3, 2),
        kind=Kind.ACCUSATION,
        accused_user=head(org, "land"),
        accused_unit=org.hrss,
        accused_name="自然资源局负责人",
    )
    with pytest.raises(WorkflowError, match="第三十条"):
        recommendation_make(
            actor=org.u_supervisor,
            kind="work",
            text="请核查",
            to_unit=org.land,
            petition=p,
            due_on=dt.date(2026, 4, 1),
            at=at(2026, 3, 3),
        )
    assert p.pk not in set(petition_list_for(head(org, "land")).values_list("pk", flat=True))
