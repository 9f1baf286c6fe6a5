"""The schedule's own tasks: the tick that keeps it going and the run of one job."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.tasks import task
from django.utils import timezone

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
