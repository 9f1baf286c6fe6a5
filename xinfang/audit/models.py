"""The audit log: who saw, revealed, exported or changed what (security issue, point 6).

Workflow changes are in the petitions' own event log (xinfang.petitions.eventlog); this log keeps
what the event log does not: reads of a petition, reveals of masked personal data, exports, sign-ins.
Rows are only ever added (xinfang.audit.services.audit_record).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW = "view", _("viewed")
    REVEAL = "reveal", _("revealed personal data")
    API_PERSONAL = "api_personal", _("read personal data through the API")
    EXPORT = "export", _("exported")
    DOWNLOAD = "download", _("downloaded")
    CHANGE = "change", _("changed")
    LOGIN = "login", _("signed in")
    LOGIN_FAILED = "login_failed", _("failed sign-in")
    LOGOUT = "logout", _("signed out")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("who")
    )
    actor_label = models.CharField(_("who (as shown)"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    # what was seen or changed: "petitions.petition", "petitions.petitioner", a list's name, ...
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object"), max_length=50, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()} {self.object_type}:{self.object_id}"
