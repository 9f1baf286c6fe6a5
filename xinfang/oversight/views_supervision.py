"""Thin views of supervision (督办台账, a supervision's page, its notice) and recommendations (督查建议):
read through xinfang.oversight.selectors, write through xinfang.oversight.services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from xinfang.documents.services import NoticeUnavailable
from xinfang.lib.xlsx import xlsx_response, xlsx_write
from xinfang.org.models import Unit
from xinfang.org.roles import ROLES_WHO_SUPERVISE
from xinfang.org.scope import scope_for
from xinfang.oversight import notices, recommendations, selectors
from xinfang.oversight import services as oversight
from xinfang.oversight.forms import (
    CHECK_FORMS,
    SUPERVISION_FORMS,
    AnswerForm,
    RecommendationCheckForm,
    RecommendationForm,
    SupervisionFilterForm,
    UnitSuperviseForm,
)
from xinfang.oversight.models import (
    AWAITING_ANSWER,
    Recommendation,
    RecommendationKind,
    RecommendationState,
    Supervision,
)
from xinfang.oversight.views import _base
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.services import query_code_display, query_code_normalise

PER_PAGE = 50
STEP_FORMS = {"answer": SUPERVISION_FORMS["answer"], "end": SUPERVISION_FORMS["end"], **CHECK_FORMS}
STEP_LABELS = {
    "answer": gettext_lazy("answer the supervision"),
    "accept": gettext_lazy("accept the answer"),
    "return": gettext_lazy("send the answer back"),
    "end": gettext_lazy("end the supervision"),
}
STEP_NAMES = {
    "open": gettext_lazy("put under supervision"),
    "answer": gettext_lazy("supervision answered"),
    "accept": gettext_lazy("answer accepted"),
    "return": gettext_lazy("answer sent back"),
    "end": gettext_lazy("supervision ended"),
    "finding": gettext_lazy("fake resolution found by a follow-up"),
}


def form_run(request: HttpRequest, form: Any, label: str, run: Callable[[], object]) -> bool:
    """Carry out a valid form by its service (`run`): True when done (with "done" said), False with the
    refusal or the form's errors said."""
    if not form.is_valid():
        messages.error(request, _("Please correct the form of “%(action)s”.") % {"action": label})
        return False
    try:
        run()
    except WorkflowError as e:
        messages.error(request, str(e))
        return False
    messages.success(request, _("Done: %(action)s.") % {"action": label})
    return True


def _units_in_reach(request: HttpRequest):
    return (
        scope_for(request.user)
        .units(Unit.objects.filter(is_active=True), "")
        .exclude(pk=request.user.unit_id)
        .select_related("region")
    )


def is_late(s: Supervision, today: dt.date) -> bool:
    return s.is_open and s.state in AWAITING_ANSWER and s.answer_due_on < today


def _query(form: SupervisionFilterForm) -> selectors.SupervisionQuery:
    if not form.is_valid():
        return selectors.SupervisionQuery()
    d = form.cleaned_data
    return selectors.SupervisionQuery(
        subject=d["subject"],
        mode=d["mode"],
        state=d["state"],
        source=d["source"],
        unit=d["unit"],
        opened_from=d["opened_from"],
        opened_to=d["opened_to"],
    )


def _filter_form(request: HttpRequest) -> SupervisionFilterForm:
    units = list(scope_for(request.user).units(Unit.objects.filter(is_active=True), "").values_list("pk", "name"))
    return SupervisionFilterForm(request.GET or None, units=units)


@login_required
@require_GET
def supervision_list(request: HttpRequest) -> HttpResponse:
    """The supervision list (督办台账): every supervision the user may see, filtered, the most urgent first."""
    today = timezone.localdate()
    form = _filter_form(request)
    qs = selectors.supervision_search_for(request.user, _query(form), today)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for s in rows:
        s.late = is_late(s, today)
    return render(
        request,
        "oversight/supervision_list.html",
        _base(request)
        | {
            "form": form,
            "page": page,
            "rows": rows,
            "counts": selectors.supervision_counts_for(request.user, today),
            "can_open": request.user.role in ROLES_WHO_SUPERVISE,
        },
    )


