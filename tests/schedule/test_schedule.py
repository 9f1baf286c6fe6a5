"""The one schedule (issue 20, points 3 and 4): every periodic job is a django.tasks task in one table
the admin edits; each run is recorded; a failed run is retried; one run at a time per job; missed slots
collapse into one run; one chain of ticks however many workers start."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.tasks import Task
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from xinfang.schedule import services
from xinfang.schedule.models import JobRun, Outcome, ScheduledJob, Tick
from xinfang.schedule.tasks import schedule_tick

T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
CALLS: list[str] = []


def fine() -> dict[str, int]:
    CALLS.append("fine")
    return {"done": 1}


def boom() -> None:
    raise RuntimeError("数据库不可用")


fine_task = Task(priority=0, func=fine, queue_name="default", backend="default", takes_context=False)
boom_task = Task(priority=0, func=boom, queue_name="default", backend="default", takes_context=False)


def job(name: str, task: str = f"{__name__}.fine_task", every: int = 60, **kw) -> ScheduledJob:
    return ScheduledJob.objects.create(name=name, task=task, every=every, **kw)


def enqueued(name: str) -> list[DBTaskResult]:
    return [r for r in DBTaskResult.objects.all() if r.task_path.endswith(name)]


@pytest.fixture(autouse=True)
def _no_default_jobs(db):
    ScheduledJob.objects.all().delete()  # migrate installed settings.SCHEDULE; each test makes its own
    CALLS.clear()


def test_migrate_installs_every_default_job_and_each_names_a_real_task(settings):
    assert services.schedule_install() == len(settings.SCHEDULE)
    names = {name for name, *_ in settings.SCHEDULE}
    assert set(ScheduledJob.objects.values_list("name", flat=True)) == names
    assert {"notices_send", "deadlines_check", "hot_issues_build", "idempotency_purge"} <= names
    for scheduled in ScheduledJob.objects.all():
        assert isinstance(services.task_for(scheduled.task), Task)


def test_installing_again_keeps_what_an_administrator_changed():
    services.schedule_install()
    ScheduledJob.objects.filter(name="hot_issues_build").update(every=7200, enabled=False)
    assert services.schedule_install() == 0
    assert ScheduledJob.objects.filter(name="hot_issues_build", every=7200, enabled=False).exists()


def test_a_path_that_is_no_task_is_refused():
    with pytest.raises(ValueError):
        services.task_for("xinfang.schedule.services.slot_after")
    with pytest.raises(ValueError):
        services.task_for("xinfang.nowhere.task")


@given(
    start_offset=st.integers(min_value=-(10**6), max_value=10**6),
    every=st.integers(min_value=1, max_value=10**5),
)
def test_the_next_slot_lies_after_now_on_the_cadence_and_within_one_period(start_offset, every):
    start = T0 + dt.timedelta(seconds=start_offset)
    slot = services.slot_after(start, every, T0)
    assert T0 < slot <= T0 + dt.timedelta(seconds=every)
    if start <= T0:  # the cadence keeps its phase
        assert (slot - start).total_seconds() % every == 0


def test_a_tick_enqueues_the_due_jobs_once_and_the_next_tick(settings, time_machine):
    time_machine.move_to(T0, tick=False)
    job("a", every=3600)
    job("b", every=60, next_run=T0 + dt.timedelta(seconds=30))  # not yet due
    job("off", enabled=False)
    assert schedule_tick.call() == {"tick": T0.isoformat(), "enqueued": ["a"]}
    runs = enqueued("scheduled_job_run")
    assert [r.args_kwargs["args"] for r in runs] == [["a"]]
    [following] = enqueued("schedule_tick")
    assert following.run_after == T0 + dt.timedelta(seconds=settings.SCHEDULE_TICK_SECONDS)
    assert ScheduledJob.objects.get(name="a").next_run == T0 + dt.timedelta(seconds=3600)


def test_a_second_tick_in_the_same_slot_ends_at_once(time_machine):
    """Two workers started: two chains of ticks would enqueue every job twice; the second ends."""
    time_machine.move_to(T0, tick=False)
    job("a")
    schedule_tick.call()
    assert schedule_tick.call() == {"tick": "taken"}
    assert len(enqueued("scheduled_job_run")) == 1 and len(enqueued("schedule_tick")) == 1
    assert Tick.objects.get().beat == T0  # the heartbeat /healthz will read


def test_a_job_missed_while_the_system_was_down_runs_once_not_once_per_slot(time_machine):
    job("every_minute", every=60, next_run=T0)
    time_machine.move_to(T0 + dt.timedelta(hours=3, seconds=10), tick=False)
    schedule_tick.call()
    assert len(enqueued("scheduled_job_run")) == 1  # 180 slots missed: one run
    assert ScheduledJob.objects.get().next_run == T0 + dt.timedelta(hours=3, minutes=1)


def test_a_run_is_recorded_with_what_the_task_returned():
    job("a")
    run = services.job_run("a", now=T0)
    assert CALLS == ["fine"]
    run.refresh_from_db()
    assert (run.outcome, run.result, run.attempt, run.error) == (Outcome.OK, {"done": 1}, 1, "")
    scheduled = ScheduledJob.objects.get()
    assert scheduled.last_outcome == Outcome.OK and scheduled.running_since is None
    assert scheduled.last_started == T0 and scheduled.last_finished is not None


def test_the_same_job_never_runs_twice_at_once(settings):
    job("a", running_since=T0)  # another worker runs it
    assert services.job_run("a", now=T0 + dt.timedelta(minutes=5)) is None
    assert CALLS == [] and not JobRun.objects.exists()
    stale = T0 + dt.timedelta(seconds=settings.SCHEDULE_LOCK_SECONDS + 1)  # that worker died
    assert services.job_run("a", now=stale).outcome == Outcome.OK


def test_a_failed_run_is_recorded_retried_and_shown_then_waits_for_its_slot(settings, time_machine):
    settings.SCHEDULE_RETRIES = 2
    time_machine.move_to(T0, tick=False)
    job("bad", task=f"{__name__}.boom_task", every=86400)
    for attempt in (1, 2, 3):
        run = services.job_run("bad")
        run.refresh_from_db()
        assert run.outcome == Outcome.FAILED and "数据库不可用" in run.error and run.attempt == attempt
        scheduled = ScheduledJob.objects.get()
        assert scheduled.failures == attempt and "数据库不可用" in scheduled.last_error
        if attempt <= 2:  # retried SCHEDULE_RETRY_SECONDS × failures later
            assert scheduled.next_run == T0 + dt.timedelta(seconds=settings.SCHEDULE_RETRY_SECONDS * attempt)
    assert scheduled.next_run == T0 + dt.timedelta(seconds=settings.SCHEDULE_RETRY_SECONDS * 2)  # no third retry
    ScheduledJob.objects.update(task=f"{__name__}.fine_task")
    services.job_run("bad")
    assert ScheduledJob.objects.get().failures == 0


def test_old_runs_are_pruned_as_new_ones_finish(settings):
    settings.SCHEDULE_RUNS_KEEP_DAYS = 30
    scheduled = job("a")
    JobRun.objects.create(job=scheduled, started=T0 - dt.timedelta(days=400), outcome=Outcome.OK)
    services.job_run("a")
    assert JobRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the worker commits as it does in production (and closes stale connections)
def test_the_workers_run_every_default_job_end_to_end_on_an_empty_county(settings):
    """The real tasks through the real queue: a tick, the database worker of each queue in batch mode, a
    recorded successful run of every job (the next tick waits for its time and is left in the queue)."""
    settings.ROUTING_SECOND_READING = False  # the full category model: its own test (tests/routing)
    services.schedule_install()
    assert set(ScheduledJob.objects.values_list("queue", flat=True)) == {"default", "slow"}
    schedule_tick.enqueue()
    for queue in ("default", "slow"):
        call_command(
            "tasks_worker", "--batch", "--no-schedule", "--no-startup-delay", "--interval", "0",
            "--queue-name", queue, stdout=io.StringIO(),
        )  # fmt: skip
    outcomes = {run.job.name: (run.outcome, run.error) for run in JobRun.objects.select_related("job")}
    assert outcomes == {name: (Outcome.OK, "") for name in ScheduledJob.objects.values_list("name", flat=True)}
    assert [r.status for r in enqueued("schedule_tick") if r.status == "READY"] == ["READY"]
    assert JobRun.objects.get(job__name="category_model_full").result == {"trained": False, "model": None}


def test_schedule_run_runs_named_jobs_now_and_refuses_unknown_ones():
    job("a")
    out = io.StringIO()
    call_command("schedule_run", "a", stdout=out)
    assert "a: ok" in out.getvalue() and JobRun.objects.count() == 1
    with pytest.raises(Exception, match="没有这些定时任务"):
        call_command("schedule_run", "nope")


def test_the_admin_shows_and_edits_the_schedule(admin_client):
    services.schedule_install()
    page = admin_client.get("/admin/schedule/scheduledjob/")
    assert page.status_code == 200
    assert "notices_send" in page.content.decode()
    scheduled = ScheduledJob.objects.get(name="hot_issues_build")
    data = {
        "name": scheduled.name,
        "queue": "default",
        "task": "xinfang.nowhere.task",
        "description": scheduled.description,
        "every": 3600,
        "enabled": "on",
    }
    refused = admin_client.post(f"/admin/schedule/scheduledjob/{scheduled.pk}/change/", data)
    assert refused.status_code == 200 and ScheduledJob.objects.get(pk=scheduled.pk).task == scheduled.task
    data["task"], data["queue"] = scheduled.task, "nowhere"
    refused = admin_client.post(f"/admin/schedule/scheduledjob/{scheduled.pk}/change/", data)
    assert refused.status_code == 200 and "没有这个队列" in refused.content.decode()
    data["queue"] = "slow"
    saved = admin_client.post(f"/admin/schedule/scheduledjob/{scheduled.pk}/change/", data)
    assert saved.status_code == 302
    assert ScheduledJob.objects.filter(pk=scheduled.pk, every=3600, queue="slow").exists()


def test_run_now_in_the_admin_makes_the_job_due_at_the_next_tick(admin_client, time_machine):
    time_machine.move_to(T0, tick=False)
    scheduled = job("a", every=86400, next_run=T0 + dt.timedelta(days=1))
    answer = admin_client.post(
        "/admin/schedule/scheduledjob/", {"action": "run_now", "_selected_action": [scheduled.pk]}, follow=True
    )
    assert "将在下一拍运行的任务：1 个" in answer.content.decode()
    assert ScheduledJob.objects.get().next_run == T0
    assert schedule_tick.call()["enqueued"] == ["a"]


def stopped() -> None:
    raise SystemExit(1)  # what the worker's second Ctrl+C or SIGTERM does to the task it runs


stopped_task = Task(priority=0, func=stopped, queue_name="default", backend="default", takes_context=False)


def test_a_run_stopped_with_its_worker_releases_the_lock_and_is_tried_again(settings, time_machine):
    time_machine.move_to(T0, tick=False)
    job("long", task=f"{__name__}.stopped_task", every=86400)
    with pytest.raises(SystemExit):
        services.job_run("long")
    scheduled = ScheduledJob.objects.get()
    assert scheduled.running_since is None and scheduled.last_outcome == Outcome.FAILED
    assert scheduled.next_run == T0 + dt.timedelta(seconds=settings.SCHEDULE_RETRY_SECONDS)
    assert JobRun.objects.get().outcome == Outcome.FAILED


@pytest.mark.django_db(transaction=True)  # the worker commits as in production
def test_the_database_queue_keeps_its_finished_results_30_days(settings, time_machine):
    from xinfang.api.tasks import idempotency_purge
    from xinfang.schedule.tasks import task_results_prune

    settings.SCHEDULE_RUNS_KEEP_DAYS = 30
    time_machine.move_to(T0, tick=False)
    idempotency_purge.enqueue()
    call_command(
        "tasks_worker", "--batch", "--no-schedule", "--no-startup-delay", "--interval", "0", stdout=io.StringIO()
    )
    waiting = schedule_tick.using(run_after=T0 + dt.timedelta(days=60)).enqueue()
    time_machine.move_to(T0 + dt.timedelta(days=29), tick=False)
    assert task_results_prune.call() == {"deleted": 0}
    time_machine.move_to(T0 + dt.timedelta(days=31), tick=False)
    assert task_results_prune.call() == {"deleted": 1}
    assert [str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)] == [waiting.id]  # a waiting task stays
