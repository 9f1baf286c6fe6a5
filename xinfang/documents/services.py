"""Notices (告知书、意见书) of one petition, from the administrator's templates, as Word and PDF.

`notices_available(petition)` says which notices a petition can have now, `notice_context` gathers
what a template needs (a fixed number of queries), `notice_text` fills the template in, and
`notice_docx` / `notice_pdf` lay it out (xinfang.documents.layout).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xinfang.documents import layout
from xinfang.documents.models import NoticeKind, NoticeTemplate
from xinfang.org import calendar
from xinfang.org.models import Unit
from xinfang.org.tablecache import TableCache
from xinfang.petitions import rules
from xinfang.petitions.models import (
    Deadline,
    DeadlineKind,
    Decision,
    DecisionStage,
    Event,
    Petition,
    PetitionParty,
    State,
)
from xinfang.petitions.services import query_code_display

_d = calendar.format_date

# What the petitioner reads about a decision's outcome (the stored labels are for staff).
OUTCOME_WORDS = {"support": "予以支持", "explain": "作出解释说明", "not_support": "不予支持"}

STAGE_OF = {
    NoticeKind.HANDLING: DecisionStage.HANDLING,
    NoticeKind.REVIEW: DecisionStage.REVIEW,
    NoticeKind.REEXAMINATION: DecisionStage.REEXAMINATION,
}
PREVIOUS_STAGE = {DecisionStage.REVIEW: DecisionStage.HANDLING, DecisionStage.REEXAMINATION: DecisionStage.REVIEW}
# The petitioner's window after each opinion, and the deadline that counts the answer to the appeal.
WINDOW_OF = {
    DecisionStage.HANDLING: DeadlineKind.REVIEW_REQUEST,
    DecisionStage.REVIEW: DeadlineKind.REEXAMINATION_REQUEST,
}
ANSWER_OF = {
    DecisionStage.REVIEW: DeadlineKind.REVIEW_ANSWER,
    DecisionStage.REEXAMINATION: DeadlineKind.REEXAMINATION_ANSWER,
}

# Placeholders a template may use, for the admin's help.
PLACEHOLDERS: dict[str, str] = {
    "petition": "信访事项，如 {{ petition.title }}、{{ petition.content }}、{{ petition.query_code }}",
    "query_code": "查询码（分段显示，如 ABCDE-FGHJK）",
    "petitioner_names": "信访人姓名（多人以顿号分隔；匿名为“信访人”）",
    "received_on": "收到信访事项的日期",
    "unit": "出具本文书的机关，如 {{ unit.name }}",
    "issued_on": "成文日期（落款日期）：受理、转送交办、不予受理、延期或出具意见的日期",
    "today": "打印日期",
    "due_on": "本文书所说的期限：受理、延期告知书为办结期限，转送/交办单为告知是否受理的期限，"
    "处理意见书、复查意见书为请求复查、复核的期限",
    "accepted_on": "受理日期",
    "handling_days": "办理期限（日）",
    "decline_reason": "不予受理的法定理由；decline_reason_key 为其代码，decline_note 为经办人的说明",
    "to_unit": "转送/交办单的收件单位，如 {{ to_unit.name }}",
    "route_verb": "“转送”或“交办”",
    "acceptance_due_on": "收件单位告知是否受理的期限",
    "report_due_on": "交办事项报告办理结果的期限（转送时为空）",
    "objection_due_on": "收件单位提出异议的期限",
    "extension_days": "延长的日数",
    "extension_reason": "延期理由",
    "due_before": "延期前的办结期限",
    "decision": "本意见书的处理意见，如 {{ decision.text }}",
    "decision_outcome": "处理结论：予以支持、作出解释说明或不予支持",
    "decision_measure": "“三到位一处理”中适用的一项（供内部使用）",
    "decided_on": "出具意见的日期",
    "review_days": "请求复查的期限（日）",
    "reexamination_days": "请求复核的期限（日）",
    "higher_unit_name": "受理复查或复核请求的上一级机关",
    "previous_unit_name": "出具原处理（复查）意见的机关",
    "previous_decided_on": "原意见的日期",
    "requested_on": "请求复查或复核的日期",
}


EVENT_ACTIONS = ("decline", "extend")


class NoticeUnavailable(Exception):
    """The petition cannot have this notice now (or no template of the kind is active)."""


@dataclass
class _Facts:
    """What the notices of one petition are made from, read once."""

    petition: Petition
    parties: list[PetitionParty]
    deadlines: list[Deadline]
    decisions: list[Decision]
    events: dict[str, Event]  # the latest decline and extend events
    templates: dict[str, NoticeTemplate]  # the active template of each kind

    def latest(self, kind: str) -> Deadline | None:
        found = [d for d in self.deadlines if d.kind == kind]
        return max(found, key=lambda d: (d.start_on, d.pk)) if found else None

    def first(self, kind: str) -> Deadline | None:
        found = [d for d in self.deadlines if d.kind == kind]
        return min(found, key=lambda d: (d.start_on, d.pk)) if found else None

    def decision(self, stage: str) -> Decision | None:
        found = [d for d in self.decisions if d.stage == stage]
        return max(found, key=lambda d: (d.decided_on, d.pk)) if found else None


def _facts(petition: Petition) -> _Facts:
    """Six queries: the petition with its units, its petitioners, deadlines, decisions, the events
    that carry a notice's date or words, and the active templates."""
    p = Petition.objects.select_related("owner_unit", "routed_by_unit", "region").get(pk=petition.pk)
    parties = list(
        PetitionParty.objects.filter(petition=p).select_related("petitioner").order_by("-is_representative", "pk")
    )
    deadline_rows = list(Deadline.objects.filter(petition=p).select_related("unit"))
    decisions = list(Decision.objects.filter(petition=p).select_related("unit", "unit__parent"))
    events = {e.action: e for e in Event.objects.filter(petition=p, action__in=EVENT_ACTIONS).order_by("seq")}
    templates = {t.kind: t for t in NoticeTemplate.objects.filter(is_active=True)}
    return _Facts(p, parties, deadline_rows, decisions, events, templates)


