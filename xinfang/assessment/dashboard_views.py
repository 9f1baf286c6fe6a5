"""The leaders' dashboard page: a thin view over xinfang.assessment.dashboard. The charts' data goes into
the page as JSON (json_script: a data block, never run) and static/assessment/dashboard.js draws it with
the locally served ECharts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from xinfang.assessment import dashboard
from xinfang.org.models import Unit
from xinfang.oversight.views import _base
from xinfang.petitions.alerts import overdue_by_unit_for


@login_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not dashboard.dashboard_visible_to(user):
        raise PermissionDenied
    if user.unit_id:  # the unit and its region in one query (the page and the statistics' scope use both)
        user.unit = Unit.objects.select_related("region").get(pk=user.unit_id)
    today = timezone.localdate()
    period = dashboard.period_parse(request.GET, today)
    board = dashboard.dashboard_for(user, period, today)
    charts = board.charts + [dashboard.hot_chart(user)]
    return render(
        request,
        "assessment/dashboard.html",
        _base(request)
        | {
            "board": board,
            "period": period,
            "charts": charts,
            "chart_data": {c.id: c.as_json() for c in charts},
            "overdue_units": overdue_by_unit_for(user),  # now, not in the period: one grouped query
        },
    )
