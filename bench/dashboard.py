"""The leaders' dashboard at county scale: reuses bench/assessment.py's database (1,000 units, 1,000,000
petitions, its aggregates rebuilt; build it first with `python bench/assessment.py`) and prints the
dashboard's queries and median/p95 ms for a month and a quarter, as the demo county's leader (budget: ≤ 10
queries, median ≤ 100 ms). Read-only: the view is called with a RequestFactory request (no session row).

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


def main() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["XINFANG_DATA_DIR"] = str(BASE / "data" / "bench-assessment")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from xinfang.assessment.dashboard_views import dashboard_page
    from xinfang.assessment.models import DailyFact
    from xinfang.org.models import Role, User
    from xinfang.petitions.models import Petition

    leader = User.objects.filter(role=Role.LEADER, unit__region__level=3).order_by("pk").first()
    latest = DailyFact.objects.aggregate(d=Max("day"))["d"]
    month = sys.argv[1] if len(sys.argv) > 1 else f"{latest:%Y-%m}"
    quarter = f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"
    out = {"petitions": Petition.objects.count(), "daily_fact_rows": DailyFact.objects.count(),
           "user": f"{leader.username} ({leader.unit.name})"}
    for name, params in (("month", {"period": "month", "month": month}),
                         ("quarter", {"period": "quarter", "quarter": quarter})):
        times, queries = [], 0
        for i in range(RUNS + 1):
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
        out[name] = {"params": params, "queries": queries, "median_ms": round(statistics.median(times), 1),
                     "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}
        print(f"{name}: {queries} queries, median {out[name]['median_ms']} ms", file=sys.stderr)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
