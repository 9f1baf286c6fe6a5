"""Which report covers which days, and which reports are due on a day (日统计、单周研判、双周通报、月点评).

A report covers a period that has ended: the daily statistics the day before, the weekly analysis the
last Monday-to-Sunday week, the fortnightly bulletin the last two such weeks counted from FORTNIGHT_EPOCH
(fortnights never straddle years differently: they are counted from one fixed Monday), the monthly
review the last calendar month. `periods_due(day)` gives, for each kind, the latest period that has
ended before `day`: a scheduler asking every few minutes (or a day late, after a stop) builds each
report once, and a report missed on its day is still built the next time it asks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.translation import pgettext_lazy


class ReportKind(models.TextChoices):
    DAILY = "daily", pgettext_lazy("report", "daily statistics")  # 日统计
    WEEKLY = "weekly", pgettext_lazy("report", "weekly analysis")  # 单周研判
    FORTNIGHTLY = "fortnightly", pgettext_lazy("report", "fortnightly bulletin")  # 双周通报
    MONTHLY = "monthly", pgettext_lazy("report", "monthly review")  # 月点评


# The Chinese names, used in the documents (which are Chinese whatever the reader's language).
KIND_NAMES_ZH = {
    ReportKind.DAILY: "日统计",
    ReportKind.WEEKLY: "单周研判",
    ReportKind.FORTNIGHTLY: "双周通报",
    ReportKind.MONTHLY: "月点评",
}
FORTNIGHT_EPOCH = dt.date(2024, 1, 1)  # a Monday: fortnights are [epoch + 14k, epoch + 14k + 13]


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same kind just before this one (for the comparison 环比)."""
        return period_ending(self.kind, self.start - dt.timedelta(days=1))


def period_ending(kind: str, day: dt.date) -> Period:
    """The period of `kind` that contains `day`."""
    if kind == ReportKind.DAILY:
        return Period(kind, day, day)
    if kind == ReportKind.WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        return Period(kind, start, start + dt.timedelta(days=6))
    if kind == ReportKind.FORTNIGHTLY:
        start = FORTNIGHT_EPOCH + dt.timedelta(days=(day - FORTNIGHT_EPOCH).days // 14 * 14)
        return Period(kind, start, start + dt.timedelta(days=13))
    if kind == ReportKind.MONTHLY:
        start = day.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return Period(kind, start, following - dt.timedelta(days=1))
    raise ValueError(f"unknown report kind {kind!r}")


def period_due(kind: str, today: dt.date) -> Period:
    """The latest period of `kind` that has ended before `today` (on a Sunday, last week: this week has
    not ended)."""
    period = period_ending(kind, today - dt.timedelta(days=1))
    return period if period.end < today else period.previous()


def periods_due(today: dt.date, kinds: list[str] | tuple[str, ...] | None = None) -> list[Period]:
    return [period_due(kind, today) for kind in (kinds or ReportKind.values)]