@login_required
@require_GET
def supervision_export(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    qs = selectors.supervision_search_for(request.user, _query(_filter_form(request)), today)

    def rows():
        for s in qs.iterator(chunk_size=2000):
            yield [
                s.number,
                _("a petition") if s.petition_id else _("a whole unit"),
                query_code_display(s.petition.query_code) if s.petition_id else "",
                s.petition.title if s.petition_id else "",
                s.unit.name,
                s.get_mode_display(),
                s.reason,
                s.requirement,
                s.rule.name if s.rule_id else "",
                timezone.localdate(s.opened_at),
                s.answer_due_on,
                s.get_state_display(),
                _("yes") if is_late(s, today) else "",
                s.answer,
            ]

    header = [
        _("number"),
        _("supervision of"),
        _("query code"),
        _("title"),
        _("supervised unit"),
        _("form of supervision"),
        _("reason for supervision"),
        _("what the unit must do and answer"),
        _("automatic rule"),
        _("opened on"),
        _("answer due on"),
        _("state"),
        _("answer overdue"),
        _("answer"),
    ]
    return xlsx_response(xlsx_write(_("supervision"), header, rows()), f"supervision-{today.isoformat()}.xlsx")


@login_required
def unit_supervision_new(request: HttpRequest) -> HttpResponse:
    """Put a whole unit under supervision."""
    if request.user.role not in ROLES_WHO_SUPERVISE:
        raise Http404
    form = UnitSuperviseForm(request.POST or None, units=_units_in_reach(request))
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                s = oversight.unit_supervision_open(
                    d["unit"],
                    actor=request.user,
                    mode=d["mode"],
                    reason=d["reason"],
                    requirement=d["requirement"],
                    answer_due_on=d["answer_due_on"],
                )
            except WorkflowError as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, _("Done: %(action)s.") % {"action": _("put under supervision")})
                return redirect("oversight:supervision", pk=s.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "oversight/supervision_new.html", _base(request) | {"form": form}, status=status)


def _supervision(request: HttpRequest, pk: int) -> Supervision:
    try:
        return selectors.supervision_get_for(request.user, pk)
    except Supervision.DoesNotExist:
        raise Http404 from None


def _allowed_steps(s: Supervision, user) -> list[str]:
    allowed = []
    if oversight.answer_refusal(s, s.petition, user) is None:
        allowed.append("answer")
    if oversight.check_refusal(s, user, visible=True) is None:
        allowed += ["accept", "return"]
    elif s.state not in ("answered",) and oversight.end_refusal(s, user, visible=True) is None:
        allowed.append("end")
    return allowed


def _detail(
    request: HttpRequest, s: Supervision, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    today = timezone.localdate()
    s.late = is_late(s, today)
    forms = [(key, STEP_LABELS[key], bound.get(key) or STEP_FORMS[key]()) for key in _allowed_steps(s, request.user)]
    steps = [{"step": st, "label": STEP_NAMES.get(st.action, st.action)} for st in s.steps.order_by("at", "pk")]
    recommendation_form = None
    if request.user.role in ROLES_WHO_SUPERVISE:
        recommendation_form = bound.get("recommendation") or RecommendationForm(
            units=_units_in_reach(request),
            initial={
                "query_code": s.petition.query_code if s.petition_id else "",
                "about_unit": None if s.petition_id else s.unit_id,
                "to_unit": s.unit_id,
            },
        )
    return render(
        request,
        "oversight/supervision_detail.html",
        _base(request)
        | {
            "s": s,
            "steps": steps,
            "forms": forms,
            "recommendations": list(selectors.recommendation_list_for(request.user).filter(supervision=s)),
            "recommendation_form": recommendation_form,
        },
        status=status,
    )


@login_required
@require_GET
def supervision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _supervision(request, pk))


@login_required
@require_POST
def supervision_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Answer, accept the answer, send it back, or end the supervision."""
    if action not in STEP_FORMS:
        raise Http404
    s = _supervision(request, pk)
    form = STEP_FORMS[action](request.POST)
    run: dict[str, Callable[[], object]] = {
        "answer": lambda: oversight.supervision_answer(s, actor=request.user, **form.cleaned_data),
        "accept": lambda: oversight.supervision_accept(s, actor=request.user, **form.cleaned_data),
        "return": lambda: oversight.supervision_return(s, actor=request.user, **form.cleaned_data),
        "end": lambda: oversight.supervision_end(s, actor=request.user, **form.cleaned_data),
    }
    if form_run(request, form, STEP_LABELS[action], run[action]):
        return redirect("oversight:supervision", pk=s.pk)
    return _detail(request, _supervision(request, pk), bound={action: form}, status=400)


@login_required
@require_GET
def supervision_notice(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The supervision notice (督办通知书) as Word or PDF."""
    s = _supervision(request, pk)
    render_notice = notices.supervision_notice_docx if fmt == "docx" else notices.supervision_notice_pdf
    try:
        body = render_notice(s)
    except NoticeUnavailable as e:
        raise Http404(str(e)) from e
    content_type = (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if fmt == "docx"
        else "application/pdf"
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        fmt == "docx", notices.supervision_notice_filename(s, fmt)
    )
    return response


