import csv
import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from xinfang.lab.repeats import Message, messages_read
from xinfang.lib.datasets import ATTACHMENT3, WEAK_HOT_GROUPS, csv_open, dataset_path
from xinfang.oversight import hot


def windows(messages: list[Message], days: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """The whole span as one period (days 0), or consecutive periods of `days` days from the first day."""
    first, last = messages[0].received_at, messages[-1].received_at + dt.timedelta(seconds=1)
    if days <= 0:
        return [(first, last)]
    start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    step = dt.timedelta(days=days)
    return [(start + k * step, start + (k + 1) * step) for k in range(int((last - start) / step) + 1)]


def best_match(group: set[str], found: list[set[str]]) -> dict:
    """The found group with the highest Jaccard overlap with `group`."""

    def jaccard(k: int) -> float:
        return len(found[k] & group) / len(found[k] | group)

    best = max(range(len(found)), key=jaccard, default=None)
    overlap = len(found[best] & group) if best is not None else 0
    return {
        "weak_size": len(group),
        "best_found_rank": best + 1 if overlap else None,
        "best_found_size": len(found[best]) if overlap else 0,
        "overlap": overlap,
        "jaccard": round(jaccard(best), 3) if overlap else 0.0,
    }


class Command(BaseCommand):
    help = (
        "Show the hot issues (热点问题) that hot_issues_build's grouping finds in a 附件3-style CSV of "
        "messages, and compare them with another clustering (问题ID, 留言编号): for each of its groups, "
        "the Jaccard overlap with the best-matching group found. One place (附件3's places are "
        "anonymised; the district a message names counts as its sub-place). The last line is one JSON "
        "object."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--csv", default=None, help="the messages (default: datasets/ 附件3)")
        parser.add_argument(
            "--groups", default=None, help="the groups to compare with (问题ID, 留言编号; default: datasets/ jesHrz)"
        )
        parser.add_argument(
            "--days",
            type=int,
            default=0,
            help="length of each period in days (default 0: the whole span is one period)",
        )
        parser.add_argument("--top", type=int, default=10, help="groups printed (default 10)")
        parser.add_argument("--threshold", type=float, default=None, help="instead of hot.THRESHOLD")
        parser.add_argument(
            "--calibrate",
            metavar="CSV",
            default=None,
            help="first print the threshold the rule gives on another CSV (附件4)",
        )

    def handle(self, *args, **options) -> None:
        try:
            messages = messages_read(options["csv"] or dataset_path(ATTACHMENT3))
            with csv_open(options["groups"] or dataset_path(WEAK_HOT_GROUPS)) as f:
                weak: dict[str, set[str]] = {}
                for row in csv.DictReader(f):
                    weak.setdefault(row["问题ID"].strip(), set()).add(row["留言编号"].strip())
        except (OSError, KeyError, ValueError) as exc:
            raise CommandError(f"无法读取文件：{exc}") from exc
        if not messages:
            raise CommandError("留言文件中没有留言。")
        if options["calibrate"]:
            with csv_open(options["calibrate"]) as f:
                texts = [(r["留言用户"], r["留言主题"], r["留言详情"]) for r in csv.DictReader(f)]
            self.stdout.write(f"rule on {options['calibrate']}: threshold {hot.threshold_calibrate(texts)}")
        threshold = hot.THRESHOLD if options["threshold"] is None else options["threshold"]
        found: list[tuple[hot.Group, list[Message]]] = []
        for start, end in windows(messages, options["days"]):
            chosen = [m for m in messages if start <= m.received_at < end]
            items = [
                hot.Item(m.number, m.title, m.content, m.received_at, m.district or "A市", (m.user,)) for m in chosen
            ]
            found += [(g, chosen) for g in hot.hot_groups(items, period=(start, end), threshold=threshold)]
            self.stdout.write(f"{start:%Y-%m-%d} – {end:%Y-%m-%d}: {len(chosen)} messages, groups so far {len(found)}")
        found.sort(key=lambda gc: -gc[0].score)
        top = [self._top(rank, g, chosen) for rank, (g, chosen) in enumerate(found[: options["top"]], start=1)]
        numbers = [{chosen[i].number for i in g.members} for g, chosen in found]
        compared = []
        for key, group in sorted(weak.items()):
            match = {"weak_group": key} | best_match(group, numbers)
            compared.append(match)
            self.stdout.write(
                f"weak group {key} ({len(group)}): best found group "
                f"{'#' + str(match['best_found_rank']) if match['overlap'] else '—'}, "
                f"overlap {match['overlap']}, Jaccard {match['jaccard']:.2f}"
            )
        mean = round(sum(c["jaccard"] for c in compared) / len(compared), 3) if compared else None
        self.stdout.write(
            json.dumps(
                {
                    "messages": len(messages),
                    "groups_found": len(found),
                    "messages_in_groups": sum(g.size for g, _c in found),
                    "threshold": threshold,
                    "days": options["days"],
                    "top": top,
                    "weak": compared,
                    "mean_jaccard": mean,
                },
                ensure_ascii=False,
            )
        )

    def _top(self, rank: int, g: hot.Group, chosen: list[Message]) -> dict:
        row = {
            "rank": rank,
            "size": g.size,
            "petitioners": g.petitioners,
            "places": g.places,
            "growth": g.growth,
            "score": g.score,
            "from": f"{g.first:%Y-%m-%d}",
            "to": f"{g.last:%Y-%m-%d}",
            "keywords": g.keywords,
            "title": chosen[g.members[0]].title,
        }
        self.stdout.write(
            f"#{rank} {g.size} 件 {g.petitioners} 人 {g.places} 地 增长 {g.growth:+d} "
            f"得分 {g.score}  {row['from']}–{row['to']}  {row['title'][:40]}  "
            f"[{' '.join(g.keywords)}]"
        )
        return row
