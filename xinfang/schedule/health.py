"""What /healthz reports: the database, the task broker (Celery's, when XINFANG_TASK_BROKER is set) and the
age of the workers' heartbeat (the schedule's last tick). A load balancer or a monitor reads it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from kombu import Connection

from xinfang.schedule.models import Tick


def database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as e:
        return f"error: {e.__class__.__name__}"
    return "ok"


def broker_check() -> str:
    if not settings.TASK_BROKER:
        return "not used (tasks wait in the database)"
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as e:  # noqa: BLE001 — any failure to reach the broker is what this reports
        return f"error: {e.__class__.__name__}"
    return "ok"


def heartbeat_age() -> float | None:
    """Seconds since the schedule's last tick (a worker ran it), None before the first."""
    beat = Tick.objects.filter(pk=1).values_list("beat", flat=True).first()
    return None if beat is None else round((timezone.now() - beat).total_seconds(), 1)


def health() -> tuple[bool, dict[str, Any]]:
    """(healthy, the report): healthy when the database and broker answer and a worker ticked within three
    tick intervals."""
    database = database_check()
    report: dict[str, Any] = {"database": database, "broker": broker_check(), "worker_heartbeat_seconds": None}
    if database == "ok":
        report["worker_heartbeat_seconds"] = heartbeat_age()
    age = report["worker_heartbeat_seconds"]
    healthy = (
        database == "ok"
        and not report["broker"].startswith("error")
        and age is not None
        and age <= 3 * settings.SCHEDULE_TICK_SECONDS
    )
    report["status"] = "ok" if healthy else "unhealthy"
    return healthy, report
