"""Thin views of the hot-issue pages (热点问题): read the stored groups through hot.py's selectors (only
the petitions the user may see), write through its service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xinfang.org.roles import ROLES_WHO_REGISTER
from xinfang.oversight import hot
from xinfang.oversight.forms import HotIssueSuperviseForm
from xinfang.oversight.models import HotIssue
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.workflow import TERMINAL


def _base(request: HttpRequest) -> dict:
    return {"can_register": request.user.role in ROLES_WHO_REGISTER and request.user.unit_id is not None}


@login_required
@require_GET
def hot_issue_list(request: HttpRequest) -> HttpResponse:
    rows = hot.hot_issue_list_for(request.user)
    context = {"rows": rows, "latest": rows[0].issue if rows else None}
    return render(request, "oversight/hot_list.html", _base(request) | context)


def _page(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 6 else 1


def _row(request: HttpRequest, pk: int) -> hot.HotIssueRow:
    try:
        return hot.hot_issue_get_for(request.user, pk, page=_page(request))
    except HotIssue.DoesNotExist:
        raise Http404 from None


def _detail(
    request: HttpRequest, row: hot.HotIssueRow, form: HotIssueSuperviseForm | None = None, status: int = 200
) -> HttpResponse:
    open_petitions = [p for p in row.petitions if p.state not in TERMINAL]
    allowed = open_petitions and hot.hot_issue_supervise_refusal(row.issue, request.user) is None
    if form is None and allowed:
        form = HotIssueSuperviseForm(petitions=open_petitions)
    page, pages = _page(request), -(-row.visible // hot.DETAIL_SHOWN)
    return render(
        request,
        "oversight/hot_detail.html",
        _base(request)
        | {
            "row": row,
            "issue": row.issue,
            "form": form if allowed else None,
            "page": page,
            "pages": pages,
            "previous": page - 1 if page > 1 else None,
            "next": page + 1 if page < pages else None,
        },
        status=status,
    )


@login_required
@require_GET
def hot_issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _row(request, pk))


@login_required
@require_POST
def hot_issue_supervise(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the group under supervision through the petition chosen to stand for it."""
    row = _row(request, pk)
    chosen = {p.pk: p for p in row.petitions if p.state not in TERMINAL}
    form = HotIssueSuperviseForm(request.POST, petitions=list(chosen.values()))
    if form.is_valid():
        data = form.cleaned_data
        try:
            hot.hot_issue_supervise(
                row.issue,
                actor=request.user,
                petition=chosen[data["petition"]],
                mode=data["mode"],
                requirement=data["requirement"],
                answer_due_on=data["answer_due_on"],
                note=data["reason"],
            )
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("The hot issue is under supervision."))
            return redirect("workbench:petition", pk=data["petition"])
    else:
        action = _("put under supervision")
        messages.error(request, _("Please correct the form of “%(action)s”.") % {"action": action})
    return _detail(request, row, form, status=400)
