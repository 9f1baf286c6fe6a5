"""The schedule (定时任务) on Django's tasks framework.

A chain of `schedule_tick` tasks, one every SCHEDULE_TICK_SECONDS, enqueues `scheduled_job_run` for each
job that is due; that task runs the job's own task and records the run. Every step that must happen
once is a conditional UPDATE, so it holds on SQLite and PostgreSQL and across workers and machines:
- one tick per slot (`tick_claim`): a second chain (another worker started) ends at its first tick;
- one enqueue per due slot (`job_claim_due`), the next slot set past now, so a job missed while the
  system was down runs once when it comes back, not once per missed slot;
- one run at a time per job (`job_lock`); a lock older than SCHEDULE_LOCK_SECONDS is a dead worker's.
A failed run is recorded and tried again after SCHEDULE_RETRY_SECONDS × failures, up to
SCHEDULE_RETRIES times, then at the job's next slot. Runs are kept SCHEDULE_RUNS_KEEP_DAYS days.
"""

from __future__ import annotations

import datetime as dt
import sys
import traceback
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from xinfang.schedule.models import JobRun, Outcome, ScheduledJob, Tick


def schedule_install() -> int:
    """Create the jobs of settings.SCHEDULE that are missing (an administrator's edits stay); the
    number created."""
    created = 0
    for name, task_path, every, queue, description in settings.SCHEDULE:
        _, made = ScheduledJob.objects.get_or_create(
            name=name, defaults={"task": task_path, "every": every, "queue": queue, "description": description}
        )
        created += made
    return created


def task_for(path: str) -> Task:
    """The django.tasks task at `path`; ValueError when there is none."""
    try:
        found = import_string(path)
    except ImportError as e:
        raise ValueError(f"no task at {path}") from e
    if not isinstance(found, Task):
        raise ValueError(f"{path} is not a django.tasks task")
    return found


def slot_after(start: dt.datetime | None, every: int, now: dt.datetime) -> dt.datetime:
    """The first slot of the cadence that started at `start` lying after `now` (missed slots collapse)."""
    if start is None or start > now:
        return now + dt.timedelta(seconds=every)
    missed = (now - start) // dt.timedelta(seconds=every)
    return start + dt.timedelta(seconds=every) * (missed + 1)


def due_by(field: str, now: dt.datetime) -> Q:
    """Rows whose time `field` is unset (as soon as possible) or has come."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now})


def tick_claim(now: dt.datetime) -> bool:
    """Whether this tick owns the slot at `now` (no other tick took it); sets the next one."""
    Tick.objects.get_or_create(pk=1)
    next_at = now + dt.timedelta(seconds=settings.SCHEDULE_TICK_SECONDS)
    return Tick.objects.filter(due_by("next_at", now), pk=1).update(next_at=next_at, beat=now) == 1


def job_claim_due(job: ScheduledJob, now: dt.datetime) -> bool:
    """Whether `job` is due at `now` and this caller moved it to its next slot (so enqueues it)."""
    moved = slot_after(job.next_run, job.every, now)
    return ScheduledJob.objects.filter(due_by("next_run", now), pk=job.pk, enabled=True).update(next_run=moved) == 1


def jobs_due(now: dt.datetime) -> list[ScheduledJob]:
    return list(ScheduledJob.objects.filter(due_by("next_run", now), enabled=True))


def job_lock(job: ScheduledJob, now: dt.datetime) -> bool:
    """Take the job's run lock (nobody runs it, or the one who did died SCHEDULE_LOCK_SECONDS ago)."""
    stale = now - dt.timedelta(seconds=settings.SCHEDULE_LOCK_SECONDS)
    free = Q(running_since__isnull=True) | Q(running_since__lt=stale)
    return ScheduledJob.objects.filter(free, pk=job.pk).update(running_since=now, last_started=now) == 1


def job_run(name: str, now: dt.datetime | None = None) -> JobRun | None:
    """Run the job `name` now, unless it is running elsewhere (None); the run, recorded."""
    now = now or timezone.now()
    job = ScheduledJob.objects.get(name=name)
    if not job_lock(job, now):
        return None
    run = JobRun.objects.create(job=job, started=now, attempt=job.failures + 1)
    try:
        result: Any = task_for(job.task).call()
    except BaseException:  # recorded, shown in the admin and tried again; a stopped worker too (then re-raised)
        job_finish(job, run, error=traceback.format_exc()[-8000:])
        if not isinstance(sys.exception(), Exception):
            raise
    else:
        job_finish(job, run, result=result)
    return run


def job_finish(job: ScheduledJob, run: JobRun, *, result: Any = None, error: str = "") -> None:
    finished = timezone.now()
    run.finished, run.result, run.error = finished, json_safe(result), error
    run.outcome = Outcome.FAILED if error else Outcome.OK
    failures = job.failures + 1 if error else 0
    changes: dict[str, Any] = {
        "running_since": None,
        "last_finished": finished,
        "last_outcome": run.outcome,
        "last_error": error,
        "failures": failures,
    }
    if error and failures <= settings.SCHEDULE_RETRIES:
        changes["next_run"] = finished + dt.timedelta(seconds=settings.SCHEDULE_RETRY_SECONDS * failures)
    kept_from = run.started - dt.timedelta(days=settings.SCHEDULE_RUNS_KEEP_DAYS)
    with transaction.atomic():
        run.save(update_fields=["finished", "result", "error", "outcome"])
        ScheduledJob.objects.filter(pk=job.pk).update(**changes)
        JobRun.objects.filter(job=job, started__lt=kept_from).delete()


def json_safe(value: Any) -> Any:
    """What a task returned, as JSON can keep it (its text where it cannot)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return str(value)


def job_run_soon(names: list[str]) -> int:
    """Make the named jobs due at the next tick (the admin's "run now")."""
    return ScheduledJob.objects.filter(name__in=names).update(next_run=timezone.now())
