from django.core.management import call_command
from django.core.management.base import BaseCommand

from xinfang.demo.county import demo_county_load
from xinfang.demo.oversight import oversight_demo_load
from xinfang.demo.portal import accusation_demo_load, portal_demo_load
from xinfang.demo.routing import routing_table_demo_load
from xinfang.org.models import Region
from xinfang.petitions.models import Petition


class Command(BaseCommand):
    help = (
        "Load the synthetic demo county (示范县): regions, units and a user for every role. Idempotent. "
        "With --petitions N, also N synthetic petitions when there are none yet, and on them a few "
        "supervisions, a recommendation and follow-ups by the demo supervisor (once)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--petitions",
            type=int,
            default=0,
            help="synthetic petitions to add if the database has none (default 0); with it, also the "
            "demo oversight items if the demo supervisor has none yet",
        )

    def handle(self, *args, **options) -> None:
        logins = demo_county_load()
        portal_demo_load()  # the portal's reception days and policy answers
        routing_table_demo_load(Region.objects.get(code="990121"))  # the demo routing table (派单目录)
        self.stdout.write(self.style.SUCCESS(f"示范县已就绪：{len(logins)} 个演示账号。"))
        if options["petitions"] > 0 and not Petition.objects.exists():
            call_command(
                "generate_petitions",
                count=options["petitions"],
                seed=1,
                verbosity=options["verbosity"],
                stdout=self.stdout,
            )
        if options["petitions"] > 0:
            self._oversight()

    def _oversight(self) -> None:
        """The demo supervisor's supervisions, recommendation and follow-ups (督查督办演示数据), once."""
        if accusation_demo_load():
            self.stdout.write("检举控告演示数据：网上检举 1 件，被检举控告对象待信访局确认。")
        loaded = oversight_demo_load()
        if loaded is not None:
            self.stdout.write(
                f"督查演示数据：督办 {loaded.supervisions} 件，工作建议 {loaded.recommendations} 件，"
                f"回访 {loaded.follow_ups} 次。"
            )
