"""Figures for the registration desk (登记), measured through Django's test client against an existing
database with the demo county and generated petitions (`XINFANG_DATA_DIR=... python bench/desk.py`):
SQL queries and median/p95 milliseconds of the registration POST with one petitioner and one
attachment, of the petitioner lookup by name, phone and ID number, and of the same-matter panel.

Budgets (the desk's issue): registration POST ≤ 12 queries, median ≤ 30 ms; the panels are asked
while the clerk types, so the same budget is applied to them. Each registration run adds a petition
and a file under MEDIA_ROOT: run it on a copy, not on a database that matters.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))

BUDGET = (12, 30.0)


from bench.common import request_measure, say  # noqa: E402


def desk_measure(runs: int = 30) -> list[dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.utils import timezone

    from xinfang.org.models import User
    from xinfang.petitions.models import Petition, PetitionParty
    from xinfang.petitions.selectors import petition_list_for
    from xinfang.workbench.forms import place_choices

    # one connection for the whole run, as a server keeps it (CONN_MAX_AGE), so that the queries
    # of a request are counted and each request is not charged for opening the database
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    results: list[dict] = []

    def measure(
        label: str, user: User, url: str, data: Callable[[], dict] | None = None, params: dict | None = None
    ) -> dict:
        row = {"what": label} | request_measure(user, url, runs=runs, budget=BUDGET, data=data, params=params)
        say(
            f"{label:46} {user.username:14} {row['queries']:2} queries  median {row['median_ms']:7.2f} ms  "
            f"p95 {row['p95_ms']:7.2f} ms  {'ok' if row['within_budget'] else 'OVER BUDGET'}"
        )
        results.append(row)
        return row

    users = {u.username: u for u in User.objects.filter(username__in=["clerk", "bureau", "town_handler"])}
    say(f"{Petition.objects.count():,} petitions")

    # the most frequent petitioner name, phone and a title/content of a recent petition in a village
    for name in ("bureau", "clerk", "town_handler"):
        user = users[name]
        party = (
            PetitionParty.objects.filter(petition__in=petition_list_for(user).order_by("-pk")[:1])
            .select_related("petitioner")
            .first()
        )
        if party is None:
            continue
        person = party.petitioner
        measure("lookup by name", user, "/register/lookup", params={"name": person.name})
        measure("lookup by phone", user, "/register/lookup", params={"phone": person.phone})
        measure(
            "lookup by ID number (none matches)", user, "/register/lookup", params={"id_number": "990121199001011234"}
        )
        measure(
            "lookup by all three",
            user,
            "/register/lookup",
            params={"name": person.name, "phone": person.phone, "id_number": "990121199001011234"},
        )
        recent = (
            petition_list_for(user)
            .filter(region__level=5)
            .select_related("region__parent")
            .order_by("-received_at")
            .first()
        )
        if recent is not None:
            place = f"{recent.region.parent.name} · {recent.region.name}"
            measure(
                "same-matter panel",
                user,
                "/register/similar",
                params={"title": recent.title, "content": recent.content[:400], "place": place},
            )
            measure(
                "same-matter panel, petitioner chosen",
                user,
                "/register/similar",
                params={
                    "title": recent.title,
                    "content": recent.content[:400],
                    "place": place,
                    "petitioner_id": str(person.pk),
                },
            )

    clerk = users["clerk"]
    place = next(label for label in place_choices(clerk) if " · " in label)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    scan = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + b"%" * 200_000

    def form() -> dict:
        return {
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
            "attachments": [SimpleUploadedFile("来信扫描.pdf", scan, content_type="application/pdf")],
        }

    measure("registration POST (one petitioner, one 200 KB PDF)", clerk, "/register/", data=form)
    return results


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    rows = desk_measure(int(os.environ.get("BENCH_RUNS", "30")))
    print(json.dumps({"desk": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
