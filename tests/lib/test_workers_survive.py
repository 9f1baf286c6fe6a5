"""The worker commands live through a database restart (issue 18, point 7): a pass that meets a dropped
connection is reported, the connection is closed, and the next pass connects again and does its work
(notices_send --loop, schedule_run --loop); without --loop the error still fails the command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from tests.conftest import at, register
from xinfang.assessment.models import ScheduledRun
from xinfang.notify.models import Notice, NoticeState
from xinfang.petitions.models import Kind, Petitioner

pytestmark = pytest.mark.django_db(transaction=True)


def drop_the_connection() -> None:
    """What a database restart does to a worker: on PostgreSQL the server ends this process's backend
    (pg_terminate_backend, from another connection) and the next query fails; SQLite's test database
    lives in memory and dies with its connection, so there the next query fails as a lost file would.
    The pass has queried already (Django's health check, which reconnects before a pass's first query,
    is behind it): the restart comes in the middle of the pass."""
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


class RecordingSms:
    sent: list[str] = []

    def send(self, phone: str, text: str, key: str) -> None:
        RecordingSms.sent.append(phone)


def test_notices_send_loop_lives_through_a_dropped_connection_and_sends_on_the_next_pass(org, settings, monkeypatch):
    from xinfang.notify.management.commands import notices_send

    settings.SMS_BACKEND = f"{__name__}.RecordingSms"
    RecordingSms.sent.clear()
    register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[Petitioner(name="王某乙", phone="13900004321")])
    monkeypatch.setattr(notices_send, "notices_due_count", dropping_first(notices_send.notices_due_count))
    err = io.StringIO()
    out = io.StringIO()
    call_command("notices_send", "--loop", "--interval", "0", "--passes", "2", stderr=err, stdout=out)
    assert "数据库错误" in err.getvalue()
    assert RecordingSms.sent == ["13900004321"]
    assert Notice.objects.get().state == NoticeState.SENT


def test_schedule_run_loop_lives_through_a_dropped_connection_and_runs_the_job_on_the_next_check(
    db, settings, monkeypatch, capsys
):
    from xinfang.assessment.management.commands import schedule_run

    settings.SCHEDULED_JOBS = [("system_check", "check", [], 3600)]
    monkeypatch.setattr(schedule_run, "jobs_run_due", dropping_first(schedule_run.jobs_run_due))
    call_command("schedule_run", "--loop", "--interval", "0", "--passes", "2")
    assert "数据库错误" in capsys.readouterr().err
    run = ScheduledRun.objects.get(job="system_check")
    assert run.last_ok is not None and run.last_error == ""


def test_without_loop_a_database_error_fails_the_command(db, settings, monkeypatch):
    from xinfang.assessment.management.commands import schedule_run

    settings.SCHEDULED_JOBS = [("system_check", "check", [], 3600)]
    monkeypatch.setattr(schedule_run, "jobs_run_due", dropping_first(schedule_run.jobs_run_due))
    with pytest.raises((DatabaseError, InterfaceError)):
        call_command("schedule_run")
    connection.close()  # as the process would on exit
