from django.core.management.base import BaseCommand

from xinfang.org.demo import demo_county_load


class Command(BaseCommand):
    help = "Load the synthetic demo county (示范县): regions, units and a user for every role. Idempotent."

    def handle(self, *args, **options) -> None:
        logins = demo_county_load()
        self.stdout.write(self.style.SUCCESS(f"示范县已就绪：{len(logins)} 个演示账号。"))
