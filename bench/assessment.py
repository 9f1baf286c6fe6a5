"""The assessment at county scale: 1,000 ranked units over 1,000,000 petitions. Prints the time of one
month's aggregates rebuild (budget ≤ 60 s), of closing the month, the ranking page's queries and
median/p95 ms (budget ≤ 10 queries, median ≤ 100 ms), provisional and published, as a leader, and the
leaders' dashboard's for the month and its quarter (bench/dashboard.py; same budget).

    python bench/assessment.py            # SQLite: data/bench-assessment/xinfang.sqlite3, built once, then reused
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinfang_o1 python bench/assessment.py   # that database

Building: migrate, the demo county, BENCH_UNITS ranked units in all (township offices and departments
made with bulk_create beside the demo's), BENCH_COUNT petitions (generate_petitions, ledger imports by
default: BENCH_HISTORY=full for whole histories), then the petitions spread over the ranked units with
one UPDATE (decisions and deadlines follow their petition's unit). A database that already has the
petitions and the units is reused as it is. Progress on stderr; the last line of stdout is JSON.
bench/run.py calls assessment_measure() on its own database at the end.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
COUNT = int(os.environ.get("BENCH_COUNT", "1000000"))
UNITS = int(os.environ.get("BENCH_UNITS", "1000"))
HISTORY = os.environ.get("BENCH_HISTORY", "import")
RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "30"))
MAP_TABLE = "bench_unit_map"


def _database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[-1]
    folder = BASE / "data" / "bench-assessment"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["XINFANG_DATA_DIR"] = str(folder)
    return str(folder / "xinfang.sqlite3")


def ranked_units_make(total: int) -> list[int]:
    """Township offices and departments, bulk-created beside the demo county's until `total` units of the
    ranked kinds exist; returns their ids."""
    from xinfang.assessment.selectors import settings_load
    from xinfang.org.models import Region, RegionLevel, Unit, UnitKind

    kinds = [k.strip() for k in settings_load().ranked_kinds.split(",") if k.strip()]
    have = Unit.objects.filter(kind__in=kinds, is_active=True).count()
    if have < total:
        county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
        towns = list(Region.objects.filter(level=RegionLevel.TOWNSHIP, prefix__startswith=county.prefix))
        gov = Unit.objects.filter(kind=UnitKind.GOVERNMENT, region=county).first()
        new = []
        for i in range(total - have):
            if i % 3:
                new.append(
                    Unit(
                        name=f"基准{i}镇人民政府",
                        kind=UnitKind.TOWNSHIP_OFFICE,
                        region=towns[i % len(towns)],
                        parent=gov,
                    )
                )
            else:
                new.append(Unit(name=f"县基准{i}局", kind=UnitKind.DEPARTMENT, region=county, parent=gov))
        Unit.objects.bulk_create(new, batch_size=1000)
    return list(Unit.objects.filter(kind__in=kinds, is_active=True).order_by("pk").values_list("pk", flat=True))


def petitions_spread(unit_ids: list[int]) -> None:
    """One UPDATE puts petition i in unit_ids[i % n] (through a small map table); the decisions and the
    units' deadlines follow their petition."""
    from django.db import connection, transaction

    from xinfang.petitions.models import Deadline, Decision, Petition

    qn = connection.ops.quote_name
    p, d, dl = (qn(m._meta.db_table) for m in (Petition, Decision, Deadline))
    n = len(unit_ids)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {MAP_TABLE}")
        cur.execute(f"CREATE TABLE {MAP_TABLE} (idx integer PRIMARY KEY, unit_id integer NOT NULL)")
        cur.executemany(f"INSERT INTO {MAP_TABLE} (idx, unit_id) VALUES (%s, %s)", list(enumerate(unit_ids)))
        cur.execute(f"UPDATE {p} SET owner_unit_id = (SELECT m.unit_id FROM {MAP_TABLE} m WHERE m.idx = {p}.id % {n})")
        cur.execute(f"UPDATE {d} SET unit_id = (SELECT owner_unit_id FROM {p} WHERE {p}.id = {d}.petition_id)")
        cur.execute(
            f"UPDATE {dl} SET unit_id = (SELECT owner_unit_id FROM {p} WHERE {p}.id = {dl}.petition_id) "
            "WHERE unit_id IS NOT NULL"
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def _busy_month():
    """The month with the most petitions received, not the current one (it is complete)."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from xinfang.lib.months import month_start
    from xinfang.petitions.models import Petition

    this = month_start(timezone.localdate())
    months = (
        Petition.objects.annotate(m=TruncMonth("received_at")).values("m").annotate(n=Count("pk")).order_by("-n")[:3]
    )
    for row in months:
        m = month_start(row["m"].date() if hasattr(row["m"], "date") else row["m"])
        if m < this:
            return m, row["n"]
    raise RuntimeError("no complete month with petitions")


def assessment_measure(runs: int = RUNS) -> dict:
    """Rebuild the busiest month, time the ranking page before and after closing it. Makes the ranked
    units and spreads the petitions first if the database has fewer than UNITS ranked units."""
    from django.db import connection

    from bench.common import request_measure, say
    from xinfang.assessment import aggregates, services
    from xinfang.assessment.models import MonthClose, MonthRank, RuleFiring
    from xinfang.org.models import Role, User

    unit_ids = ranked_units_make(UNITS)
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(DISTINCT owner_unit_id) FROM {connection.ops.quote_name('petitions_petition')}")
        spread = cur.fetchone()[0] >= len(unit_ids)
    if not spread:
        t = time.perf_counter()
        petitions_spread(unit_ids)
        say(f"petitions spread over {len(unit_ids)} units in {time.perf_counter() - t:.1f} s")
    month, received = _busy_month()
    say(f"month {month:%Y-%m}: {received} petitions received")
    # a fresh close each run: the month's published ranking and its rules are made again
    RuleFiring.objects.filter(month=month).delete()
    MonthRank.objects.filter(month=month).delete()
    MonthClose.objects.filter(month=month).delete()
    t = time.perf_counter()
    rows = aggregates.aggregates_rebuild(month, progress=lambda text: say(text))
    rebuild_s = time.perf_counter() - t
    say(f"rebuild {month:%Y-%m}: {rebuild_s:.1f} s, rows {rows}")
    leader = User.objects.filter(role=Role.LEADER, is_active=True).select_related("unit").first()
    url = f"/assessment/ranking/?month={month:%Y-%m}"
    provisional = request_measure(leader, url, runs=runs, budget=(10, 100))
    say(f"ranking (provisional): {provisional}")
    t = time.perf_counter()
    result = services.month_close(month, rebuild=False)
    close_s = time.perf_counter() - t
    published = request_measure(leader, url, runs=runs, budget=(10, 100))
    say(f"close {close_s:.2f} s, {result.units} units ranked; ranking (published): {published}")
    explanation = request_measure(leader, f"/assessment/unit/{unit_ids[0]}/{month:%Y-%m}/", runs=runs, budget=(10, 100))
    export = request_measure(
        leader, f"/assessment/ranking/export.xlsx?month={month:%Y-%m}", runs=max(3, runs // 5), budget=(10, 1000)
    )
    from bench.dashboard import dashboard_measure, quarter_rebuild

    quarter_rebuild(month)
    dashboard = dashboard_measure(month, runs)
    return {
        "month": f"{month:%Y-%m}",
        "month_petitions": received,
        "ranked_units": result.units,
        "rebuild_seconds": round(rebuild_s, 2),
        "rebuild_rows": rows,
        "rebuild_within_budget": rebuild_s <= 60,
        "close_seconds": round(close_s, 2),
        "rules_fired": {k: len(v) for k, v in result.fired.items()},
        "ranking_provisional": provisional,
        "ranking_published": published,
        "explanation": explanation,
        "export_xlsx": export,
        "dashboard": dashboard,
    }


def main() -> None:
    where = _database()
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.common import say
    from xinfang.demo.generate import petitions_generate
    from xinfang.petitions.models import Petition

    say("database:", connection.vendor, where)
    call_command("migrate", verbosity=0)
    have = Petition.objects.count()
    if have < COUNT:
        from tqdm import tqdm

        call_command("load_demo", verbosity=0)
        bar = tqdm(total=COUNT - have, unit="件", unit_scale=True, desc="generate", file=sys.stderr)
        gen = petitions_generate(COUNT - have, seed=20240501, history=HISTORY, progress=bar.update)
        bar.close()
        say(f"generated {gen.count} petitions ({HISTORY}) in {gen.seconds:.1f} s")
    else:
        say(f"reusing {have} petitions")
    out = {"database": connection.vendor, "where": where, "petitions": Petition.objects.count(), **assessment_measure()}
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
