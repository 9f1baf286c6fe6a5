"""API clients (another government system: a 12345 hotline, a city statistics system) and the
idempotency keys of their writes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.petitions.crypto import EncryptedTextField


class Scope(models.TextChoices):
    PETITIONS_READ = "petitions:read", _("read and list petitions")
    PETITIONS_WRITE = "petitions:write", _("register petitions and act on them")
    STATISTICS_READ = "statistics:read", _("read statistics")
    PERSONAL_READ = "personal:read", _("see petitioners' phone and ID numbers unmasked")


class ApiClient(models.Model):
    """A system that calls the API with `Authorization: Bearer <token>`. It acts as its service user
    (`user`, created with it: one unit, one role), so the permission and visibility rules of the
    pages apply to it unchanged and the event log names it. Only a hash of the token is stored."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="api_client", verbose_name=_("service user")
    )
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token begins with"), max_length=12, editable=False)
    scopes = models.CharField(_("scopes"), max_length=200, help_text=_("Separated by spaces."))
    is_active = models.BooleanField(_("active"), default=True)
    # petitions whose personal data (phone, ID number, e-mail, address) it may be given per clock hour
    personal_per_hour = models.PositiveIntegerField(
        _("petitions with personal data per hour"),
        null=True,
        blank=True,
        help_text=_(
            "How many petitions with unmasked personal data this client may read in one hour; "
            "empty: the setting XINFANG_API_PERSONAL_PER_HOUR (default 300)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class IdempotencyKey(models.Model):
    """The stored answer to one client's write sent with an `Idempotency-Key` header. The row is
    inserted in the same transaction as the write, before it: the unique constraint lets only one
    of two racing requests with the same key through."""

    client = models.ForeignKey(ApiClient, models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status = models.PositiveSmallIntegerField(default=0)  # 0 while the write runs
    # the answer may carry petitioners' phone and ID numbers (personal:read): encrypted at rest
    body = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique")]


class PersonalReadCount(models.Model):
    """How many petitions' unmasked personal data one client has been given in one clock hour
    (xinfang.api.personal): one row per client and hour, raised by a conditional UPDATE."""

    client = models.ForeignKey(ApiClient, models.CASCADE, related_name="+")
    hour = models.DateTimeField()  # the hour's start (UTC)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("personal data read count")
        verbose_name_plural = _("personal data read counts")
        constraints = [models.UniqueConstraint(fields=["client", "hour"], name="personal_read_count_unique")]
