"""The passes of a long-running worker command (tasks_worker: each pass one start of the task worker):
one pass, a wait, the next; stops on SIGTERM, Ctrl+C or after --passes. A database error in a pass (the server
restarted, the connection dropped) is reported and the connection closed, so the next pass connects
again: the worker lives through a database restart instead of dying with it."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, close_old_connections, connection


def passes_run(
    one_pass: Callable[[], object],
    *,
    loop: bool,
    interval: float,
    passes: int = 0,
    say: Callable[[str], object] = lambda text: None,
) -> int:
    """Run `one_pass` once, or with `loop` every `interval` seconds (at most `passes` times when > 0);
    the number of passes that ended without a database error."""
    stop = threading.Event()
    if loop and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    done = ok = 0
    try:
        while True:
            if not connection.in_atomic_block:  # a long-running worker: drop a stale connection
                close_old_connections()
            try:
                one_pass()
                ok += 1
            except (DatabaseError, InterfaceError) as e:
                if not loop:
                    raise
                say(f"数据库错误，{interval:g} 秒后重试 database error, retrying in {interval:g} s: {e}")
                if not connection.in_atomic_block:
                    connection.close()  # reconnect on the next pass
            done += 1
            if not loop or stop.is_set() or (passes and done >= passes):
                break
            stop.wait(interval)
    except KeyboardInterrupt:
        say("已停止 stopped")
    return ok
