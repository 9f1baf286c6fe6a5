"""Figures for the REST API and Open311: SQL queries and median/p95 ms of the petition list (first
page, filtered, a page deep in the cursor chain), of GeoReport's GET requests and of a statistic, for
clients of the county bureau, a township and the county leadership.

The issue's requirement: the list is O(page), the same number of queries at 10,000 and at 1,000,000
petitions. Run on its own, this builds the benchmark database as bench/run.py does (SQLite:
data/bench/xinfang.sqlite3; PostgreSQL when DATABASE_URL is set: xinfang_bench; dropped and
recreated, so not while `make bench` runs), generates the first size, measures, generates up to the
next size in the same database, measures again, and reports whether the query counts agree:

    BENCH_API_SIZES=10000,1000000 python bench/api.py

bench/run.py calls `api_measure` on its own database (one size). The last line of stdout is JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))

PAGE = 50
DEEP_PAGES = 20  # the cursor of the 21st page

from bench.common import say, time_ms  # noqa: E402
from bench.run import prepare_database  # noqa: E402

# (label, client key, path, params); {cursor} is the cursor DEEP_PAGES pages in
REQUESTS = [
    ("list, first page", "bureau", "/api/petitions", {"limit": PAGE}),
    ("list, first page", "town", "/api/petitions", {"limit": PAGE}),
    (
        "list, accepted claims in a township",
        "bureau",
        "/api/petitions",
        {"limit": PAGE, "state": "accepted", "kind": "claim", "region": "{town}"},
    ),
    (f"list, page {DEEP_PAGES + 1} by cursor", "bureau", "/api/petitions", {"limit": PAGE, "cursor": "{cursor}"}),
    ("list, received in the last 30 days", "town", "/api/petitions", {"limit": PAGE, "received_from": "{month_ago}"}),
    ("open311 GET requests (90 days, ≤1000)", "town", "/api/open311/v2/requests.json", {}),
    ("statistics by state", "leader", "/api/statistics/petitions", {"group_by": "state"}),
    ("statistics by township", "leader", "/api/statistics/petitions", {"group_by": "region", "region_level": 4}),
]


def clients_prepare() -> dict[str, str]:
    """A token for each kind of client (created once per database; the token is re-issued)."""
    from xinfang.api.models import ApiClient, Scope
    from xinfang.api.services import api_client_create, api_client_token_rotate
    from xinfang.org.models import User

    wanted = {
        "bureau": ("bureau", [Scope.PETITIONS_READ, Scope.PETITIONS_WRITE]),
        "town": ("town_handler", [Scope.PETITIONS_READ, Scope.PETITIONS_WRITE]),
        "leader": ("leader", [Scope.STATISTICS_READ]),
    }
    tokens = {}
    for key, (username, scopes) in wanted.items():
        demo = User.objects.get(username=username)
        existing = ApiClient.objects.filter(name=f"bench-{key}").first()
        if existing:
            tokens[key] = api_client_token_rotate(existing)
        else:
            tokens[key] = api_client_create(name=f"bench-{key}", unit=demo.unit, role=demo.role, scopes=scopes)[1]
    return tokens


def _request_measure(token: str, url: str, params: dict, runs: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    http = Client(SERVER_NAME="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
    send = lambda: http.get(url, params)  # noqa: E731
    first = send()  # loads the in-memory tables (region tree, categories)
    if first.status_code != 200:
        raise RuntimeError(f"{url} {params}: HTTP {first.status_code} {first.content[:200]!r}")
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        body = send().json()
    queries = len(ctx.captured_queries)
    median, p95 = time_ms(send, runs)
    rows = (
        len(body["items"])
        if isinstance(body, dict) and "items" in body
        else (len(body) if isinstance(body, list) else len(body.get("rows", [])))
    )
    return {"queries": queries, "median_ms": median, "p95_ms": p95, "rows": rows}


def _deep_cursor(token: str) -> int | None:
    from django.test import Client

    http = Client(SERVER_NAME="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
    cursor = None
    for _ in range(DEEP_PAGES):
        body = http.get("/api/petitions", {"limit": PAGE} | ({"cursor": cursor} if cursor else {})).json()
        cursor = body["next_cursor"]
        if cursor is None:
            break
    return cursor


def api_measure(runs: int = 30) -> list[dict]:
    """Every request of REQUESTS against the current database; one dict each."""
    import datetime as dt

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.utils import timezone

    from xinfang.org.models import User
    from xinfang.petitions.models import Petition

    request_started.disconnect(close_old_connections)  # one connection, as a server keeps it
    request_finished.disconnect(close_old_connections)
    tokens = clients_prepare()
    total = Petition.objects.count()
    values = {
        "town": User.objects.select_related("unit__region").get(username="town_handler").unit.region.code,
        "cursor": _deep_cursor(tokens["bureau"]),
        "month_ago": (timezone.localdate() - dt.timedelta(days=30)).isoformat(),
    }
    results = []
    for label, who, url, params in REQUESTS:
        filled = {k: str(v).format(**values) for k, v in params.items()}
        if "None" in filled.values():
            continue
        row = {"what": label, "client": who, "url": url, "params": filled, "petitions": total} | _request_measure(
            tokens[who], url, filled, runs
        )
        say(
            f"{total:>9,} petitions  {label:40} {who:7} {row['queries']:2} queries  {row['rows']:4} rows  "
            f"median {row['median_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms"
        )
        results.append(row)
    return results


def main() -> None:
    sizes = sorted(int(s) for s in os.environ.get("BENCH_API_SIZES", "10000,1000000").split(","))
    runs = int(os.environ.get("BENCH_RUNS", "30"))
    where = prepare_database()
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from xinfang.demo.generate import petitions_generate
    from xinfang.petitions.models import Petition

    say("database:", where)
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    by_size: dict[int, list[dict]] = {}
    for size in sizes:
        missing = size - Petition.objects.count()
        if missing > 0:
            gen = petitions_generate(missing, seed=20240501 + size)
            say(f"generated {gen.count:,} petitions in {gen.seconds:.1f} s")
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        by_size[size] = api_measure(runs)
    counts = {size: [(r["what"], r["client"], r["queries"]) for r in rows] for size, rows in by_size.items()}
    same = len({tuple(c) for c in counts.values()}) == 1
    say("query counts the same at every size:", same)
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "sizes": sizes,
                "same_queries_at_every_size": same,
                "api": {str(size): rows for size, rows in by_size.items()},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
