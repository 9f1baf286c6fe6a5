from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from xinfang.lib.passes import passes_run
from xinfang.schedule.tasks import schedule_tick


class Command(DbWorkerCommand):
    help = (
        "Run the background tasks kept in the database (django-tasks-db's worker, the embedded default; "
        "make run starts it) and keep the schedule going (one tick is enqueued at start). Lives through a "
        "database restart: the error is reported and the worker starts again after --retry seconds. Several "
        "may run at once. With XINFANG_TASK_BROKER set, run `celery -A xinfang.celery worker` instead."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--retry", type=float, default=5.0, help="seconds to wait after a database error")
        parser.add_argument("--no-schedule", action="store_true", help="run tasks only; enqueue no tick")
        parser.add_argument("--passes", type=int, default=0, help="stop after this many starts (default: never)")

    def handle(self, *args, retry: float, no_schedule: bool, passes: int, **options) -> None:
        options["reload"] = False

        def one_pass() -> None:
            if not no_schedule:
                schedule_tick.enqueue()
            super(Command, self).handle(**options)

        passes_run(
            one_pass,
            loop=not options["batch"],
            interval=retry,
            passes=passes,
            say=lambda text: self.stderr.write(f"[tasks] {text}"),
        )
