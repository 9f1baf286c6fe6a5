from django.core.management.base import BaseCommand
from tqdm import tqdm

from xinfang.lib.passes import passes_run
from xinfang.notify.masking import mask_recipient
from xinfang.notify.models import Notice
from xinfang.notify.services import notices_due_count, notices_send_due


class Command(BaseCommand):
    help = (
        "Send the notices to petitioners that are due (短信、邮件通知), once; with --loop, again every "
        "--interval seconds (the embedded worker: run it beside the web server, or run the command from "
        "cron or a systemd timer). Safe to run several at once: a notice is sent by one of them only."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running; stop with Ctrl+C or SIGTERM")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between passes (default 10)")
        parser.add_argument("--batch", type=int, default=50, help="notices claimed at a time (default 50)")
        parser.add_argument("--passes", type=int, default=0, help="with --loop: stop after this many passes")

    def handle(self, *args, loop: bool, interval: float, batch: int, passes: int, verbosity: int, **options) -> None:
        passes_run(
            lambda: self.one_pass(batch, verbosity, quiet_if_idle=loop),
            loop=loop,
            interval=interval,
            passes=passes,
            say=lambda text: self.stderr.write(f"[notices] {text}"),
        )

    def one_pass(self, batch: int, verbosity: int, *, quiet_if_idle: bool) -> None:
        total = notices_due_count()
        if total == 0 and quiet_if_idle:
            return
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
