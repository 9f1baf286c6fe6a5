"""A run: petitions_generate plans the batches, has them made (in a forked worker while this process
writes the previous one, or here), and writes each in its own transaction."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from xinfang.demo.generate.base import GeneratorBase, Result
from xinfang.demo.generate.full import Generator
from xinfang.demo.generate.ledger import ImportGenerator
from xinfang.demo.generate.org import GenerateError, Org, org_load
from xinfang.demo.generate.texts import Texts, texts_load
from xinfang.demo.generate.write import TABLES, Batch, SearchBodies, _spool, _spool_search_texts, _spool_texts, _write
from xinfang.org import calendar
from xinfang.petitions import rules
from xinfang.petitions.models import Deadline, Decision, Evaluation, Event, Petition, Petitioner, PetitionParty
from xinfang.petitions.models import DeadlineKind as DK
from xinfang.petitions.search import search_bulk_end, search_bulk_start, search_clear

HISTORIES = ("import", "full")
PRESEGMENT_RUNS = 3
PG_INDEX_REBUILD_MIN = 50000  # PostgreSQL, empty index: build its GIN index after a run of this many


def _produce(
    gen: GeneratorBase, plan: list[tuple[int, int]], first_petitioner: int, out, spool_dir: str | None
) -> None:
    """In the worker process: generate each planned batch, in order, and hand it over (spooled to a
    file in spool_dir, if given)."""
    try:
        # the holiday and period tables were loaded before the fork; never reload them here, which
        # would query through the parent's database connection
        for cache in (calendar.holidays, rules.periods):
            cache.get()
            cache.ttl = float("inf")
        pr = first_petitioner
        text_refs = bool(spool_dir) and isinstance(gen, ImportGenerator)
        if text_refs:
            gen.text_refs = True
        if gen.presegment_pool:  # the odd half; the writer makes the even one meanwhile
            gen.presegment(range(1, len(gen.texts.items), 2))
        for k, (first, n) in enumerate(plan):
            rows = gen.batch(first, n, pr)
            pr = gen.next_petitioner
            if spool_dir:
                path = f"{spool_dir}/batch-{k}.sqlite3"
                _spool(rows, path)
                out.put(Batch.of(rows, path, text_refs))
            else:
                out.put(Batch.of(rows))
        out.put(None)
    except BaseException as exc:  # noqa: BLE001 - the parent re-raises it
        out.put(exc)


def _batches(
    gen: GeneratorBase,
    plan: list[tuple[int, int]],
    first_petitioner: int,
    workers: int,
    spool_dir: str | None = None,
    started: Callable[[], object] | None = None,
):
    """The planned batches: made in a forked worker process while the caller writes the previous
    batch (two cores: one generates, one writes), or in this process if workers=0 or fork is unavailable.
    `started` runs here once the worker has started (the writer's half of the texts' segmentation)."""
    ctx = None
    if workers > 0:
        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:
            ctx = None
    if ctx is None:
        pr = first_petitioner
        for first, n in plan:
            rows = gen.batch(first, n, pr)
            pr = gen.next_petitioner
            yield Batch.of(rows)
        return
    queue = ctx.Queue(maxsize=2)
    proc = ctx.Process(target=_produce, args=(gen, plan, first_petitioner, queue, spool_dir), daemon=True)
    proc.start()
    try:
        if started:
            started()
        while True:
            item = queue.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()


def _plan(first: int, count: int, batch: int, smallest: int = 2000) -> list[tuple[int, int]]:
    """(first id, count) of each batch. The first batches grow from `smallest` (the writer starts
    soon), the last full one is cut into halves, quarters, ... (little is left to write once the
    worker has made the last rows)."""
    sizes, size, left = [], smallest, count
    while size < batch and left > 2 * batch:
        sizes.append(size)
        left -= size
        size *= 2
    sizes += [min(batch, left - k) for k in range(0, left, batch)]
    last = sizes.pop()
    while last >= 2 * smallest:
        sizes.append(last - last // 2)
        last //= 2
    sizes.append(last)
    plan, at = [], first
    for n in sizes:
        plan.append((at, n))
        at += n
    return plan


def _generator(count: int, history: str, org: Org | None, texts: Texts | None, **kwargs) -> GeneratorBase:
    org = org or org_load()
    calendar.is_workday(dt.date.today())  # load the holiday and period tables before any fork
    rules.period(DK.INTAKE)
    make = ImportGenerator if history == "import" else Generator
    gen = make(org, texts or texts_load(), postgres=connection.vendor == "postgresql", **kwargs)
    gen.existing_codes = set(Petition.objects.values_list("query_code", flat=True).iterator(chunk_size=50000))
    gen.presegment_pool = count >= PRESEGMENT_RUNS * len(gen.texts.items)
    return gen


def _top_ids() -> tuple[int, int]:
    """The highest petition and petitioner ids."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Petition._meta.db_table}")
        top = cur.fetchone()[0]
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Petitioner._meta.db_table}")
        return top, cur.fetchone()[0]


