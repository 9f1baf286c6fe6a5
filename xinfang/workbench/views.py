"""Thin views of the staff workbench: read through selectors, write through services."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from xinfang.documents.models import NoticeKind
from xinfang.documents.services import notices_available
from xinfang.petitions import deadlines, rules, services
from xinfang.petitions.models import Petition, State
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.services import WorkflowError, query_code_display, query_code_normalise
from xinfang.petitions.workflow import STAFF, TABLE, actions_for
from xinfang.workbench import queue
from xinfang.workbench.forms import QUEUE_TABS, QueueFilterForm, RegisterForm, action_form

PER_PAGE = 50
PETITION_RELATED = ("category", "region", "region__parent", "owner_unit", "owner_unit__region",
                    "registering_unit", "registered_by", "accused_unit", "routed_by_unit")
# Events that are not rows of the transition table.
EVENT_LABELS = {
    "register": gettext_lazy("register"),
    "deadline_warning": gettext_lazy("deadline warning"),
    "deadline_overdue": gettext_lazy("deadline passed"),
    # the one event of a petition taken over from a paper/Excel ledger (manage.py generate_petitions)
    "import": gettext_lazy("imported from a ledger"),
}


def _can_register(request: HttpRequest) -> bool:
    return request.user.role in STAFF and request.user.unit_id is not None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    counts = queue.tab_counts(request.user, today)
    tabs = [(key, label, counts[key]) for key, (label, _q) in QUEUE_TABS.items()]
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
    form = RegisterForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            petition = services.petition_register(actor=request.user, **form.service_kwargs())
        except WorkflowError as e:
            form.add_error(None, str(e))
        else:
            return redirect(reverse("workbench:petition", args=[petition.pk]) + "?new=1")
    status = 400 if request.method == "POST" else 200
    return render(request, "workbench/register.html",
                  {"form": form, "can_register": _can_register(request)}, status=status)


@login_required
@require_GET
def register_lookup(request: HttpRequest) -> HttpResponse:
    """The petitioner's earlier petitions that the user may see, found by phone number (htmx partial)."""
    phone = "".join(ch for ch in request.GET.get("phone", "") if ch.isdigit() or ch == "+")
    petitions: list[Petition] = []
    if len(phone) >= 5:
        petitions = list(petition_list_for(request.user).filter(petitioners__phone=phone)
                         .select_related("owner_unit", "region").distinct().order_by("-received_at")[:20])
    people = {}
    if petitions:
        from xinfang.petitions.models import PetitionParty

        for party in (PetitionParty.objects.filter(petition__in=petitions, petitioner__phone=phone)
                      .select_related("petitioner")):
            people[party.petitioner_id] = party.petitioner
    return render(request, "workbench/partials/lookup.html",
                  {"phone": phone, "petitions": petitions, "people": list(people.values())})


# ---------------------------------------------------------------- work queue

@login_required
@require_GET
def work_queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = QueueFilterForm(request.GET, user=request.user)
    qs = queue.filtered(request.user, form, today)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    counts = queue.tab_counts(request.user, today)
    current = form.value("tab") or "all"
    tabs = [(key, label, counts[key]) for key, (label, _q) in QUEUE_TABS.items()]
    return render(request, "workbench/queue.html", {
        "form": form, "page": page, "rows": queue.rows(page.object_list, today), "tabs": tabs,
        "current_tab": current, "can_register": _can_register(request),
    })


@login_required
@require_GET
def work_queue_export(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = QueueFilterForm(request.GET, user=request.user)
    qs = queue.filtered(request.user, form, today)
    body = queue.export_xlsx(qs.iterator(chunk_size=2000), today)
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="queue-{today.isoformat()}.xlsx"'
    return response


# ---------------------------------------------------------------- petition page and actions

def _visible_petition(request: HttpRequest, pk: int) -> Petition:
    return get_object_or_404(petition_list_for(request.user).select_related(*PETITION_RELATED), pk=pk)


def _event_note(action: str, data: dict[str, Any]) -> str:
    """The words an event carries (a note, a reason), with stored keys shown as their labels."""
    reason = data.get("reason") or ""
    if action == "decline":
        reason = rules.DECLINE_REASONS.get(reason, reason)
    if action == "redirect":
        reason = rules.LEGAL_CHANNELS.get(data.get("channel", ""), "")
    return "；".join(str(x) for x in (reason, data.get("note")) if x)


def _petition_page(request: HttpRequest, petition: Petition, bound: dict[str, Any] | None = None,
                   status: int = 200) -> HttpResponse:
    user = request.user
    events = [
        {"event": e, "label": TABLE[e.action].label if e.action in TABLE else EVENT_LABELS.get(e.action, e.action),
         "from": State(e.from_state).label if e.from_state else "",
         "to": State(e.to_state).label if e.to_state and e.to_state != e.from_state else "",
         "note": _event_note(e.action, e.data)}
        for e in petition.events.order_by("seq")
    ]
    deadline_list = list(petition.deadlines.select_related("unit").order_by("-is_open", "due_on", "pk"))
    decisions = list(petition.decisions.select_related("unit", "decided_by").order_by("decided_on", "pk"))
    forms = [(t, (bound or {}).get(t.action) or action_form(t.action, petition, user))
             for t in actions_for(user, petition, visible=True)]
    parties = list(petition.parties.select_related("petitioner").order_by("-is_representative", "pk"))
    return render(request, "workbench/petition.html", {
        "petition": petition,
        "query_code": query_code_display(petition.query_code),
        "is_new": request.GET.get("new") == "1",
        "decline_reason": rules.DECLINE_REASONS.get(petition.decline_reason, petition.decline_reason),
        "redirect_channel": rules.LEGAL_CHANNELS.get(petition.redirect_channel, petition.redirect_channel),
        "parties": parties,
        "co_handlers": list(petition.co_handlers.select_related("unit")),
        "related": list(petition_list_for(user).filter(related=petition).only("pk", "query_code", "title")),
        "decisions": decisions,
        "evaluations": list(petition.evaluations.order_by("evaluated_on", "pk")),
        "events": events,
        "deadlines": [{"deadline": d, "explain": deadlines.explain(d)} for d in deadline_list],
        "action_forms": forms,
        "notices": [(kind, NoticeKind(kind).label)
                    for kind in notices_available(petition, deadlines=deadline_list, decisions=decisions)],
        "today": timezone.localdate(),
        "can_register": _can_register(request),
    }, status=status)


@login_required
@require_GET
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _petition_page(request, _visible_petition(request, pk))


@login_required
@require_POST
def petition_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    petition = _visible_petition(request, pk)
    if action not in services.ACTIONS:
        raise Http404
    form = action_form(action, petition, request.user, request.POST)
    if form.is_valid():
        try:
            services.ACTIONS[action](petition, actor=request.user, **form.kwargs())
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": TABLE[action].label})
            if not petition_list_for(request.user).filter(pk=petition.pk).exists():
                return redirect("workbench:queue")  # handed on to a unit whose matters this user does not see
            return redirect("workbench:petition", pk=petition.pk)
    else:
        messages.error(request, _("Please correct the form of “%(action)s”.") % {"action": TABLE[action].label})
    return _petition_page(request, petition, bound={action: form}, status=400)
