"""Thin views: the list of scheduled reports and their Word and PDF downloads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from xinfang.oversight.views import _base
from xinfang.reports.models import Report
from xinfang.reports.schedule import ReportKind
from xinfang.reports.selectors import report_get_for, report_list_for

PER_PAGE = 50
TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in ReportKind.values else ""
    page = Paginator(report_list_for(request.user, kind), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/list.html",
        _base(request)
        | {
            "page": page,
            "kind": kind,
            "kinds": ReportKind.choices,
        },
    )


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    try:
        report = report_get_for(request.user, pk)
    except Report.DoesNotExist:
        raise Http404 from None
    body = bytes(getattr(report, fmt))
    response = HttpResponse(body, content_type=TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{report.title}.{fmt}")
    return response
