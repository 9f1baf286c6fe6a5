"""Time verify_log's two passes: the hash chains (eventlog.verify_chains) and the replay of every
petition against its row (replay.rows_verify), with the queries and the memory they take.

On the database the environment names (DATABASE_URL, else the SQLite file in XINFANG_DATA_DIR), already
filled, e.g. by `make run` (3,000 demo petitions) or `manage.py generate_petitions --count 100000`:

    XINFANG_DATA_DIR=/tmp/xf python bench/verify_log.py

Progress goes to stderr; the last line of stdout is one JSON object. `verify_measure()` is the same for a
caller that has set Django up itself (bench/run.py).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))


def say(*parts) -> None:
    print("[verify_log bench]", *parts, file=sys.stderr, flush=True)


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def verify_measure() -> dict:
    from django.db import connection

    from xinfang.petitions.eventlog import verify_chains
    from xinfang.petitions.models import Event, Petition
    from xinfang.petitions.replay import rows_verify

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    petitions, events = Petition.objects.count(), Event.objects.count()
    out: dict = {"petitions": petitions, "events": events, "rss_mb_before": _rss_mb()}
    for name, run in (("chains", lambda: list(verify_chains())), ("replay", lambda: list(rows_verify()))):
        queries = 0
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            found = run()
        seconds = time.perf_counter() - started
        out[name] = {
            "seconds": round(seconds, 2),
            "petitions_per_s": round(petitions / seconds) if seconds else None,
            "queries": queries,
            "found": len(found),
            "rss_mb_after": _rss_mb(),
        }
        say(name, out[name])
    return out


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    from django.db import connection

    out = {"database": connection.vendor, **verify_measure()}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
