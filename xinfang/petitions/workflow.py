"""The legal lifecycle of a petition as one transition table.

Each row: the action, the states it may start from, the state it leads to (None: unchanged), the
roles that may take it, whether the actor must belong to the owning unit, and the deadlines it
meets (closes) and opens. Guards that depend on the action's data live with the service that
carries the action out (services.py); nothing else changes a petition's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

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
from xinfang.petitions.selectors import petition_is_visible

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
    label: str  # lazy: the button text in the active language (zh-hans: today's Chinese)
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
            "confirm_accused",
            pgettext_lazy("action", "Confirm the accused"),
            frozenset({S.REGISTERED}),
            None,
            ROLES_WHO_HANDLE_ACCUSATIONS,
        ),
        Transition(
            "accept",
            pgettext_lazy("action", "Accept"),
            INTAKE_STATES,
            S.ACCEPTED,
            ROLES_WHO_ROUTE,
            closes=(D.INTAKE, D.ACCEPTANCE, D.OBJECTION),
            opens=(D.HANDLING,),
        ),
        Transition(
            "decline", pgettext_lazy("action", "Decline"), INTAKE_STATES, S.DECLINED, ROLES_WHO_ROUTE, closes=ROUTING
        ),
        Transition(
            "forward",
            pgettext_lazy("action", "Forward"),
            frozenset({S.REGISTERED}),
            S.FORWARDED,
            ROLES_WHO_ROUTE,
            closes=(D.INTAKE,),
            opens=(D.ACCEPTANCE, D.OBJECTION),
        ),
        Transition(
            "assign",
            pgettext_lazy("action", "Assign"),
            frozenset({S.REGISTERED}),
            S.ASSIGNED,
            ROLES_WHO_ROUTE,
            closes=(D.INTAKE,),
            opens=(D.ACCEPTANCE, D.OBJECTION, D.ASSIGNMENT_REPORT),
        ),
        Transition(
            "redirect",
            pgettext_lazy("action", "Redirect to legal channels"),
            INTAKE_STATES,
            S.REDIRECTED,
            ROLES_WHO_ROUTE,
            closes=ROUTING,
        ),
        Transition(
            "return",
            pgettext_lazy("action", "Return"),
            frozenset({S.FORWARDED, S.ASSIGNED}),
            S.REGISTERED,
            ROLES_WHO_HANDLE,
            closes=(D.ACCEPTANCE, D.OBJECTION, D.ASSIGNMENT_REPORT),
            opens=(D.INTAKE,),
        ),
        Transition(
            "extend",
            pgettext_lazy("action", "Extend the handling period"),
            frozenset({S.ACCEPTED}),
            None,
            ROLES_WHO_EXTEND,
        ),
        Transition(
            "record_step",
            pgettext_lazy("action", "Record a handling step"),
            frozenset({S.ACCEPTED, S.REVIEW_REQUESTED, S.REEXAMINATION_REQUESTED}),
            None,
            ROLES_WHO_HANDLE,
        ),
        Transition(
            "decide",
            pgettext_lazy("action", "Issue the handling opinion"),
            frozenset({S.ACCEPTED}),
            S.DECIDED,
            ROLES_WHO_HANDLE,
            closes=(D.HANDLING, D.ASSIGNMENT_REPORT),
            opens=(D.REVIEW_REQUEST,),
        ),
        Transition(
            "evaluate",
            pgettext_lazy("action", "Record the satisfaction rating"),
            frozenset({S.DECIDED, S.REVIEWED, S.REEXAMINED}),
            None,
            ROLES_WHO_REGISTER,
            owner_only=False,
        ),
        Transition(
            "request_review",
            pgettext_lazy("action", "Request a review"),
            frozenset({S.DECIDED, S.EVALUATED}),
            S.REVIEW_REQUESTED,
            ROLES_WHO_REGISTER,
            owner_only=False,
            closes=(D.REVIEW_REQUEST,),
            opens=(D.REVIEW_ANSWER,),
        ),
        Transition(
            "review_decide",
            pgettext_lazy("action", "Issue the review opinion"),
            frozenset({S.REVIEW_REQUESTED}),
            S.REVIEWED,
            ROLES_WHO_HANDLE,
            closes=(D.REVIEW_ANSWER,),
            opens=(D.REEXAMINATION_REQUEST,),
        ),
        Transition(
            "request_reexamination",
            pgettext_lazy("action", "Request a reexamination"),
            frozenset({S.REVIEWED}),
            S.REEXAMINATION_REQUESTED,
            ROLES_WHO_REGISTER,
            owner_only=False,
            closes=(D.REEXAMINATION_REQUEST,),
            opens=(D.REEXAMINATION_ANSWER,),
        ),
        Transition(
            "hearing_start",
            pgettext_lazy("action", "Start a hearing (the clock stops)"),
            frozenset({S.REEXAMINATION_REQUESTED}),
            None,
            ROLES_WHO_HANDLE,
        ),
        Transition(
            "hearing_end",
            pgettext_lazy("action", "End the hearing (the clock runs again)"),
            frozenset({S.REEXAMINATION_REQUESTED}),
            None,
            ROLES_WHO_HANDLE,
        ),
        Transition(
            "reexamine_decide",
            pgettext_lazy("action", "Issue the reexamination opinion"),
            frozenset({S.REEXAMINATION_REQUESTED}),
            S.REEXAMINED,
            ROLES_WHO_HANDLE,
            closes=(D.REEXAMINATION_ANSWER,),
        ),
        Transition(
            "close",
            pgettext_lazy("action", "Close"),
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
    """Why `actor` may not take `t` on `petition` now (state, role, unit), in the active language; None if they may.

    The one "may act" rule: services refuse with this message, pages offer exactly the actions it allows.
    Guards on the action's own data (reasons, dates, windows) stay with the service. `visible`: whether
    the actor may see the petition, if the caller already knows (else it is asked when it matters).
    """
    if petition.state not in t.sources:
        return _("The petition is now “%(state)s”: “%(action)s” is not possible.") % {
            "state": S(petition.state).label,
            "action": t.label,
        }
    if actor is None:
        return _("Only staff can take the action “%(action)s”.") % {"action": t.label}
    if actor.role not in t.roles:
        return _("Your role (%(role)s) cannot take the action “%(action)s”.") % {
            "role": actor.get_role_display(),
            "action": t.label,
        }
    if petition.kind == Kind.ACCUSATION and petition.accused_user_id == actor.pk:
        return _(
            "You are the person this accusation accuses and must stand aside: you cannot take the action "
            "“%(action)s” (Regulations on Petition Work, art. 28 and 30)."
        ) % {"action": t.label}
    # docs/workflow.md: bureau staff may also close a petition they can see that another unit handled
    by_bureau = t.action == "close" and actor.role == Role.BUREAU_STAFF
    if t.owner_only and actor.unit_id != petition.owner_unit_id and not by_bureau:
        return _("%(unit)s is handling this petition: your unit cannot take the action “%(action)s”.") % {
            "unit": petition.owner_unit.name,
            "action": t.label,
        }
    if not t.owner_only or by_bureau:
        if visible is None:
            visible = petition_is_visible(actor, petition)
        if not visible:
            return _("You may not see this petition, so you cannot take the action “%(action)s”.") % {"action": t.label}
    return _accusation_refusal(t, petition)


def _accusation_refusal(t: Transition, petition: Petition) -> str | None:
    """Art. 30: an accusation received online is routed only once its accused are confirmed."""
    unconfirmed = petition.kind == Kind.ACCUSATION and not petition.accused_confirmed
    if t.action == "confirm_accused":
        if petition.kind != Kind.ACCUSATION:
            return _("Only an accusation has accused to confirm.")
        if not unconfirmed:
            return _("The accused of this petition are confirmed already.")
    elif unconfirmed and t.action not in BEFORE_CONFIRMATION:
        return _(
            "First confirm the unit or person accused, then take the action “%(action)s” (Regulations on "
            "Petition Work, art. 30: accusation material is never passed to those it accuses)."
        ) % {"action": t.label}
    return None


def actions_for(user: User, petition: Petition, *, visible: bool | None = None) -> list[Transition]:
    """The actions `user` may take on `petition` now, in table order (what a petition page offers)."""
    return [t for t in actions_from(petition.state) if refusal(t, petition, user, visible=visible) is None]
