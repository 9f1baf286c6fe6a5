"""Deadline warnings and overdue flags (check_deadlines; the schedule's job deadlines_check). Safe to run
often and twice at once: each warning or flag is claimed by a row lock and a `... IS NULL` re-check
inside one transaction, so a second run finds nothing left to claim. With each, in the same
transaction, every clerk, handler, bureau staff member and head of the unit that must meet the deadline (the petition's owner unit
when the deadline names none) gets one StaffAlert, and their unread count (User.alerts_unread) grows:
warned `rules.warn_working_days()` working days before the deadline, flagged the day after it."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone

from xinfang.org.calendar import add_working_days
from xinfang.org.models import User
from xinfang.org.roles import ROLES_WHO_HANDLE, ROLES_WHO_ROUTE
from xinfang.org.scope import scope_for
from xinfang.petitions import rules
from xinfang.petitions.deadlines import OBLIGATIONS
from xinfang.petitions.eventlog import build_event
from xinfang.petitions.models import AlertKind, Deadline, Event, Petition, StaffAlert
from xinfang.petitions.selectors import petition_list_for

SYSTEM_LABEL = "系统（期限监控）"
# who of the unit that must meet a deadline is alerted: those who route and those who handle petitions
ALERTED_ROLES = ROLES_WHO_ROUTE | ROLES_WHO_HANDLE


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
            .only("pk", "log_seq", "log_head", "state", "owner_unit_id")
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
        kind = AlertKind.DUE_SOON if field == "warned_at" else AlertKind.OVERDUE
        alerts_write(rows, {d.pk: d.unit_id or petitions[d.petition_id].owner_unit_id for d in rows}, kind, now)
        return len(rows)


def alerts_write(deadlines: list[Deadline], unit_of: dict[int, int | None], kind: str, now: dt.datetime) -> int:
    """One alert of `kind` per deadline to each active member of its unit (`unit_of`) in ALERTED_ROLES, and their
    unread counts raised; the number written. Two queries and one UPDATE per distinct count."""
    members: dict[int, list[int]] = defaultdict(list)
    for user_id, unit_id in User.objects.filter(
        unit_id__in={u for u in unit_of.values() if u}, role__in=ALERTED_ROLES, is_active=True
    ).values_list("pk", "unit_id"):
        members[unit_id].append(user_id)
    alerts = [
        StaffAlert(
            recipient_id=user_id, deadline=d, petition_id=d.petition_id, kind=kind, due_on=d.due_on, created_at=now
        )
        for d in deadlines
        for user_id in members.get(unit_of[d.pk] or 0, [])
    ]
    StaffAlert.objects.bulk_create(alerts)
    by_count: dict[int, list[int]] = defaultdict(list)
    for user_id, n in Counter(a.recipient_id for a in alerts).items():
        by_count[n].append(user_id)
    for n, users in by_count.items():
        User.objects.filter(pk__in=users).update(alerts_unread=F("alerts_unread") + n)
    return len(alerts)


def deadlines_check(now: dt.datetime | None = None, *, chunk: int = 500, progress=None) -> CheckResult:
    """Warn `rules.warn_working_days()` working days before each open obligation falls due; flag it the
    day after."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    base = Deadline.objects.filter(is_open=True, paused_since__isnull=True, kind__in=OBLIGATIONS)
    to_warn = list(
        base.filter(warned_at__isnull=True, due_on__gte=today, due_on__lte=warn_until(today)).values_list(
            "pk", flat=True
        )
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
        base.filter(warned_at__isnull=True, due_on__gte=today, due_on__lte=warn_until(today)).count()
        + base.filter(overdue_at__isnull=True, due_on__lt=today).count()
    )


def warn_until(today: dt.date) -> dt.date:
    """The last due date warned today: `rules.warn_working_days()` working days after today."""
    return add_working_days(today, rules.warn_working_days())


# ---------------------------------------------------------------- what staff see of them


def staff_alerts_for(user: User) -> QuerySet[StaffAlert]:
    """The user's deadline alerts on petitions they may see (the one visibility rule), newest first."""
    visible = petition_list_for(user).values("pk")
    return (
        StaffAlert.objects.filter(recipient=user, petition__in=visible)
        .select_related("petition", "deadline")
        .order_by("-created_at", "-pk")
    )


def staff_alerts_read(user: User, now: dt.datetime | None = None) -> int:
    """Mark the user's unread alerts read and lower their unread count by as many; how many."""
    with transaction.atomic():
        read = StaffAlert.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now or timezone.now())
        if read:
            User.objects.filter(pk=user.pk).update(alerts_unread=Greatest(F("alerts_unread") - read, 0))
    return read


def overdue_by_unit_for(user: User, limit: int = 50) -> list[dict]:
    """Open obligations past their deadline, counted per unit that must meet them, in the units the user
    reaches (org.scope): [{"unit_id", "unit__name", "overdue"}], most first. One grouped query."""
    rows = scope_for(user).units(
        Deadline.objects.filter(is_open=True, overdue_at__isnull=False, kind__in=OBLIGATIONS, unit__isnull=False)
    )
    return list(
        rows.values("unit_id", "unit__name").annotate(overdue=Count("pk")).order_by("-overdue", "unit__name")[:limit]
    )
