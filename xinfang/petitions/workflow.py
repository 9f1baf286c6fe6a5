"""The legal lifecycle of a petition as one transition table.

Each row: the action, the states it may start from, the state it leads to (None: unchanged), the
roles that may take it, whether the actor must belong to the owning unit, and the deadlines it
meets (closes) and opens. Guards that depend on the action's data live with the service that
carries the action out (services.py); nothing else changes a petition's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from xinfang.org.models import Role
from xinfang.org.roles import (
    ROLES_WHO_CLOSE,
    ROLES_WHO_EXTEND,
    ROLES_WHO_HANDLE,
    ROLES_WHO_HANDLE_ACCUSATIONS,
    ROLES_WHO_REGISTER,
    ROLES_WHO_ROUTE,
)
from xinfang.petitions.models import DeadlineKind as D
from xinfang.petitions.models import Kind
from xinfang.petitions.models import State as S

if TYPE_CHECKING:
    from xinfang.org.models import User
    from xinfang.petitions.models import Petition

INTAKE_STATES = frozenset({S.REGISTERED, S.FORWARDED, S.ASSIGNED})
ROUTING = (D.INTAKE, D.ACCEPTANCE, D.OBJECTION, D.ASSIGNMENT_REPORT)
# what may be done with an accusation before its accused are confirmed (else they might be routed to)
BEFORE_CONFIRMATION = frozenset({"confirm_accused", "decline"})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    owner_only: bool = True
    closes: tuple[str, ...] = ()
    opens: tuple[str, ...] = ()


TABLE: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "confirm_accused", "确认被检举控告对象", frozenset({S.REGISTERED}), None, ROLES_WHO_HANDLE_ACCUSATIONS
        ),
        Transition(
            "accept",
            "受理",
            INTAKE_STATES,
            S.ACCEPTED,
            ROLES_WHO_ROUTE,
            closes=(D.INTAKE, D.ACCEPTANCE, D.OBJECTION),
            opens=(D.HANDLING,),
        ),
        Transition("decline", "不予受理", INTAKE_STATES, S.DECLINED, ROLES_WHO_ROUTE, closes=ROUTING),
        Transition(
            "forward",
            "转送",
            frozenset({S.REGISTERED}),
            S.FORWARDED,
            ROLES_WHO_ROUTE,
            closes=(D.INTAKE,),
            opens=(D.ACCEPTANCE, D.OBJECTION),
        ),
        Transition(
            "assign",
            "交办",
            frozenset({S.REGISTERED}),
            S.ASSIGNED,
            ROLES_WHO_ROUTE,
            closes=(D.INTAKE,),
            opens=(D.ACCEPTANCE, D.OBJECTION, D.ASSIGNMENT_REPORT),
        ),
        Transition("redirect", "导入法定途径", INTAKE_STATES, S.REDIRECTED, ROLES_WHO_ROUTE, closes=ROUTING),
        Transition(
            "return",
            "退回",
            frozenset({S.FORWARDED, S.ASSIGNED}),
            S.REGISTERED,
            ROLES_WHO_HANDLE,
            closes=(D.ACCEPTANCE, D.OBJECTION, D.ASSIGNMENT_REPORT),
            opens=(D.INTAKE,),
        ),
        Transition("extend", "延期", frozenset({S.ACCEPTED}), None, ROLES_WHO_EXTEND),
        Transition(
            "record_step",
            "记录办理情况",
            frozenset({S.ACCEPTED, S.REVIEW_REQUESTED, S.REEXAMINATION_REQUESTED}),
            None,
            ROLES_WHO_HANDLE,
        ),
        Transition(
            "decide",
            "出具处理意见",
            frozenset({S.ACCEPTED}),
            S.DECIDED,
            ROLES_WHO_HANDLE,
            closes=(D.HANDLING, D.ASSIGNMENT_REPORT),
            opens=(D.REVIEW_REQUEST,),
        ),
        Transition(
            "evaluate",
            "记录满意度评价",
            frozenset({S.DECIDED, S.REVIEWED, S.REEXAMINED}),
            None,
            ROLES_WHO_REGISTER,
            owner_only=False,
        ),
        Transition(
            "request_review",
            "申请复查",
            frozenset({S.DECIDED, S.EVALUATED}),
            S.REVIEW_REQUESTED,
            ROLES_WHO_REGISTER,
            owner_only=False,
            closes=(D.REVIEW_REQUEST,),
            opens=(D.REVIEW_ANSWER,),
        ),
        Transition(
            "review_decide",
            "出具复查意见",
            frozenset({S.REVIEW_REQUESTED}),
            S.REVIEWED,
            ROLES_WHO_HANDLE,
            closes=(D.REVIEW_ANSWER,),
            opens=(D.REEXAMINATION_REQUEST,),
        ),
        Transition(
            "request_reexamination",
            "申请复核",
            frozenset({S.REVIEWED}),
            S.REEXAMINATION_REQUESTED,
            ROLES_WHO_REGISTER,
            owner_only=False,
            closes=(D.REEXAMINATION_REQUEST,),
            opens=(D.REEXAMINATION_ANSWER,),
        ),
        Transition(
            "hearing_start", "举行听证（中止计时）", frozenset({S.REEXAMINATION_REQUESTED}), None, ROLES_WHO_HANDLE
        ),
        Transition(
            "hearing_end", "听证结束（恢复计时）", frozenset({S.REEXAMINATION_REQUESTED}), None, ROLES_WHO_HANDLE
        ),
        Transition(
            "reexamine_decide",
            "出具复核意见",
            frozenset({S.REEXAMINATION_REQUESTED}),
            S.REEXAMINED,
            ROLES_WHO_HANDLE,
            closes=(D.REEXAMINATION_ANSWER,),
        ),
        Transition(
            "close",
            "结案",
            frozenset({S.DECIDED, S.EVALUATED, S.REVIEWED, S.REEXAMINED}),
            S.CLOSED,
            ROLES_WHO_CLOSE,
            closes=(D.REVIEW_REQUEST, D.REEXAMINATION_REQUEST),
        ),
    )
}

# Evaluating a first decision moves it on to "evaluated"; later evaluations leave the state as it is.
EVALUATE_TARGET = {S.DECIDED: S.EVALUATED}

TERMINAL = frozenset({S.DECLINED, S.REDIRECTED, S.CLOSED})
OPEN_STATES = frozenset(s for s in S.values if s not in TERMINAL)


def actions_from(state: str) -> list[Transition]:
    return [t for t in TABLE.values() if state in t.sources]


def refusal(t: Transition, petition: Petition, actor: User | None, *, visible: bool | None = None) -> str | None:
    """Why `actor` may not take `t` on `petition` now (state, role, unit), in plain Chinese; None if they may.

    The one "may act" rule: services refuse with this message, pages offer exactly the actions it allows.
    Guards on the action's own data (reasons, dates, windows) stay with the service. `visible`: whether
    the actor may see the petition, if the caller already knows (else it is asked when it matters).
    """
    if petition.state not in t.sources:
        return f"该事项当前状态为“{S(petition.state).label}”，不能{t.label}。"
    if actor is None:
        return f"{t.label}需要由工作人员办理。"
    if actor.role not in t.roles:
        return f"您的角色（{actor.get_role_display()}）不能{t.label}。"
    if petition.kind == Kind.ACCUSATION and petition.accused_user_id == actor.pk:
        return f"您是该事项的被检举控告人，应当回避，不能{t.label}（《信访工作条例》第二十八条、第三十条）。"
    # docs/workflow.md: bureau staff may also close a petition they can see that another unit handled
    by_bureau = t.action == "close" and actor.role == Role.BUREAU_STAFF
    if t.owner_only and actor.unit_id != petition.owner_unit_id and not by_bureau:
        return f"该事项由{petition.owner_unit.name}负责办理，您所在单位不能{t.label}。"
    if not t.owner_only or by_bureau:
        if visible is None:
            from xinfang.petitions.selectors import petition_is_visible

            visible = petition_is_visible(actor, petition)
        if not visible:
            return f"您无权查看该事项，不能{t.label}。"
    return _accusation_refusal(t, petition)


def _accusation_refusal(t: Transition, petition: Petition) -> str | None:
    """Art. 30: an accusation received online is routed only once its accused are confirmed."""
    unconfirmed = petition.kind == Kind.ACCUSATION and not petition.accused_confirmed
    if t.action == "confirm_accused":
        if petition.kind != Kind.ACCUSATION:
            return "只有检举控告类事项需要确认被检举控告对象。"
        if not unconfirmed:
            return "该事项的被检举控告对象已经确认。"
    elif unconfirmed and t.action not in BEFORE_CONFIRMATION:
        return (
            f"请先确认被检举控告的单位或个人，再{t.label}"
            "（《信访工作条例》第三十条：不得将检举控告材料转给被检举控告的对象）。"
        )
    return None


def actions_for(user: User, petition: Petition, *, visible: bool | None = None) -> list[Transition]:
    """The actions `user` may take on `petition` now, in table order (what a petition page offers)."""
    return [t for t in actions_from(petition.state) if refusal(t, petition, user, visible=visible) is None]
