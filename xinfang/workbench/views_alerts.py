"""The deadline alerts page (期限提醒): the signed-in person's alerts, newest first; opening it marks them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.petitions import rules
from xinfang.petitions.alerts import staff_alerts_for, staff_alerts_read

PER_PAGE = 50


@login_required
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    page = Paginator(staff_alerts_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    unread = {a.pk for a in page if a.read_at is None}
    if unread:
        staff_alerts_read(request.user)
        request.user.alerts_unread = 0
    context = {"page": page, "unread": unread, "warn_days": rules.warn_working_days()}
    return render(request, "workbench/alerts.html", context)
