"""The schedule's own tasks: the tick that keeps it going, the run of one job, the pruning of old results."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from xinfang.schedule import services


@task
def schedule_tick() -> dict[str, object]:
    """Enqueue the jobs that are due and the next tick; a tick whose slot another took ends there."""
    now = timezone.now()
    if not services.tick_claim(now):
        return {"tick": "taken"}
    schedule_tick.using(run_after=now + dt.timedelta(seconds=settings.SCHEDULE_TICK_SECONDS)).enqueue()
    started = []
    for job in services.jobs_due(now):
        if services.job_claim_due(job, now):
            scheduled_job_run.using(queue_name=job.queue).enqueue(job.name)
            started.append(job.name)
    return {"tick": now.isoformat(), "enqueued": started}


@task
def scheduled_job_run(name: str) -> str:
    """Run one scheduled job and record it; its outcome, or "running elsewhere"."""
    run = services.job_run(name)
    return run.outcome if run else "running elsewhere"


@task
def task_results_prune() -> dict[str, int]:
    """Delete the finished task results the database queue keeps (django-tasks-db) older than
    SCHEDULE_RUNS_KEEP_DAYS: a tick every 30 s would otherwise grow the table without end."""
    before = timezone.now() - dt.timedelta(days=settings.SCHEDULE_RUNS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()
    return {"deleted": deleted}
