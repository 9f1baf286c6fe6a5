"""/healthz (issue 20, point 6): the database, the broker and the age of the workers' heartbeat, for a load
balancer or a monitor: 200 when all is well, 503 and the same report when not."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.support.production import production
from xinfang.schedule.models import Tick

T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


def test_healthy_when_a_worker_ticked_lately(db, time_machine, settings):
    time_machine.move_to(T0 + dt.timedelta(seconds=20), tick=False)
    Tick.objects.create(pk=1, beat=T0, next_at=T0 + dt.timedelta(seconds=settings.SCHEDULE_TICK_SECONDS))
    with CaptureQueriesContext(connection) as ctx:
        answer = Client().get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {
        "database": "ok",
        "broker": "not used (tasks wait in the database)",
        "worker_heartbeat_seconds": 20.0,
        "status": "ok",
    }
    assert len(ctx.captured_queries) <= 3
    assert answer["Cache-Control"].startswith("max-age=0")


def test_unhealthy_when_no_worker_has_ticked_for_three_intervals(db, time_machine, settings):
    assert Client().get("/healthz").json()["worker_heartbeat_seconds"] is None  # no worker ever
    Tick.objects.create(pk=1, beat=T0)
    time_machine.move_to(T0 + dt.timedelta(seconds=3 * settings.SCHEDULE_TICK_SECONDS + 1), tick=False)
    answer = Client().get("/healthz")
    assert answer.status_code == 503 and answer.json()["status"] == "unhealthy"


def test_a_broker_that_does_not_answer_is_reported(db, time_machine, settings):
    settings.TASK_BROKER = settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    time_machine.move_to(T0, tick=False)
    Tick.objects.create(pk=1, beat=T0)
    answer = Client().get("/healthz")
    assert answer.status_code == 503 and answer.json()["broker"].startswith("error")


def test_a_load_balancers_probe_over_plain_http_is_answered_in_production(tmp_path):
    """XINFANG_PRODUCTION=1 sends every page to HTTPS, but not /healthz (SECURE_REDIRECT_EXEMPT)."""
    probe = (
        "import django; django.setup(); from django.test import Client; "
        "print(Client().get('/healthz', HTTP_HOST='xf.example.gov.cn').status_code, "
        "Client().get('/portal/', HTTP_HOST='xf.example.gov.cn').status_code)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= production(XINFANG_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="xinfang.settings")
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True)
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["503", "301"]  # answered (no worker yet: unhealthy); the portal redirects


def test_a_broker_that_answers_is_ok(db, time_machine, settings):
    settings.TASK_BROKER = settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    time_machine.move_to(T0, tick=False)
    Tick.objects.create(pk=1, beat=T0)
    answer = Client().get("/healthz")
    assert answer.status_code == 200 and answer.json()["broker"] == "ok"
