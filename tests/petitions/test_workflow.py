"""Who may take each action, from which state, in which unit; and the legal guards of each action."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import (
    PATH,
    D,
    act,
    at,
    at_date,
    default_kwargs,
    handler,
    head,
    is_chinese,
    owner_handler,
    path_to,
    register,
)
from xinfang.org.models import Role
from xinfang.petitions import selectors
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Deadline, Decision, Event, Kind, Petition, State
from xinfang.petitions.models import DeadlineKind as K
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.workflow import OPEN_STATES, TABLE, TERMINAL, actions_for
from xinfang.workbench import selectors as queues

pytestmark = pytest.mark.django_db

STATE_LABELS = dict(State.choices)
ALL_ROLES = [r.value for r in Role]


def snapshot(p: Petition) -> tuple:
    p = Petition.objects.get(pk=p.pk)
    return (
        p.state,
        p.owner_unit_id,
        p.routed_by_unit_id,
        p.log_seq,
        p.log_head,
        p.due_on,
        sorted(
            Deadline.objects.filter(petition=p).values_list(
                "id", "kind", "due_on", "is_open", "extension_days", "paused_since"
            )
        ),
        Event.objects.filter(petition=p).count(),
        Decision.objects.filter(petition=p).count(),
    )


def refused(org, action, p, actor, on, **kw) -> str:
    """Take a refused action; check it changed nothing and return its message."""
    before = snapshot(p)
    with pytest.raises(WorkflowError) as e:
        act(org, action, p, actor, on, **kw)
    assert snapshot(p) == before
    message = str(e.value)
    assert is_chinese(message), message
    return message


def allowed_actor(org, action, p):
    """A user who may take `action` on `p` as far as role and unit go."""
    t = TABLE[action]
    if t.owner_only:
        unit_key = org.unit_key(p.owner_unit_id)
        role = Role.UNIT_HEAD if Role.UNIT_HEAD in t.roles else sorted(t.roles)[0]
        return org.user(unit_key, role)
    return org.u_clerk


# ---------------------------------------------------------------- state, role, unit


@pytest.mark.parametrize("state", [s for s in State.values])
def test_actions_from_a_wrong_state_are_refused(org, state):
    p, day = path_to(org, state)
    on = at_date(day, 16)
    wrong = [a for a, t in TABLE.items() if state not in t.sources]
    assert wrong
    for action in wrong:
        message = refused(org, action, p, allowed_actor(org, action, p), on)
        assert f"该事项当前状态为“{STATE_LABELS[state]}”，不能{TABLE[action].label}" in message


def source_state(action):
    """A state on the happy path (or a side path) from which `action` may be taken."""
    order = [
        State.REGISTERED,
        State.FORWARDED,
        State.ASSIGNED,
        State.ACCEPTED,
        State.DECIDED,
        State.EVALUATED,
        State.REVIEW_REQUESTED,
        State.REVIEWED,
        State.REEXAMINATION_REQUESTED,
        State.REEXAMINED,
    ]
    return next(s for s in order if s in TABLE[action].sources)


def path_for(org, action):
    """A petition from which `action` may be taken: on the happy path, or for confirm_accused an
    accusation received online, its accused proposed and not yet confirmed."""
    if action == "confirm_accused":
        return path_to(
            org, State.REGISTERED, kind=Kind.ACCUSATION, accused_unit=org.units["land"], accused_confirmed=False
        )
    return path_to(org, source_state(action))


@pytest.mark.parametrize("action", list(TABLE))
def test_roles_that_may_not_take_an_action_are_refused(org, action):
    p, day = path_for(org, action)
    t = TABLE[action]
    for role in ALL_ROLES:
        if role in t.roles:
            continue
        unit_key = org.unit_key(p.owner_unit_id)
        actor = org.user(unit_key, role)
        message = refused(org, action, p, actor, at_date(day, 16))
        assert f"不能{t.label}" in message
        assert "您的角色" in message


@pytest.mark.parametrize("action", [a for a, t in TABLE.items() if t.owner_only])
def test_another_unit_may_not_take_an_owners_action(org, action):
    p, day = path_for(org, action)
    t = TABLE[action]
    others = [k for k in ("land", "town_b", "county_gov", "city_gov") if org.units[k].pk != p.owner_unit_id]
    for unit_key in others:
        for role in t.roles & {Role.HANDLER, Role.UNIT_HEAD}:
            message = refused(org, action, p, org.user(unit_key, role), at_date(day, 16))
            assert "负责办理" in message and "不能" in message


@pytest.mark.parametrize("action", [a for a, t in TABLE.items() if not t.owner_only])
def test_petitioner_side_actions_need_sight_of_the_petition(org, action):
    p, day = path_for(org, action)
    stranger = org.user("town_b", Role.HANDLER)
    assert not selectors.petition_is_visible(stranger, p)
    message = refused(org, action, p, stranger, at_date(day, 16))
    assert "无权查看" in message


@pytest.mark.parametrize("action", list(TABLE))
def test_the_right_actor_from_a_source_state_succeeds(org, action):
    p, day = path_for(org, action)
    if action == "hearing_end":
        p = act(org, "hearing_start", p, owner_handler(org, p), at_date(day, 12))
    actor = allowed_actor(org, action, p)
    seq = p.log_seq
    before = p.state
    p = act(org, action, p, actor, at_date(day, 16))
    t = TABLE[action]
    expected = t.target or ({State.DECIDED: State.EVALUATED}.get(before, before) if action == "evaluate" else before)
    assert p.state == expected
    assert p.log_seq == seq + 1


def test_actions_need_a_member_of_staff(org):
    p, day = path_to(org, State.REGISTERED)
    with pytest.raises(WorkflowError, match="工作人员"):
        act(org, "accept", p, None, at_date(day))


def test_registration_needs_staff_with_a_unit(org):
    with pytest.raises(WorkflowError, match="登记"):
        register(org, on=at(2026, 3, 2), actor=org.u_leader)
    with pytest.raises(WorkflowError):
        register(org, on=at(2026, 3, 2), actor=org.u_supervisor)


def test_claim_needs_a_named_petitioner(org):
    with pytest.raises(WorkflowError, match="信访人"):
        register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[])


def test_collective_visit_at_most_5_representatives(org):
    from xinfang.petitions.models import Petitioner

    people = [Petitioner(name=f"代表{i}") for i in range(6)]
    with pytest.raises(WorkflowError, match="最多推选5名代表"):
        register(org, on=at(2026, 3, 2), petitioners=people, representatives=people, headcount=30)
    p = register(org, on=at(2026, 3, 2), petitioners=people, representatives=people[:5], headcount=30)
    assert p.parties.filter(is_representative=True).count() == 5 and p.is_collective


# ---------------------------------------------------------------- one owner


def queue_holders(org, p) -> set[str]:
    """The units whose handler's work queue holds `p`."""
    return {k for k in org.units if any(x.pk == p.pk for x in queues.work_queue_for(handler(org, k)))}


