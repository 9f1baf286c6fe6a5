"""Supervision (督查督办) of a petition or of a whole unit: who put it under supervision (a supervisor,
or an automatic rule), how, by when the supervised unit must answer, its answer, and whether the
supervisor accepted it or sent it back; recommendations (督查建议) tracked to an answer; follow-up
visits (回访) of concluded petitions and the findings of fake resolution (假化解) they bring out."""

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


class SupervisionState(models.TextChoices):
    WAITING = "waiting", _("waiting for the answer")
    ANSWERED = "answered", _("answered, to be checked")
    RETURNED = "returned", _("sent back for a new answer")
    ACCEPTED = "accepted", _("answer accepted")
    ENDED = "ended", _("ended")


OPEN_SUPERVISION_STATES = (SupervisionState.WAITING, SupervisionState.ANSWERED, SupervisionState.RETURNED)
# The states in which the supervised unit owes an answer (late when past answer_due_on).
AWAITING_ANSWER = (SupervisionState.WAITING, SupervisionState.RETURNED)


class RuleKind(models.TextChoices):
    OPEN_DAYS = "open_days", _("open longer than N days")
    HEADCOUNT = "headcount", _("N or more people (collective visit)")
    REPEATS = "repeats", _("N or more petitions on the same matter")
    ATTENTION = "attention", _("high attention: urgent or special priority, or on a hot issue")


class SupervisionRule(models.Model):
    """An automatic supervision rule (自动督办规则): `manage.py supervision_rules_apply` puts every open
    petition it matches under supervision by `unit`, once per rule and petition (an item the supervisor
    ended is not put back by the same rule)."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind of rule"), max_length=12, choices=RuleKind.choices)
    threshold = models.PositiveIntegerField(
        _("N"),
        default=0,
        help_text=_(
            "Days open, people, or petitions on the same matter (this one included); not used by high attention."
        ),
    )
    unit = models.ForeignKey(
        Unit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supervising unit"),
        help_text=_("Empty: the petition bureau nearest above the petition's place."),
    )
    region = models.ForeignKey(
        Region,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only petitions placed in"),
        help_text=_("Empty: the supervising unit's region (every place without a unit)."),
    )
    mode = models.CharField(
        _("form of supervision"), max_length=12, choices=SupervisionMode.choices, default=SupervisionMode.ONLINE
    )
    requirement = models.TextField(_("what the unit must do and answer"))
    answer_days = models.PositiveSmallIntegerField(_("days to answer"), default=7)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("automatic supervision rule")
        verbose_name_plural = _("automatic supervision rules")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def actor_label(self) -> str:
        return f"自动督办规则：{self.name}"


class Supervision(models.Model):
    """One supervision: of a petition (its owning unit answers) or, without a petition, of a whole unit."""

    petition = models.ForeignKey(
        Petition, models.PROTECT, null=True, blank=True, related_name="supervisions", verbose_name=_("petition")
    )
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="+", verbose_name=_("supervised unit"))
    supervising_unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("supervising unit")
    )
    mode = models.CharField(_("form of supervision"), max_length=12, choices=SupervisionMode.choices)
    reason = models.TextField(_("reason for supervision"))
    requirement = models.TextField(_("what the unit must do and answer"))
    answer_due_on = models.DateField(_("answer due on"))
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("opened by")
    )
    rule = models.ForeignKey(
        SupervisionRule,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="supervisions",
        verbose_name=_("put on the list by rule"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=SupervisionState.choices, default=SupervisionState.WAITING
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("answered by")
    )
    is_open = models.BooleanField(_("open"), default=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("ended by")
    )
    closing_note = models.TextField(_("note on ending"), blank=True)

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        indexes = [
            models.Index(fields=["petition", "is_open"], name="supervision_petition_idx"),
            models.Index(fields=["is_open", "answer_due_on"], name="supervision_due_idx"),
            models.Index(fields=["unit", "is_open"], name="supervision_unit_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["petition"], condition=models.Q(is_open=True), name="supervision_one_open")
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.number}"

    @property
    def number(self) -> str:
        """The notice's number (督办编号), e.g. 督〔2026〕12号."""
        return f"督〔{self.opened_at.year}〕{self.pk}号"

    @property
    def is_unit_supervision(self) -> bool:
        return self.petition_id is None


class SupervisionStep(models.Model):
    """One step of a supervision (opened, answered, sent back, accepted, ended), for both kinds; a
    petition's supervision steps are also events in its hash-chained log."""

    supervision = models.ForeignKey(Supervision, models.CASCADE, related_name="steps")
    action = models.CharField(_("step"), max_length=12)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(_("by"), max_length=120)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("supervision step")
        verbose_name_plural = _("supervision steps")
        ordering = ["at", "pk"]


