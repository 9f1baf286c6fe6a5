"""`make bench`: generate BENCH_COUNT petitions in a database of its own and time the work queue.

SQLite (default): data/bench/xinfang.sqlite3, recreated. PostgreSQL (DATABASE_URL set): a database
named xinfang_bench on that server, dropped and recreated. Progress goes to stderr; the last line
of stdout is one JSON object with the figures.

    BENCH_COUNT=1000000 python bench/run.py

Petitions are generated as imported from a ledger (generate_petitions' default, one event each);
BENCH_HISTORY=full walks each through its whole history instead (slower). Then the staff pages
(bench/pages.py, bench/desk.py, bench/search.py): SQL queries and median/p95 ms of each, against
the issue's budgets; BENCH_PAGE_RUNS requests each (default 30).
Last, the assessment (bench/assessment.py: 1,000 ranked units, a month rebuilt, the ranking page).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
COUNT = int(os.environ.get("BENCH_COUNT", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "50"))
HISTORY = os.environ.get("BENCH_HISTORY", "import")
BENCH_DB = "xinfang_bench"


def say(*parts) -> None:
    print("[bench]", *parts, file=sys.stderr, flush=True)


def prepare_database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        parts = urlparse(url)
        os.environ["DATABASE_URL"] = urlunparse(parts._replace(path="/" + BENCH_DB))
        return f"postgresql {parts.hostname}:{parts.port or 5432}/{BENCH_DB}"
    os.environ.pop("DATABASE_URL", None)
    folder = BASE / "data" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        (folder / f"xinfang.sqlite3{suffix}").unlink(missing_ok=True)
    os.environ["XINFANG_DATA_DIR"] = str(folder)
    return f"sqlite {folder / 'xinfang.sqlite3'}"


def main() -> None:
    where = prepare_database()
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from tqdm import tqdm

    from xinfang.demo.generate import petitions_generate
    from xinfang.org.models import Role, Unit, User
    from xinfang.petitions.models import Petition
    from xinfang.petitions.workflow import OPEN_STATES
    from xinfang.workbench.selectors import work_queue_for

    say("database:", where)
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    bar = tqdm(total=COUNT, unit="件", unit_scale=True, desc="generate", file=sys.stderr)
    gen = petitions_generate(COUNT, seed=20240501, history=HISTORY, progress=bar.update)
    bar.close()
    say(
        f"generated {gen.count} petitions ({HISTORY}) in {gen.seconds:.1f} s ({gen.rate:,.0f}/s; "
        f"waiting for the generator {gen.wait_seconds:.1f} s, writing {gen.write_seconds:.1f} s); rows {dict(gen.rows)}"
    )

    vendor = connection.vendor
    table = Petition._meta.db_table
    with connection.cursor() as cur:
        placeholders = ", ".join(["%s"] * len(OPEN_STATES))
        cur.execute(
            f"SELECT owner_unit_id, COUNT(*) FROM {table} WHERE state IN ({placeholders}) "
            "GROUP BY owner_unit_id ORDER BY 2 DESC",
            sorted(OPEN_STATES),
        )
        open_by_unit = cur.fetchall()

    def user_for(unit_id: int, roles: tuple[str, ...]) -> User:
        users = User.objects.filter(unit_id=unit_id, role__in=roles, is_active=True).order_by("pk")
        return users.first() or User.objects.filter(unit_id=unit_id, is_active=True).order_by("pk").first()

    units = {u.pk: u for u in Unit.objects.all()}
    picks: list[tuple[str, User]] = []
    largest = open_by_unit[0][0]
    picks.append(("largest open queue, handler", user_for(largest, (Role.HANDLER,))))
    bureau = next((u for u in units.values() if u.kind == "bureau" and u.region.level == 3), None)
    if bureau:
        picks.append(("county bureau, bureau staff (sees its region)", user_for(bureau.pk, (Role.BUREAU_STAFF,))))
    for kind in ("township", "village"):
        cands = [(n, uid) for uid, n in open_by_unit if units[uid].kind == kind]
        if cands:
            picks.append((f"busiest {kind} unit, handler", user_for(max(cands)[1], (Role.HANDLER,))))
    open_count = dict(open_by_unit)

    def measure(label: str, user: User) -> dict:
        user = User.objects.select_related("unit__region").get(pk=user.pk)
        with CaptureQueriesContext(connection) as ctx:
            rows = work_queue_for(user)
        queries = len(ctx.captured_queries)
        sql = ctx.captured_queries[-1]["sql"]
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            work_queue_for(user)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        with connection.cursor() as cur:
            cur.execute(("EXPLAIN QUERY PLAN " if vendor == "sqlite" else "EXPLAIN ") + sql)
            plan = [" ".join(str(x) for x in r) for r in cur.fetchall()]
        uses_idx = any("petition_queue_idx" in line for line in plan)
        return {
            "unit": units[user.unit_id].name,
            "unit_kind": units[user.unit_id].kind,
            "role": user.role,
            "why": label,
            "open_petitions": open_count.get(user.unit_id, 0),
            "rows": len(rows),
            "queries": queries,
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            "uses_petition_queue_idx": uses_idx,
            "plan": plan,
        }

    results = {"before_analyze": [measure(label, u) for label, u in picks]}
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    results["after_analyze"] = [measure(label, u) for label, u in picks]
    for stage, items in results.items():
        for r in items:
            say(
                f"{stage}: {r['unit']} ({r['role']}, {r['open_petitions']} open): {r['queries']} queries, "
                f"median {r['median_ms']} ms, p95 {r['p95_ms']} ms, queue index used: {r['uses_petition_queue_idx']}"
            )
            for line in r["plan"]:
                say("    plan:", line)

    size = None
    if vendor == "sqlite":
        size = sum(p.stat().st_size for p in Path(connection.settings_dict["NAME"]).parent.glob("xinfang.sqlite3*"))
    else:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            size = cur.fetchone()[0]
    head = results["before_analyze"][0]
    out = {
        "database": vendor,
        "where": where,
        "count": gen.count,
        "generate_history": HISTORY,
        "generate_seconds": round(gen.seconds, 1),
        "generate_rate_per_s": round(gen.rate),
        "rows": dict(gen.rows),
        "db_bytes": size,
        "queue_unit": head["unit"],
        "queue_open_petitions": head["open_petitions"],
        "queue_queries": head["queries"],
        "queue_median_ms": head["median_ms"],
        "queue_p95_ms": head["p95_ms"],
        "queue_uses_petition_queue_idx": head["uses_petition_queue_idx"],
        "queue_median_ms_after_analyze": results["after_analyze"][0]["median_ms"],
        "units": {
            stage: [{k: v for k, v in r.items() if k != "plan"} for r in items] for stage, items in results.items()
        },
    }
    # the pages people use, through the test client: queue, search, petition page, registration desk
    from bench import search as search_bench
    from bench.desk import desk_measure
    from bench.pages import pages_measure

    page_runs = int(os.environ.get("BENCH_PAGE_RUNS", "30"))
    out["pages"] = pages_measure(page_runs)
    out["desk"] = desk_measure(page_runs)
    out["search"] = search_bench.measure()
    from bench.repeats import repeats_measure  # the same-matter lookup at the desk (bench/repeats.py)

    out["repeats"] = repeats_measure()
    from bench.api import api_measure  # the REST API and Open311 (bench/api.py)

    out["api"] = api_measure(page_runs)
    from bench.portal import portal_measure  # the public portal: submission, lookup, petitioner's pages

    out["portal"] = portal_measure(page_runs)
    from bench.verify_log import verify_measure  # verify_log: the chains and the replay against the rows

    out["verify_log"] = verify_measure()
    # last, for it makes 1,000 ranked units and spreads the petitions over them (bench/assessment.py)
    from bench.assessment import assessment_measure  # a month's aggregates rebuilt; the monthly ranking page

    out["assessment"] = assessment_measure(page_runs)
    out["pages_over_budget"] = [
        f"{r.get('page', 'desk')}: {r['what']} ({r['user']})"
        for r in out["pages"] + out["desk"] + out["portal"]
        if not r["within_budget"]
    ]
    say("pages over budget:", out["pages_over_budget"] or "none")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
