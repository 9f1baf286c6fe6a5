"""Thin views of the public portal (phone first): submit, receipt, track, evaluate, appeal, and the
published reception days and policy answers. Read through portal.selectors, write through services.

A browser sees a petition only after giving its query code and phone (or after submitting it): the
session remembers those petitions, and every page and form of a petition checks it; any other id
gets the same "not found" page as one that does not exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.petitions import rules
from xinfang.petitions import services as petition_services
from xinfang.petitions.attachments import size_text
from xinfang.petitions.errors import AttachmentError, WorkflowError
from xinfang.petitions.models import DeadlineKind, Petition
from xinfang.petitions.services import query_code_display
from xinfang.portal import selectors, services
from xinfang.portal.forms import SUBMISSION_TOKEN, AppealForm, EvaluateForm, SubmitForm, TrackForm
from xinfang.portal.limits import SUBMIT, TRACK, post_limited

SESSION_KEY = "portal.petitions"
SESSION_MAX = 20  # petitions one browser remembers
BROWSER_COOKIE = "xinfang_portal"  # binds a receipt to the browser that sent the form (_browser)
APPEAL_LABELS = {
    "request_review": gettext_lazy("Ask for a review"),
    "request_reexamination": gettext_lazy("Ask for a reexamination"),
}
assert set(APPEAL_LABELS) == set(selectors.APPEAL_WINDOWS)
# what the home page's "what happens next" says, from the periods in force
HOME_PERIODS = {
    "intake_days": "intake",
    "acceptance_days": "acceptance",
    "handling_days": "handling",
    "review_days": "review_request",
    "reexamination_days": "reexamination_request",
}


def _remember(request: HttpRequest, pk: int) -> None:
    """Let this browser see the petition from now on (most recent first; the session is written only
    when that changes)."""
    if request.session.get(SESSION_KEY, [])[:1] == [pk]:
        return
    seen = [x for x in request.session.get(SESSION_KEY, []) if x != pk]
    request.session[SESSION_KEY] = ([pk] + seen)[:SESSION_MAX]


def _remembered(request: HttpRequest, pk: int) -> bool:
    return pk in request.session.get(SESSION_KEY, [])


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/not_found.html", status=404)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The four doors, and what happens after submitting, with the periods in force (petitions.rules)."""
    periods = {name: rules.period(key).days for name, key in HOME_PERIODS.items()}
    return render(request, "portal/home.html", periods)


def _browser(request: HttpRequest) -> str:
    """This browser's portal cookie (BROWSER_COOKIE), made now if it has none yet: what binds a
    receipt to the browser that sent the form. A cookie of the browser session (gone when the browser
    closes), not the Django session: showing the form writes nothing to the database."""
    value = request.COOKIES.get(BROWSER_COOKIE, "")
    if not SUBMISSION_TOKEN.fullmatch(value):
        value = getattr(request, "_portal_browser", "") or secrets.token_urlsafe(32)
        request._portal_browser = value  # type: ignore[attr-defined]
    return value


