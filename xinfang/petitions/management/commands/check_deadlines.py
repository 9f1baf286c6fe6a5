from django.core.management.base import BaseCommand
from tqdm import tqdm

from xinfang.petitions.alerts import deadlines_check, pending_count


class Command(BaseCommand):
    help = "Warn before and flag after each deadline (期限预警与超期标记). Safe to run every few minutes, even twice at once."

    def handle(self, *args, **options) -> None:
        total = pending_count()
        with tqdm(total=total, unit="项", desc="期限检查", disable=total < 1000 or options["verbosity"] < 1) as bar:
            result = deadlines_check(progress=bar.update)
        self.stdout.write(f"预警 warned: {result.warned}，超期标记 flagged overdue: {result.flagged}")
