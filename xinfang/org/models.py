"""Regions (行政区划), units (责任单位), people and their roles, and the holiday table."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("province")
    CITY = 2, _("city")
    COUNTY = 3, _("county")
    TOWNSHIP = 4, _("township / street")
    VILLAGE = 5, _("village / community")


# GB/T 2260 codes are 6 digits down to the county; township codes add 3 digits and village
# codes 3 more (the statistical division codes). `prefix` is the significant part of the code
# (43, 4301, 430102, 430102001, 430102001001), so a subtree is "prefix starts with".
PREFIX_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}


def region_prefix(code: str, level: int) -> str:
    return code[: PREFIX_LENGTH[RegionLevel(level)]]


class Region(models.Model):
    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        help_text=_("GB/T 2260 style: 6 digits to county, 9 for township, 12 for village"),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    prefix = models.CharField(_("tree prefix"), max_length=12, db_index=True, editable=False)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not self.code.isdigit() or len(self.code) != {1: 6, 2: 6, 3: 6, 4: 9, 5: 12}[self.level]:
            raise ValidationError({"code": _("Code length does not match the level.")})
        if self.parent and not self.code.startswith(self.parent.prefix):
            raise ValidationError({"code": _("Code must start with the parent's code.")})

    def save(self, *args, **kwargs) -> None:
        # derived field, no side effect beyond this row
        self.prefix = region_prefix(self.code, self.level)
        super().save(*args, **kwargs)


class UnitKind(models.TextChoices):
    GOVERNMENT = "government", _("people's government")
    BUREAU = "bureau", _("petition bureau")
    DEPARTMENT = "department", _("department")
    TOWNSHIP_OFFICE = "township", _("township / street office")
    VILLAGE_COMMITTEE = "village", _("village / community committee")
    STATIONED = "stationed", _("department stationed in the petition hall")
    DISCIPLINE = "discipline", _("discipline inspection and supervision")
    POLITICAL_LEGAL = "legal", _("political and legal affairs")


class Unit(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="units", verbose_name=_("region"))
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("next-higher unit"),
        help_text=_("Receives requests for review (复查) of this unit's decisions."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["region__code", "name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLERK = "clerk", _("registration clerk")
    BUREAU_STAFF = "bureau_staff", _("bureau staff")
    HANDLER = "handler", _("unit handler")
    UNIT_HEAD = "unit_head", _("unit head")
    LEADER = "leader", _("leader")
    SUPERVISOR = "supervisor", _("supervisor")
    ADMIN = "admin", _("administrator")


class User(AbstractUser):
    """A member of staff: one unit, one role. Every action is attributed to a user."""

    unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="members", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.HANDLER)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    # the deadline alerts (petitions.StaffAlert) not yet seen: kept on the row that every request loads, so
    # that the top bar's count costs no query
    alerts_unread = models.PositiveIntegerField(_("unread deadline alerts"), default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Holiday(models.Model):
    """An entry of the editable calendar: overrides chinesecalendar, and fills in years it does not know."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("is a working day"), default=False, help_text=_("Tick for a make-up working day on a weekend (调休上班).")
    )
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
