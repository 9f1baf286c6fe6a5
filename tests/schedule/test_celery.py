"""Background work on Celery (issue 20, point 3): with XINFANG_TASK_BROKER set, django.tasks sends a task
through Redis or RabbitMQ to a real `celery -A xinfang.celery worker`, which runs it against the database
and records it. Each test starts the worker as a separate process on a database of its own (a SQLite
file the processes share) and waits for the job's result through Celery, never by sleeping."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROKERS = {
    "redis": "redis://127.0.0.1:6379/15",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}
ENQUEUE_AND_WAIT = """
import django, json
django.setup()
from xinfang.celery import app
from xinfang.schedule.models import JobRun
from xinfang.schedule.tasks import scheduled_job_run
result = scheduled_job_run.enqueue("deadlines_check")
outcome = app.AsyncResult(result.id).get(timeout=90)
run = JobRun.objects.filter(job__name="deadlines_check").latest("started")
print(json.dumps({"outcome": outcome, "recorded": run.outcome, "result": run.result}))
"""

pytestmark = pytest.mark.celery


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A migrated SQLite database that the test's processes and the worker share."""
    folder = tmp_path_factory.mktemp("celery")
    env = environment(folder, "")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return folder


def environment(folder: Path, broker: str, queue: str = "xinfang") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(XINFANG_DATA_DIR=str(folder), XINFANG_TASK_BROKER=broker, XINFANG_TASK_QUEUE=queue, DEBUG="0")
    return env


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_a_job_runs_end_to_end_on_a_real_celery_worker(broker, data_dir):
    queue = f"xinfang-test-{uuid.uuid4().hex[:8]}"  # no message of another run reaches this worker
    env = environment(data_dir, BROKERS[broker], queue)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "xinfang.celery", "worker", "--pool", "solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        done = subprocess.run(
            [sys.executable, "-c", ENQUEUE_AND_WAIT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
    finally:
        worker.terminate()
        log = worker.communicate(timeout=60)[0]
    assert done.returncode == 0, done.stderr[-3000:] + log[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"outcome": "ok", "recorded": "ok", "result": {"warned": 0, "flagged": 0}}
