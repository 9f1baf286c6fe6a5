"""Supervision (督办) of a petition: who may open, answer and end it; each step is in the event log."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.test_workbench import accepted_by_town_a, client_for, make_org, register
from xinfang.org.models import Role, Unit, UnitKind, User
from xinfang.oversight import services as oversight
from xinfang.oversight.models import Supervision
from xinfang.petitions import services
from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import Event
from xinfang.petitions.services import WorkflowError

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    org = make_org()
    org["supervisor"] = User.objects.create(username="supervisor", role=Role.SUPERVISOR, unit=org["bureau"])
    org["leader"] = User.objects.create(username="leader", role=Role.LEADER, unit=org["gov"])
    return org


def open_one(org, p, **kw):
    data = {"mode": "on_site", "reason": "群众多次反映", "requirement": "十日内报告办理进展",
            "answer_due_on": timezone.localdate() + dt.timedelta(days=10)} | kw
    return oversight.supervision_open(p, actor=org["supervisor"], **data)


def test_open_answer_end_each_logged_and_chained(org):
    p = accepted_by_town_a(org)
    s = open_one(org, p)
    assert (s.unit, s.is_open) == (org["office_a"], True)
    oversight.supervision_answer(s, actor=org["handler_a"], answer="已现场核实并制定方案")
    oversight.supervision_end(s, actor=org["supervisor"])
    s.refresh_from_db()
    assert not s.is_open and s.answer == "已现场核实并制定方案"
    actions = list(Event.objects.filter(petition=p).order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["supervise", "supervision_answer", "supervision_end"]
    assert list(verify_chains([p.pk])) == []
    p.refresh_from_db()
    assert p.state == "accepted"  # supervision never changes the petition's state


@pytest.mark.parametrize(("who", "message"), [
    ("handler_a", "您的角色（单位经办人）不能督办。"),
    ("clerk", "您的角色（登记员）不能督办。"),
])
def test_only_supervisors_and_leaders_open(org, who, message):
    p = accepted_by_town_a(org)
    with pytest.raises(WorkflowError, match=message):
        oversight.supervision_open(p, actor=org[who], mode="online", reason="x", requirement="y",
                                   answer_due_on=timezone.localdate())
    assert not Supervision.objects.exists()


def test_leader_may_open(org):
    p = accepted_by_town_a(org)
    s = oversight.supervision_open(p, actor=org["leader"], mode="escalated", reason="重点关注", requirement="周报",
                                   answer_due_on=timezone.localdate())
    assert s.opened_by == org["leader"]


def test_refusals_change_nothing(org):
    p = accepted_by_town_a(org)
    seq = p.log_seq
    with pytest.raises(WorkflowError, match="答复期限不能早于今天"):
        open_one(org, p, answer_due_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(WorkflowError, match="请写明督办理由和督办要求"):
        open_one(org, p, reason=" ")
    with pytest.raises(WorkflowError, match="请选择督办方式"):
        open_one(org, p, mode="phone")
    p.refresh_from_db()
    assert p.log_seq == seq and not Supervision.objects.exists()
    s = open_one(org, p)
    with pytest.raises(WorkflowError, match="该事项已在督办中"):
        open_one(org, p)
    with pytest.raises(WorkflowError, match="督办事项由甲镇人民政府的经办人或负责人答复"):
        oversight.supervision_answer(s, actor=org["handler_b"], answer="不是我们的事")
    with pytest.raises(WorkflowError, match="提前结束督办须写明理由"):
        oversight.supervision_end(s, actor=org["supervisor"])
    with pytest.raises(WorkflowError, match="不能结束督办"):
        oversight.supervision_end(s, actor=org["handler_a"], note="自己结束")
    declined = register(org, actor=org["handler_a"])
    services.petition_decline(declined, actor=org["handler_a"], reason="not_petition")
    with pytest.raises(WorkflowError, match="该事项已办结，不能督办"):
        open_one(org, declined)


def test_a_supervisor_of_another_county_cannot_see_or_supervise(org):
    from xinfang.org.models import Region, RegionLevel

    elsewhere = Region.objects.create(code="880102", name="别县", level=RegionLevel.COUNTY)
    bureau = Unit.objects.create(name="别县信访局", kind=UnitKind.BUREAU, region=elsewhere)
    outsider = User.objects.create(username="outsider", role=Role.SUPERVISOR, unit=bureau)
    p = accepted_by_town_a(org)
    with pytest.raises(WorkflowError, match="您无权查看该事项"):
        oversight.supervision_open(p, actor=outsider, mode="online", reason="x", requirement="y",
                                   answer_due_on=timezone.localdate())
    assert client_for(outsider).post(f"/p/{p.pk}/supervision/supervise/", {}).status_code == 404


def offered(page: str, pk: int) -> set[str]:
    prefix = f'action="/p/{pk}/supervision/'
    return {chunk.split("/", 1)[0] for chunk in page.split(prefix)[1:]}


def test_page_offers_each_person_their_supervision_step(org):
    p = accepted_by_town_a(org)
    url = f"/p/{p.pk}/"
    assert offered(client_for(org["supervisor"]).get(url).content.decode(), p.pk) == {"supervise"}
    assert offered(client_for(org["handler_a"]).get(url).content.decode(), p.pk) == set()
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client_for(org["supervisor"]).post(f"/p/{p.pk}/supervision/supervise/", {
        "supervise-mode": "joint", "supervise-reason": "涉及多个部门", "supervise-requirement": "会同处理并报告",
        "supervise-answer_due_on": due})
    assert response.status_code == 302
    page = client_for(org["handler_a"]).get(url).content.decode()
    assert offered(page, p.pk) == {"answer"}
    assert "联合督办" in page and "涉及多个部门" in page and "督办" in page
    assert offered(client_for(org["supervisor"]).get(url).content.decode(), p.pk) == {"end"}
    response = client_for(org["handler_a"]).post(f"/p/{p.pk}/supervision/answer/",
                                                 {"supervision_answer-answer": "已会同人社局处理"})
    assert response.status_code == 302
    # a refused step comes back with its Chinese message
    response = client_for(org["handler_b"]).post(f"/p/{p.pk}/supervision/answer/",
                                                 {"supervision_answer-answer": "越权"})
    assert response.status_code == 404  # town B cannot even see the petition
    response = client_for(org["supervisor"]).post(f"/p/{p.pk}/supervision/end/", {"supervision_end-note": ""})
    assert response.status_code == 302
    page = client_for(org["supervisor"]).get(url).content.decode()
    assert "已结束" in page and "结束督办" in page  # the timeline's label
