"""Django's database cache with an atomic increment: the shared cache of the rate limits when there is no
Redis (settings CACHES["limits"]). Django's own DatabaseCache increments by get-then-set, so two processes
counting at once lose a count, and the set restarts the entry's expiry; django-ratelimit refuses it for
that reason. Here the row is read and rewritten in one transaction, locked (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite the IMMEDIATE transaction takes the write lock), and keeps its expiry. `add` is
two statements (expired rows deleted, then INSERT ... ON CONFLICT DO NOTHING) instead of Django's five
with a count of the whole table, and `incr` two: a rate-limited request costs at most four queries."""

from __future__ import annotations

import base64
import datetime as dt
import pickle

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class AtomicDatabaseCache(DatabaseCache):
    def add(self, key: str, value: object, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        q, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
        now = timezone.now().replace(microsecond=0)
        seconds = self.get_backend_timeout(timeout)
        expires = (
            dt.datetime.max.replace(tzinfo=dt.UTC) if seconds is None else dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        ).replace(microsecond=0)
        stored = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        table = q(self._table)
        with transaction.atomic(using=db, savepoint=False), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE {q('expires')} <= %s", [adapt(now)])
            cursor.execute(
                f"INSERT INTO {table} ({q('cache_key')}, {q('value')}, {q('expires')}) "
                f"VALUES (%s, %s, %s) ON CONFLICT ({q('cache_key')}) DO NOTHING",
                [key, stored, adapt(expires)],
            )
            return cursor.rowcount == 1

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        q = connection.ops.quote_name
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        with transaction.atomic(using=db, savepoint=False), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {q('value')} FROM {q(self._table)} WHERE {q('cache_key')} = %s AND {q('expires')} > %s{lock}",
                [key, now],
            )
            row = cursor.fetchone()
            if row is not None:
                value = pickle.loads(base64.b64decode(row[0].encode())) + delta
                stored = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
                cursor.execute(
                    f"UPDATE {q(self._table)} SET {q('value')} = %s WHERE {q('cache_key')} = %s", [stored, key]
                )
        if row is None:  # raised outside the transaction, which stays usable for the caller
            raise ValueError(f"Key '{key}' not found")
        return value

    def decr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        return self.incr(key, -delta, version)
