"""Working days and holidays: chinesecalendar, overridden and extended by the editable Holiday table.

chinesecalendar knows the State Council's holiday and make-up-workday arrangements only for the
years it ships (up to 2026 in 1.11). For a date the Holiday table lists, the table wins. For other
dates in a year chinesecalendar does not know, Monday to Friday are working days and the
explanation says so: a deadline is never refused and never crashes for want of a calendar.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import chinese_calendar

from xinfang.org.tablecache import TableCache


def _holiday_table() -> dict[dt.date, bool]:
    from xinfang.org.models import Holiday

    return dict(Holiday.objects.values_list("date", "is_workday"))


holidays = TableCache(_holiday_table)
invalidate_cache = holidays.invalidate  # connected to Holiday's save and delete signals


@functools.cache
def year_is_known(year: int) -> bool:
    """Whether chinesecalendar ships the holiday arrangement of `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: dt.date) -> bool:
    overrides = holidays.get()
    if day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


@dataclass
class DayCount:
    """The result of counting a period forward, and the notes that explain it."""

    end: dt.date
    notes: list[str] = field(default_factory=list)


def format_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _unknown_years_note(start: dt.date, end: dt.date) -> list[str]:
    listed_years = {day.year for day in holidays.get()}
    missing = [y for y in range(start.year, end.year + 1) if not year_is_known(y) and y not in listed_years]
    if not missing:
        return []
    listed = "、".join(str(y) for y in missing)
    return [f"{listed}年的法定节假日安排尚未录入节假日表，按周一至周五为工作日计算"]


def next_workday(day: dt.date) -> dt.date:
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The day on which `days` working days after `start` have passed (start itself not counted)."""
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    return day


def count_forward(start: dt.date, days: int, working: bool, roll_over: bool) -> DayCount:
    """Count `days` days after `start`; the start day is not counted (期间开始之日不计算在内)."""
    if working:
        end = add_working_days(start, days)
        return DayCount(end, _unknown_years_note(start, end))
    end = start + dt.timedelta(days=days)
    notes: list[str] = []
    if roll_over and not is_workday(end):
        moved = next_workday(end)
        notes.append(f"期满日{format_date(end)}为节假日，顺延至其后第一个工作日{format_date(moved)}")
        end = moved
    notes += _unknown_years_note(start, end)
    return DayCount(end, notes)


def working_days_between(first: dt.date, last: dt.date) -> int:
    """Working days in [first, last], both included."""
    day, n = first, 0
    while day <= last:
        n += is_workday(day)
        day += dt.timedelta(days=1)
    return n
