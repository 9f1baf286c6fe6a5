from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import Event, Petition


class Command(BaseCommand):
    help = "Verify every petition's hash-chained event log (校验事件日志). Exits non-zero and names each broken row."

    def handle(self, *args, **options) -> None:
        breaks = 0
        events, petitions = Event.objects.count(), Petition.objects.count()
        bar = tqdm(total=events, unit="条", desc="校验", disable=events < 10000 or options["verbosity"] < 1)
        for b in verify_chains(progress=bar.update):
            breaks += 1
            row = f"event id {b.event_id} (#{b.seq})" if b.event_id else "petition log head"
            self.stderr.write(f"BROKEN petition {b.petition_id}, {row}: {b.problem}")
        bar.close()
        if breaks:
            raise CommandError(f"事件日志校验失败：发现 {breaks} 处断裂（共 {petitions} 件、{events} 条记录）。")
        self.stdout.write(f"事件日志完整：{petitions} 件信访事项、{events} 条记录全部校验通过。")
