"""Rate limits of the public portal (django-ratelimit): POSTs per client IP address, at the rates in
settings (PORTAL_SUBMIT_RATE, PORTAL_TRACK_RATE), counted in CACHES["limits"] (Redis, or the database: shared by every process). A refused request
gets a kind page in Chinese with HTTP 429 and Retry-After, never an error page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

SUBMIT = ("portal-submit", "PORTAL_SUBMIT_RATE")  # submissions, evaluations, appeals
TRACK = ("portal-track", "PORTAL_TRACK_RATE")  # query-code lookups


def too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    minutes = max(1, (seconds + 59) // 60)
    response = render(request, "portal/limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(max(1, seconds))
    return response


def post_limited(limit: tuple[str, str]) -> Callable:
    """Count each POST of the view against `limit` (group, settings name); over it, the 429 page."""
    group, setting = limit

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            usage = get_usage(
                request, group=group, key="ip", rate=getattr(settings, setting), method="POST", increment=True
            )
            if usage is not None and usage["should_limit"]:
                return too_many(request, usage["time_left"])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
