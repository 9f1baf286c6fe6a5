"""Time the full-text search of petitions (xinfang.petitions.search) as the work queue uses it.

On the database the environment names (DATABASE_URL, else the SQLite file in XINFANG_DATA_DIR),
already filled, e.g. by `make bench` or by `manage.py generate_petitions --count 1000000`:
for the unit with the most open petitions, its handler's work queue (workbench.selectors.petition_queue_for:
the unit's open petitions, within petition_list_for) narrowed by each query: the first page of 50
by due date, and the COUNT the paginator asks for (capped at SEARCH_COUNT_CAP, as the queue page
counts a search; uncapped too); SEARCH_RUNS times each (default 20), median and p95 in ms.

    XINFANG_DATA_DIR=/tmp/xf-big python bench/search.py
    SEARCH_QUERIES="工资,拆迁" python bench/search.py

Progress goes to stderr; the last line of stdout is one JSON object. `measure()` is the same
for a caller that has set Django up itself (bench/run.py).
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
RUNS = int(os.environ.get("SEARCH_RUNS", "20"))
# common words of the shared texts, two words at once, and a rare one (a place name of a few texts)
QUERIES = [q for q in os.environ.get("SEARCH_QUERIES", "工资,拆迁,噪音,小区 物业,麓泉").split(",") if q.strip()]


def say(*parts) -> None:
    print("[search bench]", *parts, file=sys.stderr, flush=True)


def _timed(fn, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return round(statistics.median(times), 2), round(times[max(0, int(len(times) * 0.95) - 1)], 2), result


def _queue(user, query: str):
    """The unit's open petitions narrowed by `query`, as the work queue asks for them: its own
    selector where there is one (workbench.selectors.petition_queue_for), else the same filters spelled out."""
    from django.utils import timezone

    from xinfang.petitions import selectors
    from xinfang.petitions.search import search_filter
    from xinfang.petitions.workflow import OPEN_STATES
    from xinfang.workbench import selectors as queues

    try:
        qs = queues.petition_queue_for(user, queues.QueueQuery(text=query), timezone.localdate())
        sql = str(qs.query)
        if "petitions_search" in sql or "search_vector" in sql:  # the queue applies the text search itself
            return qs
    except (AttributeError, TypeError):  # the queue's selectors are not (or no longer) there
        pass
    qs = selectors.petition_list_for(user).filter(owner_unit_id=user.unit_id, state__in=OPEN_STATES)
    return search_filter(qs, query)


def measure(runs: int = RUNS, queries: list[str] | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xinfang.org.models import Role, User
    from xinfang.petitions.models import Petition
    from xinfang.petitions.search import search_filter, search_row_count
    from xinfang.petitions.workflow import OPEN_STATES
    from xinfang.workbench import selectors as queues

    vendor = connection.vendor
    with connection.cursor() as cur:
        marks = ", ".join(["%s"] * len(OPEN_STATES))
        cur.execute(
            f"SELECT owner_unit_id, COUNT(*) FROM {Petition._meta.db_table} WHERE state IN ({marks}) "
            "GROUP BY owner_unit_id ORDER BY 2 DESC LIMIT 1",
            sorted(OPEN_STATES),
        )
        unit_id, open_count = cur.fetchone()
    user = (
        User.objects.filter(unit_id=unit_id, role=Role.HANDLER, is_active=True).order_by("pk").first()
        or User.objects.filter(unit_id=unit_id, is_active=True).order_by("pk").first()
    )
    user = User.objects.select_related("unit__region").get(pk=user.pk)
    cap = queues.SEARCH_COUNT_CAP
    out = {
        "database": vendor,
        "petitions": Petition.objects.count(),
        "indexed": search_row_count(),
        "unit": user.unit.name,
        "unit_petitions": Petition.objects.filter(owner_unit_id=unit_id).count(),
        "unit_open_petitions": open_count,
        "runs": runs,
        "count_cap": cap,
        "queries": {},
    }
    for query in queries or QUERIES:
        qs = _queue(user, query)
        dated = qs.filter(due_on__isnull=False).order_by("due_on", "-priority", "pk")

        def page():  # the first page by due date: one range scan of (owner_unit, due_on)
            return [p.pk for p in dated[:50]]

        def count():  # what the paginator shows
            return qs.order_by().values("pk")[: cap + 1].count() if cap else qs.count()

        with CaptureQueriesContext(connection) as ctx:
            rows = page()
            total = count()
        rows_median, rows_p95, _ = _timed(page, runs)
        count_median, count_p95, _ = _timed(count, runs)
        full_median, _, full = _timed(qs.count, max(3, runs // 4))
        everywhere_median, _, everywhere = _timed(search_filter(Petition.objects.all(), query).count, max(3, runs // 4))
        plans = []
        for q in ctx.captured_queries:
            with connection.cursor() as cur:
                cur.execute(("EXPLAIN QUERY PLAN " if vendor == "sqlite" else "EXPLAIN ") + q["sql"])
                plans.append([" ".join(str(x) for x in r) for r in cur.fetchall()])
        figures = {
            "rows": len(rows),
            "count": total,
            "count_uncapped": full,
            "rows_median_ms": rows_median,
            "rows_p95_ms": rows_p95,
            "count_median_ms": count_median,
            "count_p95_ms": count_p95,
            "count_uncapped_median_ms": full_median,
            "matches_in_all_petitions": everywhere,
            "count_all_median_ms": everywhere_median,
            "plans": plans,
        }
        out["queries"][query] = figures
        say(
            f"{query!r}: {len(rows)} rows in {rows_median} ms (p95 {rows_p95}); count {total} in {count_median} ms "
            f"(p95 {count_p95}; uncapped {full} in {full_median} ms); {everywhere} among all petitions, "
            f"counted in {everywhere_median} ms"
        )
        for plan in plans:
            for line in plan:
                say("    plan:", line)
            say("    --")
    figures = list(out["queries"].values())
    out["rows_median_ms_max"] = max(f["rows_median_ms"] for f in figures)
    out["count_median_ms_max"] = max(f["count_median_ms"] for f in figures)
    return out


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    out = measure()
    print(json.dumps({k: v for k, v in out.items()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
