from django.core.management.base import BaseCommand
from tqdm import tqdm

from xinfang.notify.masking import mask_recipient
from xinfang.notify.models import Notice
from xinfang.notify.services import notices_due_count, notices_send_due


class Command(BaseCommand):
    help = (
        "Send the notices to petitioners that are due (短信、邮件通知), now. The schedule does it every 30 "
        "seconds (the job notices_send, xinfang.notify.tasks). Safe to run several at once: a notice is "
        "sent by one of them only."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=50, help="notices claimed at a time (default 50)")

    def handle(self, *args, batch: int, verbosity: int, **options) -> None:
        total = notices_due_count()
        with tqdm(total=total, unit="条", desc="发送通知", disable=total < 100 or verbosity < 1) as bar:

            def progress(notice: Notice, state: str) -> None:
                bar.update(1)
                if verbosity >= 2:
                    self.stdout.write(
                        f"#{notice.pk} {notice.channel} {notice.stage} "
                        f"{mask_recipient(notice.channel, notice.recipient)}: {state}"
                    )

            result = notices_send_due(batch=batch, progress=progress)
        if verbosity >= 1:
            self.stdout.write(
                f"已发送 sent: {result.sent}，待重试 retrying: {result.retrying}，已放弃 gave up: {result.gave_up}"
            )
