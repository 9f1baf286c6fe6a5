"""Thin views of the staff workbench: read through selectors, write through services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from xinfang.audit.models import AuditAction
from xinfang.audit.services import audit_attachment_download, audit_petition_view, audit_record
from xinfang.documents.models import NoticeKind
from xinfang.documents.services import notices_available
from xinfang.lib.xlsx import xlsx_response
from xinfang.org.models import User
from xinfang.org.roles import ROLES_WHO_FOLLOW_UP, ROLES_WHO_REGISTER
from xinfang.oversight import services as oversight
from xinfang.oversight.forms import CHECK_FORMS, SUPERVISION_FORMS
from xinfang.oversight.selectors import FOLLOW_UP_STATES
from xinfang.petitions import deadlines, registration, rules, services
from xinfang.petitions.attachments import size_text
from xinfang.petitions.errors import AttachmentError, WorkflowError
from xinfang.petitions.forms import AttachmentUploadForm
from xinfang.petitions.models import Attachment, Petition, PetitionParty, Satisfaction, State
from xinfang.petitions.selectors import may_reveal_personal_data, petition_list_for
from xinfang.petitions.services import query_code_display, query_code_normalise
from xinfang.petitions.workflow import TABLE, actions_for
from xinfang.routing import panels as routing_panels
from xinfang.routing.selectors import category_propose, petition_text
from xinfang.routing.services import category_outcome_record
from xinfang.workbench import panels, queue
from xinfang.workbench.forms import (
    QUEUE_TAB_LABELS,
    QueueFilterForm,
    RegisterForm,
    action_form,
    place_choices,
)
from xinfang.workbench.selectors import SEARCH_COUNT_CAP, petition_queue_for, queue_page, queue_tab_counts

PER_PAGE = 50
PETITION_RELATED = (
    "category",
    "region",
    "region__parent",
    "owner_unit",
    "owner_unit__region",
    "registering_unit",
    "registered_by",
    "accused_unit",
    "accused_user",
    "routed_by_unit",
)
# Events that are not rows of the transition table.
EVENT_LABELS = {
    "register": gettext_lazy("register"),
    "deadline_warning": gettext_lazy("deadline warning"),
    "deadline_overdue": gettext_lazy("deadline passed"),
    # the one event of a petition taken over from a paper/Excel ledger (manage.py generate_petitions)
    "import": gettext_lazy("imported from a ledger"),
    "attach": gettext_lazy("attachment added"),
    "supervise": gettext_lazy("put under supervision"),
    "supervision_answer": gettext_lazy("supervision answered"),
    "supervision_end": gettext_lazy("supervision ended"),
    "supervision_accept": gettext_lazy("supervision answer accepted"),
    "supervision_return": gettext_lazy("supervision answer sent back"),
    "recommend": gettext_lazy("recommendation made"),
    "recommendation_answer": gettext_lazy("recommendation answered"),
    "recommendation_accept": gettext_lazy("recommendation answer accepted"),
    "recommendation_return": gettext_lazy("recommendation answer sent back"),
    "follow_up": gettext_lazy("follow-up"),
}
SUPERVISION_LABELS = {
    "supervise": gettext_lazy("put under supervision"),
    "answer": gettext_lazy("answer the supervision"),
    "accept": gettext_lazy("accept the answer"),
    "return": gettext_lazy("send the answer back"),
    "end": gettext_lazy("end the supervision"),
}
SUPERVISION_STEP_FORMS = SUPERVISION_FORMS | CHECK_FORMS  # supervise, answer, end; accept, return


def _can_register(request: HttpRequest) -> bool:
    return request.user.role in ROLES_WHO_REGISTER and request.user.unit_id is not None


def _tabs(user, today, counts: dict[str, int] | None = None) -> list[tuple[str, str, int | None]]:
    """(tab, label, count) of every tab; "concluded" is not counted."""
    counts = queue_tab_counts(user, today) if counts is None else counts
    return [(key, label, counts.get(key)) for key, label in QUEUE_TAB_LABELS.items()]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    tabs = [t for t in _tabs(request.user, timezone.localdate()) if t[0] not in ("concluded", "all")]
    return render(request, "workbench/home.html", {"tabs": tabs, "can_register": _can_register(request)})


@login_required
@require_GET
def find(request: HttpRequest) -> HttpResponse:
    """Open a petition by its query code (as typed or read out on the phone)."""
    code = query_code_normalise(request.GET.get("code", ""))
    petition = petition_list_for(request.user).filter(query_code=code).only("pk").first() if code else None
    if petition is None:
        messages.error(request, _("No petition you may see has the query code %(code)s.") % {"code": code or "—"})
        return redirect("workbench:home")
    return redirect("workbench:petition", pk=petition.pk)


# ---------------------------------------------------------------- registration desk


@login_required
def register(request: HttpRequest) -> HttpResponse:
    """The desk's one form; with its files, one transaction (a refused file registers nothing)."""
    form = RegisterForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            petition = _register(request.user, form.service_kwargs())
        except AttachmentError as e:
            form.add_error("attachments", str(e))
        except WorkflowError as e:
            form.add_error(None, str(e))
        else:
            return redirect(reverse("workbench:petition", args=[petition.pk]) + "?new=1")
    context: dict[str, Any] = {"form": form, "can_register": _can_register(request)}
    if form.is_bound:  # shown again: the panels as they were, with what was chosen and ticked
        context |= panels.lookup_context(request.user, request.POST)
        context |= panels.similar_context(request.user, request.POST, form.places)
        context |= routing_panels.category_context(request.POST)
        context["files_dropped"] = bool(request.FILES)
    status = 400 if request.method == "POST" else 200
    return render(request, "workbench/register.html", context, status=status)


