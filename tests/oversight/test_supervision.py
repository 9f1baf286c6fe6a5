"""Supervision (督办) of a petition: who may open, answer and end it; each step is in the event log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import staff_login
from tests.support.workbench import accepted_by_town_a, make_org, register
from xinfang.org.models import Role, Unit, UnitKind, User
from xinfang.oversight import recommendations
from xinfang.oversight import services as oversight
from xinfang.oversight.models import Supervision
from xinfang.petitions import services
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import Event

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    c = Client()
    staff_login(c, user)
    return c


@pytest.fixture
def org(db):
    org = make_org()
    org["supervisor"] = User.objects.create(username="supervisor", role=Role.SUPERVISOR, unit=org["bureau"])
    org["leader"] = User.objects.create(username="leader", role=Role.LEADER, unit=org["gov"])
    return org


def open_one(org, p, **kw):
    data = {
        "mode": "on_site",
        "reason": "群众多次反映",
        "requirement": "十日内报告办理进展",
        "answer_due_on": timezone.localdate() + dt.timedelta(days=10),
    } | kw
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


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("handler_a", "您的角色（单位经办人）不能督办。"),
        ("clerk", "您的角色（登记员）不能督办。"),
    ],
)
def test_only_supervisors_and_leaders_open(org, who, message):
    p = accepted_by_town_a(org)
    with pytest.raises(WorkflowError, match=message):
        oversight.supervision_open(
            p, actor=org[who], mode="online", reason="x", requirement="y", answer_due_on=timezone.localdate()
        )
    assert not Supervision.objects.exists()


def test_leader_may_open(org):
    p = accepted_by_town_a(org)
    s = oversight.supervision_open(
        p,
        actor=org["leader"],
        mode="escalated",
        reason="重点关注",
        requirement="周报",
        answer_due_on=timezone.localdate(),
    )
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
        oversight.supervision_open(
            p, actor=outsider, mode="online", reason="x", requirement="y", answer_due_on=timezone.localdate()
        )
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
    response = client_for(org["supervisor"]).post(
        f"/p/{p.pk}/supervision/supervise/",
        {
            "supervise-mode": "joint",
            "supervise-reason": "涉及多个部门",
            "supervise-requirement": "会同处理并报告",
            "supervise-answer_due_on": due,
        },
    )
    assert response.status_code == 302
    page = client_for(org["handler_a"]).get(url).content.decode()
    assert offered(page, p.pk) == {"answer"}
    assert "联合督办" in page and "涉及多个部门" in page and "督办" in page
    assert offered(client_for(org["supervisor"]).get(url).content.decode(), p.pk) == {"end"}
    response = client_for(org["handler_a"]).post(
        f"/p/{p.pk}/supervision/answer/", {"supervision_answer-answer": "已会同人社局处理"}
    )
    assert response.status_code == 302
    # a refused step comes back with its Chinese message
    response = client_for(org["handler_b"]).post(
        f"/p/{p.pk}/supervision/answer/", {"supervision_answer-answer": "越权"}
    )
    assert response.status_code == 404  # town B cannot even see the petition
    response = client_for(org["supervisor"]).post(f"/p/{p.pk}/supervision/end/", {"supervision_end-note": ""})
    assert response.status_code == 302
    page = client_for(org["supervisor"]).get(url).content.decode()
    assert "答复已采纳" in page and "结束督办" in page  # the state after the answer, the timeline's label


# ---------------------------------------------------------------- answer checked: accepted or sent back


def test_answer_sent_back_then_accepted_each_step_logged(org):
    p = accepted_by_town_a(org)
    s = open_one(org, p)
    with pytest.raises(WorkflowError, match="责任单位尚未答复，没有可审核的答复"):
        oversight.supervision_accept(s, actor=org["supervisor"])
    oversight.supervision_answer(s, actor=org["handler_a"], answer="已安排排水")
    with pytest.raises(WorkflowError, match="督办答复已提交，正等待督办单位审核"):
        oversight.supervision_answer(s, actor=org["head_a"], answer="再报一次")
    with pytest.raises(WorkflowError, match="请写明退回理由"):
        oversight.supervision_return(s, actor=org["supervisor"], note=" ")
    with pytest.raises(WorkflowError, match="您的角色（单位经办人）不能审核督办答复"):
        oversight.supervision_return(s, actor=org["handler_a"], note="自己退回")
    new_due = timezone.localdate() + dt.timedelta(days=3)
    oversight.supervision_return(s, actor=org["supervisor"], note="未说明完成时限", answer_due_on=new_due)
    s.refresh_from_db()
    assert (s.state, s.is_open, s.answer_due_on) == ("returned", True, new_due)
    oversight.supervision_answer(s, actor=org["head_a"], answer="排水工程本月底完工")
    oversight.supervision_accept(s, actor=org["leader"], note="同意")
    s.refresh_from_db()
    assert (s.state, s.is_open, s.answer) == ("accepted", False, "排水工程本月底完工")
    actions = list(Event.objects.filter(petition=p).order_by("seq").values_list("action", flat=True))
    assert actions[-5:] == [
        "supervise",
        "supervision_answer",
        "supervision_return",
        "supervision_answer",
        "supervision_accept",
    ]
    assert list(s.steps.values_list("action", flat=True)) == ["open", "answer", "return", "answer", "accept"]
    assert list(verify_chains([p.pk])) == []


def test_ending_before_an_answer_is_ended_not_accepted(org):
    s = open_one(org, accepted_by_town_a(org))
    oversight.supervision_end(s, actor=org["supervisor"], note="问题已在联席会议上解决")
    s.refresh_from_db()
    assert (s.state, s.is_open) == ("ended", False)
    with pytest.raises(WorkflowError, match="该督办已结束"):
        oversight.supervision_answer(s, actor=org["handler_a"], answer="迟到的答复")


# ---------------------------------------------------------------- a whole unit under supervision


def test_unit_supervision_answered_and_accepted_without_petition_events(org):
    events = Event.objects.count()
    s = oversight.unit_supervision_open(
        org["office_a"],
        actor=org["supervisor"],
        mode="on_site",
        reason="本季度超期未办结事项较多",
        requirement="逐件说明超期原因并报告整改措施",
        answer_due_on=timezone.localdate() + dt.timedelta(days=10),
    )
    assert (s.petition, s.unit, s.supervising_unit, s.is_unit_supervision) == (
        None,
        org["office_a"],
        org["bureau"],
        True,
    )
    with pytest.raises(WorkflowError, match="督办事项由甲镇人民政府的经办人或负责人答复"):
        oversight.supervision_answer(s, actor=org["handler_b"], answer="代为答复")
    oversight.supervision_answer(s, actor=org["head_a"], answer="已逐件说明，整改措施见附件")
    oversight.supervision_accept(s, actor=org["supervisor"])
    s.refresh_from_db()
    assert (s.state, s.answered_by) == ("accepted", org["head_a"])
    assert list(s.steps.values_list("action", flat=True)) == ["open", "answer", "accept"]
    assert Event.objects.count() == events  # no petition changed


@pytest.mark.parametrize(
    ("who", "unit", "message"),
    [
        ("handler_a", "office_b", "您的角色（单位经办人）不能督办。"),
        ("supervisor", "bureau", "不能督办本单位。"),
        ("outsider", "office_a", "甲镇人民政府不在您所在单位的督办范围内。"),
    ],
)
def test_unit_supervision_refusals(org, who, unit, message):
    from xinfang.org.models import Region, RegionLevel

    elsewhere = Region.objects.create(code="880102", name="别县", level=RegionLevel.COUNTY)
    bureau = Unit.objects.create(name="别县信访局", kind=UnitKind.BUREAU, region=elsewhere)
    org["outsider"] = User.objects.create(username="outsider", role=Role.SUPERVISOR, unit=bureau)
    with pytest.raises(WorkflowError) as e:
        oversight.unit_supervision_open(
            org[unit], actor=org[who], mode="online", reason="x", requirement="y", answer_due_on=timezone.localdate()
        )
    assert str(e.value) == message
    assert not Supervision.objects.exists()


# ---------------------------------------------------------------- recommendations


def test_recommendation_about_a_petition_tracked_to_an_accepted_answer(org):
    from xinfang.oversight.models import Recommendation

    p = accepted_by_town_a(org)
    due = timezone.localdate() + dt.timedelta(days=15)
    r = recommendations.recommendation_make(
        actor=org["supervisor"],
        kind="work",
        text="建立雨季排水巡查制度",
        to_unit=org["office_a"],
        due_on=due,
        petition=p,
    )
    with pytest.raises(WorkflowError, match="该建议由甲镇人民政府答复"):
        recommendations.recommendation_answer(r, actor=org["handler_b"], answer="x")
    recommendations.recommendation_answer(r, actor=org["handler_a"], answer="已建立巡查台账")
    with pytest.raises(WorkflowError, match="请写明退回理由"):
        recommendations.recommendation_check(r, actor=org["supervisor"], accept=False)
    recommendations.recommendation_check(r, actor=org["supervisor"], accept=False, note="请附巡查记录")
    r.refresh_from_db()
    assert r.state == "returned"
    recommendations.recommendation_answer(r, actor=org["head_a"], answer="已附巡查记录")
    recommendations.recommendation_check(r, actor=org["supervisor"], accept=True)
    r.refresh_from_db()
    assert r.state == "accepted" and Recommendation.objects.count() == 1
    actions = list(Event.objects.filter(petition=p).order_by("seq").values_list("action", flat=True))
    assert actions[-5:] == [
        "recommend",
        "recommendation_answer",
        "recommendation_return",
        "recommendation_answer",
        "recommendation_accept",
    ]
    assert list(verify_chains([p.pk])) == []


def test_recommendation_refusals(org):
    from xinfang.petitions.models import Kind

    p = accepted_by_town_a(org)
    due = timezone.localdate() + dt.timedelta(days=5)
    base = {"kind": "policy", "text": "修订补偿标准", "to_unit": org["gov"], "due_on": due}
    with pytest.raises(WorkflowError, match="请指明建议针对的信访事项或单位"):
        recommendations.recommendation_make(actor=org["supervisor"], **base)
    with pytest.raises(WorkflowError, match="请指明建议针对的信访事项或单位"):
        recommendations.recommendation_make(actor=org["supervisor"], petition=p, about_unit=org["office_a"], **base)
    with pytest.raises(WorkflowError, match="请选择建议类别"):
        recommendations.recommendation_make(actor=org["supervisor"], petition=p, **(base | {"kind": "praise"}))
    with pytest.raises(WorkflowError, match="不能提出督查建议"):
        recommendations.recommendation_make(actor=org["handler_a"], petition=p, **base)
    accusation = register(org, kind=Kind.ACCUSATION, title="检举甲镇违规发放补贴")
    accusation.accused_unit = org["office_a"]
    accusation.save(update_fields=["accused_unit"])
    with pytest.raises(WorkflowError, match="第三十条"):
        recommendations.recommendation_make(
            actor=org["supervisor"],
            petition=accusation,
            **(base | {"kind": "accountability", "to_unit": org["office_a"]}),
        )
