"""What became of each proposal: the proposal shown at registration and what staff chose, kept so that
the models learn from corrections (`manage.py routing_train --from-petitions`) and so that how often
staff confirm a proposal can be counted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.org.models import Region, RegionLevel, Unit
from xinfang.petitions.models import Category, Petition


class ProposalKind(models.TextChoices):
    CATEGORY = "category", _("category")


class ProposalOutcome(models.Model):
    """One proposal of one kind for one petition: the first label proposed, its confidence and the
    alternatives shown with it, the model that proposed them, and the label staff chose (empty if they
    chose none). For a category, labels are first-level names (一级分类)."""

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="proposal_outcomes", verbose_name=_("petition"))
    kind = models.CharField(_("kind of proposal"), max_length=16, choices=ProposalKind.choices)
    proposed = models.CharField(_("proposed"), max_length=200)
    confidence = models.FloatField(_("confidence"))
    alternatives = models.JSONField(_("alternatives shown"), default=list, blank=True)
    chosen = models.CharField(_("chosen by staff"), max_length=200, blank=True)
    accepted = models.BooleanField(_("proposal accepted"))
    model_version = models.CharField(_("model version"), max_length=40)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )

    class Meta:
        verbose_name = _("proposal outcome")
        verbose_name_plural = _("proposal outcomes")
        constraints = [models.UniqueConstraint(fields=["petition", "kind"], name="proposal_outcome_unique")]
        indexes = [models.Index(fields=["kind", "recorded_at"], name="proposal_outcome_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.proposed} → {self.chosen or '—'}"


# ---------------------------------------------------------------- the routing table (派单目录)


class RuleTarget(models.TextChoices):
    UNIT = "unit", _("the unit named")
    TOWNSHIP_OFFICE = "township_office", _("the township or street office of the petition's place")
    VILLAGE_COMMITTEE = "village_committee", _("the village or community committee of the petition's place")


class RuleSource(models.TextChoices):
    MANUAL = "manual", _("entered by an administrator")
    LEARNED = "learned", _("suggested from staff corrections")


class RoutingRule(models.Model):
    """One line of the routing table (派单目录): petitions of a category (and everything under it)
    about a place (of a level, or inside one region) go to a responsible unit. Of the rules that fit a
    petition, the one with the more specific category wins, then the one with the more specific place
    (a region named beats a level, a level beats any place); see xinfang.routing.units."""

    category = models.ForeignKey(
        Category,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
        help_text=_("Any level; the rule covers everything under it. Empty: every category."),
    )
    region_level = models.PositiveSmallIntegerField(
        _("level of the place"),
        null=True,
        blank=True,
        choices=[
            (level.value, level.label) for level in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)
        ],
        help_text=_("Only petitions whose place is of this level. Empty: any level."),
    )
    region = models.ForeignKey(
        Region,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("Only petitions about this region or a place inside it."),
    )
    target = models.CharField(
        _("responsible unit is"), max_length=20, choices=RuleTarget.choices, default=RuleTarget.UNIT
    )
    unit = models.ForeignKey(
        Unit, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("responsible unit")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("A suggested rule is used only once an administrator ticks this.")
    )
    source = models.CharField(
        _("source"), max_length=10, choices=RuleSource.choices, default=RuleSource.MANUAL, editable=False
    )
    corrections = models.PositiveIntegerField(_("staff corrections behind it"), default=0, editable=False)
    proposed_count = models.PositiveIntegerField(_("times proposed at routing"), default=0, editable=False)
    accepted_count = models.PositiveIntegerField(_("times staff chose it"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing table (routing rules)")
        ordering = ["pk"]

    def __str__(self) -> str:
        return _("Rule %(n)s") % {"n": self.pk}

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.target == RuleTarget.UNIT and self.unit_id is None:
            raise ValidationError({"unit": _("Choose the responsible unit.")})
        if self.target != RuleTarget.UNIT and self.unit_id is not None:
            raise ValidationError({"unit": _("Leave the unit empty: it is found from the petition's place.")})


class UnitOutcome(models.Model):
    """What became of a unit proposal: at each forward (转送) or assignment (交办), the unit proposed
    then (if any) and the unit staff chose, with what the learning groups by (the petition's category
    and the level of its place, and how the chosen unit stands to that place)."""

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="unit_outcomes", verbose_name=_("petition"))
    action = models.CharField(_("action"), max_length=16)
    category = models.ForeignKey(
        Category, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    region = models.ForeignKey(
        Region, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("place")
    )
    region_level = models.PositiveSmallIntegerField(
        _("level of the place"), null=True, blank=True, choices=RegionLevel.choices
    )
    proposed_unit = models.ForeignKey(
        Unit, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("unit proposed")
    )
    rule = models.ForeignKey(
        RoutingRule,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="outcomes",
        verbose_name=_("rule proposing it"),
    )
    confidence = models.FloatField(_("confidence"), default=0)
    alternatives = models.JSONField(_("alternatives shown (unit ids)"), default=list, blank=True)
    chosen_unit = models.ForeignKey(Unit, models.PROTECT, related_name="+", verbose_name=_("unit chosen by staff"))
    chosen_target = models.CharField(
        _("chosen unit is"), max_length=20, choices=RuleTarget.choices, default=RuleTarget.UNIT
    )
    accepted = models.BooleanField(_("proposal accepted"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )

    class Meta:
        verbose_name = _("unit proposal outcome")
        verbose_name_plural = _("unit proposal outcomes")
        indexes = [models.Index(fields=["accepted", "category", "region_level"], name="unit_outcome_learn_idx")]

    def __str__(self) -> str:
        return f"{self.proposed_unit or '—'} → {self.chosen_unit}"


# ---------------------------------------------------------------- the category models trained


class Reading(models.TextChoices):
    QUICK = "quick", _("quick: first reading only")
    FULL = "full", _("full: with the second reading (sentence embeddings)")


class CategoryModelRecord(models.Model):
    """One category model trained and installed (the model itself is a file, settings.ROUTING_MODEL_PATH):
    what it is, when and from what it was trained, and its cross-validated figures once measured."""

    version = models.CharField(_("model version"), max_length=40, unique=True)
    reading = models.CharField(_("reading"), max_length=8, choices=Reading)
    trained_at = models.DateTimeField(_("trained at"))
    samples = models.PositiveIntegerField(_("training texts"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    seconds = models.FloatField(_("training seconds"))
    cv_folds = models.PositiveSmallIntegerField(_("cross-validation folds"), null=True, blank=True)
    cv_accuracy = models.FloatField(_("cross-validated accuracy"), null=True, blank=True)
    cv_macro_f1 = models.FloatField(_("cross-validated macro-F1"), null=True, blank=True)
    cv_at = models.DateTimeField(_("cross-validated at"), null=True, blank=True)

    class Meta:
        ordering = ["-trained_at"]
        verbose_name = _("category model")
        verbose_name_plural = _("category models")

    def __str__(self) -> str:
        return self.version
