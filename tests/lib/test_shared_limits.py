"""Rate limits shared by every process without Redis (issue 18, point 7): the portal's limits count in
CACHES["limits"], the database cache with an atomic increment, so a second process (a second cache object
on the same table) sees the same count; concurrent increments lose nothing and keep the entry's expiry."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import Client

from xinfang.lib.dbcache import AtomicDatabaseCache

pytestmark = pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="with REDIS_URL the limits are in Redis")


def other_process_cache() -> AtomicDatabaseCache:
    """What another web process builds from the same settings: its own cache object on the same table."""
    return AtomicDatabaseCache(settings.CACHES["limits"]["LOCATION"], {})


def test_without_redis_the_limits_count_in_the_database():
    assert settings.CACHES["limits"]["BACKEND"] == "xinfang.lib.dbcache.AtomicDatabaseCache"
    assert settings.RATELIMIT_USE_CACHE == "limits"


@pytest.mark.django_db
def test_a_portal_limit_reached_in_one_process_holds_in_another(org, settings):
    from tests.support.portal import submit

    settings.PORTAL_SUBMIT_RATE = "2/h"
    first, second = Client(REMOTE_ADDR="10.1.2.3"), Client(REMOTE_ADDR="10.1.2.3")
    assert submit(first, org).status_code == 302 and submit(first, org).status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM xinfang_cache")
        assert cursor.fetchone()[0] >= 1  # the count is a row of the shared table, not a process's memory
    caches["limits"].close()
    assert submit(second, org).status_code == 429


@pytest.mark.django_db
def test_incr_keeps_the_expiry_and_refuses_a_missing_or_expired_key():
    cache = other_process_cache()
    cache.add("k", 0, timeout=3600)
    assert cache.incr("k") == 1 and cache.incr("k", 5) == 6 and cache.decr("k") == 5
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM xinfang_cache")
        [expires] = [r[0] for r in cursor.fetchall()]
    if isinstance(expires, str):
        expires = dt.datetime.fromisoformat(expires)
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    assert expires > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=55)  # not reset to 5 minutes
    with pytest.raises(ValueError):
        cache.incr("missing")
    cache.add("gone", 1, timeout=-1)
    with pytest.raises(ValueError):
        cache.incr("gone")


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_from_several_connections_lose_nothing():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's test database is in memory, one connection; a file database serialises writers")
    cache = other_process_cache()
    cache.add("hits", 0, timeout=3600)
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)

    def worker() -> None:
        from django.db import connection as own

        try:
            mine = other_process_cache()
            start.wait()
            for _ in range(per_thread):
                mine.incr("hits")
        finally:
            own.close()

    running = [threading.Thread(target=worker) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    assert cache.get("hits") == threads * per_thread
