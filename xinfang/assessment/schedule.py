"""The embedded scheduler (manage.py schedule_run): management commands run every so often, beside the
web server, with no cron and no extra server. Each job is claimed by one process at a time (a
conditional UPDATE of its ScheduledRun row), so several schedulers may run; a failing job is recorded
(last_error) and tried again at its next time.

The jobs are settings.SCHEDULED_JOBS when set, else DEFAULT_JOBS: (name, command, arguments, every seconds).
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from xinfang.assessment.models import ScheduledRun

Job = tuple[str, str, list[str], int]

DEFAULT_JOBS: list[Job] = [
    # the statistics of the current month, kept current daily (the dashboard and reports read them)
    ("aggregates_current_month", "aggregates_rebuild", [], 24 * 3600),
    # the previous month's ranking and its rules, as soon as it has ended (a no-op once closed)
    ("assessment_month_close", "assessment_month_close", [], 3600),
    # the automatic supervision rules (xinfang.oversight.autorules): open petitions onto the supervision list
    ("supervision_rules_apply", "supervision_rules_apply", [], 3600),
    # the scheduled reports (日统计、单周研判、双周通报、月点评) of the periods that have ended, once each
    ("reports_build", "reports_build", [], 3600),
]


def jobs() -> list[Job]:
    return list(getattr(settings, "SCHEDULED_JOBS", DEFAULT_JOBS))


def job_claim(name: str, every: int, now: dt.datetime) -> bool:
    """Whether this process may run the job now (it is due and nobody else took it)."""
    ScheduledRun.objects.get_or_create(job=name)
    due = Q(last_started__isnull=True) | Q(last_started__lte=now - dt.timedelta(seconds=every))
    return ScheduledRun.objects.filter(due, job=name).update(last_started=now) == 1


def jobs_run_due(
    now: dt.datetime | None = None,
    run: Callable[..., object] = call_command,
    say: Callable[[str], object] = lambda text: None,
) -> list[str]:
    """Run every job that is due once; returns the names run."""
    done = []
    for name, command, args, every in jobs():
        at = now or timezone.now()
        if not job_claim(name, every, at):
            continue
        try:
            run(command, *args)
        except Exception:  # noqa: BLE001 — recorded and tried again at the job's next time
            ScheduledRun.objects.filter(job=name).update(last_error=traceback.format_exc()[-4000:])
            say(f"{name}: failed")
        else:
            ScheduledRun.objects.filter(job=name).update(last_ok=timezone.now(), last_error="")
            say(f"{name}: done")
        done.append(name)
    return done
