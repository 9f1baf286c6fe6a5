"""The task worker lives through a database restart (issue 18, point 7; issue 20, point 3): a start that
meets a dropped connection is reported, the connection is closed, and the next start connects again and
runs the waiting task (manage.py tasks_worker); in --batch mode the error still fails the command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django_tasks_db.models import DBTaskResult

from tests.conftest import at, register
from xinfang.notify.models import Notice, NoticeState
from xinfang.notify.tasks import notices_send
from xinfang.petitions.models import Kind, Petitioner

pytestmark = pytest.mark.django_db(transaction=True)

WORKER = ["--no-schedule", "--no-startup-delay", "--interval", "0", "--retry", "0"]


def drop_the_connection() -> None:
    """What a database restart does to a worker: on PostgreSQL the server ends this process's backend
    (pg_terminate_backend, from another connection) and the next query fails; SQLite's test database
    lives in memory and dies with its connection, so there the next query fails as a lost file would."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if connection.vendor == "postgresql":
        import psycopg

        params = {
            k: v
            for k, v in connection.get_connection_params().items()
            if k in ("dbname", "user", "host", "port", "password")
        }
        with psycopg.connect(**params, autocommit=True) as other:
            # with a timeout, the call returns once the backend has gone
            other.execute("SELECT pg_terminate_backend(%s, 10000)", [connection.connection.info.backend_pid])
        return
    real = connection.create_cursor

    def failing(name=None):
        connection.create_cursor = real
        raise OperationalError("disk I/O error")

    connection.create_cursor = failing


def dropping_first(real):
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            drop_the_connection()
        return real(*args, **kwargs)

    return wrapped


def drop_in_the_middle_of_the_first_start(monkeypatch) -> None:
    """The restart comes after the worker's start has checked its connection (Django's health check, which
    would reconnect, is behind it) and before it looks for a task: that query meets the dead connection."""
    manager = type(DBTaskResult.objects)
    monkeypatch.setattr(manager, "ready", dropping_first(manager.ready))


class RecordingSms:
    sent: list[str] = []

    def send(self, phone: str, text: str, key: str) -> None:
        RecordingSms.sent.append(phone)


def test_the_worker_lives_through_a_dropped_connection_and_runs_the_task_on_its_next_start(org, settings, monkeypatch):
    settings.SMS_BACKEND = f"{__name__}.RecordingSms"
    RecordingSms.sent.clear()
    register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[Petitioner(name="王某乙", phone="13900004321")])
    notices_send.enqueue()
    drop_in_the_middle_of_the_first_start(monkeypatch)
    err = io.StringIO()
    call_command("tasks_worker", *WORKER, "--max-tasks", "1", "--passes", "2", stderr=err, stdout=io.StringIO())
    assert "数据库错误" in err.getvalue()
    assert RecordingSms.sent == ["13900004321"]
    assert Notice.objects.get().state == NoticeState.SENT
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_in_batch_mode_a_database_error_fails_the_command(db, monkeypatch):
    notices_send.enqueue()
    drop_in_the_middle_of_the_first_start(monkeypatch)
    with pytest.raises((DatabaseError, InterfaceError)):
        call_command("tasks_worker", *WORKER, "--batch", stdout=io.StringIO())
    connection.close()  # as the process would on exit