def _with_browser(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Give the browser its cookie if `_browser` made it in this request."""
    value = getattr(request, "_portal_browser", "")
    if value:
        response.set_cookie(
            BROWSER_COOKIE, value, path="/portal/", secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax"
        )
    return response


def _unavailable(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    """The receipt is not shown here: a plain page that says why and nothing of the petition."""
    return render(request, "portal/receipt_unavailable.html", {"reason": reason}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@post_limited(SUBMIT)
def submit(request: HttpRequest) -> HttpResponse:
    """The form, with a one-time token: sending it again (a double click, a retry after the answer
    was lost) stores nothing more and leads to the first sending's receipt."""
    browser = _browser(request)
    form = SubmitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.petition_submit_once(
                token=form.cleaned_data["submission"],
                browser=browser,
                **form.service_kwargs(request.headers.get("User-Agent", "")),
            )
        except AttachmentError as e:
            form.add_error("attachments", str(e))
        except WorkflowError as e:
            form.add_error(None, str(e))
        else:
            if selectors.receipt_state(sent, browser) == "elsewhere":
                return _with_browser(request, _unavailable(request, "sent_elsewhere", 409))
            return _with_browser(request, redirect("portal:receipt", token=sent.token))
    status = 400 if request.method == "POST" else 200
    return _with_browser(request, render(request, "portal/submit.html", {"form": form}, status=status))


@never_cache
@require_GET
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    """The receipt of a petition just submitted, only in the browser that sent it and for
    settings.PORTAL_RECEIPT_MINUTES; from here on this browser may see the petition."""
    sent = selectors.submission_get(token)
    if sent is None:
        return _not_found(request)
    state = selectors.receipt_state(sent, request.COOKIES.get(BROWSER_COOKIE, ""))
    if state != "shown":
        return _unavailable(request, state, 403 if state == "elsewhere" else 410)
    _remember(request, sent.petition_id)
    petition = (
        Petition.objects.select_related("registering_unit", "region", "category")
        .prefetch_related("attachments", "deadlines")
        .get(pk=sent.petition_id)
    )
    intake = next((d for d in petition.deadlines.all() if d.kind == DeadlineKind.INTAKE), None)
    return render(
        request,
        "portal/receipt.html",
        {
            "petition": petition,
            "query_code": query_code_display(petition.query_code),
            "intake": intake,
            "attachments": [(a.name, size_text(a.size)) for a in petition.attachments.all()],
            "anonymous": not petition.parties.exists(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@post_limited(TRACK)
def track(request: HttpRequest) -> HttpResponse:
    """Find a petition by query code and phone. A wrong pair and a code that does not exist get the
    same page, status and words."""
    form = TrackForm(request.POST or None)
    not_found = False
    if request.method == "POST" and form.is_valid():
        pk = selectors.petition_find_for_petitioner(form.cleaned_data["code"], form.cleaned_data["phone"])
        if pk is not None:
            _remember(request, pk)
            return redirect("portal:petition", pk=pk)
        not_found = True
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "portal/track.html", {"form": form, "not_found": not_found}, status=status)


def _petition_page(
    request: HttpRequest, pk: int, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    view = selectors.petitioner_view(pk)
    bound = bound or {}
    return render(
        request,
        "portal/petition.html",
        {
            "view": view,
            "p": view.petition,
            "query_code": query_code_display(view.petition.query_code),
            "evaluate_form": bound.get("evaluate") or (EvaluateForm() if view.may_evaluate else None),
            "appeal_form": bound.get("appeal") or (AppealForm() if view.appeal else None),
            "appeal_label": APPEAL_LABELS.get(view.appeal or ""),
        },
        status=status,
    )


@never_cache
@require_GET
def petition(request: HttpRequest, pk: int) -> HttpResponse:
    if not _remembered(request, pk):
        return _not_found(request)
    return _petition_page(request, pk)


@require_POST
@post_limited(SUBMIT)
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """满意度评价 of the latest decision, once per decision, through petitions.services."""
    if not _remembered(request, pk):
        return _not_found(request)
    form = EvaluateForm(request.POST)
    if not form.is_valid():
        return _petition_page(request, pk, {"evaluate": form}, status=400)
    if selectors.petitioner_view(pk).evaluated:
        messages.error(request, _("You have already evaluated this decision."))
        return redirect("portal:petition", pk=pk)
    return _act(
        request,
        pk,
        lambda p: petition_services.petition_evaluate(
            p, actor=None, satisfaction=form.cleaned_data["satisfaction"], reason=form.cleaned_data["reason"].strip()
        ),
        _("Thank you: your evaluation is recorded."),
    )


@require_POST
@post_limited(SUBMIT)
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """复查 or 复核, whichever the petition's state allows; the service checks the legal window and
    says why not outside it."""
    if not _remembered(request, pk):
        return _not_found(request)
    form = AppealForm(request.POST)
    if not form.is_valid():
        return _petition_page(request, pk, {"appeal": form}, status=400)
    state = Petition.objects.values_list("state", flat=True).get(pk=pk)
    action = selectors.appeal_action(state) or "request_review"  # else the service says why not
    return _act(
        request,
        pk,
        lambda p: petition_services.ACTIONS[action](p, actor=None),
        _("Your request is recorded: %(what)s.") % {"what": APPEAL_LABELS[action]},
    )


def _act(request: HttpRequest, pk: int, run: Callable[[Petition], object], done: str) -> HttpResponse:
    """Carry out the petitioner's action through its service; back to the page with what happened."""
    try:
        run(Petition(pk=pk))
    except WorkflowError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, done)
    return redirect("portal:petition", pk=pk)


@require_POST
def forget(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop showing a petition on this device (a shared phone, a village computer)."""
    request.session[SESSION_KEY] = [x for x in request.session.get(SESSION_KEY, []) if x != pk]
    messages.success(request, _("This device no longer shows that petition."))
    return redirect("portal:track")


@require_GET
def reception(request: HttpRequest) -> HttpResponse:
    days = selectors.reception_day_list_upcoming(timezone.localdate())
    return render(request, "portal/reception.html", {"days": days})


@require_GET
def policy(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:50]
    return render(request, "portal/policy.html", {"answers": selectors.policy_answer_list(text), "q": text})
