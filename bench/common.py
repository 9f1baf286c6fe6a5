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
