"""Writes of recommendations (督查建议): a supervisor's recommendation to improve work, to improve policy or
to hold people accountable, about a petition or a unit; the unit it is addressed to answers, the supervisor
accepts the answer or sends it back. For a petition, each step is one event in its log. Refusals are
`WorkflowError`s."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.org.models import Unit, User
from xinfang.org.roles import ROLES_WHO_ANSWER_RECOMMENDATIONS, ROLES_WHO_SUPERVISE
from xinfang.org.scope import scope_for
from xinfang.oversight.models import (
    Recommendation,
    RecommendationKind,
    RecommendationState,
    Supervision,
)
from xinfang.oversight.services import _check_due, _log, _not_in_reach, _refuse
from xinfang.petitions.accusations import accusation_accuses
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import petition_is_visible

# ---------------------------------------------------------------- recommendations (督查建议)


def recommendation_make(
    *,
    actor: User,
    kind: str,
    text: str,
    to_unit: Unit,
    due_on: dt.date,
    petition: Petition | None = None,
    about_unit: Unit | None = None,
    supervision: Supervision | None = None,
    at: dt.datetime | None = None,
) -> Recommendation:
    """A recommendation to improve work, to improve policy or to hold people accountable, about a petition
    or a unit, addressed to `to_unit`, which must answer by `due_on`."""
    at = at or timezone.now()
    if actor.role not in ROLES_WHO_SUPERVISE:
        raise WorkflowError(_("Your role (%(role)s) cannot make recommendations.") % {"role": actor.get_role_display()})
    if kind not in RecommendationKind.values:
        raise WorkflowError(_("Choose the kind of recommendation (work, policy or accountability)."))
    if (petition is None) == (about_unit is None):
        raise WorkflowError(_("Say which petition or which unit the recommendation is about (one of the two)."))
    if not text.strip():
        raise WorkflowError(_("Write the recommendation."))
    _check_due(due_on, at)
    with transaction.atomic():
        p = None
        if petition is not None:
            p = Petition.objects.select_for_update().get(pk=petition.pk)
            if not petition_is_visible(actor, p):
                raise WorkflowError(_("You may not see this petition, so you cannot make a recommendation about it."))
            if accusation_accuses(p, to_unit):
                raise WorkflowError(
                    _(
                        "A recommendation about an accusation never goes to the unit it accuses "
                        "(Regulations on Petition Work, art. 30)."
                    )
                )
        elif not scope_for(actor).reaches_unit(about_unit):
            raise WorkflowError(_not_in_reach(about_unit))
        r = Recommendation.objects.create(
            kind=kind,
            petition=p,
            about_unit=about_unit,
            supervision=supervision,
            to_unit=to_unit,
            text=text.strip(),
            due_on=due_on,
            made_at=at,
            made_by=actor,
        )
        if p is not None:
            _log(
                p,
                action="recommend",
                actor=actor,
                at=at,
                data={
                    "recommendation": r.pk,
                    "kind": kind,
                    "to_unit": to_unit.pk,
                    "reason": r.text,
                    "due_on": due_on.isoformat(),
                },
            )
    return r


def _locked_recommendation(r: Recommendation) -> tuple[Recommendation, Petition | None]:
    p = Petition.objects.select_for_update().get(pk=r.petition_id) if r.petition_id else None
    return Recommendation.objects.select_for_update().select_related("to_unit").get(pk=r.pk), p


def recommendation_answer_refusal(r: Recommendation, actor: User) -> str | None:
    if r.state == RecommendationState.ACCEPTED:
        return _("This recommendation is concluded.")
    if actor.role not in ROLES_WHO_ANSWER_RECOMMENDATIONS or actor.unit_id != r.to_unit_id:
        return _("%(unit)s answers this recommendation.") % {"unit": r.to_unit.name}
    if r.state == RecommendationState.ANSWERED:
        return _("The answer has been sent and waits for the supervising unit’s check.")
    return None


def recommendation_check_refusal(r: Recommendation, actor: User) -> str | None:
    if actor.role not in ROLES_WHO_SUPERVISE:
        return _("Your role (%(role)s) cannot check answers to recommendations.") % {"role": actor.get_role_display()}
    if r.state != RecommendationState.ANSWERED:
        return _("This recommendation has not been answered yet: there is no answer to check.")
    return None


def recommendation_answer(
    recommendation: Recommendation, *, actor: User, answer: str, at: dt.datetime | None = None
) -> Recommendation:
    at = at or timezone.now()
    with transaction.atomic():
        r, p = _locked_recommendation(recommendation)
        _refuse(recommendation_answer_refusal(r, actor))
        if not answer.strip():
            raise WorkflowError(_("Write the answer."))
        r.answer, r.answered_at, r.answered_by, r.state = answer.strip(), at, actor, RecommendationState.ANSWERED
        r.save(update_fields=["answer", "answered_at", "answered_by", "state"])
        if p is not None:
            _log(
                p,
                action="recommendation_answer",
                actor=actor,
                at=at,
                data={"recommendation": r.pk, "note": r.answer, "late": timezone.localdate(at) > r.due_on},
            )
    return r


def recommendation_check(
    recommendation: Recommendation,
    *,
    actor: User,
    accept: bool,
    note: str = "",
    due_on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Recommendation:
    """Accept the answer (the recommendation is done) or send it back with the reason (and a new date)."""
    at = at or timezone.now()
    with transaction.atomic():
        r, p = _locked_recommendation(recommendation)
        _refuse(recommendation_check_refusal(r, actor))
        if not accept and not note.strip():
            raise WorkflowError(_("Write why the answer is sent back."))
        if not accept and due_on is not None:
            _check_due(due_on, at)
            r.due_on = due_on
        r.state = RecommendationState.ACCEPTED if accept else RecommendationState.RETURNED
        r.checked_at, r.checked_by, r.check_note = at, actor, note.strip()
        r.save(update_fields=["state", "checked_at", "checked_by", "check_note", "due_on"])
        if p is not None:
            _log(
                p,
                action="recommendation_accept" if accept else "recommendation_return",
                actor=actor,
                at=at,
                data={"recommendation": r.pk, "note": r.check_note},
            )
    return r
