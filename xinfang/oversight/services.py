"""Writes of supervision (督查督办); recommendations (督查建议) are in recommendations.py, follow-ups (回访)
in follow_ups.py.

A supervision is of a petition (its owning unit answers) or of a whole unit. Steps: opened (by a
supervisor or leader, by an automatic rule, or by a follow-up that found a fake resolution) → answered by
the supervised unit → accepted, or sent back for a new answer; a supervisor may also end it. Every step
is a SupervisionStep row and, for a petition, one event in its hash-chained log written in the same
transaction (the petition's state never changes). Refusals are `WorkflowError`s in plain Chinese.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from xinfang.org.models import Unit, User
from xinfang.org.roles import (
    ROLES_WHO_ANSWER_SUPERVISION,
    ROLES_WHO_SUPERVISE,
)
from xinfang.org.scope import scope_for
from xinfang.oversight.models import (
    Supervision,
    SupervisionMode,
    SupervisionRule,
    SupervisionState,
    SupervisionStep,
)
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.eventlog import build_event
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import petition_is_visible
from xinfang.petitions.services import actor_label
from xinfang.petitions.workflow import TERMINAL

# ---------------------------------------------------------------- helpers


def _log(
    p: Petition, *, action: str, actor: User | None, at: dt.datetime, data: dict[str, Any], label: str = ""
) -> None:
    """Append one event to the locked petition `p` (its state does not change)."""
    event = build_event(
        p,
        action=action,
        actor_id=actor.pk if actor else None,
        actor_label=label or actor_label(actor),
        at=at,
        from_state=p.state,
        to_state=p.state,
        data=data,
    )
    p.save(update_fields=["log_seq", "log_head", "updated_at"])
    event.save()


def _refuse(message: str | None) -> None:
    """Raise the refusal, if there is one."""
    if message:
        raise WorkflowError(message)


def _step(s: Supervision, action: str, *, actor: User | None, at: dt.datetime, text: str = "", label: str = "") -> None:
    SupervisionStep.objects.create(
        supervision=s, action=action, at=at, actor=actor, actor_label=label or actor_label(actor), text=text
    )


def _locked(s: Supervision) -> tuple[Supervision, Petition | None]:
    """The supervision and its petition, locked (petition first, as every petition write does)."""
    p = None
    if s.petition_id:
        p = Petition.objects.select_for_update().select_related("owner_unit").get(pk=s.petition_id)
    locked = Supervision.objects.select_for_update().select_related("unit", "unit__region").get(pk=s.pk)
    locked.petition = p
    return locked, p


def _check_due(day: dt.date, at: dt.datetime) -> None:
    today = timezone.localdate(at)
    if day < today:
        raise WorkflowError(
            _("The answer date cannot be before today (%(date)s).") % {"date": formats.date_format(today)}
        )


def _check_mode(mode: str) -> None:
    if mode not in SupervisionMode.values:
        raise WorkflowError(_("Choose the mode of supervision (online, on site, joint or escalated)."))


def _subject_visible(s: Supervision, actor: User) -> bool:
    return petition_is_visible(actor, s.petition) if s.petition_id else scope_for(actor).reaches_unit(s.unit)


# ---------------------------------------------------------------- refusals (also used to offer the forms)


def cannot_supervise(actor: User) -> str:
    """The refusal of supervision to a role that does not supervise."""
    return _("Your role (%(role)s) cannot supervise.") % {"role": actor.get_role_display()}


def supervise_refusal(petition: Petition, actor: User, *, visible: bool | None = None) -> str | None:
    """Why `actor` may not put `petition` under supervision now; None if they may. `visible`: whether
    the actor may see the petition, if the caller already knows."""
    if actor.role not in ROLES_WHO_SUPERVISE:
        return cannot_supervise(actor)
    if petition.state in TERMINAL:
        return _("This petition is concluded: it cannot be supervised.")
    if not (petition_is_visible(actor, petition) if visible is None else visible):
        return _("You may not see this petition, so you cannot supervise it.")
    return None


def unit_supervise_refusal(unit: Unit, actor: User) -> str | None:
    """Why `actor` may not put the whole `unit` under supervision; None if they may."""
    if actor.role not in ROLES_WHO_SUPERVISE:
        return cannot_supervise(actor)
    if unit.pk == actor.unit_id:
        return _("You cannot supervise your own unit.")
    if not unit.is_active:
        return _("%(unit)s is no longer active: it cannot be supervised.") % {"unit": unit.name}
    if not scope_for(actor).reaches_unit(unit):
        return _not_in_reach(unit)
    return None


def _not_in_reach(unit: Unit) -> str:
    return _("%(unit)s is not within your unit’s reach of supervision.") % {"unit": unit.name}


def _supervision_ended() -> str:
    return _("This supervision has ended.")


def answer_refusal(supervision: Supervision, petition: Petition | None, actor: User) -> str | None:
    if not supervision.is_open:
        return _supervision_ended()
    unit = petition.owner_unit if petition is not None else supervision.unit
    if actor.role not in ROLES_WHO_ANSWER_SUPERVISION or actor.unit_id != unit.pk:
        return _("A handler or the head of %(unit)s answers this supervision.") % {"unit": unit.name}
    if supervision.state == SupervisionState.ANSWERED:
        return _("The answer to this supervision has been sent and waits for the supervising unit’s check.")
    return None


def check_refusal(supervision: Supervision, actor: User, *, visible: bool | None = None) -> str | None:
    """Why `actor` may not accept the answer or send it back; None if they may."""
    if not supervision.is_open:
        return _supervision_ended()
    if actor.role not in ROLES_WHO_SUPERVISE:
        return _("Your role (%(role)s) cannot check answers to supervision.") % {"role": actor.get_role_display()}
    if supervision.state != SupervisionState.ANSWERED:
        return _("The responsible unit has not answered yet: there is no answer to check.")
    if not (_subject_visible(supervision, actor) if visible is None else visible):
        return _("You may not see what this supervision is about.")
    return None


def end_refusal(supervision: Supervision, actor: User, *, visible: bool | None = None) -> str | None:
    if not supervision.is_open:
        return _supervision_ended()
    if actor.role not in ROLES_WHO_SUPERVISE:
        return _("Your role (%(role)s) cannot end a supervision.") % {"role": actor.get_role_display()}
    if not (_subject_visible(supervision, actor) if visible is None else visible):
        return _("You may not see this petition, so you cannot end its supervision.")
    return None


# ---------------------------------------------------------------- supervision


def _create(
    p: Petition | None,
    *,
    unit: Unit,
    actor: User | None,
    mode: str,
    reason: str,
    requirement: str,
    answer_due_on: dt.date,
    at: dt.datetime,
    rule: SupervisionRule | None = None,
    supervising_unit: Unit | None = None,
    label: str = "",
    extra: dict[str, Any] | None = None,
) -> Supervision:
    """A new supervision with its first step and, for a petition (locked by the caller), its event."""
    s = Supervision.objects.create(
        petition=p,
        unit=unit,
        mode=mode,
        reason=reason,
        requirement=requirement,
        answer_due_on=answer_due_on,
        opened_at=at,
        opened_by=actor,
        rule=rule,
        supervising_unit=supervising_unit or (actor.unit if actor else None),
    )
    _step(s, "open", actor=actor, at=at, text=reason, label=label)
    if p is not None:
        _log(
            p,
            action="supervise",
            actor=actor,
            at=at,
            label=label,
            data={
                "supervision": s.pk,
                "mode": mode,
                "unit": unit.pk,
                "answer_due_on": answer_due_on.isoformat(),
                "reason": reason,
            }
            | ({"rule": rule.pk} if rule else {})
            | (extra or {}),
        )
    return s


def supervision_open(
    petition: Petition,
    *,
    actor: User,
    mode: str,
    reason: str,
    requirement: str,
    answer_due_on: dt.date,
    at: dt.datetime | None = None,
) -> Supervision:
    """督办 of a petition: the owning unit must do what `requirement` says and answer by `answer_due_on`."""
    at = at or timezone.now()
    with transaction.atomic():
        p = Petition.objects.select_for_update().select_related("owner_unit").get(pk=petition.pk)
        _refuse(supervise_refusal(p, actor))
        _check_mode(mode)
        if not reason.strip() or not requirement.strip():
            raise WorkflowError(_("Write the reason for the supervision and what it requires."))
        _check_due(answer_due_on, at)
        if Supervision.objects.filter(petition=p, is_open=True).exists():
            raise WorkflowError(
                _("This petition is under supervision already: follow the open supervision up, or end it first.")
            )
        return _create(
            p,
            unit=p.owner_unit,
            actor=actor,
            mode=mode,
            reason=reason.strip(),
            requirement=requirement.strip(),
            answer_due_on=answer_due_on,
            at=at,
        )


def unit_supervision_open(
    unit: Unit,
    *,
    actor: User,
    mode: str,
    reason: str,
    requirement: str,
    answer_due_on: dt.date,
    at: dt.datetime | None = None,
) -> Supervision:
    """督办 of a whole unit (its petition work as a whole, e.g. many overdue matters): the unit answers."""
    at = at or timezone.now()
    _refuse(unit_supervise_refusal(unit, actor))
    _check_mode(mode)
    if not reason.strip() or not requirement.strip():
        raise WorkflowError(_("Write the reason for the supervision and what it requires."))
    _check_due(answer_due_on, at)
    with transaction.atomic():
        return _create(
            None,
            unit=unit,
            actor=actor,
            mode=mode,
            reason=reason.strip(),
            requirement=requirement.strip(),
            answer_due_on=answer_due_on,
            at=at,
        )


def supervision_auto_open(
    petition_id: int, *, rule: SupervisionRule, reason: str, supervising_unit: Unit | None, at: dt.datetime
) -> Supervision | None:
    """A rule puts a petition on the supervision list (called by xinfang.oversight.rules for each match).
    None, changing nothing, if the petition was concluded or put under supervision in the meantime."""
    with transaction.atomic():
        p = Petition.objects.select_for_update().select_related("owner_unit").get(pk=petition_id)
        if p.state in TERMINAL or Supervision.objects.filter(petition=p, is_open=True).exists():
            return None
        due = timezone.localdate(at) + dt.timedelta(days=rule.answer_days)
        return _create(
            p,
            unit=p.owner_unit,
            actor=None,
            mode=rule.mode,
            reason=reason,
            requirement=rule.requirement,
            answer_due_on=due,
            at=at,
            rule=rule,
            supervising_unit=supervising_unit or rule.unit,
            label=rule.actor_label,
        )


def supervision_answer(
    supervision: Supervision, *, actor: User, answer: str, at: dt.datetime | None = None
) -> Supervision:
    """The supervised unit answers (办理情况报告); the supervisor then accepts it or sends it back."""
    at = at or timezone.now()
    with transaction.atomic():
        s, p = _locked(supervision)
        _refuse(answer_refusal(s, p, actor))
        if not answer.strip():
            raise WorkflowError(_("Write the answer to the supervision."))
        s.answer, s.answered_at, s.answered_by = answer.strip(), at, actor
        s.state = SupervisionState.ANSWERED
        s.save(update_fields=["answer", "answered_at", "answered_by", "state"])
        late = timezone.localdate(at) > s.answer_due_on
        _step(s, "answer", actor=actor, at=at, text=s.answer)
        if p is not None:
            _log(
                p,
                action="supervision_answer",
                actor=actor,
                at=at,
                data={"supervision": s.pk, "note": s.answer, "late": late},
            )
    return s


def _close(
    s: Supervision, p: Petition | None, *, state: str, action: str, actor: User, note: str, at: dt.datetime
) -> None:
    s.is_open, s.state, s.closed_at, s.closed_by, s.closing_note = False, state, at, actor, note
    s.save(update_fields=["is_open", "state", "closed_at", "closed_by", "closing_note"])
    _step(s, action, actor=actor, at=at, text=note)
    if p is not None:
        _log(p, action=f"supervision_{action}", actor=actor, at=at, data={"supervision": s.pk, "note": note})


def supervision_accept(
    supervision: Supervision, *, actor: User, note: str = "", at: dt.datetime | None = None
) -> Supervision:
    """The supervisor accepts the unit's answer: the supervision ends (办结)."""
    at = at or timezone.now()
    with transaction.atomic():
        s, p = _locked(supervision)
        _refuse(check_refusal(s, actor))
        _close(s, p, state=SupervisionState.ACCEPTED, action="accept", actor=actor, note=note.strip(), at=at)
    return s