def test_an_open_petition_is_in_exactly_one_units_queue_along_the_whole_path(org):
    p = register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, co_units=[org.land])
    assert queue_holders(org, p) == {"bureau"}
    expected_owner = {
        State.FORWARDED: "hrss",
        State.ACCEPTED: "hrss",
        State.DECIDED: "hrss",
        State.EVALUATED: "hrss",
        State.REVIEW_REQUESTED: "county_gov",
        State.REVIEWED: "county_gov",
        State.REEXAMINATION_REQUESTED: "city_gov",
        State.REEXAMINED: "city_gov",
    }
    for action, who, offset, state in PATH:
        actor = owner_handler(org, p) if who == "owner" else org.users[who]
        p = act(org, action, p, actor, at_date(D(2026, 3, 2) + dt.timedelta(days=offset)))
        if state in OPEN_STATES:
            assert queue_holders(org, p) == {expected_owner[state]}, state
        else:
            assert queue_holders(org, p) == set()


def test_forwarding_moves_ownership_away_from_the_router(org):
    p = register(org, on=at(2026, 3, 2))
    p = act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3))
    assert (p.owner_unit_id, p.routed_by_unit_id) == (org.hrss.pk, org.bureau.pk)
    refused(org, "decline", p, org.u_bureau_staff, at(2026, 3, 4))  # the bureau no longer owns it


# ---------------------------------------------------------------- accusations (art. 30)


def accusation(org, accused="land", **kw):
    return register(
        org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_unit=org.units[accused], accused_name="某某", **kw
    )


