"""The sign-in's second step (the 6-digit code) and the enrolment of an authenticator app. Thin: the
rules are in xinfang.org.signin."""

from __future__ import annotations

import math

from axes.helpers import get_cool_off, get_failure_limit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinfang.org import signin


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("6-digit code"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": gettext_lazy("Type the 6 digits your authenticator app shows.")},
    )


def _next_url(request: HttpRequest) -> str:
    """Where to go after the step: the `next` the gate gave, if it is on this site; else the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Step two of the sign-in: the current code of the user's authenticator app."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if signin.totp_device_for(request.user) is None:
        return _to("org:enrol", request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if signin.totp_verify(request, form.cleaned_data["code"]):
            return redirect(_next_url(request))
        wait = signin.totp_wait_seconds(request.user)
        form.add_error(
            "code", _("Wrong code. Try again in %(seconds)s seconds.") % {"seconds": wait} if wait else _("Wrong code.")
        )
    return render(
        request,
        "org/second_factor.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: its QR code and secret, confirmed by a code it shows. Required for
    administrators and supervisors without a device; open to everyone else. A user who already has a
    device must sign in with it before anything else (a stolen password does not replace it)."""
    device = signin.totp_device_for(request.user)
    if device is not None:
        if not request.user.is_verified():
            return _to("org:second_factor", request)
        return render(request, "org/enrolled.html", {"device": device})
    pending = signin.totp_enrol_start(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if signin.totp_enrol_confirm(request, pending, form.cleaned_data["code"]):
            messages.success(request, _("Two-step sign-in is on: from now on, sign in with your password and a code."))
            return redirect(_next_url(request))
        form.add_error("code", _("Wrong code. Check the time on the phone and type the code it shows now."))
    context = {
        "form": form,
        "next": _next_url(request),
        "qr": signin.totp_qr_svg(pending),
        "secret": signin.totp_secret_text(pending),
        "required": signin.second_factor_required(request.user),
    }
    return render(request, "org/enrol.html", context, status=400 if form.errors else 200)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' answer to a sign-in with a locked user name (AXES_LOCKOUT_CALLABLE), right password
    or not: a page in Chinese, 429."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
    }
    return render(request, "org/locked.html", context, status=429)


def _to(name: str, request: HttpRequest) -> HttpResponse:
    """The other step, with the same `next`."""
    query = request.GET.urlencode()
    return redirect(reverse(name) + (f"?{query}" if query else ""))