def supervision_return(
    supervision: Supervision,
    *,
    actor: User,
    note: str,
    answer_due_on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Supervision:
    """The supervisor sends the answer back (退回重报) with the reason, and may set a new answer date."""
    at = at or timezone.now()
    with transaction.atomic():
        s, p = _locked(supervision)
        _refuse(check_refusal(s, actor))
        if not note.strip():
            raise WorkflowError(_("Write why the answer is sent back."))
        if answer_due_on is not None:
            _check_due(answer_due_on, at)
            s.answer_due_on = answer_due_on
        s.state = SupervisionState.RETURNED
        s.save(update_fields=["state", "answer_due_on"])
        _step(s, "return", actor=actor, at=at, text=note.strip())
        if p is not None:
            _log(
                p,
                action="supervision_return",
                actor=actor,
                at=at,
                data={"supervision": s.pk, "note": note.strip(), "answer_due_on": s.answer_due_on.isoformat()},
            )
    return s


def supervision_end(
    supervision: Supervision, *, actor: User, note: str = "", at: dt.datetime | None = None
) -> Supervision:
    """A supervisor or leader ends the supervision: after an answer this accepts it; before one, the
    reason must be written (提前结束督办)."""
    at = at or timezone.now()
    with transaction.atomic():
        s, p = _locked(supervision)
        _refuse(end_refusal(s, actor))
        answered = s.state == SupervisionState.ANSWERED
        if not answered and not note.strip():
            raise WorkflowError(
                _("The responsible unit has not answered yet: ending the supervision early needs a reason.")
            )
        _close(
            s,
            p,
            state=SupervisionState.ACCEPTED if answered else SupervisionState.ENDED,
            action="end",
            actor=actor,
            note=note.strip(),
            at=at,
        )
    return s
