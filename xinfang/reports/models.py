"""A scheduled report (日统计、单周研判、双周通报、月点评) of one region and period, as built: its figures
(the numbers it states, as JSON) and its Word and PDF documents. Built by `manage.py reports_build`
(xinfang.reports.services.report_build) from the pre-aggregated tables of xinfang.assessment."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xinfang.org.models import Region
from xinfang.reports.schedule import ReportKind


class Report(models.Model):
    kind = models.CharField(pgettext_lazy("report", "kind"), max_length=12, choices=ReportKind.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    title = models.CharField(_("title"), max_length=200)
    built_at = models.DateTimeField(_("built at"))
    figures = models.JSONField(_("figures"), default=dict)
    docx = models.BinaryField(_("Word document"))
    pdf = models.BinaryField(_("PDF document"))

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [models.UniqueConstraint(fields=["kind", "region", "period_start"], name="report_one_per_period")]
        indexes = [models.Index(fields=["region", "-period_start"], name="report_region_idx")]

    def __str__(self) -> str:
        return self.title
