"""In-memory tables derived from the organisation's cached tables (xinfang.org.selectors).

A derived table is rebuilt whenever the table it derives from was reloaded (an admin change to a
region or unit, the minute's expiry, a test's cache reset) or when it is invalidated itself (a save
of its own rows): it is never older than its source, and costs no query in between.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DerivedTable[T]:
    def __init__(self, load: Callable[[], T], source: Callable[[], object]) -> None:
        self._load, self._source = load, source
        self._value: T | None = None
        self._built_from: object = None
        self._lock = threading.Lock()

    def get(self) -> T:
        source = self._source()  # the source object itself is kept: identity, never a reused id()
        with self._lock:
            if self._value is None or self._built_from is not source:
                self._value, self._built_from = self._load(), source
            return self._value

    def invalidate(self, **_: object) -> None:
        with self._lock:
            self._value = None
