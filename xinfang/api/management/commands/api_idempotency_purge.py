from django.core.management.base import BaseCommand

from xinfang.api.services import idempotency_keys_purge


class Command(BaseCommand):
    help = (
        "Delete idempotency keys older than API_IDEMPOTENCY_HOURS (default 24); run it daily (cron). "
        "An expired key is also replaced when it is used again."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"已删除 {idempotency_keys_purge()} 个过期的幂等键。")
