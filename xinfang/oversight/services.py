"""Writes of supervision (督查督办). Each change is one event in the petition's hash-chained log,
written in the same transaction; refusals are `WorkflowError`s in plain Chinese."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from xinfang.org import calendar
from xinfang.org.models import Role, User
from xinfang.oversight.models import Supervision, SupervisionMode
from xinfang.petitions.eventlog import build_event
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import SUPERVISING_ROLES, petition_is_visible
from xinfang.petitions.services import WorkflowError, actor_label
from xinfang.petitions.workflow import TERMINAL

# Who answers it: the owning unit's handler or head.
ANSWERING_ROLES = frozenset({Role.HANDLER, Role.UNIT_HEAD})

_d = calendar.format_date


def _log(p: Petition, *, action: str, actor: User, at: dt.datetime, data: dict[str, Any]) -> None:
    """Append one event to the locked petition `p` (its state does not change)."""
    event = build_event(p, action=action, actor_id=actor.pk, actor_label=actor_label(actor), at=at,
                        from_state=p.state, to_state=p.state, data=data)
    p.save(update_fields=["log_seq", "log_head", "updated_at"])
    event.save()


def supervise_refusal(petition: Petition, actor: User, *, visible: bool | None = None) -> str | None:
    """Why `actor` may not put `petition` under supervision now; None if they may. `visible`: whether
    the actor may see the petition, if the caller already knows."""
    if actor.role not in SUPERVISING_ROLES:
        return f"您的角色（{actor.get_role_display()}）不能督办。"
    if petition.state in TERMINAL:
        return "该事项已办结，不能督办。"
    if not (petition_is_visible(actor, petition) if visible is None else visible):
        return "您无权查看该事项，不能督办。"
    return None


def answer_refusal(supervision: Supervision, petition: Petition, actor: User) -> str | None:
    if not supervision.is_open:
        return "该督办已结束。"
    if actor.role not in ANSWERING_ROLES or actor.unit_id != petition.owner_unit_id:
        return f"督办事项由{petition.owner_unit.name}的经办人或负责人答复。"
    return None


def end_refusal(supervision: Supervision, actor: User, *, visible: bool | None = None) -> str | None:
    if not supervision.is_open:
        return "该督办已结束。"
    if actor.role not in SUPERVISING_ROLES:
        return f"您的角色（{actor.get_role_display()}）不能结束督办。"
    if not (petition_is_visible(actor, supervision.petition) if visible is None else visible):
        return "您无权查看该事项，不能结束督办。"
    return None


def supervision_open(petition: Petition, *, actor: User, mode: str, reason: str, requirement: str,
                     answer_due_on: dt.date, at: dt.datetime | None = None) -> Supervision:
    """督办: the owning unit must do what `requirement` says and answer by `answer_due_on`."""
    at = at or timezone.now()
    with transaction.atomic():
        p = Petition.objects.select_for_update().select_related("owner_unit").get(pk=petition.pk)
        message = supervise_refusal(p, actor)
        if message:
            raise WorkflowError(message)
        if mode not in SupervisionMode.values:
            raise WorkflowError("请选择督办方式（网上督办、实地督办、联合督办或提级督办）。")
        if not reason.strip() or not requirement.strip():
            raise WorkflowError("请写明督办理由和督办要求。")
        today = timezone.localdate(at)
        if answer_due_on < today:
            raise WorkflowError(f"答复期限不能早于今天（{_d(today)}）。")
        if Supervision.objects.filter(petition=p, is_open=True).exists():
            raise WorkflowError("该事项已在督办中，请在原督办上跟进或先结束原督办。")
        s = Supervision.objects.create(
            petition=p, unit=p.owner_unit, mode=mode, reason=reason.strip(), requirement=requirement.strip(),
            answer_due_on=answer_due_on, opened_at=at, opened_by=actor)
        _log(p, action="supervise", actor=actor, at=at,
             data={"supervision": s.pk, "mode": mode, "unit": p.owner_unit_id,
                   "answer_due_on": answer_due_on.isoformat(), "reason": s.reason})
    return s


def supervision_answer(supervision: Supervision, *, actor: User, answer: str,
                       at: dt.datetime | None = None) -> Supervision:
    """The owning unit answers (办理情况报告); the supervision stays open until a supervisor ends it."""
    at = at or timezone.now()
    with transaction.atomic():
        p = Petition.objects.select_for_update().select_related("owner_unit").get(pk=supervision.petition_id)
        s = Supervision.objects.select_for_update().get(pk=supervision.pk)
        message = answer_refusal(s, p, actor)
        if message:
            raise WorkflowError(message)
        if not answer.strip():
            raise WorkflowError("请填写督办答复内容。")
        s.answer, s.answered_at, s.answered_by = answer.strip(), at, actor
        s.save(update_fields=["answer", "answered_at", "answered_by"])
        late = timezone.localdate(at) > s.answer_due_on
        _log(p, action="supervision_answer", actor=actor, at=at,
             data={"supervision": s.pk, "note": s.answer, "late": late})
    return s


def supervision_end(supervision: Supervision, *, actor: User, note: str = "",
                    at: dt.datetime | None = None) -> Supervision:
    """A supervisor or leader ends the supervision (satisfied with the answer, or the matter settled)."""
    at = at or timezone.now()
    with transaction.atomic():
        p = Petition.objects.select_for_update().get(pk=supervision.petition_id)
        s = Supervision.objects.select_for_update().get(pk=supervision.pk)
        message = end_refusal(s, actor)
        if message:
            raise WorkflowError(message)
        if not s.answered_at and not note.strip():
            raise WorkflowError("责任单位尚未答复；提前结束督办须写明理由。")
        s.is_open, s.closed_at, s.closed_by, s.closing_note = False, at, actor, note.strip()
        s.save(update_fields=["is_open", "closed_at", "closed_by", "closing_note"])
        _log(p, action="supervision_end", actor=actor, at=at, data={"supervision": s.pk, "note": s.closing_note})
    return s
