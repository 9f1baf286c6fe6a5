"""Sign-in, sign-out and failed sign-in, from Django's own signals (connected in AuditConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from xinfang.audit.models import AuditAction
from xinfang.audit.services import USER, audit_record


@receiver(user_logged_in, dispatch_uid="audit_signed_in")
def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=AuditAction.LOGIN, object_type=USER, object_id=user.pk, request=request)


@receiver(user_logged_out, dispatch_uid="audit_signed_out")
def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:  # (no one was signed in: nothing to record)
        audit_record(actor=user, action=AuditAction.LOGOUT, object_type=USER, object_id=user.pk, request=request)


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    """The name given (never the password: Django has already masked it) and the address."""
    name = str(credentials.get("username", ""))[:100]
    audit_record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type=USER,
        actor_label=name,
        detail={"username": name},
        request=request,
    )
