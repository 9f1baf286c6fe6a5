"""Pre-aggregated statistics, indicators, rankings and their rules (考核、通报、排名).

`DailyFact` and `UnitMonth` are filled by SQL only (xinfang.assessment.aggregates, `manage.py
aggregates_rebuild`); every statistic, dashboard and report reads them, never the petitions in a loop.
The rest is configuration (weights, settings, key management, qualitative scores) and history
(published monthly ranks, the rules that fired, the units' rectification plans).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.org.models import Region, Unit
from xinfang.petitions.models import Category

# Every measure column of DailyFact and UnitMonth, by family (one INSERT … SELECT each).
MEASURE_FAMILIES: dict[str, tuple[str, ...]] = {
    "receipts": ("received", "collective", "repeat", "skip_level"),
    "acceptance": ("accept_due", "accept_on_time", "accept_late"),
    "handling": ("handling_due", "handling_on_time", "handling_late"),
    "conclusions": ("concluded", "resolved", "resolved_locally"),
    "evaluations": ("evaluated", "satisfied", "basically", "dissatisfied"),
    "overdue": ("open_overdue",),
}
MEASURES: tuple[str, ...] = tuple(m for family in MEASURE_FAMILIES.values() for m in family)


class Measures(models.Model):
    """The measure columns shared by DailyFact and UnitMonth."""

    received = models.PositiveIntegerField(_("received"), default=0, db_default=0)
    collective = models.PositiveIntegerField(_("collective visits"), default=0, db_default=0)
    repeat = models.PositiveIntegerField(_("repeat petitions"), default=0, db_default=0)
    skip_level = models.PositiveIntegerField(_("skip-level visits"), default=0, db_default=0)
    accept_due = models.PositiveIntegerField(_("acceptance deadlines due"), default=0, db_default=0)
    accept_on_time = models.PositiveIntegerField(_("accepted in time"), default=0, db_default=0)
    accept_late = models.PositiveIntegerField(_("accepted late or not yet"), default=0, db_default=0)
    handling_due = models.PositiveIntegerField(_("handling deadlines due"), default=0, db_default=0)
    handling_on_time = models.PositiveIntegerField(_("concluded on time"), default=0, db_default=0)
    handling_late = models.PositiveIntegerField(_("concluded late or not yet"), default=0, db_default=0)
    concluded = models.PositiveIntegerField(_("concluded"), default=0, db_default=0)
    resolved = models.PositiveIntegerField(_("resolved"), default=0, db_default=0)
    resolved_locally = models.PositiveIntegerField(_("resolved locally"), default=0, db_default=0)
    evaluated = models.PositiveIntegerField(_("evaluated"), default=0, db_default=0)
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0, db_default=0)
    basically = models.PositiveIntegerField(_("basically satisfied"), default=0, db_default=0)
    dissatisfied = models.PositiveIntegerField(_("dissatisfied"), default=0, db_default=0)
    open_overdue = models.PositiveIntegerField(_("open and overdue"), default=0, db_default=0)

    class Meta:
        abstract = True


class Accused(models.Model):
    """An accusation's accused unit and official (Art. 30), on the statistics' rows: empty on every row
    but an accusation's. The statistics a user sees leave out the accusations against them
    (selectors.facts_scope_for, place_scope_for), as the petitions' visibility rule does."""

    accused_unit = models.ForeignKey(
        Unit, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("accused unit"), db_index=False
    )
    accused_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accused official (user)"),
        db_index=False,
    )

    class Meta:
        abstract = True


class DailyFact(Measures, Accused):
    """One day × unit × place × first-level category × channel × kind. Sparse and not unique: each
    measure family inserts its own rows, so readers SUM the measures (selectors.fact_sums)."""

    day = models.DateField(_("day"))
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="+", verbose_name=_("unit"), db_index=False)
    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("place"), db_index=False)
    category = models.ForeignKey(
        Category, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("category"), db_index=False
    )
    channel = models.CharField(_("channel"), max_length=10)
    kind = models.CharField(_("kind"), max_length=10)

    class Meta:
        verbose_name = _("daily statistics row")
        verbose_name_plural = _("daily statistics")
        indexes = [
            models.Index(fields=["day", "unit"], name="dailyfact_day_unit_idx"),
            models.Index(fields=["unit", "day"], name="dailyfact_unit_day_idx"),
        ]


