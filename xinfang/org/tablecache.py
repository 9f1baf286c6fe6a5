"""Small admin-edited tables (legal periods, the holiday table) held in memory.

A process reloads its copy `ttl` seconds after loading it, and at once when it saves a change
itself (post_save/post_delete call `invalidate`): a change made in the admin reaches every worker
within a minute, and no request pays a query for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TableCache[T]:
    def __init__(self, load: Callable[[], T], ttl: float = 60.0) -> None:
        self._load, self.ttl = load, ttl
        self._value: T | None = None
        self._loaded = 0.0
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            now = time.monotonic()
            if self._value is None or now - self._loaded > self.ttl:
                self._value, self._loaded = self._load(), now
            return self._value

    def invalidate(self, **_: object) -> None:
        with self._lock:
            self._value = None
