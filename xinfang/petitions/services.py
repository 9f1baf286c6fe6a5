"""Writes. Every change to a petition goes through `registration.petition_register` or `_apply`, which checks
the transition table, changes the petition and its deadlines, and appends the event, all in one
transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xinfang.org.models import Role, Unit, User
from xinfang.petitions import deadlines, rules
from xinfang.petitions.accusations import (
    _accusation_received_against,
    _accused_data,
    _check_not_accused,
    _co_handling_refusal,
)
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.eventlog import build_event, workflow_events_written
from xinfang.petitions.models import (
    CoHandling,
    Deadline,
    DeadlineKind,
    Decision,
    DecisionStage,
    Evaluation,
    Kind,
    Measure,
    Outcome,
    Petition,
    Satisfaction,
    State,
)
from xinfang.petitions.workflow import EVALUATE_TARGET, TABLE, Transition, refusal

QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read out on the phone
QUERY_CODE_LENGTH = 10


def _d(day: dt.date) -> str:
    """A date in a message, in the active language (zh-hans: 2026年5月1日, as calendar.format_date)."""
    return formats.date_format(day)


def query_code_new() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _i in range(QUERY_CODE_LENGTH))


def query_code_normalise(text: str) -> str:
    """What a person types or reads out (dashes, spaces, lower case) → the stored code."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def query_code_display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def actor_label(actor: User | None) -> str:
    if actor is None:
        return "信访人"
    return f"{actor.display_name or actor.username}（{actor.get_role_display()}）"


