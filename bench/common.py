"""What the page benchmarks share: progress lines on stderr and timing of a call."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable


def say(*parts) -> None:
    print("[bench]", *parts, file=sys.stderr, flush=True)


def time_ms(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and p95 milliseconds of `runs` calls."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return round(statistics.median(times), 2), round(times[max(0, int(len(times) * 0.95) - 1)], 2)


def request_measure(
    user,
    url: str,
    *,
    runs: int,
    budget: tuple[int, float],
    data: Callable[[], dict] | dict | None = None,
    params: dict | None = None,
) -> dict:
    """SQL queries of one request of `url` as `user` (GET, or POST of `data`), and the median and p95
    ms of `runs` more, against `budget` (max queries, max median ms). The first request is not
    counted: it loads the in-memory tables and the session cache."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    c = Client(SERVER_NAME="127.0.0.1")
    c.force_login(user)
    if data is not None:
        send = lambda: c.post(url, data() if callable(data) else data)  # noqa: E731
    else:
        send = lambda: c.get(url, params or {})  # noqa: E731
    first = send()
    if first.status_code not in (200, 302):
        raise RuntimeError(f"{url} as {user.username}: HTTP {first.status_code}")
    connection.queries_log.clear()  # a full log (9,000 entries) would make the capture look empty
    with CaptureQueriesContext(connection) as ctx:
        send()
    queries = len(ctx.captured_queries)  # read now: later requests can empty the log it reads
    median, p95 = time_ms(send, runs)
    return {
        "user": user.username,
        "queries": queries,
        "median_ms": median,
        "p95_ms": p95,
        "within_budget": queries <= budget[0] and median <= budget[1],
    }
