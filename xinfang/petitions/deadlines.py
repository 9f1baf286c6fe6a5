"""The one module that computes, changes and explains every due date.

A deadline counts `period_days` (calendar or working days, per rules.period) after `start_on`,
plus an approved extension and the days of any pause (a hearing), in the same unit. A calendar
period whose last day is not a working day moves to the next working day when `roll_over` is set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Min

from xinfang.org import calendar
from xinfang.org.models import Unit
from xinfang.petitions import rules
from xinfang.petitions.models import Deadline, DeadlineKind, Petition

# Deadlines a unit must meet; the others are the petitioner's windows (they lapse, nobody is late).
OBLIGATIONS = frozenset(
    {
        DeadlineKind.INTAKE,
        DeadlineKind.ACCEPTANCE,
        DeadlineKind.ASSIGNMENT_REPORT,
        DeadlineKind.HANDLING,
        DeadlineKind.REVIEW_ANSWER,
        DeadlineKind.REEXAMINATION_ANSWER,
    }
)
WINDOWS = frozenset(
    {
        DeadlineKind.OBJECTION,
        DeadlineKind.REVIEW_REQUEST,
        DeadlineKind.REEXAMINATION_REQUEST,
    }
)
# Deadlines that bind the owning unit when they open; the others are the petitioner's windows.
UNIT_DEADLINES = OBLIGATIONS | {DeadlineKind.OBJECTION}
# The basis of a report period the assignment sets itself (交办, a number of days), in place of an article.
REPORT_ARTICLE = "交办单确定的报告期限"


def compute_due(d: Deadline) -> calendar.DayCount:
    total = d.period_days + d.extension_days + d.paused_days
    return calendar.count_forward(d.start_on, total, d.working_days, d.roll_over)


def deadline_new(
    petition: Petition,
    kind: str,
    start_on: dt.date,
    unit: Unit | None,
    *,
    period_key: str | None = None,
    days: int | None = None,
) -> Deadline:
    """A new, unsaved deadline from the configured period `period_key` (default: the kind), or
    from `days` calendar days given by whoever set it (an assignment's report date)."""
    if days is None:
        p = rules.period(period_key or kind)
        days, working, roll_over, article = p.days, p.working_days, p.roll_over, p.article
    else:
        working, roll_over, article = False, False, REPORT_ARTICLE
    d = Deadline(
        petition=petition,
        kind=kind,
        unit=unit,
        start_on=start_on,
        period_days=days,
        working_days=working,
        roll_over=roll_over,
        article=article,
    )
    d.due_on = compute_due(d).end
    return d


def deadline_extend(d: Deadline, days: int, reason: str) -> None:
    d.extension_days += days
    d.extension_reason = reason
    d.due_on = compute_due(d).end


def deadline_pause(d: Deadline, on: dt.date) -> None:
    d.paused_since = on


def deadline_resume(d: Deadline, on: dt.date) -> int:
    """End a pause that began on `paused_since`; both days count as paused. Returns the days added."""
    assert d.paused_since is not None
    if d.working_days:
        added = calendar.working_days_between(d.paused_since, on)
    else:
        added = (on - d.paused_since).days + 1
    d.paused_days += added
    d.paused_since = None
    d.due_on = compute_due(d).end
    return added


def deadline_meet(d: Deadline, on: dt.date) -> None:
    d.is_open = False
    d.met_on = on


def petition_due_on(petition: Petition) -> dt.date | None:
    """The earliest open obligation: what a unit's work queue sorts by."""
    return Deadline.objects.filter(petition=petition, is_open=True, kind__in=OBLIGATIONS).aggregate(m=Min("due_on"))[
        "m"
    ]


def queue_due(open_deadlines: Iterable[tuple[str, dt.date]]) -> dt.date | None:
    """The date a work queue sorts by, from the open deadlines' (kind, due on): the earliest open
    obligation, else the earliest window of the petitioner (the objection period is the unit's own)."""
    pairs = list(open_deadlines)
    obligations = [due for kind, due in pairs if kind in OBLIGATIONS]
    windows = [due for kind, due in pairs if kind in WINDOWS and kind != DeadlineKind.OBJECTION]
    return min(obligations or windows or [None], key=lambda d: d or dt.date.max)


def explain(d: Deadline) -> str:
    """How the due date was computed, in words a clerk and a petitioner can check."""
    unit = "个工作日" if d.working_days else "日"
    parts = [f"自{calendar.format_date(d.start_on)}起算（当日不计入），期限{d.period_days}{unit}"]
    if d.article:
        parts.append(f"依据{d.article}")
    if d.extension_days:
        parts.append(f"经批准延长{d.extension_days}{unit}（理由：{d.extension_reason}）")
    if d.paused_days:
        parts.append(f"听证等中止期间{d.paused_days}{unit}不计入")
    if d.paused_since:
        parts.append(f"自{calendar.format_date(d.paused_since)}起中止计算，恢复后顺延")
    count = compute_due(d)
    parts += count.notes
    parts.append(f"截止日期{calendar.format_date(d.due_on)}")
    if d.met_on:
        parts.append(f"已于{calendar.format_date(d.met_on)}完成")
    return "；".join(parts) + "。"
