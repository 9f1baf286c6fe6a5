from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from xinfang.audit.models import AuditEntry


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(*, actor: Any, action: str, object_type: str = "", object_id: object = "",
                 detail: dict[str, Any] | None = None, request: HttpRequest | None = None) -> AuditEntry:
    """Add one row to the audit log (one INSERT). `actor` may be None (the public, a failed sign-in)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = str(user) if user else ""
    return AuditEntry.objects.create(
        at=timezone.now(), actor=user, actor_label=label[:100], action=action,
        object_type=object_type, object_id=str(object_id)[:50], detail=detail or {}, ip=_client_ip(request))