class PlaceMonth(Measures, Accused):
    """The leaders' dashboard's roll-up: a month's DailyFact summed per place × first-level category ×
    channel (and an accusation's accused), without the unit, the kind and the day (aggregates.place_fill).
    A county's month is some thousands of rows where DailyFact has one or more per petition."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("place"), db_index=False)
    category = models.ForeignKey(
        Category, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("category"), db_index=False
    )
    channel = models.CharField(_("channel"), max_length=10)

    class Meta:
        verbose_name = _("place month")
        verbose_name_plural = _("place months")
        indexes = [models.Index(fields=["month", "region"], name="placemonth_month_region_idx")]


class PlaceDay(Accused):
    """The dashboard's days: DailyFact's received, concluded and open-and-overdue summed per day × place
    (and an accusation's accused) (aggregates.place_fill); rows with none of the three are left out."""

    day = models.DateField(_("day"))
    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("place"), db_index=False)
    received = models.PositiveIntegerField(_("received"), default=0, db_default=0)
    concluded = models.PositiveIntegerField(_("concluded"), default=0, db_default=0)
    open_overdue = models.PositiveIntegerField(_("open and overdue"), default=0, db_default=0)

    class Meta:
        verbose_name = _("place day")
        verbose_name_plural = _("place days")
        indexes = [models.Index(fields=["day", "region"], name="placeday_day_region_idx")]


class UnitMonth(Measures):
    """One unit's month: DailyFact summed (aggregates.unit_month_fill); what the ranking reads."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="+", verbose_name=_("unit"), db_index=False)
    claims = models.PositiveIntegerField(_("claims received"), default=0, db_default=0)
    population = models.PositiveIntegerField(_("population of the unit's region"), null=True, blank=True)
    # the provisional score with the weights in force, kept by selectors' unit_months_score (at every
    # rebuild and when weights, settings or qualitative scores change): the ranking page only reads it
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    rates = models.JSONField(_("rates"), null=True, blank=True)
    ranked = models.BooleanField(_("takes part in the ranking"), default=False, db_default=False)

    class Meta:
        verbose_name = _("unit month")
        verbose_name_plural = _("unit months")
        constraints = [models.UniqueConstraint(fields=["month", "unit"], name="unitmonth_unique")]


# ---------------------------------------------------------------- configuration


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")


class IndicatorWeight(models.Model):
    """How one indicator scores: points = weight × normalised value, where the normalised value is the
    rate's position between `floor` (0) and `target` (1), clamped (reversed when lower is better)."""

    key = models.CharField(_("indicator"), max_length=32, unique=True)
    weight = models.DecimalField(_("weight (points)"), max_digits=5, decimal_places=2, default=0)
    target = models.DecimalField(_("full points at"), max_digits=7, decimal_places=4, default=1)
    floor = models.DecimalField(_("no points at"), max_digits=7, decimal_places=4, default=0)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    claim_mix = models.BooleanField(
        _("adjust for the claim mix"),
        default=False,
        help_text=_("Lower the target by the claim-mix allowance times the unit's share of claims (申诉求决类)."),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("indicator weight")
        verbose_name_plural = _("indicator weights")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class AssessmentSettings(models.Model):
    """The county's assessment settings (one row, pk=1)."""

    population_floor = models.BooleanField(
        _("population floor"),
        default=True,
        help_text=_(
            "A unit with a population (township, village, government) is measured against at least the "
            "number of petitions its population leads one to expect, so that registering fewer never helps."
        ),
    )
    expected_per_10k = models.DecimalField(
        _("expected petitions per 10,000 residents a month"), max_digits=7, decimal_places=3, default=2
    )
    claim_mix_allowance = models.DecimalField(
        _("claim-mix allowance"),
        max_digits=5,
        decimal_places=4,
        default="0.10",
        help_text=_("How much lower a target is for a unit whose petitions are all claims (0.10 = 10 points)."),
    )
    ranked_kinds = models.CharField(
        _("kinds of unit ranked"),
        max_length=200,
        default="township,department,stationed",
        help_text=_(
            "Comma-separated unit kinds (township, department, stationed, village, "
            "bureau, government, discipline, legal). Villages are usually ranked "
            "by their township, not by the county."
        ),
    )
    top_n = models.PositiveSmallIntegerField(_("rewarded at the top"), default=3)
    bottom_n = models.PositiveSmallIntegerField(_("named at the bottom"), default=3)
    rectification_months = models.PositiveSmallIntegerField(
        _("months at the bottom for a rectification notice"), default=2
    )
    self_examination_months = models.PositiveSmallIntegerField(
        _("months at the bottom for a self-examination and deduction"), default=3
    )
    deduction_points = models.DecimalField(
        _("deduction in the annual assessment"), max_digits=5, decimal_places=2, default=5
    )
    issuer = models.CharField(_("issuer of the notices"), max_length=100, default="县委、县政府督查室")
    notice_title = models.CharField(
        _("title of the rectification notice"), max_length=100, default="限期整改督查通知书"
    )
    notice_body = models.TextField(
        _("text of the rectification notice"),
        default=(
            "{{ unit.name }}：\n"
            "根据{{ months_text }}信访工作通报，你单位连续{{ streak }}个月排名后{{ bottom_n }}名"
            "（{{ ranks_text }}）。\n"
            "请你单位于{{ due_on }}前写出书面整改意见，提出整改措施，报主管领导审定；"
            "整改方案经审定后抓好落实。\n"
            "{{ extra }}"
        ),
        help_text=_(
            "One paragraph per line; placeholders: {{ unit.name }}, {{ months_text }}, {{ streak }}, "
            "{{ bottom_n }}, {{ ranks_text }}, {{ due_on }}, {{ extra }}."
        ),
    )
    plan_days = models.PositiveSmallIntegerField(_("days to submit the plan"), default=10)

    class Meta:
        verbose_name = _("assessment settings")
        verbose_name_plural = _("assessment settings")

    def __str__(self) -> str:
        return str(_("assessment settings"))


class QualitativeSource(models.TextChoices):
    SUPERIOR = "superior", _("review by superiors")
    PUBLIC = "public", _("review by the public")


class QualitativeScore(models.Model):
    """A qualitative score (综合评议) of a unit for a month, 0–100, by its superiors or the public."""

    unit = models.ForeignKey(Unit, models.CASCADE, related_name="+", verbose_name=_("unit"))
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    source = models.CharField(_("source"), max_length=10, choices=QualitativeSource.choices)
    score = models.DecimalField(_("score (0–100)"), max_digits=5, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("entered by")
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)

    class Meta:
        verbose_name = _("qualitative score")
        verbose_name_plural = _("qualitative scores")
        constraints = [models.UniqueConstraint(fields=["unit", "month", "source"], name="qualitative_unique")]


class KeyManagement(models.Model):
    """A unit under key management (重点管理) from one month to another (open: until ended); it cannot be
    rated excellent in those months."""

    unit = models.ForeignKey(Unit, models.CASCADE, related_name="+", verbose_name=_("unit"))
    from_month = models.DateField(_("from month"))
    to_month = models.DateField(_("to month"), null=True, blank=True, help_text=_("Empty: until ended."))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("unit under key management")
        verbose_name_plural = _("units under key management")


# ---------------------------------------------------------------- history


class MonthClose(models.Model):
    """A month whose ranking has been published and whose rules have fired."""

    month = models.DateField(_("month"), unique=True)
    closed_at = models.DateTimeField(_("closed at"), auto_now_add=True)
    units = models.PositiveIntegerField(_("units ranked"), default=0, db_default=0)

    class Meta:
        verbose_name = _("closed month")
        verbose_name_plural = _("closed months")
        ordering = ["-month"]


class MonthRank(models.Model):
    """A unit's published place in a month's ranking, with the explanation of its score."""

    month = models.DateField(_("month"))
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="+", verbose_name=_("unit"), db_index=False)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank"))
    bottom_rank = models.PositiveIntegerField(_("rank from the bottom"))
    top = models.BooleanField(_("top, rewarded"), default=False)
    excellent = models.BooleanField(_("rated excellent"), default=False)
    bottom = models.BooleanField(_("named at the bottom"), default=False)
    key_management = models.BooleanField(_("under key management"), default=False)
    rates = models.JSONField(_("rates"), default=dict)
    detail = models.JSONField(_("explanation"), default=dict)

    class Meta:
        verbose_name = _("monthly rank")
        verbose_name_plural = _("monthly ranks")
        constraints = [models.UniqueConstraint(fields=["month", "unit"], name="monthrank_unique")]
        ordering = ["month", "rank", "unit_id"]


