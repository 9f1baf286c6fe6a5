"""Calendar months as the first day's date (2026-05 is date(2026, 5, 1)): the statistics, the ranking
and the reports count by them."""

from __future__ import annotations

import datetime as dt


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_next(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_previous(month: dt.date) -> dt.date:
    return month_start(month_start(month) - dt.timedelta(days=1))


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """[first day, first day of the next month)."""
    start = month_start(month)
    return start, month_next(start)


def month_parse(text: str) -> dt.date:
    """'2026-05' → date(2026, 5, 1); ValueError otherwise."""
    return dt.datetime.strptime(text.strip(), "%Y-%m").date()
