"""Writing a batch's rows: raw executemany (SQLite) or COPY (PostgreSQL) into the core's tables, or, from
a worker, spooled through a scratch SQLite file and copied in with one INSERT ... SELECT per table; the
full-text index's rows with them (xinfang.petitions.search)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass

from django.db import connection

from xinfang.demo.generate.org import GenerateError
from xinfang.demo.generate.texts import Texts
from xinfang.petitions.models import Deadline, Decision, Evaluation, Event, Petition, Petitioner, PetitionParty
from xinfang.petitions.search import COLUMN as SEARCH_COLUMN
from xinfang.petitions.search import search_body, search_insert_select, search_vector_text, search_write_rows


def _cols(model, names: list[str]) -> tuple[str, list[str]]:
    return model._meta.db_table, [model._meta.get_field(n).column for n in names]


TABLES = {
    "petitioner": _cols(
        Petitioner, ["id", "name", "id_number", "phone", "address", "id_number_digest", "phone_digest"]
    ),
    "petition": _cols(
        Petition,
        [
            "id",
            "query_code",
            "channel",
            "kind",
            "category",
            "region",
            "title",
            "content",
            "received_at",
            "registered_by",
            "registering_unit",
            "priority",
            "headcount",
            "accused_unit",
            "accused_name",
            "state",
            "owner_unit",
            "routed_by_unit",
            "due_on",
            "redirect_channel",
            "decline_reason",
            "log_seq",
            "log_head",
            "updated_at",
        ],
    ),
    "party": _cols(PetitionParty, ["petition", "petitioner", "is_representative"]),
    "event": _cols(
        Event,
        [
            "petition",
            "seq",
            "at",
            "actor",
            "actor_label",
            "action",
            "from_state",
            "to_state",
            "data",
            "prev_hash",
            "hash",
        ],
    ),
    "deadline": _cols(
        Deadline,
        [
            "petition",
            "kind",
            "unit",
            "start_on",
            "period_days",
            "working_days",
            "roll_over",
            "article",
            "extension_days",
            "extension_reason",
            "paused_days",
            "paused_since",
            "due_on",
            "is_open",
            "met_on",
        ],
    ),
    "decision": _cols(
        Decision, ["petition", "stage", "unit", "outcome", "measure", "text", "decided_on", "decided_by"]
    ),
    "evaluation": _cols(Evaluation, ["petition", "satisfaction", "reason", "evaluated_on"]),
}
ORDER = ["petitioner", "petition", "party", "event", "deadline", "decision", "evaluation"]
# A batch's rows for the full-text index (xinfang.petitions.search): "search" (petition id, text index),
# one for each petition row, in the same order, and "search_text" (text index, body) of texts the worker
# segmented. The writing process turns text indexes into bodies (SearchBodies), segmenting each pooled
# text once (~1.5 ms a text), when a row first needs it; on SQLite they go into its FTS5 table, on
# PostgreSQL into the petition rows themselves (their search_vector column, in the same COPY). A run
# long enough to use nearly every text (count >= PRESEGMENT_RUNS x the pool) segments the whole pool
# first, half in the worker (sent with its first batch), half in the writer meanwhile.
SEARCH_ROWS = ["search", "search_text"]


class SearchBodies:
    """The search index body (search.search_body) of each pooled text, made once: here (`make`, or
    lazily when a row needs it) or by the worker (`add`, from a batch's "search_text")."""

    def __init__(self, texts: Texts) -> None:
        self.items = texts.items
        self.bodies: list[str | None] = [None] * len(self.items)
        self.vectors: list[str | None] = [None] * len(self.items)  # PostgreSQL: search_vector_text(body)
        self.unsaved: list[tuple[int, str]] = []  # added since the last take()

    def make(self, indexes) -> None:
        items = self.items
        self.add([(ti, search_body(items[ti][0], items[ti][1])) for ti in indexes])

    def add(self, pairs: list[tuple[int, str]]) -> None:
        for ti, body in pairs:
            self.bodies[ti] = body
        self.unsaved += pairs

    def missing(self, indexes) -> list[int]:
        bodies = self.bodies
        return [ti for ti in set(indexes) if bodies[ti] is None]

    def take(self) -> list[tuple[int, str]]:
        """The bodies added since the last call (to copy into the temporary table of spooled writes)."""
        out, self.unsaved = self.unsaved, []
        return out

    def rows(self, refs: list[tuple[int, int]]) -> list[tuple[int, str]]:
        """(petition id, text index) -> (petition id, body)."""
        self.make(self.missing(ti for _, ti in refs))
        bodies = self.bodies
        return [(pid, bodies[ti]) for pid, ti in refs]

    def vector_rows(self, refs: list[tuple[int, int]]) -> list[tuple[int, str]]:
        """PostgreSQL: (petition id, text index) -> (petition id, tsvector text of the body)."""
        self.make(self.missing(ti for _, ti in refs))
        bodies, vectors = self.bodies, self.vectors
        for ti in {ti for _, ti in refs if vectors[ti] is None}:
            vectors[ti] = search_vector_text(bodies[ti])
        return [(pid, vectors[ti]) for pid, ti in refs]


@dataclass
class Batch:
    """One batch's rows, or (spooled) where they wait: a file of plain tables written by the worker."""

    rows: dict[str, list[tuple]] | None
    counts: dict[str, int]
    states: Counter
    first_petitioner: int | None
    path: str | None = None
    text_refs: bool = False

    @classmethod
    def of(cls, rows: dict[str, list[tuple]], path: str | None = None, text_refs: bool = False) -> Batch:
        return cls(
            None if path else rows,
            {k: len(v) for k, v in rows.items() if k != "search_text"},
            Counter(p[15] for p in rows["petition"]),
            rows["petitioner"][0][0] if rows["petitioner"] else None,
            path,
            text_refs,
        )


# Spooled rows of an ImportGenerator with text_refs carry text indexes; these columns are filled from
# temporary tables of the texts while copying: table -> (column index, temp table, {column index: text column})
SPOOL_TEXTS = {
    "petition": (6, "xinfang_generate_text", {6: "title", 7: "content"}),
    "decision": (5, "xinfang_generate_reply", {5: "text"}),
}


def _spool_texts(raw, texts: Texts | None) -> None:
    """Create (texts given) or drop (None) the temporary text tables of SPOOL_TEXTS."""
    raw.execute("DROP TABLE IF EXISTS temp.xinfang_generate_text")
    raw.execute("DROP TABLE IF EXISTS temp.xinfang_generate_reply")
    if texts is None:
        return
    raw.execute("CREATE TEMP TABLE xinfang_generate_text (id INTEGER PRIMARY KEY, title TEXT, content TEXT)")
    raw.execute("CREATE TEMP TABLE xinfang_generate_reply (id INTEGER PRIMARY KEY, text TEXT)")
    raw.executemany(
        "INSERT INTO temp.xinfang_generate_text VALUES (?, ?, ?)",
        [(i, title, content) for i, (title, content, _) in enumerate(texts.items)],
    )
    raw.executemany("INSERT INTO temp.xinfang_generate_reply VALUES (?, ?)", list(enumerate(texts.replies)))


def _spool_search_texts(raw, create: bool) -> None:
    """Create or drop the temporary table of search index bodies that spooled "search" rows are joined with."""
    raw.execute("DROP TABLE IF EXISTS temp.xinfang_generate_search_text")
    if create:
        raw.execute("CREATE TEMP TABLE xinfang_generate_search_text (id INTEGER PRIMARY KEY, body TEXT)")


def _spool(rows: dict[str, list[tuple]], path: str) -> None:
    """Write a batch's rows to a scratch SQLite file (no indexes, no journal), so that the writing
    process copies them with one INSERT ... SELECT per table instead of binding every value itself."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for name in ORDER:
            _, cols = TABLES[name]
            conn.execute(f'CREATE TABLE "{name}" ({", ".join(f"c{i}" for i in range(len(cols)))})')
            conn.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(cols))})', rows[name])
        for name in SEARCH_ROWS:  # (petition id, text index), (text index, body)
            conn.execute(f'CREATE TABLE "{name}" (c0, c1)')
            conn.executemany(f'INSERT INTO "{name}" VALUES (?, ?)', rows[name])
        conn.execute("COMMIT")
    finally:
        conn.close()


def _write(raw, postgres: bool, batch: Batch, bodies: SearchBodies) -> None:
    qn = connection.ops.quote_name
    if batch.path:  # spooled: the file was attached before the transaction began
        for name in ORDER:
            if batch.counts[name]:
                table, cols = TABLES[name]
                values = [f"s.c{i}" for i in range(len(cols))]
                join = ""
                if batch.text_refs and name in SPOOL_TEXTS:
                    key, texts, filled = SPOOL_TEXTS[name]
                    for i, column in filled.items():
                        values[i] = f"t.{column}"
                    join = f" JOIN temp.{texts} AS t ON t.id = s.c{key}"
                raw.execute(
                    f"INSERT INTO main.{qn(table)} ({', '.join(qn(c) for c in cols)}) "
                    f'SELECT {", ".join(values)} FROM spool."{name}" AS s{join} ORDER BY s.rowid'
                )
        # the full-text index: the bodies of this batch's texts into the temporary table, then joined
        bodies.add(raw.execute("SELECT c0, c1 FROM spool.search_text").fetchall())
        bodies.make(bodies.missing(r[0] for r in raw.execute("SELECT DISTINCT c1 FROM spool.search")))
        raw.executemany("INSERT OR IGNORE INTO temp.xinfang_generate_search_text VALUES (?, ?)", bodies.take())
        search_insert_select(
            raw,
            "SELECT s.c0, t.body FROM spool.search AS s "
            "JOIN temp.xinfang_generate_search_text AS t ON t.id = s.c1 ORDER BY s.rowid",
        )
        return
    rows = batch.rows
    bodies.add(rows["search_text"])
    # (petition id, body; on PostgreSQL its tsvector text) of each petition row, in the same order
    search = (bodies.vector_rows if postgres else bodies.rows)(rows["search"])
    bodies.take()
    for name in ORDER:
        data = rows[name]
        if not data:
            continue
        table, cols = TABLES[name]
        col_sql = ", ".join(qn(c) for c in cols)
        if postgres:
            if name == "petition":  # with its search terms, as a tsvector's text
                col_sql += f", {qn(SEARCH_COLUMN)}"
                data = _with_search_vectors(data, search)
            with raw.cursor() as cur, cur.copy(f"COPY {qn(table)} ({col_sql}) FROM STDIN") as cp:
                write = cp.write_row
                for row in data:
                    write(row)
        else:
            cur = raw.cursor()
            cur.executemany(f"INSERT INTO {qn(table)} ({col_sql}) VALUES ({', '.join('?' * len(cols))})", data)
            cur.close()
    if not postgres:
        search_write_rows(raw, search)  # the full-text index, same transaction


def _with_search_vectors(petitions: list[tuple], vectors: list[tuple[int, str]]) -> list[tuple]:
    """PostgreSQL: each petition row with its search_vector (tsvector text) appended."""
    if len(petitions) != len(vectors) or any(p[0] != pid for p, (pid, _) in zip(petitions, vectors)):
        raise GenerateError(
            "全文检索词与信访事项不对应（生成器错误）。"
            " (The search rows do not match the petition rows: a generator bug.)"
        )
    return [p + (v,) for p, (_, v) in zip(petitions, vectors)]
