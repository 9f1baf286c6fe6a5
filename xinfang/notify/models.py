"""The outbox of notices to petitioners (信访人短信、邮件通知).

A row is written in the same transaction as the petition's change (xinfang.notify.services), so a
notice is never lost and never sent for a change that was rolled back; the worker
(`manage.py notices_send`) sends it later, out of every request, and retries it with backoff.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.notify.texts import STAGES
from xinfang.petitions.crypto import DigestField, EncryptedTextField
from xinfang.petitions.models import Event, Petition
from xinfang.petitions.workflow import TABLE

# The stage of a notice is the action of its event: registration, or a row of the transition table.
STAGE_CHOICES = [("register", _("register"))] + [(t.action, t.label) for t in TABLE.values() if t.action in STAGES]


class NoticeChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


class NoticeState(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("given up")


class Notice(models.Model):
    """One message to one petitioner on one channel, for one event of the petition's history."""

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="notices", verbose_name=_("petition"))
    # indexed by notice_unique (event, channel, recipient_digest). Events are never deleted; if one were (the
    # event log's tampering checks do), the notice stays, as the record that it was sent.
    event = models.ForeignKey(
        Event, models.SET_NULL, null=True, related_name="+", verbose_name=_("event"), db_index=False
    )
    stage = models.CharField(_("stage"), max_length=32, choices=STAGE_CHOICES)
    channel = models.CharField(_("channel"), max_length=8, choices=NoticeChannel.choices)
    # the mobile number or e-mail address, encrypted at rest (xinfang.petitions.crypto); its keyed hash
    # tells two notices to the same address apart without decrypting
    recipient = EncryptedTextField(_("recipient"), max_length=254)
    recipient_digest = DigestField(source="recipient", kind="recipient")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=8, choices=NoticeState.choices, default=NoticeState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # who is sending it now: a worker's claim token and when it claimed the row (a claim older than
    # services.LEASE is taken to be a crashed worker's and may be claimed again)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice to a petitioner")
        verbose_name_plural = _("notices to petitioners")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # the worker's claim: what is due, oldest first
            models.Index(fields=["state", "next_attempt_at"], name="notice_due_idx"),
            models.Index(fields=["claim"], name="notice_claim_idx"),
        ]
        constraints = [
            # one message per event, channel and address: enqueueing twice changes nothing
            models.UniqueConstraint(fields=["event", "channel", "recipient_digest"], name="notice_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.stage} #{self.pk}"