def test_forward_to_the_accused_unit_is_refused(org):
    p = accusation(org)
    message = refused(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.land)
    assert "不得转给被检举控告的单位" in message


def test_assign_to_the_accused_unit_is_refused(org):
    p = accusation(org, accused="town_a")
    message = refused(org, "assign", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.town_a)
    assert "不得转给被检举控告的单位" in message
    p = act(org, "assign", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.town_b)
    assert p.owner_unit_id == org.town_b.pk


def test_forward_an_accusation_to_discipline_inspection(org):
    p = accusation(org)
    p = act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.discipline)
    assert p.owner_unit_id == org.discipline.pk


def test_review_cannot_go_up_to_the_accused_unit(org):
    p = accusation(org, accused="county_gov")
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.hrss)
    act(org, "accept", p, handler(org, "hrss"), at(2026, 3, 4))
    act(org, "decide", p, handler(org, "hrss"), at(2026, 3, 10))
    message = refused(org, "request_review", p, org.u_clerk, at(2026, 3, 11))
    assert "被检举控告的单位" in message


def test_the_accused_unit_cannot_register_an_accusation_against_itself(org):
    with pytest.raises(WorkflowError, match="上级机关或纪检监察机关登记"):
        register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_unit=org.bureau)


def test_only_accusations_name_an_accused(org):
    with pytest.raises(WorkflowError, match="只有检举控告类"):
        register(org, on=at(2026, 3, 2), kind=Kind.SUGGESTION, accused_unit=org.land)


def test_the_accused_official_cannot_act_on_the_accusation(org):
    accused = handler(org, "hrss")
    p = register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_user=accused, accused_name="人社局经办人")
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.discipline)
    message = refused(org, "accept", p, accused, at(2026, 3, 4))
    assert "被检举控告" in message
    assert actions_for(accused, p) == []


def test_an_accusation_against_an_official_never_goes_to_the_officials_unit(org):
    accused = handler(org, "hrss")
    p = register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_user=accused, accused_name="人社局经办人")
    assert p.accused_unit_id == org.hrss.pk  # recorded as accused with the official
    message = refused(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.hrss)
    assert "不得转给被检举控告的单位" in message
    assert not petition_list_for(head(org, "hrss")).filter(pk=p.pk).exists()


# ---------------------------------------------------------------- routing guards


def test_redirect_only_for_claims(org):
    for kind in (Kind.SUGGESTION, Kind.ACCUSATION):
        p = register(org, on=at(2026, 3, 2), kind=kind)
        assert "只有申诉求决类" in refused(org, "redirect", p, org.u_bureau_staff, at(2026, 3, 3))
    p = register(org, on=at(2026, 3, 2), kind=Kind.CLAIM)
    assert "法定途径" in refused(org, "redirect", p, org.u_bureau_staff, at(2026, 3, 3), channel="petition")
    p = act(org, "redirect", p, org.u_bureau_staff, at(2026, 3, 3), channel="arbitration")
    assert (p.state, p.redirect_channel) == (State.REDIRECTED, "arbitration")
    assert not Deadline.objects.filter(petition=p, is_open=True).exists()


@pytest.mark.parametrize("reason", ["", "不想办", "other"])
def test_decline_needs_a_legal_reason(org, reason):
    p = register(org, on=at(2026, 3, 2))
    assert "法定理由" in refused(org, "decline", p, org.u_bureau_staff, at(2026, 3, 3), reason=reason)


def test_decline_with_a_legal_reason(org):
    p = register(org, on=at(2026, 3, 2))
    p = act(org, "decline", p, org.u_bureau_staff, at(2026, 3, 3), reason="legal_channel")
    assert (p.state, p.decline_reason) == (State.DECLINED, "legal_channel")
    assert p.events.last().data["reason"] == "legal_channel"


def test_after_reexamination_a_related_petition_is_not_accepted_again(org):
    done, day = path_to(org, State.REEXAMINED)
    again = register(org, on=at(2026, 5, 4), related=[done])
    message = refused(org, "accept", again, handler(org, "bureau"), at(2026, 5, 5))
    assert "不再受理" in message and "复核终结" in message
    assert "不再受理" in refused(org, "forward", again, org.u_bureau_staff, at(2026, 5, 5))
    assert "不再受理" in refused(org, "assign", again, org.u_bureau_staff, at(2026, 5, 5))
    again = act(org, "decline", again, org.u_bureau_staff, at(2026, 5, 5), reason="reexamined")
    assert again.state == State.DECLINED


