"""Thin views of follow-up (回访): the list of concluded petitions due for one, a petition's follow-up
form, and the findings of fake resolution (假化解)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xinfang.lib.xlsx import xlsx_response, xlsx_write
from xinfang.org.roles import ROLES_WHO_FOLLOW_UP
from xinfang.oversight import follow_ups, selectors
from xinfang.oversight.forms import FollowUpForm
from xinfang.oversight.views import _base
from xinfang.oversight.views_supervision import PER_PAGE
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Measure
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.services import query_code_display


def _can_follow_up(request: HttpRequest) -> None:
    if request.user.role not in ROLES_WHO_FOLLOW_UP:
        raise Http404


@login_required
@require_GET
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """Concluded petitions due for a follow-up under the active sample rules, the longest-waiting first."""
    _can_follow_up(request)
    qs = selectors.follow_up_due_for(request.user)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "oversight/follow_up_list.html",
        _base(request)
        | {
            "page": page,
            "rows": list(page.object_list),
            "resolved": Measure.RESOLVED,
            "measures": dict(Measure.choices),
        },
    )


@login_required
@require_GET
def follow_up_export(request: HttpRequest) -> HttpResponse:
    _can_follow_up(request)
    today = timezone.localdate()
    measures = dict(Measure.choices)
    rows = (
        [
            query_code_display(p.query_code),
            p.title,
            p.owner_unit.name,
            p.region.name,
            p.concluded_on,
            str(measures.get(p.concluded_measure, p.concluded_measure or "")),
        ]
        for p in selectors.follow_up_due_for(request.user, today).iterator(chunk_size=2000)
    )
    header = [_("query code"), _("title"), _("handling unit"), _("place"), _("concluded on"), _("三到位一处理")]
    return xlsx_response(xlsx_write(_("follow-up"), header, rows), f"follow-up-{today.isoformat()}.xlsx")


@login_required
def follow_up_petition(request: HttpRequest, pk: int) -> HttpResponse:
    """A petition's follow-ups, and the form to record one (for someone outside its handling units)."""
    petition = get_object_or_404(petition_list_for(request.user).select_related("owner_unit", "region"), pk=pk)
    refusal = follow_ups.follow_up_refusal(petition, request.user, visible=True)
    form = FollowUpForm(request.POST or None) if refusal is None else None
    if request.method == "POST":
        if form is None:
            messages.error(request, refusal)
        elif form.is_valid():
            try:
                follow_ups.follow_up_record(petition, actor=request.user, **form.service_kwargs())
            except WorkflowError as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, _("Done: %(action)s.") % {"action": _("follow-up recorded")})
                return redirect("oversight:follow_up_petition", pk=petition.pk)
    decision = selectors.latest_decision(petition.pk).select_related("unit").first()
    return render(
        request,
        "oversight/follow_up_petition.html",
        _base(request)
        | {
            "petition": petition,
            "decision": decision,
            "refusal": refusal,
            "form": form,
            "follow_ups": selectors.follow_up_list_for(request.user, petition),
            "findings": list(petition.findings.select_related("unit", "supervision")),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def finding_list(request: HttpRequest) -> HttpResponse:
    """Findings of fake resolution (假化解) on petitions the user may see, the newest first."""
    page = Paginator(selectors.finding_list_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "oversight/finding_list.html", _base(request) | {"page": page, "rows": list(page.object_list)}
    )
