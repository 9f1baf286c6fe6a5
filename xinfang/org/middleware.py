"""Two checks on every request of a signed-in member of staff (after Django's AuthenticationMiddleware,
django_otp's OTPMiddleware and the messages middleware):

- `SessionLimitMiddleware`: a session ends XINFANG_SESSION_HOURS (8) after the password was given,
  whatever happens in between, and after XINFANG_SESSION_IDLE_MINUTES (30) without a request.
- `SecondFactorMiddleware`: a session that owes its TOTP code (`signin.second_factor_due`) reaches only
  the sign-in steps; every other page (workbench, admin, statistics, ...) sends it to the code page,
  or to enrolment when the user has no device yet.

The public portal and the API (which authenticates by token, not by session) are outside both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.cache import cache as shared_cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.middleware import OTPMiddleware

from xinfang.org import signin


@cache
def _outside() -> tuple[str, ...]:
    """Path prefixes neither check applies to: the public portal, the token-authenticated API, static
    files, the language switch, the health check."""
    return ("/portal/", "/api/", "/" + settings.STATIC_URL.lstrip("/"), reverse("set_language"), reverse("healthz"))


@cache
def _sign_in_steps() -> tuple[str, ...]:
    """The pages a session that owes its code may still open."""
    return (
        reverse("workbench:login"),
        reverse("workbench:logout"),
        reverse("admin:logout"),
        reverse("org:second_factor"),
        reverse("org:enrol"),
    )


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect, also for htmx: its panel requests get HX-Redirect, so that the whole page moves
    instead of one panel showing the login form."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"


OTP_DEVICE_TTL = 60  # seconds a verified session's device is taken from the cache


def otp_device_cache_key(persistent_id: str) -> str:
    return f"otp-device:{persistent_id}"


class CachedOTPMiddleware(OTPMiddleware):
    """django_otp's OTPMiddleware, with the device that verified the session read from the cache
    instead of by one query on every request. A device removed or changed here is dropped from the
    cache at once (`otp_device_forget`); other processes without a shared cache (REDIS_URL) notice
    within OTP_DEVICE_TTL seconds, as they do for every admin-edited table."""

    def _device_from_persistent_id(self, persistent_id: str):  # type: ignore[no-untyped-def]
        key = otp_device_cache_key(self._normalize_persistent_id(persistent_id))
        device = shared_cache.get(key)
        if device is None:
            device = super()._device_from_persistent_id(persistent_id)
            if device is not None:
                shared_cache.set(key, device, OTP_DEVICE_TTL)
        return device


def otp_device_forget(sender: type, instance, **_: object) -> None:  # type: ignore[no-untyped-def]
    """post_save/post_delete of a device: the next request reads it from the database again."""
    shared_cache.delete(otp_device_cache_key(instance.persistent_id))


class SessionLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not request.path.startswith(_outside()):
            expired = self._expired(request)
            if expired:
                logout(request)
                messages.info(request, expired)
                return _go(request, _with_next("workbench:login", request))
        return self.get_response(request)

    @staticmethod
    def _expired(request: HttpRequest) -> str | None:
        """Why the session is over, or None. Refreshes the idle clock at most every tenth of the idle
        timeout (at least a minute), so that a request does not write the session each time."""
        session, now = request.session, int(time.time())
        signed_in, seen = session.get(signin.SIGNED_IN_AT_KEY), session.get(signin.SEEN_AT_KEY)
        if signed_in is None or seen is None:  # a session from before these clocks: start them now
            session[signin.SIGNED_IN_AT_KEY] = signed_in or now
            session[signin.SEEN_AT_KEY] = now
            return None
        if now - signed_in > settings.SESSION_COOKIE_AGE:
            return _("You were signed in for %(hours)s hours. Please sign in again.") % {
                "hours": settings.SESSION_COOKIE_AGE // 3600
            }
        idle = settings.SESSION_IDLE_SECONDS
        if idle and now - seen > idle:
            return _("Nothing happened for %(minutes)s minutes, so you were signed out. Please sign in again.") % {
                "minutes": idle // 60
            }
        if now - seen >= max(60, idle // 10):
            session[signin.SEEN_AT_KEY] = now
        return None


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and signin.second_factor_due(user, request.session)
            and not request.path.startswith(_outside() + _sign_in_steps())
            and not user.is_verified()
        ):
            step = "org:second_factor" if signin.totp_device_for(user) is not None else "org:enrol"
            return _go(request, _with_next(step, request))
        return self.get_response(request)
