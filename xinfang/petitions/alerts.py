"""Deadline warnings and overdue flags (check_deadlines). Safe to run often and twice at once:
each warning or flag is claimed by a row lock and a `... IS NULL` re-check inside one transaction,
so a second run finds nothing left to claim."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from xinfang.petitions import rules
from xinfang.petitions.deadlines import OBLIGATIONS
from xinfang.petitions.eventlog import build_event
from xinfang.petitions.models import Deadline, Event, Petition

SYSTEM_LABEL = "系统（期限监控）"


@dataclass
class CheckResult:
    warned: int = 0
    flagged: int = 0


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _claim(ids: list[int], field: str, action: str, now: dt.datetime) -> int:
    """Mark the still-unmarked deadlines among `ids` and log one event each; returns how many."""
    with transaction.atomic():
        rows = list(
            Deadline.objects.select_for_update()
            .filter(pk__in=ids, is_open=True, paused_since__isnull=True, **{f"{field}__isnull": True})
            .order_by("petition_id", "pk")
        )
        if not rows:
            return 0
        petitions = {
            p.pk: p
            for p in Petition.objects.select_for_update()
            .filter(pk__in={d.petition_id for d in rows})
            .only("pk", "log_seq", "log_head", "state")
        }
        events = []
        for d in rows:
            setattr(d, field, now)
            p = petitions[d.petition_id]
            events.append(
                build_event(
                    p,
                    action=action,
                    actor_id=None,
                    actor_label=SYSTEM_LABEL,
                    at=now,
                    from_state=p.state,
                    to_state=p.state,
                    data={"deadline": d.kind, "due_on": d.due_on.isoformat(), "unit": d.unit_id},
                )
            )
        Deadline.objects.bulk_update(rows, [field])
        Petition.objects.bulk_update(petitions.values(), ["log_seq", "log_head"])
        Event.objects.bulk_create(events)
        return len(rows)


def deadlines_check(now: dt.datetime | None = None, *, chunk: int = 500, progress=None) -> CheckResult:
    """Warn `rules.WARN_DAYS_BEFORE` days before each open obligation falls due; flag it the day after."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    base = Deadline.objects.filter(is_open=True, paused_since__isnull=True, kind__in=OBLIGATIONS)
    to_warn = list(
        base.filter(
            warned_at__isnull=True, due_on__gte=today, due_on__lte=today + dt.timedelta(days=rules.WARN_DAYS_BEFORE)
        ).values_list("pk", flat=True)
    )
    to_flag = list(base.filter(overdue_at__isnull=True, due_on__lt=today).values_list("pk", flat=True))
    result = CheckResult()
    for ids in _chunks(to_warn, chunk):
        result.warned += _claim(ids, "warned_at", "deadline_warning", now)
        if progress:
            progress(len(ids))
    for ids in _chunks(to_flag, chunk):
        result.flagged += _claim(ids, "overdue_at", "deadline_overdue", now)
        if progress:
            progress(len(ids))
    return result


def pending_count(now: dt.datetime | None = None) -> int:
    today = timezone.localdate(now or timezone.now())
    base = Deadline.objects.filter(is_open=True, paused_since__isnull=True, kind__in=OBLIGATIONS)
    return (
        base.filter(
            warned_at__isnull=True, due_on__gte=today, due_on__lte=today + dt.timedelta(days=rules.WARN_DAYS_BEFORE)
        ).count()
        + base.filter(overdue_at__isnull=True, due_on__lt=today).count()
    )
