from django.core.management.base import BaseCommand, CommandError

from xinfang.schedule.models import ScheduledJob
from xinfang.schedule.services import job_run


class Command(BaseCommand):
    help = (
        "Run scheduled jobs now, in this process, recorded like a scheduled run (default: every enabled "
        "job). The worker (tasks_worker, or Celery's) runs them on their cadence; this is for a first "
        "start or a check by hand."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("names", nargs="*", help="job names (the admin's 定时任务); default: all enabled")

    def handle(self, *args, names: list[str], **options) -> None:
        jobs = ScheduledJob.objects.filter(name__in=names) if names else ScheduledJob.objects.filter(enabled=True)
        unknown = sorted(set(names) - set(jobs.values_list("name", flat=True)))
        if unknown:
            raise CommandError(f"没有这些定时任务 no such jobs: {', '.join(unknown)}")
        for name in jobs.values_list("name", flat=True):
            run = job_run(name)
            if run is None:
                self.stdout.write(f"{name}: 正在其他进程中运行 running elsewhere")
            else:
                self.stdout.write(f"{name}: {run.outcome} {run.result if run.result is not None else ''}")
                if run.error:
                    self.stderr.write(run.error)
