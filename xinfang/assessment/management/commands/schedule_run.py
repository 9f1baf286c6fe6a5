import sys

from django.core.management.base import BaseCommand

from xinfang.assessment.schedule import jobs, jobs_run_due
from xinfang.lib.passes import passes_run


class Command(BaseCommand):
    help = (
        "Run the scheduled jobs that are due (statistics of the current month daily, the monthly ranking "
        "and its rules once the month has ended); with --loop, check again every --interval seconds "
        "(a database error is reported and the next check connects again)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running (beside the web server)")
        parser.add_argument("--interval", type=float, default=60, help="seconds between checks (default 60)")
        parser.add_argument("--passes", type=int, default=0, help="with --loop: stop after this many checks")

    def handle(self, *args, **options) -> None:
        def say(text: str) -> None:
            print(f"[schedule] {text}", file=sys.stderr, flush=True)

        if options["verbosity"] > 1:
            for name, command, arguments, every in jobs():
                say(f"{name}: manage.py {command} {' '.join(arguments)} every {every} s")
        passes_run(
            lambda: jobs_run_due(say=say),
            loop=options["loop"],
            interval=options["interval"],
            passes=options["passes"],
            say=say,
        )
