import sys
import time

from django.core.management.base import BaseCommand

from xinfang.assessment.schedule import jobs, jobs_run_due


class Command(BaseCommand):
    help = ("Run the scheduled jobs that are due (statistics of the current month daily, the monthly ranking "
            "and its rules once the month has ended); with --loop, check again every --interval seconds.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running (beside the web server)")
        parser.add_argument("--interval", type=int, default=60, help="seconds between checks (default 60)")

    def handle(self, *args, **options) -> None:
        say = (lambda text: print(f"[schedule] {text}", file=sys.stderr, flush=True))
        if options["verbosity"] > 1:
            for name, command, arguments, every in jobs():
                say(f"{name}: manage.py {command} {' '.join(arguments)} every {every} s")
        while True:
            jobs_run_due(say=say)
            if not options["loop"]:
                return
            time.sleep(options["interval"])
