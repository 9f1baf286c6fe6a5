import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from xinfang.lab.repeats import (
    PLACE_MODES,
    messages_read,
    repeats_replay,
    scratch_county,
    thresholds,
    thresholds_calibrate,
)
from xinfang.lib.datasets import ATTACHMENT3, dataset_path


class Command(BaseCommand):
    help = (
        "Precision and recall of the same-matter lookup (重复件提示) on labeled repeats (评测重复件识别): "
        "replays the messages of a 附件3-style CSV (留言编号, 留言用户, 留言主题, 留言时间, 留言详情) in "
        "time order as petitions of a scratch county, asks the lookup for each against the earlier ones, "
        "and counts how often it lists an earlier message with the same details or the same user and "
        "subject. Nothing is kept (one transaction, rolled back). The last line is one JSON object."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--csv", default=None, help="the messages (default: datasets/ 附件3)")
        parser.add_argument(
            "--places",
            choices=PLACE_MODES,
            default="townships",
            help="townships (default): each named district a township, the rest at the county; "
            "one: every message in one township",
        )
        parser.add_argument(
            "--no-petitioner",
            action="store_true",
            help="do not tell the lookup who the petitioner is (text and place only)",
        )
        parser.add_argument("--limit", type=int, default=0, help="only the first N messages (0: all)")
        parser.add_argument("--threshold", type=float, default=None, help="instead of similar.THRESHOLD")
        parser.add_argument(
            "--threshold-same-petitioner", type=float, default=None, help="instead of similar.THRESHOLD_SAME_PETITIONER"
        )
        parser.add_argument(
            "--calibrate",
            metavar="CSV",
            default=None,
            help="first print the thresholds the rule gives on another CSV (附件4)",
        )

    def handle(self, *args, **options) -> None:
        try:
            messages = messages_read(options["csv"] or dataset_path(ATTACHMENT3))
        except (OSError, KeyError, ValueError) as exc:
            raise CommandError(f"无法读取留言文件 {options['csv']}：{exc}") from exc
        if options["limit"] > 0:
            messages = messages[: options["limit"]]
        if options["calibrate"]:
            self.stdout.write(f"rule on {options['calibrate']}: {thresholds_calibrate(options['calibrate'])}")
        step = max(1, len(messages) // 10)

        def progress(done: int, counts) -> None:
            if done % step == 0 or done == len(messages):
                self.stdout.write(
                    f"{done}/{len(messages)}: {counts.positives} repeats so far, {counts.hits5} found in the first five"
                )

        with thresholds(options["threshold"], options["threshold_same_petitioner"]) as used:
            with transaction.atomic():
                scratch = scratch_county([m.district for m in messages])
                counts = repeats_replay(
                    messages,
                    scratch,
                    mode=options["places"],
                    with_petitioner=not options["no_petitioner"],
                    progress=progress,
                )
                transaction.set_rollback(True)
        result = (
            counts.figures() | used | {"places": options["places"], "petitioner_known": not options["no_petitioner"]}
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))
