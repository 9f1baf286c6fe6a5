"""What the public portal publishes (leaders' reception days, policy answers), edited in the admin,
and the one thing it keeps of an anonymous petitioner: a keyed hash of the phone they track with."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.org.models import Unit
from xinfang.petitions.models import Category, Petition


class ReceptionDay(models.Model):
    """A leader's published reception day (领导接访日): who receives petitioners, when and where."""

    leader = models.CharField(
        _("receiving leader"),
        max_length=100,
        help_text=_("Title and name as published, e.g. 县长 or 副县长（分管住建）."),
    )
    unit = models.ForeignKey(Unit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit"))
    on = models.DateField(_("date"))
    hours = models.CharField(_("hours"), max_length=50, default="9:00—12:00")
    place = models.CharField(_("venue"), max_length=200)
    topics = models.CharField(
        _("matters received"), max_length=200, blank=True, help_text=_("Leave empty for any matter.")
    )
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("leader's reception day")
        verbose_name_plural = _("leaders' reception days")
        ordering = ["on", "pk"]
        indexes = [models.Index(fields=["is_published", "on"], name="reception_published_on_idx")]

    def __str__(self) -> str:
        return f"{self.on} {self.leader}"


class PolicyAnswer(models.Model):
    """A question people often ask and its answer (政策问答), with its legal basis."""

    question = models.CharField(_("question"), max_length=200)
    answer = models.TextField(_("answer"))
    basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    category = models.ForeignKey(
        Category, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("policy answer")
        verbose_name_plural = _("policy answers")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.question


class TrackingPhone(models.Model):
    """The phone number an anonymous petitioner gave to track their petition, kept only as a keyed
    hash (selectors.phone_digest): it can be matched but never read back, so nobody learns from it
    who sent an anonymous accusation."""

    petition = models.OneToOneField(Petition, models.CASCADE, related_name="tracking_phone")
    digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("tracking phone (hashed)")
        verbose_name_plural = _("tracking phones (hashed)")


class Submission(models.Model):
    """One sending of the portal's form, by its one-time token (minted when the form was shown): a
    second POST of the same token (a double click, a retry after the answer was lost) finds this row
    instead of registering the petition again. `browser` binds the receipt to the browser that sent
    it: an HMAC of the token and that browser's cookie (views.BROWSER_COOKIE), so that two petitions
    sent from one browser cannot be linked by it."""

    token = models.CharField(max_length=64, unique=True)
    petition = models.OneToOneField(Petition, models.CASCADE, related_name="portal_submission")
    browser = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("portal submission")
        verbose_name_plural = _("portal submissions")
