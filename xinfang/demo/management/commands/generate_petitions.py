from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from xinfang.demo.generate import HISTORIES, GenerateError, org_load, petitions_generate, texts_load


class Command(BaseCommand):
    help = (
        "Generate synthetic petitions (生成模拟信访事项): texts from the shared data, spread over the regions, "
        "units, states and the last two years. By default each is written as if imported from a ledger "
        "(台账导入: one event, what its state needs to go on); --history full walks each through its whole "
        "history. Needs manage.py load_demo first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=10000, help="how many petitions (default 10000)")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable data set")
        parser.add_argument("--years", type=float, default=2, help="received over the last N years (default 2)")
        parser.add_argument("--batch", type=int, default=20000, help="petitions per transaction (default 20000)")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="generate in a worker process while this one writes (default 1; 0: one process)",
        )
        parser.add_argument(
            "--history",
            choices=HISTORIES,
            default="import",
            help="import (default, fast): one 'import' event per petition and only what its "
            "current state needs, as migrated from a ledger (台账导入); full: every event "
            "and deadline of its whole history (slower)",
        )
        parser.add_argument(
            "--open-deadlines-only",
            action="store_true",
            help=(
                "with --history full: write only the open deadlines, not the met ones "
                "(verify_log then names the met deadlines as missing rows)"
            ),
        )

    def handle(self, *args, **options) -> None:
        count = options["count"]
        if count < 1:
            raise CommandError("--count 必须大于 0 (must be positive).")
        try:
            org = org_load()
        except GenerateError as exc:
            raise CommandError(str(exc)) from exc
        texts = texts_load()
        bar = tqdm(total=count, unit="件", desc="生成", unit_scale=True, disable=options["verbosity"] < 1)
        try:
            result = petitions_generate(
                count,
                seed=options["seed"],
                years=options["years"],
                batch=max(1, options["batch"]),
                texts=texts,
                org=org,
                progress=bar.update,
                workers=options["workers"],
                history=options["history"],
                met_deadlines=not options["open_deadlines_only"],
            )
        finally:
            bar.close()
        states = "，".join(f"{k} {v}" for k, v in sorted(result.states.items(), key=lambda kv: -kv[1]))
        self.stdout.write(
            f"已生成 {result.count} 件信访事项（id {result.first_id}–{result.last_id}），"
            f"用时 {result.seconds:.1f} 秒，每秒 {result.rate:,.0f} 件。"
        )
        self.stdout.write(
            f"Generated {result.count} petitions in {result.seconds:.1f} s: "
            f"{result.rate:,.0f} petitions/s; rows: {dict(result.rows)}"
        )
        self.stdout.write(f"状态 (states): {states}")
        if options["verbosity"] >= 2:
            self.stdout.write(
                f"waiting for the generator {result.wait_seconds:.1f} s, writing {result.write_seconds:.1f} s"
            )