class Rule(models.TextChoices):
    RECTIFICATION = "rectification", _("rectification notice (last places two months running)")
    SELF_EXAMINATION = "self_examination", _("written self-examination and deduction (three months running)")
    REWARD = "reward", _("reward (top places)")
    EXCELLENCE_WITHHELD = "excellence_withheld", _("not rated excellent: under key management")


class RuleFiring(models.Model):
    """One rule that fired for one unit in one month: the history of the bulletin's consequences."""

    month = models.DateField(_("month"))
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="+", verbose_name=_("unit"))
    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    streak = models.PositiveSmallIntegerField(_("months running"), default=1)
    deduction = models.DecimalField(_("deduction"), max_digits=5, decimal_places=2, default=0)
    detail = models.JSONField(_("detail"), default=dict)
    due_on = models.DateField(_("plan due on"), null=True, blank=True)
    fired_at = models.DateTimeField(_("fired at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule fired")
        verbose_name_plural = _("rules fired")
        constraints = [models.UniqueConstraint(fields=["month", "unit", "rule"], name="rulefiring_unique")]
        ordering = ["-month", "rule", "unit_id"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id} {self.rule}"


class PlanState(models.TextChoices):
    SUBMITTED = "submitted", _("submitted, waiting for the leader")
    APPROVED = "approved", _("approved")
    RETURNED = "returned", _("returned for revision")


class RectificationPlan(models.Model):
    """A unit's written rectification plan (整改方案) or self-examination (书面检查) answering a firing;
    a leader approves it or returns it. A returned plan is answered by a new submission (a new row)."""

    firing = models.ForeignKey(RuleFiring, models.CASCADE, related_name="plans", verbose_name=_("rule fired"))
    text = models.TextField(_("plan"))
    state = models.CharField(_("state"), max_length=10, choices=PlanState.choices, default=PlanState.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("leader's note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("rectification plan")
        verbose_name_plural = _("rectification plans")
        ordering = ["firing_id", "-submitted_at", "-pk"]