def _possible(petition: Petition, deadline_rows: list[Deadline], decisions: list[Decision]) -> list[str]:
    """The notices the petition's history supports, in the order they arise."""
    kinds = {d.kind for d in deadline_rows}
    stages = {d.stage for d in decisions}
    found = []
    if petition.routed_by_unit_id and DeadlineKind.ACCEPTANCE in kinds:
        found.append(NoticeKind.ROUTING)
    if DeadlineKind.HANDLING in kinds:  # accepting a petition opens its handling deadline
        found.append(NoticeKind.ACCEPTANCE)
    if petition.state == State.DECLINED:
        found.append(NoticeKind.DECLINE)
    if any(d.kind == DeadlineKind.HANDLING and d.extension_days for d in deadline_rows):
        found.append(NoticeKind.EXTENSION)
    found += [kind for kind, stage in STAGE_OF.items() if stage in stages]
    return found


def _active_kinds() -> frozenset[str]:
    return frozenset(NoticeTemplate.objects.filter(is_active=True).values_list("kind", flat=True))


# The kinds that have an active template, for the links on petition pages (rendering a notice
# reads its template afresh). Cleared by NoticeTemplate's save and delete signals.
active_kinds = TableCache(_active_kinds)
invalidate_cache = active_kinds.invalidate


def notices_available(
    petition: Petition, *, deadlines: list[Deadline] | None = None, decisions: list[Decision] | None = None
) -> list[str]:
    """The kinds of notice `petition` can have now: what its state, deadlines and decisions
    support, and whose template is active. A page that has read the petition's deadlines and
    decisions already passes them and pays no query."""
    if deadlines is None:
        deadlines = list(Deadline.objects.filter(petition=petition))
    if decisions is None:
        decisions = list(Decision.objects.filter(petition=petition))
    active = active_kinds.get()
    return [k for k in _possible(petition, deadlines, decisions) if k in active]


def _names(f: _Facts) -> str:
    names = [party.petitioner.name for party in f.parties]
    if not names:
        return "信访人"
    text = "、".join(names[:5])
    count = max(f.petition.headcount, len(names))
    return f"{text}等{count}人" if count > min(len(names), 5) else text


def _day(d: dt.date | None) -> str:
    return _d(d) if d else ""


def _unit_name(unit: Unit | None, fallback: str) -> str:
    return unit.name if unit else fallback


