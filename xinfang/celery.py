"""The Celery application, for several machines: with XINFANG_TASK_BROKER set (redis://… or amqp://…),
django.tasks sends every task through it (django_tasks_celery.CeleryBackend) and
`celery -A xinfang.celery worker` runs them. Without it this module is not used."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")

app = Celery("xinfang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def schedule_start(**kwargs) -> None:
    """Each worker that starts enqueues one tick; it ends at once when the schedule's chain is alive."""
    from xinfang.schedule.tasks import schedule_tick  # noqa: PLC0415 — Django is set up once the worker is

    schedule_tick.enqueue()