def _register(user: User, kwargs: dict[str, Any]) -> Petition:
    """Register, and keep the category proposal shown with the category chosen (routing) in the same
    transaction."""
    proposals = category_propose(petition_text(kwargs["title"], kwargs["content"]))

    def proposal_keep(petition: Petition) -> None:
        category_outcome_record(petition=petition, proposals=proposals, chosen=kwargs["category"], actor=user)

    return registration.petition_register(actor=user, also=proposal_keep, **kwargs)


@login_required
@require_GET
def register_category(request: HttpRequest) -> HttpResponse:
    """The likeliest categories of the title and content typed, with their confidence (htmx partial)."""
    return render(request, "routing/category_panel.html", routing_panels.category_context(request.GET))


@login_required
@require_GET
def register_lookup(request: HttpRequest) -> HttpResponse:
    """Earlier petitioners found by the name, phone or ID number typed, with their petitions that the
    user may see (htmx partial)."""
    return render(request, "workbench/partials/lookup.html", panels.lookup_context(request.user, request.GET))


@login_required
@require_GET
def register_similar(request: HttpRequest) -> HttpResponse:
    """Likely earlier petitions on the same matter, from the title, content and place typed (htmx partial)."""
    context = panels.similar_context(request.user, request.GET, place_choices(request.user))
    return render(request, "workbench/partials/similar.html", context)


# ---------------------------------------------------------------- work queue


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() else 1


@login_required
@require_GET
def work_queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = QueueFilterForm(request.GET, user=request.user)
    query = form.query()
    qs = petition_queue_for(request.user, query, today).select_related(*queue.ROW_RELATED)
    counts = {} if query.area else queue_tab_counts(request.user, today)  # the badges count the unit's own
    cap = SEARCH_COUNT_CAP if query.text.strip() else None
    known = None if query.filtered else counts.get(query.tab)  # an unfiltered tab: its badge's count
    page = queue_page(qs, query.order, _page_number(request), PER_PAGE, clamp=True, cap=cap, count=known)
    return render(
        request,
        "workbench/queue.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "rows": queue.rows(page.rows, today),
            "tabs": _tabs(request.user, today, counts),
            "can_register": _can_register(request),
        },
    )


