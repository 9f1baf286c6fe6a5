"""The leaders' dashboard at county scale: reuses bench/assessment.py's database (1,000 units, 1,000,000
petitions; build it first with `python bench/assessment.py`, which also calls dashboard_measure), rebuilds
the aggregates of the month's quarter, and prints the dashboard's queries and median/p95 ms for the month
and its quarter, as the demo county's leader (budget: ≤ 10 queries, median ≤ 100 ms). The view is called
with a RequestFactory request (no session row).

    python bench/dashboard.py [YYYY-MM]     # default: the latest month with daily facts
The last line of stdout is JSON.
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
RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "30"))


def quarter_rebuild(month) -> None:
    """The aggregates of the other months of the month's quarter (the dashboard's quarter reads all three)."""
    from bench.common import say
    from xinfang.assessment.aggregates import aggregates_rebuild

    first = month.replace(month=3 * ((month.month - 1) // 3) + 1)
    for m in range(first.month, first.month + 3):
        other = first.replace(month=m)
        if other != month:
            t = time.perf_counter()
            aggregates_rebuild(other)
            say(f"rebuild {other:%Y-%m}: {time.perf_counter() - t:.1f} s")


def dashboard_measure(month, runs: int = RUNS) -> dict:
    """The dashboard page for the month and its quarter, as a county leader: queries, median, p95 ms."""
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from bench.common import say
    from xinfang.assessment.dashboard_views import dashboard_page
    from xinfang.org.models import Role, User

    leader = User.objects.filter(role=Role.LEADER, unit__region__level=3).order_by("pk").first()
    quarter = f"{month:%Y}-Q{(month.month - 1) // 3 + 1}"
    out: dict = {"user": f"{leader.username} ({leader.unit.name})"}
    for name, params in (
        ("month", {"period": "month", "month": f"{month:%Y-%m}"}),
        ("quarter", {"period": "quarter", "quarter": quarter}),
    ):
        times, queries = [], 0
        for i in range(runs + 1):
            request = RequestFactory().get("/dashboard/", params)
            request.user = User.objects.get(pk=leader.pk)
            request.session = {}
            request._messages = []
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = dashboard_page(request)
                elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200
            if i:  # the first run loads the in-memory tables
                times.append(elapsed)
                queries = len(ctx.captured_queries)
        times.sort()
        median = round(statistics.median(times), 1)
        out[name] = {
            "params": params,
            "queries": queries,
            "median_ms": median,
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "within_budget": queries <= 10 and median <= 100,
        }
        say(f"dashboard {name}: {queries} queries, median {median} ms")
    return out


def main() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["XINFANG_DATA_DIR"] = str(BASE / "data" / "bench-assessment")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import datetime as dt

    import django

    django.setup()
    from django.db.models import Max

    from xinfang.assessment.models import DailyFact, PlaceMonth
    from xinfang.petitions.models import Petition

    latest = DailyFact.objects.aggregate(d=Max("day"))["d"]
    month = dt.datetime.strptime(sys.argv[1], "%Y-%m").date() if len(sys.argv) > 1 else latest.replace(day=1)
    quarter_rebuild(month)
    out = {
        "petitions": Petition.objects.count(),
        "daily_fact_rows": DailyFact.objects.count(),
        "place_month_rows": PlaceMonth.objects.count(),
        **dashboard_measure(month),
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