# ---------------------------------------------------------------- recommendations


@login_required
@require_GET
def recommendation_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    state = state if state in (*RecommendationState.values, "overdue") else ""
    kind = kind if kind in RecommendationKind.values else ""
    qs = selectors.recommendation_list_for(request.user, state=state, kind=kind)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    form = RecommendationForm(units=_units_in_reach(request)) if request.user.role in ROLES_WHO_SUPERVISE else None
    return render(
        request,
        "oversight/recommendation_list.html",
        _base(request)
        | {
            "page": page,
            "rows": list(page.object_list),
            "state": state,
            "kind": kind,
            "form": form,
            "states": RecommendationState.choices,
            "kinds": RecommendationKind.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def recommendation_new(request: HttpRequest) -> HttpResponse:
    """Make a recommendation about a petition (by query code) or a unit; from a supervision's page, tied to it."""
    form = RecommendationForm(request.POST, units=_units_in_reach(request))
    supervision = None
    if request.POST.get("supervision", "").isdigit():
        supervision = _supervision(request, int(request.POST["supervision"]))
    if form.is_valid():
        d = form.cleaned_data
        petition = None
        code = query_code_normalise(d["query_code"] or "")
        if code:
            petition = petition_list_for(request.user).filter(query_code=code).first()
            if petition is None:
                form.add_error("query_code", _("No petition you may see has the query code %(code)s.") % {"code": code})
        if not form.errors:
            try:
                r = recommendations.recommendation_make(
                    actor=request.user,
                    kind=d["kind"],
                    text=d["text"],
                    to_unit=d["to_unit"],
                    due_on=d["due_on"],
                    petition=petition,
                    about_unit=d["about_unit"] if petition is None else None,
                    supervision=supervision,
                )
            except WorkflowError as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, _("Done: %(action)s.") % {"action": _("make a recommendation")})
                return redirect("oversight:recommendation", pk=r.pk)
    if supervision is not None:
        return _detail(request, supervision, bound={"recommendation": form}, status=400)
    page = Paginator(selectors.recommendation_list_for(request.user), PER_PAGE).get_page(1)
    return render(
        request,
        "oversight/recommendation_list.html",
        _base(request)
        | {
            "page": page,
            "rows": list(page.object_list),
            "form": form,
            "state": "",
            "kind": "",
            "states": RecommendationState.choices,
            "kinds": RecommendationKind.choices,
            "today": timezone.localdate(),
        },
        status=400,
    )


def _recommendation(request: HttpRequest, pk: int) -> Recommendation:
    try:
        return selectors.recommendation_get_for(request.user, pk)
    except Recommendation.DoesNotExist:
        raise Http404 from None


def _recommendation_page(
    request: HttpRequest, r: Recommendation, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    forms = []
    if recommendations.recommendation_answer_refusal(r, request.user) is None:
        forms.append(("answer", _("answer the recommendation"), bound.get("answer") or AnswerForm()))
    if recommendations.recommendation_check_refusal(r, request.user) is None:
        forms.append(("check", _("accept the answer or send it back"), bound.get("check") or RecommendationCheckForm()))
    petition_visible = bool(r.petition_id) and petition_list_for(request.user).filter(pk=r.petition_id).exists()
    return render(
        request,
        "oversight/recommendation_detail.html",
        _base(request)
        | {
            "r": r,
            "forms": forms,
            "petition_visible": petition_visible,
            "late": r.state in (RecommendationState.WAITING, RecommendationState.RETURNED)
            and r.due_on < timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_GET
def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _recommendation_page(request, _recommendation(request, pk))


@login_required
@require_POST
def recommendation_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    r = _recommendation(request, pk)
    if action == "answer":
        form: Any = AnswerForm(request.POST)
        run = lambda: recommendations.recommendation_answer(r, actor=request.user, **form.cleaned_data)  # noqa: E731
    elif action in ("accept", "return"):
        form = RecommendationCheckForm(request.POST)
        run = lambda: recommendations.recommendation_check(  # noqa: E731
            r, actor=request.user, accept=action == "accept", **form.cleaned_data
        )
    else:
        raise Http404
    if form_run(request, form, _("recommendation"), run):
        return redirect("oversight:recommendation", pk=r.pk)
    return _recommendation_page(
        request, _recommendation(request, pk), bound={"answer" if action == "answer" else "check": form}, status=400
    )
