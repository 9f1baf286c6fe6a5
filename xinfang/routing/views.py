"""The routing panels' own htmx endpoints (the desk's form and page are xinfang.workbench's)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.routing import panels


@login_required
@require_GET
def register_place(request: HttpRequest) -> HttpResponse:
    """The likeliest places of the address, title and content typed, with their confidence and the
    words that matched (htmx partial): a click fills the place picker in."""
    return render(request, "routing/place_panel.html", panels.place_context(request.user, request.GET))
