"""Supervision (督查督办) of a petition: who put it under supervision, how, by when the owning unit
must answer, its answer and the end of the supervision. The oversight issue adds supervision of whole
units, automatic rules, notices and recommendations on top of this record."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.org.models import Region, Unit
from xinfang.petitions.models import Petition


class SupervisionMode(models.TextChoices):
    ONLINE = "online", _("online supervision")
    ON_SITE = "on_site", _("on-site supervision")
    JOINT = "joint", _("joint supervision")
    ESCALATED = "escalated", _("escalated supervision")


class Supervision(models.Model):
    petition = models.ForeignKey(Petition, models.PROTECT, related_name="supervisions",
                                 verbose_name=_("petition"))
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="+", verbose_name=_("supervised unit"))
    mode = models.CharField(_("form of supervision"), max_length=12, choices=SupervisionMode.choices)
    reason = models.TextField(_("reason for supervision"))
    requirement = models.TextField(_("what the unit must do and answer"))
    answer_due_on = models.DateField(_("answer due on"))
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                  verbose_name=_("opened by"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("answered by"))
    is_open = models.BooleanField(_("open"), default=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("ended by"))
    closing_note = models.TextField(_("note on ending"), blank=True)

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        indexes = [models.Index(fields=["petition", "is_open"], name="supervision_petition_idx")]
        constraints = [models.UniqueConstraint(fields=["petition"], condition=models.Q(is_open=True),
                                               name="supervision_one_open")]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.petition_id}"


class HotIssue(models.Model):
    """A hot issue (热点问题): petitions about one underlying problem in one place and period, found by
    `manage.py hot_issues_build` (xinfang.oversight.hot) and kept with the figures it is ranked by. Each
    build adds its groups with one `built_at`; the page shows the latest build."""

    built_at = models.DateTimeField(_("found at"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("place"))
    title = models.CharField(_("title"), max_length=200)
    keywords = models.CharField(_("key words"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("number of petitions"))
    petitioners = models.PositiveIntegerField(_("number of petitioners"))
    places = models.PositiveIntegerField(_("number of places"))
    growth = models.IntegerField(_("growth"))
    score = models.FloatField(_("score"))
    first_received_at = models.DateTimeField(_("first received"))
    last_received_at = models.DateTimeField(_("last received"))
    supervision = models.ForeignKey(Supervision, models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("supervision"))

    class Meta:
        verbose_name = _("hot issue")
        verbose_name_plural = _("hot issues")
        indexes = [models.Index(fields=["built_at", "score"], name="hot_issue_build_idx")]

    def __str__(self) -> str:
        return self.title


class HotIssueMember(models.Model):
    """A petition of a hot issue, with how close its text is to the group's (1: the most typical)."""

    hot_issue = models.ForeignKey(HotIssue, models.CASCADE, related_name="members")
    petition = models.ForeignKey(Petition, models.PROTECT, related_name="hot_issue_memberships")
    closeness = models.FloatField(_("closeness to the group"))

    class Meta:
        verbose_name = _("petition of a hot issue")
        verbose_name_plural = _("petitions of a hot issue")
        constraints = [models.UniqueConstraint(fields=["hot_issue", "petition"],
                                               name="hot_issue_member_unique")]
