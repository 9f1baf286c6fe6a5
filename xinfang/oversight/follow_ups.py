"""Writes of follow-ups (回访) and findings (假化解): someone outside the units that handled a concluded
petition asks the petitioner whether the problem is really solved; a denied resolution is a finding against
the unit that concluded it, and the petition is put under supervision again, escalated. Refusals are
`WorkflowError`s."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.org.models import Unit, User
from xinfang.org.roles import ROLES_WHO_FOLLOW_UP
from xinfang.oversight.models import (
    Finding,
    FindingKind,
    FollowUp,
    FollowUpMethod,
    Supervision,
    SupervisionMode,
)
from xinfang.oversight.selectors import FOLLOW_UP_STATES, latest_decision
from xinfang.oversight.services import _create, _log, _refuse, _step
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Measure, Petition
from xinfang.petitions.selectors import petition_is_visible

# A follow-up that finds a fake resolution reopens supervision, escalated, answered within this many days.
REOPEN_ANSWER_DAYS = 10
REOPEN_REQUIREMENT = "请重新核查该事项的办理和化解情况，如实报告；存在弄虚作假的，一并报告处理意见。"


# ---------------------------------------------------------------- follow-up (回访) and findings (假化解)


def handling_unit_ids(petition: Petition) -> set[int]:
    """The units that handled the petition: its owning unit and every unit that gave a decision."""
    return {petition.owner_unit_id, *petition.decisions.values_list("unit_id", flat=True)}


def follow_up_refusal(
    petition: Petition, actor: User, *, handling: set[int] | None = None, visible: bool | None = None
) -> str | None:
    """Why `actor` may not follow `petition` up; None if they may."""
    if actor.role not in ROLES_WHO_FOLLOW_UP:
        return _("Your role (%(role)s) cannot follow petitions up.") % {"role": actor.get_role_display()}
    if actor.unit_id is None:
        return _("You belong to no unit, so you cannot follow up (a follow-up records the unit of who made it).")
    if petition.state not in FOLLOW_UP_STATES:
        return _("This petition is not concluded yet (no handling opinion): it cannot be followed up.")
    if not (petition_is_visible(actor, petition) if visible is None else visible):
        return _("You may not see this petition, so you cannot follow it up.")
    handling = handling_unit_ids(petition) if handling is None else handling
    if actor.unit_id in handling:
        return _(
            "A follow-up is made by someone outside the units that handled the petition: your unit, %(unit)s, "
            "handled it and cannot follow it up itself."
        ) % {"unit": actor.unit.name}
    return None


def follow_up_record(
    petition: Petition,
    *,
    actor: User,
    method: str,
    reached: bool,
    settled: bool | None,
    notes: str = "",
    at: dt.datetime | None = None,
) -> FollowUp:
    """Record a follow-up. When the petition was concluded as resolved (化解) and the petitioner, reached,
    says it is not, the unit that concluded it gets a finding of fake resolution (假化解) and the petition
    is put under supervision again, escalated (or the open supervision is linked to the finding)."""
    at = at or timezone.now()
    if method not in FollowUpMethod.values:
        raise WorkflowError(_("Choose how the follow-up was made (phone, visit or SMS)."))
    if reached and settled is None:
        raise WorkflowError(_("The petitioner was reached: record whether they say the problem is really solved."))
    if not reached:
        settled = None
    with transaction.atomic():
        p = Petition.objects.select_for_update().select_related("owner_unit").get(pk=petition.pk)
        _refuse(follow_up_refusal(p, actor))
        f = FollowUp.objects.create(
            petition=p,
            method=method,
            reached=reached,
            settled=settled,
            notes=notes.strip(),
            at=at,
            by=actor,
            by_unit=actor.unit,
        )
        _log(
            p,
            action="follow_up",
            actor=actor,
            at=at,
            data={"follow_up": f.pk, "method": method, "reached": reached, "settled": settled, "note": f.notes},
        )
        decision = latest_decision(p.pk).select_related("unit").first()
        if settled is False and decision is not None and decision.measure == Measure.RESOLVED:
            _finding(p, f, decision.unit, actor=actor, at=at)
    return f


def _finding(p: Petition, f: FollowUp, unit: Unit, *, actor: User, at: dt.datetime) -> Finding:
    reason = f"回访中信访人否认问题已化解（{unit.name}以“化解”办结），疑似假化解"
    if f.notes:
        reason += f"：{f.notes}"
    s = Supervision.objects.filter(petition=p, is_open=True).first()
    if s is None:
        due = timezone.localdate(at) + dt.timedelta(days=REOPEN_ANSWER_DAYS)
        finding = Finding.objects.create(
            kind=FindingKind.FAKE_RESOLUTION,
            unit=unit,
            petition=p,
            follow_up=f,
            found_on=timezone.localdate(at),
            note=f.notes,
        )
        s = _create(
            p,
            unit=p.owner_unit,
            actor=actor,
            mode=SupervisionMode.ESCALATED,
            reason=reason,
            requirement=REOPEN_REQUIREMENT,
            answer_due_on=due,
            at=at,
            extra={"finding": finding.pk},
        )
        finding.supervision = s
        finding.save(update_fields=["supervision"])
    else:
        finding = Finding.objects.create(
            kind=FindingKind.FAKE_RESOLUTION,
            unit=unit,
            petition=p,
            follow_up=f,
            found_on=timezone.localdate(at),
            note=f.notes,
            supervision=s,
        )
        _step(s, "finding", actor=actor, at=at, text=reason)
    return finding
