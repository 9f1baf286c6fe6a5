"""The routing panels' own htmx endpoints (the desk's form and page are xinfang.workbench's)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import petition_get_for
from xinfang.routing import panels


@login_required
@require_GET
def register_place(request: HttpRequest) -> HttpResponse:
    """The likeliest places of the address, title and content typed, with their confidence and the
    words that matched (htmx partial): a click fills the place picker in."""
    return render(request, "routing/place_panel.html", panels.place_context(request.user, request.GET))


@login_required
@require_POST
def reply_check(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft check of the opinion typed in a decide form (htmx partial): whether it answers the claim,
    cites a basis, is in time. It only flags: the decision is the staff's."""
    try:
        petition = petition_get_for(request.user, pk)
    except Petition.DoesNotExist:
        raise Http404 from None
    context = panels.reply_check_context(petition, panels.draft_text(request.POST), timezone.localdate())
    return render(request, "routing/reply_check_panel.html", context)