class _Run:
    """One run's writing side: the database set up for a bulk load, each batch in its own transaction,
    and everything put back at the end (also after an error)."""

    def __init__(self, gen: GeneratorBase, count: int, workers: int) -> None:
        self.gen, self.postgres, self.result = gen, gen.postgres, Result()
        self.first, self.first_pr = (top + 1 for top in _top_ids())
        self.bulk = not self.postgres and not connection.in_atomic_block
        self.bodies = SearchBodies(gen.texts)
        self.rebuild_index = False
        self.spool_dir: str | None = None
        self.workers, self.count = workers, count
        gen.run_first, gen.run_count = self.first, count
        connection.ensure_connection()
        self.raw = connection.connection

    def start(self) -> None:
        with connection.cursor() as cur:
            if self.first == 1:  # no petitions: index rows left behind (a flushed database) would collide with new ids
                search_clear()
            if self.bulk:  # a bulk load: no fsync per commit, a big page cache, the rows are known consistent
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("PRAGMA cache_size=-262144")
                cur.execute("PRAGMA foreign_keys=OFF")
        # PostgreSQL, a long run into an empty index: its GIN index is built once at the end
        self.rebuild_index = self.postgres and self.count >= PG_INDEX_REBUILD_MIN and search_bulk_start()
        # SQLite, with a worker: the worker also puts each batch into a scratch file (a second core binds
        # the values), and this process copies it in with INSERT ... SELECT. Not inside someone's
        # transaction: ATTACH needs none to be open.
        if not self.postgres and self.workers > 0 and not connection.in_atomic_block:
            self.spool_dir = tempfile.mkdtemp(prefix="xinfang-generate-")
            if isinstance(self.gen, ImportGenerator):
                _spool_texts(self.raw, self.gen.texts)
            _spool_search_texts(self.raw, True)

    def segment_half(self) -> None:
        """While the worker segments the other half of the texts and makes the first batch."""
        if self.gen.presegment_pool:
            self.bodies.make(range(0, len(self.gen.texts.items), 2))

    def write(self, item: Batch, start: int) -> None:
        """One batch in its own transaction; stops if someone else wrote petitions meanwhile."""
        if item.path:
            with connection.cursor() as cur:
                cur.execute("ATTACH DATABASE %s AS spool", [item.path])
        try:
            with transaction.atomic():
                top, top_pr = _top_ids()
                if top >= start or (item.first_petitioner and top_pr >= item.first_petitioner):
                    raise GenerateError(
                        "生成期间有其他程序写入了信访事项，已停止。 (Someone else wrote petitions meanwhile: stopped.)"
                    )
                _write(self.raw, self.postgres, item, self.bodies)
        finally:
            if item.path:
                with connection.cursor() as cur:
                    cur.execute("DETACH DATABASE spool")
                Path(item.path).unlink(missing_ok=True)

    def write_all(self, plan: list[tuple[int, int]], progress: Callable[[int], object] | None) -> None:
        result = self.result
        batches = _batches(self.gen, plan, self.first_pr, self.workers, self.spool_dir, self.segment_half)
        try:
            for start, n in plan:
                waited = time.perf_counter()
                item = next(batches)
                writing = time.perf_counter()
                result.wait_seconds += writing - waited
                self.write(item, start)
                result.write_seconds += time.perf_counter() - writing
                if result.first_id is None:
                    result.first_id = start
                result.last_id = start + n - 1
                result.rows.update(item.counts)
                result.states.update(item.states)
                result.count += n
                if progress:
                    progress(n)
        finally:
            batches.close()  # stops the worker, if it is still running
        if self.postgres:
            self.postgres_after()

    def postgres_after(self) -> None:
        """Sequences past the new ids; fresh statistics, or the planner ignores the queue index (the petition
        table's includes its search terms: search.search_optimize); VACUUM marks the new pages all-visible,
        which index-only scans (the queue's counts and page ids) need; autovacuum would, but only later."""
        with connection.cursor() as cur:
            models = [Petition, Petitioner, Event, Deadline, PetitionParty, Decision, Evaluation]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cur.execute(sql)
            if not connection.in_atomic_block:
                cur.execute("VACUUM (ANALYZE) " + ", ".join(connection.ops.quote_name(t) for t, _ in TABLES.values()))

    def end(self) -> None:
        if self.spool_dir:
            shutil.rmtree(self.spool_dir, ignore_errors=True)
            _spool_texts(self.raw, None)
            _spool_search_texts(self.raw, False)
        if self.rebuild_index:
            search_bulk_end()
        if self.bulk:
            with connection.cursor() as cur:
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")


def petitions_generate(
    count: int,
    *,
    seed: int | None = None,
    years: float = 2,
    batch: int = 20000,
    now: dt.datetime | None = None,
    texts: Texts | None = None,
    org: Org | None = None,
    met_deadlines: bool = True,
    workers: int = 1,
    history: str = "import",
    progress: Callable[[int], object] | None = None,
) -> Result:
    """Make `count` petitions. Needs regions and units (manage.py load_demo).

    history="import" (default, fast): each petition as migrated from a ledger (台账导入), one "import"
    event and what its current state needs (ImportGenerator). history="full": its whole history, every
    event and deadline (Generator); met_deadlines=False then writes only the open deadlines (faster; the
    history of met deadlines is then missing from timeliness statistics).

    Petition ids are taken from max(id)+1 on: run it on a database nobody else is writing to (it stops
    with an error if someone does)."""
    if history not in HISTORIES:
        raise GenerateError(f"history must be one of {', '.join(HISTORIES)}, not {history!r}")
    if count <= 0:
        return Result()
    gen = _generator(count, history, org, texts, seed=seed, years=years, now=now or timezone.now())
    gen.met_deadlines = met_deadlines
    started = time.perf_counter()
    run = _Run(gen, count, workers)
    try:
        run.start()
        run.write_all(_plan(run.first, count, batch), progress)
    finally:
        run.end()
    run.result.seconds = time.perf_counter() - started
    return run.result