def _kind_context(f: _Facts, kind: str) -> dict[str, Any]:
    p = f.petition
    if kind in (NoticeKind.ACCEPTANCE, NoticeKind.EXTENSION):
        h = f.first(DeadlineKind.HANDLING)
        first_due = calendar.count_forward(h.start_on, h.period_days, h.working_days, h.roll_over).end
        ctx = {
            "unit": h.unit or p.owner_unit,
            "accepted_on": _day(h.start_on),
            "handling_days": h.period_days,
            "due_on": _day(first_due if kind == NoticeKind.ACCEPTANCE else h.due_on),
            "issued_on": h.start_on,
        }
        if kind == NoticeKind.EXTENSION:
            ctx |= {
                "extension_days": h.extension_days,
                "extension_reason": h.extension_reason,
                "due_before": _day(first_due),
                "issued_on": _event_day(f, "extend"),
            }
        return ctx
    if kind == NoticeKind.DECLINE:
        event = f.events.get("decline")
        return {
            "unit": p.owner_unit,
            "decline_reason_key": p.decline_reason,
            "decline_reason": rules.DECLINE_REASONS.get(p.decline_reason, p.decline_reason),
            "decline_note": event.data.get("note", "") if event else "",
            "due_on": "",
            "issued_on": _event_day(f, "decline"),
        }
    if kind == NoticeKind.ROUTING:
        acceptance = f.latest(DeadlineKind.ACCEPTANCE)
        same_routing = [d for d in f.deadlines if d.start_on == acceptance.start_on]
        report = next((d for d in same_routing if d.kind == DeadlineKind.ASSIGNMENT_REPORT), None)
        objection = next((d for d in same_routing if d.kind == DeadlineKind.OBJECTION), None)
        return {
            "unit": p.routed_by_unit,
            "to_unit": acceptance.unit or p.owner_unit,
            "route_verb": "交办" if report else "转送",
            "routed_on": _day(acceptance.start_on),
            "due_on": _day(acceptance.due_on),
            "acceptance_due_on": _day(acceptance.due_on),
            "report_due_on": _day(report.due_on) if report else "",
            "objection_due_on": _day(objection.due_on) if objection else "",
            "issued_on": acceptance.start_on,
        }
    stage = STAGE_OF[kind]
    decision = f.decision(stage)
    accepted = f.first(DeadlineKind.HANDLING)
    ctx = {
        "unit": decision.unit,
        "decision": decision,
        "decided_on": _day(decision.decided_on),
        "decision_outcome": OUTCOME_WORDS.get(decision.outcome, decision.get_outcome_display()),
        "decision_measure": decision.get_measure_display(),
        "accepted_on": _day(accepted.start_on if accepted else None),
        "higher_unit_name": _unit_name(decision.unit.parent, "上一级机关"),
        "due_on": "",
        "issued_on": decision.decided_on,
    }
    if stage in WINDOW_OF:
        window = next(
            (d for d in f.deadlines if d.kind == WINDOW_OF[stage] and d.start_on == decision.decided_on), None
        ) or f.latest(WINDOW_OF[stage])
        days = window.period_days if window else rules.period(WINDOW_OF[stage]).days
        ctx |= {
            "due_on": _day(window.due_on if window else None),
            "review_days" if stage == DecisionStage.HANDLING else "reexamination_days": days,
        }
    if stage in PREVIOUS_STAGE:
        previous = f.decision(PREVIOUS_STAGE[stage])
        answer = f.latest(ANSWER_OF[stage])
        ctx |= {
            "previous_unit_name": _unit_name(previous.unit if previous else None, "原办理机关"),
            "previous_decided_on": _day(previous.decided_on if previous else None),
            "requested_on": _day(answer.start_on if answer else None),
        }
    return ctx


def _event_day(f: _Facts, action: str) -> dt.date | None:
    event = f.events.get(action)
    return timezone.localdate(event.at) if event else None


def _context(f: _Facts, kind: str, today: dt.date) -> dict[str, Any]:
    p = f.petition
    with translation.override("zh-hans"):
        ctx = {
            "kind": kind,
            "petition": p,
            "query_code": query_code_display(p.query_code),
            "petitioner_names": _names(f),
            "petitioners": [party.petitioner for party in f.parties],
            "received_on": _d(timezone.localdate(p.received_at)),
            "today": _d(today),
        } | _kind_context(f, kind)
    ctx["issued_on"] = _d(ctx["issued_on"] or today)
    return ctx


def _label(kind: str) -> str:
    with translation.override("zh-hans"):
        return str(NoticeKind(kind).label)


def _check(f: _Facts, kind: str) -> None:
    if kind not in NoticeKind.values:
        raise NoticeUnavailable(_("There is no notice of the kind “%(kind)s”.") % {"kind": kind})
    if kind not in _possible(f.petition, f.deadlines, f.decisions):
        raise NoticeUnavailable(
            _("The %(notice)s cannot be issued for this petition now.") % {"notice": NoticeKind(kind).label}
        )
    if kind not in f.templates:
        raise NoticeUnavailable(
            _("The %(notice)s has no template in use: ask an administrator to set one up in the admin.")
            % {"notice": NoticeKind(kind).label}
        )


def notice_context(petition: Petition, kind: str, *, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the template of `kind` may use for `petition`, in six queries whatever the kind.
    Raises NoticeUnavailable if the petition cannot have that notice now."""
    f = _facts(petition)
    _check(f, kind)
    return _context(f, kind, today or timezone.localdate())


def notice_text(petition: Petition, kind: str, *, today: dt.date | None = None) -> layout.Notice:
    """The active template of `kind` filled in for `petition`: title, paragraphs, issuer and date."""
    with translation.override("zh-hans"):
        f = _facts(petition)
        _check(f, kind)
        context = _context(f, kind, today or timezone.localdate())
        template = f.templates[kind]
        ctx = Context(context, autoescape=False)
        title = Template(template.title).render(ctx)
        body = Template(template.body).render(ctx)
    unit = context.get("unit")
    return layout.Notice.from_text(title, body, issuer=unit.name if unit else "", date=context["issued_on"])


def notice_docx(petition: Petition, kind: str, *, today: dt.date | None = None) -> bytes:
    return layout.docx_bytes(notice_text(petition, kind, today=today))


def notice_pdf(petition: Petition, kind: str, *, today: dt.date | None = None) -> bytes:
    return layout.pdf_bytes(notice_text(petition, kind, today=today))


def notice_filename(petition: Petition, kind: str, ext: str) -> str:
    return f"{_label(kind)}-{query_code_display(petition.query_code)}.{ext}"