class RecommendationKind(models.TextChoices):
    WORK = "work", _("recommendation to improve work")
    POLICY = "policy", _("recommendation to improve policy")
    ACCOUNTABILITY = "accountability", _("recommendation to hold people accountable")


class RecommendationState(models.TextChoices):
    WAITING = "waiting", _("waiting for the answer")
    ANSWERED = "answered", _("answered, to be checked")
    RETURNED = "returned", _("sent back for a new answer")
    ACCEPTED = "accepted", _("answer accepted")


class Recommendation(models.Model):
    """A recommendation (工作建议/政策建议/追责建议) about a petition or a unit, addressed to a unit that
    must answer by `due_on`; the supervisor accepts the answer or sends it back."""

    kind = models.CharField(_("kind of recommendation"), max_length=16, choices=RecommendationKind.choices)
    petition = models.ForeignKey(
        Petition, models.PROTECT, null=True, blank=True, related_name="recommendations", verbose_name=_("petition")
    )
    about_unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("about the unit")
    )
    supervision = models.ForeignKey(
        Supervision,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("supervision"),
    )
    to_unit = models.ForeignKey(Unit, models.PROTECT, related_name="+", verbose_name=_("addressed to"))
    text = models.TextField(_("recommendation"))
    due_on = models.DateField(_("answer due on"))
    made_at = models.DateTimeField(_("made at"))
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("made by"))
    state = models.CharField(
        _("state"), max_length=10, choices=RecommendationState.choices, default=RecommendationState.WAITING
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("answered by")
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("checked by")
    )
    check_note = models.TextField(_("note on the answer"), blank=True)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        indexes = [models.Index(fields=["to_unit", "state"], name="recommendation_unit_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_unit}"


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("phone call")
    VISIT = "visit", _("home visit")
    SMS = "sms", _("SMS")


class FollowUp(models.Model):
    """A follow-up (回访) of a concluded petition by someone outside its handling unit."""

    petition = models.ForeignKey(Petition, models.PROTECT, related_name="follow_ups", verbose_name=_("petition"))
    method = models.CharField(_("how"), max_length=8, choices=FollowUpMethod.choices)
    reached = models.BooleanField(_("petitioner reached"))
    settled = models.BooleanField(_("the petitioner says the matter is really settled"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    at = models.DateTimeField(_("followed up at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by"))
    by_unit = models.ForeignKey(Unit, models.PROTECT, related_name="+", verbose_name=_("unit of the caller"))

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["petition", "at"], name="follow_up_petition_idx")]


class FindingKind(models.TextChoices):
    FAKE_RESOLUTION = "fake_resolution", _("fake resolution (resolved on paper, denied by the petitioner)")


class Finding(models.Model):
    """A finding against a unit (假化解、弄虚作假): kept as a row for the assessment of units."""

    kind = models.CharField(
        _("kind of finding"), max_length=20, choices=FindingKind.choices, default=FindingKind.FAKE_RESOLUTION
    )
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="+", verbose_name=_("unit"))
    petition = models.ForeignKey(Petition, models.PROTECT, related_name="findings", verbose_name=_("petition"))
    follow_up = models.OneToOneField(FollowUp, models.PROTECT, related_name="finding", verbose_name=_("follow-up"))
    supervision = models.ForeignKey(
        Supervision, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("supervision reopened")
    )
    found_on = models.DateField(_("found on"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [
            models.Index(fields=["unit", "found_on"], name="finding_unit_idx"),
            models.Index(fields=["found_on"], name="finding_month_idx"),
        ]


class FollowUpRule(models.Model):
    """Which concluded petitions are due for a follow-up (回访抽样规则): those decided in the last
    `within_days` days, either every one concluded as resolved or a `percent` sample of all."""

    name = models.CharField(_("name"), max_length=100)
    resolved_only = models.BooleanField(_("only petitions concluded as resolved"), default=True)
    percent = models.PositiveSmallIntegerField(
        _("sample (%)"),
        default=100,
        help_text=_("100: every one; 10: one in ten, chosen by the petition's number (the same ones each time)."),
    )
    within_days = models.PositiveSmallIntegerField(_("decided within the last N days"), default=90)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("follow-up sample rule")
        verbose_name_plural = _("follow-up sample rules")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


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
    supervision = models.ForeignKey(
        Supervision, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("supervision")
    )

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
        constraints = [models.UniqueConstraint(fields=["hot_issue", "petition"], name="hot_issue_member_unique")]