def test_a_related_petition_after_only_a_review_may_be_accepted(org):
    reviewed, day = path_to(org, State.REVIEWED)
    again = register(org, on=at(2026, 5, 4), related=[reviewed])
    assert act(org, "accept", again, handler(org, "bureau"), at(2026, 5, 5)).state == State.ACCEPTED


def test_assign_only_within_the_owners_region_subtree(org):
    p = register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk)
    message = refused(org, "assign", p, handler(org, "town_a"), at(2026, 3, 3), to_unit=org.town_b)
    assert "辖区内" in message and "转送" in message
    refused(org, "assign", p, handler(org, "town_a"), at(2026, 3, 3), to_unit=org.hrss)  # county level: above
    p = act(org, "assign", p, handler(org, "town_a"), at(2026, 3, 3), to_unit=org.village_a)
    assert p.owner_unit_id == org.village_a.pk


def test_county_bureau_assigns_to_its_townships_but_not_to_the_next_county(org):
    p = register(org, on=at(2026, 3, 2))
    refused(org, "assign", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.other_gov)
    refused(org, "assign", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.city_gov)
    assert act(org, "assign", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.village_b).state == State.ASSIGNED


def test_forward_may_go_anywhere_but_to_itself_or_an_inactive_unit(org):
    p = register(org, on=at(2026, 3, 2))
    assert "本单位" in refused(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.bureau)
    org.land.is_active = False
    org.land.save()
    assert "停用" in refused(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.land)
    assert (
        act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.other_gov).owner_unit_id
        == org.other_gov.pk
    )


@pytest.mark.parametrize("days", [0, 76])
def test_assignment_report_days_are_bounded(org, days):
    p = register(org, on=at(2026, 3, 2))
    assert "报告办理结果的期限" in refused(org, "assign", p, org.u_bureau_staff, at(2026, 3, 3), report_days=days)


def test_return_goes_back_to_the_unit_that_routed_it(org):
    p = register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk)  # registered by 青石镇
    act(org, "forward", p, handler(org, "town_a"), at(2026, 3, 3), to_unit=org.land)
    p = act(org, "return", p, handler(org, "land"), at(2026, 3, 4))
    assert (p.state, p.owner_unit_id, p.routed_by_unit_id) == (State.REGISTERED, org.town_a.pk, None)
    intake = Deadline.objects.get(petition=p, kind=K.INTAKE, is_open=True)
    assert (intake.unit_id, intake.start_on) == (org.town_a.pk, D(2026, 3, 4))
    assert not Deadline.objects.filter(petition=p, is_open=True, kind__in=[K.ACCEPTANCE, K.OBJECTION]).exists()


def test_return_of_an_assignment_goes_back_to_the_assigning_unit(org):
    p = register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk)
    act(org, "forward", p, handler(org, "town_a"), at(2026, 3, 3), to_unit=org.bureau)
    p = act(org, "return", p, handler(org, "bureau"), at(2026, 3, 4))
    assert p.owner_unit_id == org.town_a.pk
    p = act(org, "assign", p, handler(org, "town_a"), at(2026, 3, 5), to_unit=org.village_a)
    assert p.routed_by_unit_id == org.town_a.pk
    p = act(org, "return", p, handler(org, "village_a"), at(2026, 3, 6))
    assert p.owner_unit_id == org.town_a.pk
    assert not Deadline.objects.filter(petition=p, is_open=True, kind=K.ASSIGNMENT_REPORT).exists()


def test_return_needs_a_reason(org):
    p = register(org, on=at(2026, 3, 2))
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3))
    assert "理由" in refused(org, "return", p, handler(org, "hrss"), at(2026, 3, 4), reason=" ")


# ---------------------------------------------------------------- closing


def test_close_refused_while_the_review_window_is_open(org):
    p, day = path_to(org, State.DECIDED)  # decided 2026-03-12, window to 2026-04-11 (Sat) → 04-13
    message = refused(org, "close", p, handler(org, "hrss"), at(2026, 4, 13), waived=False)
    assert "前申请复查" in message and "不能结案" in message