@login_required
@require_GET
def work_queue_export(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    query = QueueFilterForm(request.GET, user=request.user).query()
    qs = queue.export_order(
        petition_queue_for(request.user, query, today).select_related(*queue.ROW_RELATED), query.order
    )
    body = queue.export_xlsx(qs.iterator(chunk_size=2000), today)
    return xlsx_response(body, f"queue-{today.isoformat()}.xlsx")


# ---------------------------------------------------------------- petition page and actions


def _visible_petition(request: HttpRequest, pk: int) -> Petition:
    return get_object_or_404(petition_list_for(request.user).select_related(*PETITION_RELATED), pk=pk)


def _event_note(action: str, data: dict[str, Any]) -> str:
    """The words an event carries (a note, a reason), with stored keys shown as their labels."""
    if action == "attach":
        return f"{data.get('name', '')}（{size_text(int(data.get('size', 0)))}）"
    reason = data.get("reason") or ""
    if action == "decline":
        reason = rules.DECLINE_REASONS.get(reason, reason)
    if action == "redirect":
        reason = rules.LEGAL_CHANNELS.get(data.get("channel", ""), "")
    if action == "extend" and data.get("days"):
        reason = _("%(days)s days more, due %(due)s: %(reason)s") % {
            "days": data["days"],
            "due": data.get("due_after", ""),
            "reason": reason,
        }
    if action == "evaluate":
        reason = "；".join(str(x) for x in (Satisfaction(data["satisfaction"]).label, reason) if x)
    return "；".join(str(x) for x in (reason, data.get("note")) if x)


@dataclass(frozen=True)
class AttachmentRow:
    pk: int
    name: str
    size: int
    uploaded_at: dt.datetime


def _attachments(petition: Petition, event_rows: list[Any]) -> list[Any]:
    """The petition's files, read from their "attach" events (each carries the file's id, name and size;
    files are only ever added, each with its event): no query of their own."""
    attached = [e for e in event_rows if e.action == "attach"]
    if any(not e.data.get("attachment") for e in attached):  # (an event without the id: read the rows)
        return list(petition.attachments.order_by("uploaded_at", "pk"))
    return [
        AttachmentRow(e.data["attachment"], e.data.get("name", ""), int(e.data.get("size", 0)), e.at) for e in attached
    ]


def _petition_page(
    request: HttpRequest,
    petition: Petition,
    bound: dict[str, Any] | None = None,
    status: int = 200,
    revealed: frozenset[int] = frozenset(),
) -> HttpResponse:
    """The petition page; petitioners' personal data masked, but for the parties in `revealed`."""
    user = request.user
    event_rows = list(petition.events.order_by("seq"))
    events = [
        {
            "event": e,
            "label": TABLE[e.action].label if e.action in TABLE else EVENT_LABELS.get(e.action, e.action),
            "from": State(e.from_state).label if e.from_state else "",
            "to": State(e.to_state).label if e.to_state and e.to_state != e.from_state else "",
            "note": _event_note(e.action, e.data),
        }
        for e in event_rows
    ]
    # the evaluations are read from their events (which carry the rating and reason): no query of their own
    evaluations = [
        {
            "on": timezone.localdate(e.at),
            "satisfaction": Satisfaction(e.data["satisfaction"]).label,
            "reason": e.data.get("reason", ""),
        }
        for e in event_rows
        if e.action == "evaluate"
    ]
    deadline_list = list(petition.deadlines.select_related("unit").order_by("-is_open", "due_on", "pk"))
    decisions = list(petition.decisions.select_related("unit", "decided_by").order_by("decided_on", "pk"))
    forms = [
        (t, (bound or {}).get(t.action) or action_form(t.action, petition, user))
        for t in actions_for(user, petition, visible=True)
    ]
    parties = list(petition.parties.select_related("petitioner").order_by("-is_representative", "pk"))
    for party in parties:
        party.revealed = party.pk in revealed
    return render(
        request,
        "workbench/petition.html",
        {
            "petition": petition,
            "query_code": query_code_display(petition.query_code),
            "is_new": request.GET.get("new") == "1",
            "decline_reason": rules.DECLINE_REASONS.get(petition.decline_reason, petition.decline_reason),
            "redirect_channel": rules.LEGAL_CHANNELS.get(petition.redirect_channel, petition.redirect_channel),
            "parties": parties,
            "can_reveal": may_reveal_personal_data(user, petition),
            "co_handlers": list(petition.co_handlers.select_related("unit")),
            "related": list(petition_list_for(user).filter(related=petition).only("pk", "query_code", "title")),
            "attachments": _attachments(petition, event_rows),
            "attach_form": AttachmentUploadForm() if user.role in ROLES_WHO_REGISTER else None,
            "decisions": decisions,
            "evaluations": evaluations,
            **_supervision_context(user, petition, bound),
            "events": events,
            "deadlines": [{"deadline": d, "explain": deadlines.explain(d)} for d in deadline_list],
            "action_forms": forms,
            "notices": [
                (kind, NoticeKind(kind).label)
                for kind in notices_available(petition, deadlines=deadline_list, decisions=decisions)
            ],
            "today": timezone.localdate(),
            "can_register": _can_register(request),
        },
        status=status,
    )


def _supervision_context(user, petition: Petition, bound: dict[str, Any] | None) -> dict[str, Any]:
    """The petition's supervisions and the supervision forms the user may use now (one query)."""
    bound = bound or {}
    items = list(
        petition.supervisions.select_related("unit", "opened_by", "answered_by", "closed_by").order_by(
            "-is_open", "-opened_at"
        )
    )
    today = timezone.localdate()
    for s in items:
        s.answer_late = s.is_open and s.answered_at is None and s.answer_due_on < today
    current = next((s for s in items if s.is_open), None)
    allowed = []
    if current is None and oversight.supervise_refusal(petition, user, visible=True) is None:
        allowed.append("supervise")
    if current is not None:
        current.petition = petition
        if oversight.answer_refusal(current, petition, user) is None:
            allowed.append("answer")
        if oversight.check_refusal(current, user, visible=True) is None:
            allowed += ["accept", "return"]  # after the answer: accept it or send it back
        elif oversight.end_refusal(current, user, visible=True) is None:
            allowed.append("end")
    forms = [(key, SUPERVISION_LABELS[key], bound.get(key) or SUPERVISION_STEP_FORMS[key]()) for key in allowed]
    return {
        "supervisions": items,
        "supervision_forms": forms,
        "can_follow_up": petition.state in FOLLOW_UP_STATES and user.role in ROLES_WHO_FOLLOW_UP,
    }


@login_required
@require_POST
def petition_supervision(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Put under supervision (督办), answer it, accept the answer or send it back, or end it."""
    petition = _visible_petition(request, pk)
    if action not in SUPERVISION_STEP_FORMS:
        raise Http404
    form = SUPERVISION_STEP_FORMS[action](request.POST)
    current = petition.supervisions.filter(is_open=True).first()

    def run() -> None:
        if action == "supervise":
            oversight.supervision_open(petition, actor=request.user, **form.cleaned_data)
        elif current is None:
            raise WorkflowError(_("This petition has no supervision going on."))
        elif action == "answer":
            oversight.supervision_answer(current, actor=request.user, **form.cleaned_data)
        elif action == "accept":
            oversight.supervision_accept(current, actor=request.user, **form.cleaned_data)
        elif action == "return":
            oversight.supervision_return(current, actor=request.user, **form.cleaned_data)
        else:
            oversight.supervision_end(current, actor=request.user, **form.cleaned_data)

    return _submit(request, petition, action, SUPERVISION_LABELS[action], form, run)


def _submit(
    request: HttpRequest, petition: Petition, key: str, label: str, form: Any, run: Callable[[], object]
) -> HttpResponse:
    """One form of the petition page carried out by its service (`run`, called once the form is
    valid): back to the page with "done", or the page again with the form and the refusal."""
    if form.is_valid():
        try:
            run()
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": label})
            if not petition_list_for(request.user).filter(pk=petition.pk).exists():
                return redirect("workbench:queue")  # handed on to a unit whose matters this user does not see
            return redirect("workbench:petition", pk=petition.pk)
    else:
        messages.error(request, _("Please correct the form of “%(action)s”.") % {"action": label})
    return _petition_page(request, petition, bound={key: form}, status=400)


@login_required
@require_GET
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    petition = _visible_petition(request, pk)
    audit_petition_view(request, petition)
    return _petition_page(request, petition)


@login_required
@require_POST
def petition_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    petition = _visible_petition(request, pk)
    if action not in services.ACTIONS:
        raise Http404
    form = action_form(action, petition, request.user, request.POST)
    return _submit(
        request,
        petition,
        action,
        TABLE[action].label,
        form,
        lambda: services.ACTIONS[action](petition, actor=request.user, **form.kwargs()),
    )


@login_required
@require_POST
def petitioner_reveal(request: HttpRequest, pk: int, party_pk: int) -> HttpResponse:
    """显示完整信息: one petitioner's full phone, ID number and address, to those
    selectors.may_reveal_personal_data allows (403 for the others), each time written to the audit
    log. The row (htmx), or the page with that row in full."""
    petition = _visible_petition(request, pk)
    if not may_reveal_personal_data(request.user, petition):
        raise PermissionDenied
    party = get_object_or_404(PetitionParty.objects.select_related("petitioner"), pk=party_pk, petition_id=petition.pk)
    audit_record(
        actor=request.user,
        action=AuditAction.REVEAL,
        object_type="petitions.petitioner",
        object_id=party.petitioner_id,
        request=request,
        detail={
            "petition": petition.pk,
            "query_code": petition.query_code,
            "fields": ["phone", "id_number", "address"],
        },
    )
    if request.headers.get("HX-Request"):
        response = render(
            request,
            "workbench/partials/petitioner_row.html",
            {"party": party, "person": party.petitioner, "petition": petition, "revealed": True},
        )
    else:
        response = _petition_page(request, petition, revealed=frozenset({party.pk}))
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- attachments (附件)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Add files to a petition from its page (all or none), each with its "attach" event."""
    petition = _visible_petition(request, pk)
    form = AttachmentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = registration.attachments_add(
                petition, actor=request.user, files=form.cleaned_data["files"], visible=True
            )
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Attached: %(names)s.") % {"names": "、".join(a.name for a in added)})
    else:
        for error in form.errors.get("files", []):
            messages.error(request, error)
    return redirect(reverse("workbench:petition", args=[petition.pk]) + "#attachments")


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """A petition's file, only to those who may see the petition (404 for everyone else), always as a
    download with its recorded type: never shown inline, never sniffed into something else."""
    petition = get_object_or_404(petition_list_for(request.user).only("pk"), pk=pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, petition_id=petition.pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    audit_attachment_download(request, attachment)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
