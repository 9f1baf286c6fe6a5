"""Figures for the staff workbench's pages, measured through Django's test client (middleware,
views, templates and SQL, no network): SQL queries and median/p95 milliseconds of each page.

Called by bench/run.py on the database it has just filled; also runnable on its own against any
database with the demo county (`XINFANG_DATA_DIR=... python bench/pages.py`). Budgets (issue 3):
registration POST ≤ 12 queries and median ≤ 30 ms; queue pages and the petition page ≤ 10 queries
and median ≤ 50 ms; Chinese full-text search median ≤ 200 ms.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))

BUDGETS = {
    "register": (12, 30.0),
    "queue": (10, 50.0),
    "petition": (10, 50.0),
    "search": (10, 200.0),
    "home": (10, 50.0),
}


from bench.common import request_measure, say  # noqa: E402


def pages_measure(runs: int = 30) -> list[dict]:
    """Measure every page kind for a few users of the demo county; one dict per (page, user)."""
    from django.utils import timezone

    from xinfang.org.models import User
    from xinfang.petitions.models import Petition
    from xinfang.petitions.selectors import petition_list_for
    from xinfang.workbench.forms import place_choices

    results: list[dict] = []

    def measure(kind: str, label: str, user: User, url: str, data: dict | None = None) -> dict:
        row = {"page": kind, "what": label, "url": url} | request_measure(
            user, url, runs=runs, budget=BUDGETS[kind], data=data
        )
        say(
            f"{kind:9} {label:44} {user.username:14} {row['queries']:2} queries  median {row['median_ms']:7.2f} ms  "
            f"p95 {row['p95_ms']:7.2f} ms  {'ok' if row['within_budget'] else 'OVER BUDGET'}"
        )
        results.append(row)
        return row

    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["clerk", "bureau", "leader", "supervisor", "town_handler", "dept_handler", "village_handler"]
        )
    }

    for name in ("clerk", "town_handler", "leader"):
        measure("home", "home page (tab counts)", users[name], "/")
    queue_urls = [
        ("all open, by due date", "/queue/"),
        ("to accept", "/queue/?tab=accept"),
        ("to handle, newest first", "/queue/?tab=handle&sort=received"),
        ("overdue, by priority", "/queue/?tab=overdue&sort=priority"),
        ("under supervision", "/queue/?tab=supervised"),
        ("concluded (archive)", "/queue/?tab=concluded"),
        ("filters: visit, claim, township", "/queue/?channel=visit&kind=claim&region={town}"),
        ("page 20", "/queue/?page=20"),
    ]
    town = User.objects.select_related("unit__region").get(pk=users["town_handler"].pk).unit.region.prefix
    for name in ("bureau", "town_handler", "dept_handler", "leader", "supervisor"):
        for label, url in queue_urls:
            measure("queue", label, users[name], url.format(town=town))

    for word in ("工资", "小区 物业", "拆迁", "噪音", "学校"):
        for name in ("bureau", "town_handler", "dept_handler"):
            measure("search", f"search {word!r}", users[name], f"/queue/?q={word}")
        measure("search", f"search {word!r} (concluded)", users["bureau"], f"/queue/?tab=concluded&q={word}")

    # petition pages: the longest histories each user may see, and an ordinary one
    for name in ("bureau", "town_handler", "dept_handler"):
        user = users[name]
        visible = petition_list_for(user)
        longest = visible.order_by("-log_seq").values_list("pk", flat=True).first()
        recent = visible.order_by("-received_at").values_list("pk", flat=True).first()
        for label, pk in (("longest history", longest), ("most recent", recent)):
            if pk:
                measure("petition", label, user, f"/p/{pk}/")

    # registration: the clerk posts the desk's form (each run registers one more petition)
    clerk = users["clerk"]
    place = next(iter(place_choices(clerk)))
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    form = {
        "channel": "visit",
        "kind": "claim",
        "category": "",
        "place": place,
        "title": "拖欠工资",
        "content": "某建筑公司拖欠农民工工资三个月，请求督促支付。",
        "received_at": now,
        "priority": "0",
        "name": "测试人甲",
        "phone": "10000000000",
        "id_number": "",
        "address": "",
        "headcount": "1",
        "accused_unit": "",
        "accused_name": "",
    }
    before = Petition.objects.count()
    measure("register", "registration POST (one petitioner)", clerk, "/register/", form)
    made = Petition.objects.count() - before
    say(f"registration runs created {made} petitions")
    return results


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    rows = pages_measure(int(os.environ.get("BENCH_RUNS", "30")))
    print(json.dumps({"pages": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
