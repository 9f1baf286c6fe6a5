import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xinfang.reports.schedule import ReportKind
from xinfang.reports.services import reports_build_due


class Command(BaseCommand):
    help = (
        "Build the scheduled reports that are due (日统计、单周研判、双周通报、月点评) for every region with a "
        "petition bureau: for each kind, the latest period that ended before --date (default today), if it "
        "has no report yet. Idempotent: run it as often as you like (the scheduler runs it hourly)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--kind", action="append", choices=ReportKind.values, help="only this kind (repeatable); default all four"
        )
        parser.add_argument("--date", help="build as on this day (YYYY-MM-DD): the periods that ended before it")
        parser.add_argument("--force", action="store_true", help="rebuild reports that exist")
        parser.add_argument(
            "--no-rebuild",
            action="store_true",
            help="do not rebuild the aggregates of the months the reports cover first",
        )

    def handle(self, *args, kind, date, force, no_rebuild, verbosity, **options) -> None:
        try:
            today = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date: not a date (YYYY-MM-DD): {date}") from None
        say = self.stderr.write if verbosity >= 1 else (lambda text: None)
        result = reports_build_due(today, kinds=kind, force=force, rebuild=not no_rebuild, say=say)
        if verbosity >= 1:
            self.stdout.write(f"已生成 built: {len(result.built)}，已有 already there: {result.skipped}")
