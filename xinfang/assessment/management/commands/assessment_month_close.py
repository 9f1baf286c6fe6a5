from django.core.management.base import CommandError
from django.utils import timezone

from xinfang.assessment.management.month import MonthCommand
from xinfang.assessment.services import AssessmentError, month_close
from xinfang.lib.months import month_previous, month_start


class Command(MonthCommand):
    help = (
        "Close a finished month: rebuild its statistics, publish the ranking and fire the bulletin's rules "
        "(rectification notice, self-examination and deduction, reward, excellence withheld). Idempotent."
    )
    default_help = "the previous month"

    def handle(self, *args, **options) -> None:
        month = self.month(options, month_previous(month_start(timezone.localdate())))
        try:
            result = month_close(month)
        except AssessmentError as e:
            raise CommandError(str(e)) from e
        if result.already_closed:
            self.stdout.write(f"{month:%Y-%m}: already closed")
            return
        fired = ", ".join(f"{rule} {len(units)}" for rule, units in result.fired.items()) or "none"
        self.stdout.write(f"{month:%Y-%m}: {result.units} units ranked; rules fired: {fired}")
