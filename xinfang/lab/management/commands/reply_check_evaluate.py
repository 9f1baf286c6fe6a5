"""Calibrate and measure the draft checks of xinfang.routing.reply_check on real (message, reply) pairs."""

import csv
import json
import random
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinfang.lib.datasets import ATTACHMENT4, csv_open, dataset_path
from xinfang.petitions.rules import DEFAULT_PERIODS
from xinfang.routing import reply_check as rc

COLUMNS = ("留言编号", "留言主题", "留言详情", "答复意见", "留言时间", "答复时间")
TARGET_REAL_RATE = 0.05  # wished for: flag at most 5 % of real pairs (reported whether reachable)
GRID = [round(0.05 * i, 2) for i in range(1, 20)]
EXAMPLES = 5


def _when(text: str) -> datetime | None:
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


def _rate(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


def _rows(path: Path) -> list[dict[str, str]]:
    with csv_open(path) as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise CommandError(f"文件缺少列：{'、'.join(missing)}。")
        return [r for r in reader if r["答复意见"].strip() and (r["留言主题"] + r["留言详情"]).strip()]


def _derangement(n: int, seed: int) -> list[int]:
    """Each message paired with another message's reply (a shuffled order shifted by one)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    partner = [0] * n
    for i, j in enumerate(order):
        partner[j] = order[(i + 1) % n]
    return partner


class Command(BaseCommand):
    help = (
        "Calibrate the draft checks (答复意见预检) on a CSV of messages with their replies (attachment4 of "
        "tipdm2020c_attachments34: 留言主题, 留言详情, 答复意见, 留言时间, 答复时间): per flag the rate on real "
        "(message, reply) pairs and on shuffled pairs, examples, and replies later than the handling period. "
        "Progress goes to stderr; the last line of stdout is one JSON object."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--csv",
            type=Path,
            default=None,
            help="CSV of messages with replies (UTF-8, .gz too; default: datasets/ 附件4)",
        )
        parser.add_argument("--seed", type=int, default=0, help="of the shuffled pairing (default 0)")

    def handle(self, *args, **options) -> None:
        path = options["csv"] or dataset_path(ATTACHMENT4)
        if not path.exists():
            raise CommandError(f"找不到文件 {path}。")
        rows = _rows(path)
        if len(rows) < 2:
            raise CommandError("文件中至少要有两条既有留言又有答复的行。")
        n = len(rows)
        self._say(f"读入 {n} 对留言与答复，提取关键词……")
        keys = [rc.key_words(r["留言主题"], r["留言详情"]) for r in rows]
        partner = _derangement(n, options["seed"])
        real = [rc.coverage(keys[i], rows[i]["答复意见"]) for i in range(n)]
        shuffled = [rc.coverage(keys[i], rows[partner[i]]["答复意见"])[0] for i in range(n)]
        self._say("比较每条答复与其留言、与随机另一条留言的关键词覆盖率……")
        by_threshold = {
            t: (_rate(sum(s < t for s, _m in real), n), _rate(sum(s < t for s in shuffled), n)) for t in GRID
        }
        # the rule: the threshold that best separates mismatched from real pairs (shuffled rate − real rate
        # largest; the larger threshold on a tie)
        calibrated = max(GRID, key=lambda t: (by_threshold[t][1] - by_threshold[t][0], t))
        reachable = [t for t in GRID if by_threshold[t][0] <= TARGET_REAL_RATE]
        threshold = rc.UNADDRESSED_BELOW
        unaddressed = [i for i in range(n) if real[i][0] < threshold]
        no_basis = [i for i in range(n) if not rc.basis_found(rows[i]["答复意见"])]
        late, timed = self._late(rows)
        self._report("unaddressed", unaddressed, rows, lambda i: f"缺少关键词：{'、'.join(real[i][1])}")
        self._report("no_basis", no_basis, rows, lambda i: "未见法规政策依据")
        self._report("late", late, rows, lambda i: f"{rows[i]['留言时间']} → {rows[i]['答复时间']}")
        shuffled_flagged = sum(s < threshold for s in shuffled)
        result = {
            "pairs": n,
            "seed": options["seed"],
            "unaddressed": {
                "threshold": threshold,
                "calibrated_threshold": calibrated,
                "rule": "largest shuffled rate minus real rate",
                "max_threshold_real_rate_at_most_5pct": max(reachable, default=None),
                "real_rate": _rate(len(unaddressed), n),
                "shuffled_rate": _rate(shuffled_flagged, n),
                "shuffled_flagged": shuffled_flagged,
                "by_threshold": {str(t): {"real": r, "shuffled": s} for t, (r, s) in by_threshold.items()},
                "mean_coverage_real": round(sum(s for s, _m in real) / n, 4),
                "mean_coverage_shuffled": round(sum(shuffled) / n, 4),
            },
            "no_basis": {"real_rate": _rate(len(no_basis), n), "flagged": len(no_basis)},
            "late": {
                "period_days": DEFAULT_PERIODS["handling"].days,
                "with_dates": timed,
                "rate": _rate(len(late), timed),
                "flagged": len(late),
            },
        }
        self._say(
            f"未回应诉求：真实 {result['unaddressed']['real_rate']:.1%}，错配 "
            f"{result['unaddressed']['shuffled_rate']:.1%}（阈值 {threshold}，按规则校准为 {calibrated}）；"
            f"无依据 {result['no_basis']['real_rate']:.1%}；超期 {result['late']['rate']:.1%}。"
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _late(self, rows: list[dict[str, str]]) -> tuple[list[int], int]:
        """Replies later than the handling period after the message, and how many rows have both dates."""
        days = DEFAULT_PERIODS["handling"].days
        late, timed = [], 0
        for i, r in enumerate(rows):
            asked, answered = _when(r["留言时间"]), _when(r["答复时间"])
            if asked and answered:
                timed += 1
                if (answered.date() - asked.date()).days > days:
                    late.append(i)
        return late, timed

    def _report(self, code: str, flagged: list[int], rows: list[dict[str, str]], evidence) -> None:
        self.stdout.write(f"[{code}] {len(flagged)} / {len(rows)} 条真实答复被标记")
        for i in flagged[:EXAMPLES]:
            reply = rows[i]["答复意见"].replace("\n", " ")[:80]
            self.stdout.write(f"  #{rows[i]['留言编号']} {rows[i]['留言主题'][:30]} | {reply}… | {evidence(i)}")

    def _say(self, line: str) -> None:
        self.stderr.write(line)
