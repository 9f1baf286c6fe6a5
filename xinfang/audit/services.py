"""Writes of the audit log: one row per thing seen, revealed, downloaded, exported or signed in, each
one INSERT (`audit_record`). Reads for administrators are the admin's (xinfang.audit.admin)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.audit.redaction import REDACTED, SECRET_PARAMS

PETITION = "petitions.petition"
ATTACHMENT = "petitions.attachment"
USER = "org.user"
# set on a request whose download its view has recorded already (the export middleware skips it)
RECORDED = "_audit_recorded"


def _client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the header the deployment names (XINFANG_CLIENT_IP_HEADER, behind a proxy),
    else REMOTE_ADDR; None if it is not an address."""
    if request is None:
        return None
    key = getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR"
    value = (request.META.get(key) or request.META.get("REMOTE_ADDR") or "").split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: object = "",
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> AuditEntry:
    """Add one row to the audit log (one INSERT). `actor` may be None (the public, a failed sign-in:
    then `actor_label` says who it claimed to be)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = str(user) if user else actor_label
    if request is not None:
        setattr(request, RECORDED, True)
    return AuditEntry.objects.create(
        at=timezone.now(),
        actor=user,
        actor_label=label[:100],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:50],
        detail=detail or {},
        ip=_client_ip(request),
    )


def audit_petition_view(request: HttpRequest, petition: Any, *, actor: Any = None) -> AuditEntry:
    """A member of staff opened the petition's page, or an API client (`actor`: its service user) read it."""
    return audit_record(
        actor=actor or request.user,
        action=AuditAction.VIEW,
        object_type=PETITION,
        object_id=petition.pk,
        detail={"query_code": petition.query_code},
        request=request,
    )


def audit_attachment_download(request: HttpRequest, attachment: Any) -> AuditEntry:
    """A petition's file was downloaded: recorded against the petition, with the file."""
    return audit_record(
        actor=request.user,
        action=AuditAction.DOWNLOAD,
        object_type=PETITION,
        object_id=attachment.petition_id,
        detail={"attachment": attachment.pk, "name": attachment.name},
        request=request,
    )


def request_filters(request: HttpRequest) -> dict[str, Any]:
    """The query string as filters: one value as itself, several as a list (empty ones left out); a
    token (Open311's api_key) as "[已隐去]", never itself."""
    return {
        key: REDACTED if key in SECRET_PARAMS else values[0] if len(values) == 1 else values
        for key, values in request.GET.lists()
        if any(v for v in values)
    }


def _filename(response: HttpResponse) -> str:
    disposition = response.get("Content-Disposition", "")
    for part in disposition.split(";"):
        name, _sep, value = part.strip().partition("=")
        if name in ("filename", "filename*"):
            return value.strip('"').removeprefix("utf-8''")
    return ""


def is_export(response: HttpResponse) -> bool:
    """A response that hands over a file (a spreadsheet, a notice, ...): it names one."""
    return response.status_code == 200 and "filename" in response.get("Content-Disposition", "")


def audit_export(request: HttpRequest, response: HttpResponse) -> AuditEntry:
    """A file was exported from the page or list at `request`: which one, with its filters. A file of
    one petition (a notice: /p/<pk>/...) is recorded against that petition."""
    match = request.resolver_match
    view = match.view_name if match else request.path
    pk = match.kwargs.get("pk") if match else None
    on_petition = pk is not None and match is not None and match.route.startswith("p/")
    return audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type=PETITION if on_petition else view[:50],
        object_id=pk if on_petition else "",
        detail={"view": view, "path": request.path, "filters": request_filters(request), "file": _filename(response)},
        request=request,
    )