def _today(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


def _check_not_reexamined(petition: Petition) -> None:
    done = (
        Decision.objects.filter(petition__in=petition.related.all(), stage=DecisionStage.REEXAMINATION)
        .select_related("petition")
        .first()
    )
    if done:
        raise WorkflowError(
            _(
                "The same matter (query code %(code)s) was concluded by reexamination on %(date)s; it is not "
                "accepted again on the same facts and grounds (Regulations on Petition Work, art. 36). Conclude it "
                "as “Decline” and tell the petitioner in writing."
            )
            % {"code": query_code_display(done.petition.query_code), "date": _d(done.decided_on)}
        )


Effect = Callable[[Petition, dt.date, dict[str, Deadline]], dict[str, Any]]


def _apply(
    petition: Petition, action: str, actor: User | None, at: dt.datetime | None, effect: Effect | None = None
) -> Petition:
    """Carry out one row of the transition table; `effect` checks the action's own data, changes
    the petition, and returns what the event records. Returns the updated petition."""
    t: Transition = TABLE[action]
    at = at or timezone.now()
    with transaction.atomic():
        p = Petition.objects.select_for_update().select_related("owner_unit").get(pk=petition.pk)
        _check_allowed(t, p, actor)
        today = _today(at)
        open_deadlines = {d.kind: d for d in Deadline.objects.filter(petition=p, is_open=True)}
        from_state, owner_before = p.state, p.owner_unit_id
        data = effect(p, today, open_deadlines) if effect else {}
        target = t.target
        if action == "evaluate":
            target = EVALUATE_TARGET.get(p.state)
        for kind in t.closes:
            if kind in open_deadlines:
                deadlines.deadline_meet(open_deadlines[kind], today)
        new = [
            deadlines.deadline_new(
                p, kind, today, p.owner_unit if kind in UNIT_DEADLINES else None, days=data.pop(f"_{kind}_days", None)
            )
            for kind in t.opens
        ]
        if open_deadlines:
            Deadline.objects.bulk_update(
                open_deadlines.values(),
                [
                    "is_open",
                    "met_on",
                    "extension_days",
                    "extension_reason",
                    "paused_days",
                    "paused_since",
                    "due_on",
                    "unit",
                ],
            )
        if new:
            Deadline.objects.bulk_create(new)
            data["opened"] = {d.kind: d.due_on.isoformat() for d in new}
        if target:
            p.state = target
        still_open = [d for d in open_deadlines.values() if d.is_open] + new
        p.due_on = _queue_due(still_open)
        if p.owner_unit_id != owner_before:
            data["owner_unit"] = p.owner_unit_id
        event = build_event(
            p,
            action=action,
            actor_id=actor.pk if actor else None,
            actor_label=actor_label(actor),
            at=at,
            from_state=from_state,
            to_state=p.state,
            data=data,
        )
        p.save()
        event.save()
        workflow_events_written.send(Petition, petition=p, events=[event])
    return p


def _queue_due(open_deadlines: list[Deadline]) -> dt.date | None:
    """The date a work queue sorts by (deadlines.queue_due)."""
    return deadlines.queue_due((d.kind, d.due_on) for d in open_deadlines)


STATE_LABELS = dict(State.choices)
UNIT_DEADLINES = deadlines.UNIT_DEADLINES


# What petitioners do themselves, online (actor None: the public portal); all else needs staff.
PETITIONER_ACTIONS = frozenset({"evaluate", "request_review", "request_reexamination"})


def _check_allowed(t: Transition, p: Petition, actor: User | None) -> None:
    if actor is None and t.action in PETITIONER_ACTIONS and p.state in t.sources:
        return
    message = refusal(t, p, actor)
    if message:
        raise WorkflowError(message)


def _choice(value: str, options: dict[str, str] | type, what: str) -> str:
    allowed = options if isinstance(options, dict) else dict(options.choices)
    if value not in allowed:
        raise WorkflowError(_("Please choose %(what)s.") % {"what": what})
    return value


# ---------------------------------------------------------------- accusations received online (Art. 30)


def petition_confirm_accused(
    petition: Petition,
    *,
    actor: User,
    accused_unit: Unit | None = None,
    accused_user: User | None = None,
    accused_name: str = "",
    at: dt.datetime | None = None,
) -> Petition:
    """确认被检举控告对象: staff who handle accusations confirm or correct the unit and person that an
    accusation received online was read to accuse. From then on it is routed as any accusation, never to
    them; one that accuses the unit holding it goes on at once to discipline inspection or the unit above."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if accused_unit is None and accused_user is None:
            raise WorkflowError(_("Choose the accused unit or the accused staff member."))
        unit = accused_unit or accused_user.unit
        if unit is None:
            raise WorkflowError(_("Choose the accused unit."))
        proposed = p.accused_unit_id
        p.accused_unit, p.accused_user = unit, accused_user
        p.accused_name = accused_name.strip() or p.accused_name
        p.accused_confirmed = True
        accused = {unit.pk} | ({accused_user.unit_id} if accused_user and accused_user.unit_id else set())
        if CoHandling.objects.filter(petition=p, unit_id__in=accused).exists():
            raise WorkflowError(_co_handling_refusal())
        moved = None
        if p.owner_unit_id in accused:
            moved = _accusation_received_against(p.owner_unit, accused)
            p.routed_by_unit_id, p.owner_unit = p.owner_unit_id, moved
            for d in open_.values():
                d.unit = moved if d.unit_id is not None else None
        return _accused_data(p, proposed_unit=proposed)  # (_apply adds the new owner_unit when it moved)

    return _apply(petition, "confirm_accused", actor, at, effect)


# ---------------------------------------------------------------- routing (within 15 days)


def petition_accept(petition: Petition, *, actor: User, at: dt.datetime | None = None) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _check_not_reexamined(p)
        return {}

    return _apply(petition, "accept", actor, at, effect)


def petition_decline(
    petition: Petition, *, actor: User, reason: str, note: str = "", at: dt.datetime | None = None
) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        p.decline_reason = _choice(reason, rules.DECLINE_REASONS, _("the legal ground for declining"))
        return {"reason": reason, "note": note}

    return _apply(petition, "decline", actor, at, effect)


def _route_target_checks(p: Petition, to_unit: Unit, action: str) -> None:
    label = TABLE[action].label
    if to_unit.pk == p.owner_unit_id:
        raise WorkflowError(_("“%(action)s” to your own unit is not possible.") % {"action": label})
    if not to_unit.is_active:
        raise WorkflowError(
            _("%(unit)s is no longer active: “%(action)s” is not possible.") % {"unit": to_unit.name, "action": label}
        )
    _check_not_accused(p, to_unit)
    _check_not_reexamined(p)


def petition_forward(
    petition: Petition, *, actor: User, to_unit: Unit, note: str = "", at: dt.datetime | None = None
) -> Petition:
    """转送 to the competent body; it must say within 15 days whether it accepts."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _route_target_checks(p, to_unit, "forward")
        p.routed_by_unit_id, p.owner_unit = p.owner_unit_id, to_unit
        return {"to_unit": to_unit.pk, "note": note}

    return _apply(petition, "forward", actor, at, effect)


def petition_assign(
    petition: Petition, *, actor: User, to_unit: Unit, report_days: int, note: str = "", at: dt.datetime | None = None
) -> Petition:
    """交办 to a subordinate unit, with the number of days in which it must report the result."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _route_target_checks(p, to_unit, "assign")
        owner_region = p.owner_unit.region
        if not to_unit.region.prefix.startswith(owner_region.prefix):
            raise WorkflowError(
                _(
                    "An assignment goes only to a unit of the same level or below: %(unit)s is not within "
                    "%(region)s; use “Forward” instead."
                )
                % {"unit": to_unit.name, "region": owner_region.name}
            )
        limit = rules.period("acceptance").days + rules.period("handling").days
        if not 1 <= report_days <= limit:
            raise WorkflowError(_("The days to report the result must be 1 to %(limit)s.") % {"limit": limit})
        p.routed_by_unit_id, p.owner_unit = p.owner_unit_id, to_unit
        return {
            "to_unit": to_unit.pk,
            "report_days": report_days,
            "note": note,
            f"_{DeadlineKind.ASSIGNMENT_REPORT}_days": report_days,
        }

    return _apply(petition, "assign", actor, at, effect)


def petition_redirect(
    petition: Petition, *, actor: User, channel: str, note: str = "", at: dt.datetime | None = None
) -> Petition:
    """诉访分离: a claim that belongs to litigation, reconsideration or arbitration goes there."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if p.kind != Kind.CLAIM:
            raise WorkflowError(
                _(
                    "Only a claim can be redirected to litigation, arbitration, administrative reconsideration or another legal channel."
                )
            )
        p.redirect_channel = _choice(channel, rules.LEGAL_CHANNELS, _("the legal channel"))
        return {"channel": channel, "note": note}

    return _apply(petition, "redirect", actor, at, effect)


def petition_return(petition: Petition, *, actor: User, reason: str, at: dt.datetime | None = None) -> Petition:
    """退回: a unit that is not competent returns it, with reasons, within 5 working days."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if not reason.strip():
            raise WorkflowError(_("A return must give its reasons."))
        objection = open_.get(DeadlineKind.OBJECTION)
        if objection is None or today > objection.due_on:
            days = rules.period("objection").days
            if objection:
                message = _(
                    "The %(days)s working days to object have passed (they ended on %(date)s): the petition cannot "
                    "be returned; accept it and handle it as the law requires."
                ) % {"days": days, "date": _d(objection.due_on)}
            else:
                message = _(
                    "The %(days)s working days to object have passed: the petition cannot be returned; accept it "
                    "and handle it as the law requires."
                ) % {"days": days}
            raise WorkflowError(message)
        if p.routed_by_unit_id is None:
            raise WorkflowError(
                _("The unit that forwarded or assigned this petition is not known, so it cannot be returned.")
            )
        back = Unit.objects.get(pk=p.routed_by_unit_id)
        _check_not_accused(p, back)
        p.owner_unit = back
        p.routed_by_unit_id = None
        return {"reason": reason}

    return _apply(petition, "return", actor, at, effect)


# ---------------------------------------------------------------- handling (60 days, one extension)


def petition_extend(
    petition: Petition, *, actor: User, days: int, reason: str, at: dt.datetime | None = None
) -> Petition:
    """延期, approved by the unit head (the actor); the reason is told to the petitioner."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        handling = open_[DeadlineKind.HANDLING]
        maximum = rules.period("extension_max").days
        if handling.extension_days:
            raise WorkflowError(
                _("The handling period can be extended only once, and this petition has been extended already.")
            )
        if not 1 <= days <= maximum:
            raise WorkflowError(_("An extension cannot exceed %(days)s days.") % {"days": maximum})
        if not reason.strip():
            raise WorkflowError(_("An extension must give its reason, which is told to the petitioner."))
        if today > handling.due_on:
            raise WorkflowError(
                _("The handling period ended on %(date)s: an extension can no longer be approved.")
                % {"date": _d(handling.due_on)}
            )
        before = handling.due_on
        deadlines.deadline_extend(handling, days, reason)
        return {
            "days": days,
            "reason": reason,
            "approved_by": actor.pk if actor else None,
            "due_before": before.isoformat(),
            "due_after": handling.due_on.isoformat(),
        }

    return _apply(petition, "extend", actor, at, effect)


def petition_record_step(petition: Petition, *, actor: User, note: str, at: dt.datetime | None = None) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if not note.strip():
            raise WorkflowError(_("Describe the handling step."))
        return {"note": note}

    return _apply(petition, "record_step", actor, at, effect)


def _decision_effect(stage: str, outcome: str, measure: str, text: str, actor: User) -> Effect:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _choice(outcome, Outcome, _("the outcome (support, explain or not support)"))
        _choice(measure, Measure, _("which of the “three in place, one handled” applies"))
        if not text.strip():
            raise WorkflowError(_("Write the text of the opinion."))
        Decision.objects.create(
            petition=p,
            stage=stage,
            unit=p.owner_unit,
            outcome=outcome,
            measure=measure,
            text=text,
            decided_on=today,
            decided_by=actor,
        )
        return {"stage": stage, "outcome": outcome, "measure": measure}

    return effect


def petition_decide(
    petition: Petition, *, actor: User, outcome: str, measure: str, text: str, at: dt.datetime | None = None
) -> Petition:
    """The written handling opinion (信访处理意见书): support, explain or not support."""
    return _apply(
        petition, "decide", actor, at, _decision_effect(DecisionStage.HANDLING, outcome, measure, text, actor)
    )


def petition_evaluate(
    petition: Petition, *, actor: User | None, satisfaction: str, reason: str = "", at: dt.datetime | None = None
) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _choice(satisfaction, Satisfaction, _("the satisfaction rating"))
        Evaluation.objects.create(petition=p, satisfaction=satisfaction, reason=reason, evaluated_on=today)
        return {"satisfaction": satisfaction, "reason": reason}

    return _apply(petition, "evaluate", actor, at, effect)


# ---------------------------------------------------------------- review (复查) and reexamination (复核)


def _appeal_name(window_kind: str) -> str:
    """复查 or 复核, by the deadline kind of its request window, in the active language."""
    if window_kind == DeadlineKind.REVIEW_REQUEST:
        return pgettext("appeal", "review")
    return pgettext("appeal", "reexamination")


def _appeal_effect(window_kind: str) -> Effect:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        window = open_.get(window_kind)
        what = _appeal_name(window_kind)
        if window is None or today > window.due_on:
            if window:
                message = _(
                    "The period to request a %(what)s ended on %(date)s: by law the request is no longer accepted."
                ) % {"what": what, "date": _d(window.due_on)}
            else:
                message = _("The period to request a %(what)s has ended: by law the request is no longer accepted.") % {
                    "what": what
                }
            raise WorkflowError(message)
        higher = p.owner_unit.parent
        if higher is None:
            raise WorkflowError(
                _(
                    "%(unit)s has no unit above it set, so a %(what)s cannot be requested. Ask an administrator to "
                    "set it in the unit settings."
                )
                % {"unit": p.owner_unit.name, "what": what}
            )
        _check_not_accused(p, higher)
        p.routed_by_unit_id, p.owner_unit = None, higher
        return {"to_unit": higher.pk}

    return effect


def petition_request_review(petition: Petition, *, actor: User | None, at: dt.datetime | None = None) -> Petition:
    """复查: within 30 days of the decision, to the next-higher unit, answered within 30 days."""
    return _apply(petition, "request_review", actor, at, _appeal_effect(DeadlineKind.REVIEW_REQUEST))


def petition_review_decide(
    petition: Petition, *, actor: User, outcome: str, measure: str, text: str, at: dt.datetime | None = None
) -> Petition:
    return _apply(
        petition, "review_decide", actor, at, _decision_effect(DecisionStage.REVIEW, outcome, measure, text, actor)
    )


def petition_request_reexamination(
    petition: Petition, *, actor: User | None, at: dt.datetime | None = None
) -> Petition:
    """复核: within 30 days of the review opinion, one level further up, answered within 30 days."""
    return _apply(petition, "request_reexamination", actor, at, _appeal_effect(DeadlineKind.REEXAMINATION_REQUEST))


def petition_hearing_start(petition: Petition, *, actor: User, at: dt.datetime | None = None) -> Petition:
    """A hearing (听证) pauses the reexamination deadline: hearing days do not count."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        d = open_[DeadlineKind.REEXAMINATION_ANSWER]
        if d.paused_since:
            raise WorkflowError(_("A hearing started on %(date)s and has not ended.") % {"date": _d(d.paused_since)})
        deadlines.deadline_pause(d, today)
        return {"paused_on": today.isoformat()}

    return _apply(petition, "hearing_start", actor, at, effect)


def petition_hearing_end(petition: Petition, *, actor: User, at: dt.datetime | None = None) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        d = open_[DeadlineKind.REEXAMINATION_ANSWER]
        if not d.paused_since:
            raise WorkflowError(_("There is no hearing going on."))
        if today < d.paused_since:
            raise WorkflowError(_("A hearing cannot end before it starts."))
        added = deadlines.deadline_resume(d, today)
        return {"resumed_on": today.isoformat(), "days_not_counted": added, "due_after": d.due_on.isoformat()}

    return _apply(petition, "hearing_end", actor, at, effect)


def petition_reexamine_decide(
    petition: Petition, *, actor: User, outcome: str, measure: str, text: str, at: dt.datetime | None = None
) -> Petition:
    decide = _decision_effect(DecisionStage.REEXAMINATION, outcome, measure, text, actor)

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if open_[DeadlineKind.REEXAMINATION_ANSWER].paused_since:
            raise WorkflowError(
                _("The hearing has not ended: record its end first, then issue the reexamination opinion.")
            )
        return decide(p, today, open_)

    return _apply(petition, "reexamine_decide", actor, at, effect)


def petition_close(petition: Petition, *, actor: User, waived: bool = False, at: dt.datetime | None = None) -> Petition:
    """结案 once the petitioner's appeal window has passed, or they have said they will not appeal."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if actor.unit_id != p.owner_unit_id and actor.role != Role.BUREAU_STAFF:
            raise WorkflowError(
                _("%(unit)s is handling this petition: your unit cannot close it.") % {"unit": p.owner_unit.name}
            )
        for kind in (DeadlineKind.REVIEW_REQUEST, DeadlineKind.REEXAMINATION_REQUEST):
            window = open_.get(kind)
            if window and today <= window.due_on and not waived:
                raise WorkflowError(
                    _(
                        "The petitioner may request a %(what)s until %(date)s: the petition cannot be closed before "
                        "that period ends. If the petitioner has said they will not request a %(what)s, note it and "
                        "close."
                    )
                    % {"what": _appeal_name(kind), "date": _d(window.due_on)}
                )
        return {"waived": waived}

    return _apply(petition, "close", actor, at, effect)


ACTIONS: dict[str, Callable[..., Petition]] = {
    "confirm_accused": petition_confirm_accused,
    "accept": petition_accept,
    "decline": petition_decline,
    "forward": petition_forward,
    "assign": petition_assign,
    "redirect": petition_redirect,
    "return": petition_return,
    "extend": petition_extend,
    "record_step": petition_record_step,
    "decide": petition_decide,
    "evaluate": petition_evaluate,
    "request_review": petition_request_review,
    "review_decide": petition_review_decide,
    "request_reexamination": petition_request_reexamination,
    "hearing_start": petition_hearing_start,
    "hearing_end": petition_hearing_end,
    "reexamine_decide": petition_reexamine_decide,
    "close": petition_close,
}
assert set(ACTIONS) == set(TABLE), "every row of the transition table has its service"
