import sys

from django.utils import timezone

from xinfang.assessment.aggregates import aggregates_rebuild
from xinfang.assessment.management.month import MonthCommand
from xinfang.lib.months import month_start


class Command(MonthCommand):
    help = (
        "Rebuild the pre-aggregated statistics (DailyFact, UnitMonth) of one month: delete and refill "
        "in one transaction, by SQL. Progress on stderr."
    )

    def handle(self, *args, **options) -> None:
        month = self.month(options, month_start(timezone.localdate()))
        rows = aggregates_rebuild(month, progress=lambda text: print(text, file=sys.stderr, flush=True))
        self.stdout.write(f"{month:%Y-%m}: " + ", ".join(f"{k} {v}" for k, v in rows.items()))
