"""Concurrent writers against the server `make run` starts (issue 18, point 6): gunicorn
(xinfang/serve.py: 2 workers × 8 threads, DEBUG off) on a scratch SQLite database with the demo
county, and CLIENTS browsers at once each sending the portal's form SUBMISSIONS times: open the form
(its one-time token, the cookies), POST it, open the receipt. One POST in ten is sent twice (a double
click): it must lead to the same receipt and store nothing more.

    python bench/concurrency.py            # BENCH_CLIENTS=100 BENCH_SUBMISSIONS=10 BENCH_PETITIONS=1000

Prints, for every request and for the POSTs alone: the count, errors by HTTP status (and connection
errors), p50/p95/p99 milliseconds; then whether the petitions stored are exactly the forms sent
(none lost, none doubled). The last line of stdout is one JSON object with the figures. The database
is data/bench_concurrency/ (recreated each run). Rate limits are raised for the run.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))

from bench.common import say  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "100"))
SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", "10"))
PETITIONS = int(os.environ.get("BENCH_PETITIONS", "1000"))
FOLDER = BASE / "data" / "bench_concurrency"
TOKEN = re.compile(r'name="submission" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PLACE = re.compile(r'<select name="place"[^>]*>.*?<option value="(\d+)"', re.S)


@dataclass
class Tally:
    """What all clients saw, under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    all_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    post_statuses: Counter = field(default_factory=Counter)
    tokens: set[str] = field(default_factory=set)
    doubled_differently: int = 0

    def add(self, status: int | str, ms: float, post: bool) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.all_ms.append(ms)
            if post:
                self.post_statuses[status] += 1
                self.post_ms.append(ms)


class Browser:
    """One visitor: its own connection and cookies (csrftoken, the portal cookie, the session)."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.port, self.tally, self.cookies = port, tally, {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def send(self, method: str, path: str, body: dict | None = None) -> tuple[int | str, str, str]:
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "User-Agent": "Mozilla/5.0 (Linux; Android 14) Mobile bench",
        }
        data = None
        if body is not None:
            data = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            self.tally.add(type(e).__name__, (time.perf_counter() - started) * 1000, body is not None)
            return type(e).__name__, "", ""
        self.tally.add(response.status, (time.perf_counter() - started) * 1000, body is not None)
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, text, response.getheader("Location", "")

    def submit(self, n: int, twice: bool) -> None:
        status, page, _ = self.send("GET", "/portal/submit/")
        if status != 200:
            return
        token = TOKEN.search(page).group(1)
        form = {
            "csrfmiddlewaretoken": CSRF.search(page).group(1),
            "submission": token,
            "kind": "claim",
            "place": PLACE.search(page).group(1),
            "category": "",
            "title": f"拖欠工资（并发测试 {n}）",
            "content": "某建筑公司拖欠农民工工资三个月，请求督促支付。",
            "accused_name": "",
            "name": "测试人甲",
            "phone": "10000000000",
            "email": "",
            "address": "",
        }
        status, _, receipt = self.send("POST", "/portal/submit/", form)
        if status != 302:
            return
        with self.tally.lock:
            self.tally.tokens.add(token)
        if twice:
            again, _, receipt_again = self.send("POST", "/portal/submit/", form)
            if again == 302 and receipt_again != receipt:
                with self.tally.lock:
                    self.tally.doubled_differently += 1
        self.send("GET", receipt)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict[str, str]) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        (FOLDER / f"xinfang.sqlite3{suffix}").unlink(missing_ok=True)
    FOLDER.mkdir(parents=True, exist_ok=True)
    manage = [sys.executable, str(BASE / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run(
        [*manage, "load_demo", "--petitions", str(PETITIONS), "-v0"], env=env, check=True, stdout=subprocess.DEVNULL
    )


def serve(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "python:xinfang.serve",
            "--access-logfile",
            "/dev/null",
            "xinfang.wsgi",
        ],
        env=env | {"XINFANG_BIND": f"127.0.0.1:{port}"},
        cwd=BASE,
    )
    for _ in range(600):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            c.request("GET", "/portal/submit/")
            if c.getresponse().status == 200:
                return server  # (the first requests of each worker load its caches: part of the figures)
        except OSError:
            pass
        finally:
            c.close()
        time.sleep(0.1)  # a benchmark waiting for its server to listen, not a test
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    if not values:
        return {}
    at = lambda q: round(values[min(len(values) - 1, int(len(values) * q))], 1)  # noqa: E731
    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": round(values[-1], 1)}


def main() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env |= {
        "XINFANG_DATA_DIR": str(FOLDER),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "xinfang.settings",
        "XINFANG_SECRET_KEY_CREATE": "1",
        "XINFANG_PORTAL_SUBMIT_RATE": "1000000/m",
        "XINFANG_PORTAL_TRACK_RATE": "1000000/m",
    }
    say(f"scratch SQLite database in {FOLDER}, demo county with {PETITIONS} petitions")
    prepare(env)
    before = (
        sqlite3.connect(FOLDER / "xinfang.sqlite3").execute("SELECT COUNT(*) FROM petitions_petition").fetchone()[0]
    )
    port = free_port()
    server = serve(env, port)
    tally = Tally()
    say(f"gunicorn on 127.0.0.1:{port}; {CLIENTS} clients × {SUBMISSIONS} submissions")

    def client(i: int) -> None:
        browser = Browser(port, tally)
        for n in range(SUBMISSIONS):
            browser.submit(i * SUBMISSIONS + n, twice=(i * SUBMISSIONS + n) % 10 == 0)

    try:
        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    stored = (
        sqlite3.connect(FOLDER / "xinfang.sqlite3").execute("SELECT COUNT(*) FROM petitions_petition").fetchone()[0]
        - before
    )
    requests = sum(tally.statuses.values())
    errors = {str(k): v for k, v in tally.statuses.items() if k not in (200, 302)}
    figures = {
        "clients": CLIENTS,
        "submissions_per_client": SUBMISSIONS,
        "server": "gunicorn gthread 2×8, SQLite WAL",
        "seconds": round(seconds, 1),
        "requests": requests,
        "requests_per_s": round(requests / seconds, 1),
        "errors_by_status": errors,
        "all": percentiles(tally.all_ms),
        "posts": sum(tally.post_statuses.values()),
        "post_errors_by_status": {str(k): v for k, v in tally.post_statuses.items() if k != 302},
        "post": percentiles(tally.post_ms),
        "forms_accepted": len(tally.tokens),
        "petitions_stored": stored,
        "double_submits_with_another_receipt": tally.doubled_differently,
    }
    say(f"{requests} requests in {seconds:.1f} s ({figures['requests_per_s']}/s); errors {errors or 'none'}")
    say(f"all requests {figures['all']}")
    say(f"{figures['posts']} POSTs {figures['post']}; errors {figures['post_errors_by_status'] or 'none'}")
    say(
        f"{len(tally.tokens)} forms accepted, {stored} petitions stored, "
        f"{tally.doubled_differently} double submits led elsewhere"
    )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
