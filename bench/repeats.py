"""Figures of the same-matter lookup (重复件提示, `xinfang.petitions.similar.similar_petitions_for`) on a big
database with the demo county and generated petitions: median and p95 milliseconds (wall clock, and the
process's CPU time, which a loaded machine inflates less), SQL queries and candidates read per lookup,
against the issue's budget (median ≤ 20 ms with 1,000,000 petitions stored).

Each lookup is what the registration desk asks when a clerk has typed a title, content and place and chosen
the petitioner: the texts, places and petitioners of the most recent village petitions, one per village
(70 villages in 10 townships), each asked as the county bureau's staff (who see the whole county), a clerk
and a township handler. The candidates are bounded (similar.py), so the figures should not grow with the
table: `XINFANG_DATA_DIR=/tmp/xf python bench/repeats.py` on databases of two sizes shows it.

    XINFANG_DATA_DIR=/tmp/xf python bench/repeats.py      # any database with load_demo + generate_petitions

Progress goes to stderr; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))

from bench.common import say  # noqa: E402

BUDGET_MS = 20.0
USERS = ("bureau", "clerk", "town_handler")


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[max(0, int(len(values) * q) - 1)], 2)


def repeats_measure(runs: int = 3) -> list[dict]:
    """Each user's lookups over the sample, `runs` rounds after one warm-up round."""
    from django.db import connection
    from django.db.models import Max
    from django.test.utils import CaptureQueriesContext

    from xinfang.org.models import RegionLevel, User
    from xinfang.petitions import similar
    from xinfang.petitions.models import Petition, PetitionParty

    # the latest petition of each village, with its first petitioner
    latest = (
        Petition.objects.filter(region__level=RegionLevel.VILLAGE)
        .values("region_id")
        .annotate(last=Max("pk"))
        .values_list("last", flat=True)
    )
    sample = list(Petition.objects.filter(pk__in=list(latest)).select_related("region").order_by("pk"))
    party = dict(PetitionParty.objects.filter(petition__in=sample).values_list("petition_id", "petitioner"))
    people = {p.pk: p for p in similar.Petitioner.objects.filter(pk__in=party.values())}
    count = Petition.objects.count()
    say(f"{count:,} petitions; {len(sample)} sample petitions (one per village)")
    results = []
    for username in USERS:
        user = User.objects.select_related("unit__region").filter(username=username).first()
        if user is None:
            continue

        def ask(p: Petition):
            return similar.similar_petitions_for(
                user, title=p.title, content=p.content, region=p.region, petitioner=people.get(party.get(p.pk))
            )

        for p in sample:  # warm-up: the database pages and the jieba-free code paths
            ask(p)
        wall, cpu, queries, candidates, found = [], [], [], [], 0
        for _round in range(runs):
            for p in sample:
                w, c = time.perf_counter(), time.process_time()
                found += len(ask(p))
                wall.append((time.perf_counter() - w) * 1000)
                cpu.append((time.process_time() - c) * 1000)
        for p in sample:
            with CaptureQueriesContext(connection) as ctx:
                ask(p)
            queries.append(len(ctx.captured_queries))
            places, mine = similar.candidate_ids(p.region, people.get(party.get(p.pk)))
            candidates.append(len(places | mine))
        row = {
            "user": username,
            "petitions": count,
            "lookups": len(wall),
            "median_ms": round(statistics.median(wall), 2),
            "p95_ms": _percentile(wall, 0.95),
            "cpu_median_ms": round(statistics.median(cpu), 2),
            "queries_max": max(queries),
            "candidates_max": max(candidates),
            "listed_per_lookup": round(found / len(wall), 2),
        }
        row["within_budget"] = row["median_ms"] <= BUDGET_MS
        say(
            f"same-matter lookup {username:13} median {row['median_ms']:6.2f} ms "
            f"(CPU {row['cpu_median_ms']:6.2f}) p95 {row['p95_ms']:6.2f} ms  {row['queries_max']} queries  "
            f"≤{row['candidates_max']} candidates  "
            f"{'ok' if row['within_budget'] else 'OVER BUDGET'}"
        )
        results.append(row)
    return results


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    rows = repeats_measure(int(os.environ.get("BENCH_REPEATS_RUNS", "3")))
    print(json.dumps({"repeats": rows, "load_average": os.getloadavg()[0]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
