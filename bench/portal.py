"""Figures for the public portal, measured through Django's test client (middleware, views, templates
and SQL, no network) as an anonymous phone: SQL queries and median/p95 milliseconds of the submission
POST (with and without an attachment), the query-code lookup, the receipt and the petition page.

Called by bench/run.py on the database it has just filled; also runnable on its own against any
database with the demo county (`XINFANG_DATA_DIR=... python bench/portal.py`). Budgets (issue 4):
submission ≤ 11 queries (issue 4's 10 and the one-time token's row) and median ≤ 25 ms; the lookup and the petitioner's pages ≤ 10 queries and
median ≤ 50 ms. The rate limits are raised for the run (their cache counting is still measured).
Each submission run adds a petition (and a file under MEDIA_ROOT): run it on a copy.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))

BUDGETS = {"submit": (11, 25.0), "track": (10, 50.0), "receipt": (10, 50.0), "petition": (10, 50.0)}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

from bench.common import say, time_ms  # noqa: E402


def _measure(kind: str, label: str, send: Callable[[], object], runs: int) -> dict:
    """Queries of one call of `send` (after a first, uncounted one) and the median/p95 ms of `runs` more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = send()
    if first.status_code not in (200, 302):
        raise RuntimeError(f"{label}: HTTP {first.status_code}")
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        send()
    queries = len(ctx.captured_queries)
    median, p95 = time_ms(send, runs)
    budget = BUDGETS[kind]
    row = {
        "page": f"portal {kind}",
        "what": label,
        "user": "public",
        "queries": queries,
        "median_ms": median,
        "p95_ms": p95,
        "within_budget": queries <= budget[0] and median <= budget[1],
    }
    say(
        f"portal {kind:8} {label:44} {queries:2} queries  median {median:7.2f} ms  p95 {p95:7.2f} ms  "
        f"{'ok' if row['within_budget'] else 'OVER BUDGET'}"
    )
    return row


def portal_measure(runs: int = 30) -> list[dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import Client, override_settings

    from xinfang.org.models import RegionLevel
    from xinfang.petitions.models import Petition, PetitionParty, State
    from xinfang.portal import selectors
    from xinfang.portal.forms import submission_token_new

    # one connection for the whole run, as a server keeps it (CONN_MAX_AGE)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    village = next((p for p in selectors.places.get().values() if p.level == RegionLevel.VILLAGE), None)
    if village is None:
        raise RuntimeError("no place with a county petition bureau: load the demo county first")
    phone_ua = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 MicroMessenger/8.0.47"
    c = Client(SERVER_NAME="127.0.0.1", HTTP_USER_AGENT=phone_ua)
    form = {
        "kind": "claim",
        "place": str(village.pk),
        "category": "",
        "title": "拖欠工资",
        "content": "某建筑公司拖欠农民工工资三个月，请求督促支付。",
        "accused_name": "",
        "name": "测试人甲",
        "phone": "10000000000",
        "email": "",
        "address": "",
    }

    def sent(**more: object) -> dict:  # each POST a form shown afresh, with its own one-time token
        return form | {"submission": submission_token_new()} | more

    results: list[dict] = []
    before = Petition.objects.count()
    with override_settings(PORTAL_SUBMIT_RATE="1000000/m", PORTAL_TRACK_RATE="1000000/m"):
        results.append(
            _measure(
                "submit", "submission POST (claim, name and phone)", lambda: c.post("/portal/submit/", sent()), runs
            )
        )
        results.append(
            _measure(
                "submit",
                "submission POST with a PDF attachment",
                lambda: c.post(
                    "/portal/submit/", sent(attachments=[SimpleUploadedFile("工资条.pdf", PDF, "application/pdf")])
                ),
                runs,
            )
        )
        receipt = c.post("/portal/submit/", sent())["Location"]
        results.append(_measure("receipt", "receipt", lambda: c.get(receipt), runs))
        mine = Petition.objects.order_by("-pk").first()
        # a generated petition with a decision and its petitioner's phone: a longer page
        party = (
            PetitionParty.objects.filter(petition__state__in=[State.CLOSED, State.EVALUATED, State.DECIDED])
            .exclude(petitioner__phone="")
            .select_related("petition", "petitioner")
            .order_by("-pk")
            .first()
        )
        targets = [("just submitted", mine, "10000000000")]
        if party is not None:
            targets.append((f"generated, {party.petition.state}", party.petition, party.petitioner.phone))
        for label, petition, phone in targets:
            lookup = {"code": petition.query_code, "phone": phone}
            results.append(
                _measure("track", f"lookup by code and phone ({label})", lambda: c.post("/portal/track/", lookup), runs)
            )
            results.append(
                _measure("petition", f"petition page ({label})", lambda: c.get(f"/portal/p/{petition.pk}/"), runs)
            )
        wrong = {"code": mine.query_code, "phone": "10000000001"}
        results.append(_measure("track", "lookup with a wrong phone", lambda: c.post("/portal/track/", wrong), runs))
    say(f"portal runs created {Petition.objects.count() - before} petitions")
    return results


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    rows = portal_measure(int(os.environ.get("BENCH_RUNS", "30")))
    print(json.dumps({"portal": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