def test_close_when_the_petitioner_waives_review(org):
    p, day = path_to(org, State.DECIDED)
    p = act(org, "close", p, handler(org, "hrss"), at_date(day), waived=True)
    assert p.state == State.CLOSED
    assert p.events.last().data == {"waived": True}
    assert not Deadline.objects.filter(petition=p, is_open=True).exists()


def test_close_after_the_review_window_has_passed(org):
    p, day = path_to(org, State.DECIDED)
    window = Deadline.objects.get(petition=p, kind=K.REVIEW_REQUEST, is_open=True)
    p = act(org, "close", p, handler(org, "hrss"), at_date(window.due_on + dt.timedelta(days=1)), waived=False)
    assert p.state == State.CLOSED


def test_close_refused_while_the_reexamination_window_is_open(org):
    p, day = path_to(org, State.REVIEWED)
    assert "前申请复核" in refused(org, "close", p, handler(org, "county_gov"), at_date(day), waived=False)
    assert act(org, "close", p, handler(org, "county_gov"), at_date(day), waived=True).state == State.CLOSED


def test_close_after_reexamination_needs_no_waiver(org):
    p, day = path_to(org, State.REEXAMINED)
    assert act(org, "close", p, handler(org, "city_gov"), at_date(day), waived=False).state == State.CLOSED


def test_bureau_staff_of_the_region_may_close_another_units_petition(org):
    p, day = path_to(org, State.DECIDED)
    assert p.owner_unit_id == org.hrss.pk
    p = act(org, "close", p, org.u_bureau_staff, at_date(day), waived=True)
    assert p.state == State.CLOSED


def test_bureau_staff_of_another_county_may_not_close(org):
    p, day = path_to(org, State.DECIDED)
    assert "无权查看" in refused(org, "close", p, org.u_other_bureau_staff, at_date(day), waived=True)


def test_a_handler_who_sees_but_does_not_own_may_not_close(org):
    p, day = path_to(org, State.DECIDED)  # registered by the county bureau, owned by 县人社局
    bureau_handler = handler(org, "bureau")
    assert selectors.petition_is_visible(bureau_handler, p)
    assert "负责办理" in refused(org, "close", p, bureau_handler, at_date(day), waived=True)


def test_a_clerk_may_not_close(org):
    p, day = path_to(org, State.DECIDED)
    assert "角色" in refused(org, "close", p, org.u_clerk, at_date(day))


# ---------------------------------------------------------------- data guards of the decisions


@pytest.mark.parametrize(
    "field,value,words",
    [
        ("outcome", "maybe", "处理结果"),
        ("measure", "x", "三到位一处理"),
        ("text", "  ", "意见书正文"),
    ],
)
def test_decision_needs_outcome_measure_and_text(org, field, value, words):
    p, day = path_to(org, State.ACCEPTED)
    assert words in refused(org, "decide", p, handler(org, "hrss"), at_date(day), **{field: value})


def test_evaluate_needs_a_valid_satisfaction(org):
    p, day = path_to(org, State.DECIDED)
    assert "满意度" in refused(org, "evaluate", p, org.u_clerk, at_date(day), satisfaction="great")


def test_hearing_cannot_start_twice_or_end_without_start(org):
    p, day = path_to(org, State.REEXAMINATION_REQUESTED)
    city = handler(org, "city_gov")
    assert "没有正在进行的听证" in refused(org, "hearing_end", p, city, at_date(day))
    act(org, "hearing_start", p, city, at_date(day))
    assert "尚未结束" in refused(org, "hearing_start", p, city, at_date(day))


def test_terminal_states_have_no_actions(org):
    for state in TERMINAL:
        assert not [a for a, t in TABLE.items() if state in t.sources]


def test_every_action_has_its_service_and_the_table_is_closed():
    from xinfang.petitions.services import ACTIONS

    assert set(ACTIONS) == set(TABLE)
    for t in TABLE.values():
        assert t.sources <= set(State.values)
        assert t.target is None or t.target in State.values


def test_default_kwargs_cover_every_action(org):
    p = register(org, on=at(2026, 3, 2))
    for action in TABLE:
        assert isinstance(default_kwargs(org, action, p), dict)
