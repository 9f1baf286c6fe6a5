"""Chinese full-text search of petitions (title + content).

Words come from jieba's search mode (`jieba.cut_for_search`, HMM off): every dictionary word and
the dictionary words inside longer ones (单方面 → 单方, 方面, 单方面). What the dictionary does not
know (names of places, people, firms) falls apart into single characters, in the petitions and in
the query alike, so it is still found (as characters, in any order). Text is normalised first
(NFKC: full-width → half-width; lower case) and each token is cut into its runs of letters and
digits, so punctuation, spaces and emoji never reach the index or a query.

A petition's index row holds its distinct search terms (`search_terms`: the tokens above less a
few function words such as 的/了/是, which nearly every petition has) as one space-separated body:

- SQLite: a contentless FTS5 table, `detail=none`, tokenizer `ascii` (non-ASCII characters are
  token characters, so each of our terms is exactly one FTS token), rowid = petition id.
  Contentless: the text already lives in the petition row, a second copy (content table or
  external content) would add ~0.9 kB a petition; detail=none: only which petitions contain a
  term, no positions (a query is an AND of terms, never a phrase): about 200 bytes a petition.
  To replace a row, FTS5 needs the terms it was indexed with; they are recomputed from the
  stored title and content, which never change after registration (the admin is read-only and
  no service edits them). After an upgrade of jieba or a change of `segment`, run
  `manage.py search_reindex`.
- PostgreSQL: a tsvector column of the petition row itself (`Petition.search_vector`, a
  `SearchTermsField`) with its own GIN index, so that a search ANDs its bitmap with that of the
  unit's queue index (petition_unit_state_idx) and reads only the petitions that pass both: no
  separate table whose row would be read for every match. The tsvector is made from the terms
  themselves (`array_to_tsvector`, or its text form in the generator's COPY) and the query from
  the terms ('a' & 'b'), not by the text-search parser, so that PostgreSQL matches exactly what
  SQLite matches whatever the database's locale. A petition whose column is NULL is not indexed.

Every statement that touches the index is in this module (and the migrations that create it).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from django.conf import settings
from django.db import NotSupportedError, connection, connections, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL

from xinfang.petitions.models import Petition

TABLE = "petitions_search"  # SQLite: the FTS5 table
PG_TABLE = "petitions_petition"  # PostgreSQL: the petition table (Petition._meta.db_table) ...
COLUMN = "search_vector"  # ... its tsvector column (Petition.search_vector)
PG_INDEX = "petition_search_vector_idx"  # ... and the column's GIN index, as the migration names it
MAX_QUERY_CHARS = 200  # what a search box takes; the rest of a pasted text is ignored
MAX_QUERY_TERMS = 32  # distinct terms of one query (all must match)
MAX_TERM_CHARS = 64  # longer runs of letters or digits (pasted codes, base64) are cut
MAX_DOCUMENT_TERMS = 20000  # distinct terms of one petition; keeps a PostgreSQL tsvector far below 1 MB

# function words that nearly every petition contains: they would make a query slower and stricter
# ("小区的噪音" must not need a 的) without narrowing it
STOPWORDS = frozenset(
    "的 地 得 了 着 过 吗 呢 吧 啊 呀 哦 之 其 和 与 及 或 而 并 且 也 都 就 还 又 是 在 对 把 被 将 从 向 "
    "给 让 由 于 以 为 等 这 那 我 你 他 她 它 我们 你们 他们 她们 咱们".split()
)

_WORD_RUN = re.compile(r"[^\W_]+")  # letters and digits of any script (str.isalnum), nothing else

_lock = threading.Lock()
_jieba = None


def _tokenizer():
    """jieba's tokenizer, its dictionary (shipped inside the jieba package) loaded once per process
    without log lines. Its prefix-dictionary cache goes to DATA_DIR, not to the shared /tmp."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                cache_dir = settings.DATA_DIR / "cache"
                try:
                    cache_dir.mkdir(parents=True, exist_ok=True)
                    tokenizer.tmp_dir = str(cache_dir)
                    tokenizer.cache_file = f"jieba-{jieba.__version__}.cache"
                except OSError:
                    pass  # no cache: the dictionary is parsed each time (about a second)
                tokenizer.initialize()
                _jieba = tokenizer
    return _jieba


def segment(text: str) -> list[str]:
    """jieba search-mode tokens of `text`, normalised: NFKC (full-width → half-width), lower case,
    each cut to its runs of letters and digits (punctuation, spaces, symbols and emoji dropped).
    In the order jieba gives them, repeats kept."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    if not text.strip():
        return []
    find = _WORD_RUN.findall
    return [run for token in _tokenizer().cut_for_search(text, HMM=False) for run in find(token)]


def search_terms(text: str) -> list[str]:
    """The distinct terms of `text` that are indexed and searched: `segment` less STOPWORDS, each
    cut to MAX_TERM_CHARS, in first-seen order."""
    return list(dict.fromkeys(t[:MAX_TERM_CHARS] for t in segment(text) if t not in STOPWORDS))


@lru_cache(maxsize=8192)
def _body(title: str, content: str) -> str:
    # cached: generated data and re-indexing meet the same texts many times
    return " ".join(search_terms(f"{title}\n{content}")[:MAX_DOCUMENT_TERMS])


def search_body(title: str, content: str) -> str:
    """A petition's index body: its distinct terms, space-separated."""
    return _body(title or "", content or "")


def _vendor(using: str | None = None) -> str:
    vendor = (connections[using] if using else connection).vendor
    if vendor not in ("sqlite", "postgresql"):
        raise NotSupportedError(f"full-text search of petitions needs SQLite or PostgreSQL, not {vendor}")
    return vendor


# ---------------------------------------------------------------- the PostgreSQL column


# SearchTermsField and its `matches` lookup: xinfang.petitions.search_field (the model's field, below this module)


# ---------------------------------------------------------------- searching


def query_groups(query: str) -> list[list[list[str]]]:
    """What a query asks for: one group for each run of letters and digits in it (the words between
    spaces and punctuation), all of which must match; a group matches if one of its alternatives
    does, an alternative if all of its terms do.

    A run is segmented as petitions are, less the compounds that its shorter terms cover: 拖欠工资
    → 拖欠 + 工资 (found in "拖欠了三个月工资" too). A run that is itself a word of jieba's
    dictionary also matches as that word: a rare word (反反) is split into characters when it stands
    alone, but a petition has it as part of a longer one (反反复复 → 反反, 反复, 反反复复).
    Empty (no terms) for empty queries, punctuation, emoji and function words."""
    text = unicodedata.normalize("NFKC", (query or "")[:MAX_QUERY_CHARS]).lower()
    freq = None
    groups: list[list[list[str]]] = []
    seen: set[str] = set()
    budget = MAX_QUERY_TERMS
    for run in _WORD_RUN.findall(text):
        terms = [t for t in _uncovered(search_terms(run)) if t not in seen][:budget]
        if not terms:
            continue
        group = [terms]
        whole = run[:MAX_TERM_CHARS]
        if terms != [whole] and len(whole) > 1 and whole not in STOPWORDS:
            freq = freq or _tokenizer().FREQ
            if freq.get(whole):
                group.insert(0, [whole])
        groups.append(group)
        seen.update(terms)
        budget -= len(terms)
        if budget <= 0:
            break
    return groups


def _uncovered(terms: list[str]) -> list[str]:
    """`terms` less those every character of which lies in a shorter term found inside it."""
    out = []
    for t in terms:
        covered = [False] * len(t)
        for u in terms:
            if len(u) < len(t):
                at = t.find(u)
                while at >= 0:
                    covered[at : at + len(u)] = [True] * len(u)
                    at = t.find(u, at + 1)
        if not all(covered):
            out.append(t)
    return out


def search_filter(qs: QuerySet[Petition], query: str) -> QuerySet[Petition]:
    """The petitions of `qs` whose title or content contain every word of `query` (AND; see
    `query_groups`). A query without words (empty, only punctuation, emoji or function words)
    leaves `qs` as it is.

    Anything typed is safe: terms are letters and digits only, each quoted, and the whole goes to
    the database as one bound parameter; no operator syntax (AND, OR, NOT, NEAR, *, -, :, quotes,
    brackets) gets through. The result is an ordinary queryset (filter, order, slice, count).
    """
    groups = query_groups(query)
    if not groups:
        return qs
    if _vendor(qs.db) == "sqlite":  # FTS5 query syntax, every term a quoted string

        def alt(terms: list[str]) -> str:
            return "(" + " AND ".join(f'"{t}"' for t in terms) + ")"

        sql = f'SELECT rowid FROM "{TABLE}" WHERE "{TABLE}" MATCH %s'
        param = " AND ".join("(" + " OR ".join(alt(a) for a in g) + ")" for g in groups)
        # `id + 0`, not `id`: once ANALYZE has run, SQLite would otherwise drive the query from the
        # matches (one rowid lookup per match: 40,000 for a common word, 70-800 ms at 1M); this way it
        # walks the queue's own index and checks each row against the list of matches.
        return qs.alias(_search_id=F("pk") + 0).filter(_search_id__in=RawSQL(sql, [param]))

    def lexemes(terms: list[str]) -> str:  # tsquery: lexemes taken as they are, & and |
        return "(" + " & ".join(f"'{t}'" for t in terms) + ")"

    tsquery = " & ".join("(" + " | ".join(lexemes(a) for a in g) + ")" for g in groups)
    return qs.filter(search_vector__matches=tsquery)  # the petition row's own column (SearchTermsField)


# ---------------------------------------------------------------- writing the index


def search_vector_text(body: str) -> str:
    """PostgreSQL: the tsvector input form of a body ('a' 'b' ...), as COPY takes it for the
    petition's search_vector; the same tsvector as array_to_tsvector of its terms. (Terms are letters
    and digits only; a quote or backslash, should one ever get in, is escaped all the same.)"""
    if "'" in body or "\\" in body:
        return " ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in body.split())
    return " ".join(f"'{t}'" for t in body.split())


def search_write_rows(raw, rows: Sequence[tuple[int, str]]) -> None:
    """SQLite: add index rows (petition id, body) of petitions not yet indexed, on a DB-API
    connection of the default database (the generator's bulk path). On PostgreSQL the generator
    puts `search_vector_text` of each body into the petition rows it copies (COLUMN)."""
    if not rows:
        return
    cur = raw.cursor()
    cur.executemany(f'INSERT INTO "{TABLE}" (rowid, body) VALUES (?, ?)', rows)
    cur.close()


def search_insert_select(raw, select_sql: str) -> None:
    """SQLite: add the index rows that `select_sql` (SELECT petition id, body ...) returns."""
    raw.execute(f'INSERT INTO main."{TABLE}" (rowid, body) {select_sql}')


def petition_search_index(petitions: Iterable[Petition]) -> int:
    """Insert or replace the index rows of `petitions` (from their title and content); returns how
    many. Runs in the caller's transaction, if there is one.

    SQLite replaces a row with the FTS5 'delete' command, which needs the terms the row was indexed
    with: they are recomputed from the title and content stored for that petition. These never change
    after registration; code that ever changes them must call this before saving the change."""
    return _index({p.pk: search_body(p.title, p.content) for p in petitions})


def _index(rows: dict[int, str]) -> int:
    """One statement a petition (the registration desk counts its queries); the rare replacement
    costs two more for the whole batch (SQLite)."""
    if not rows:
        return 0
    ids = sorted(rows)
    with transaction.atomic(savepoint=False), connection.cursor() as cur:
        if _vendor() == "postgresql":  # the petition's own column: set, whatever it held
            cur.executemany(
                f'UPDATE "{PG_TABLE}" SET "{COLUMN}" = array_to_tsvector(%s::text[]) WHERE id = %s',
                [(rows[pid].split(), pid) for pid in ids],
            )
            return len(ids)
        present = []
        for pid in ids:  # a contentless FTS5 table has no INSERT OR REPLACE
            cur.execute(
                f'INSERT INTO "{TABLE}" (rowid, body) SELECT %s, %s '
                f'WHERE NOT EXISTS (SELECT 1 FROM "{TABLE}" WHERE rowid = %s)',
                [pid, rows[pid], pid],
            )
            if cur.rowcount == 0:
                present.append(pid)
        if present:
            stored = Petition.objects.filter(pk__in=present).values_list("pk", "title", "content")
            cur.executemany(
                f'INSERT INTO "{TABLE}" ("{TABLE}", rowid, body) VALUES (\'delete\', %s, %s)',
                [(pk, search_body(title, content)) for pk, title, content in stored],
            )
            cur.executemany(
                f'INSERT INTO "{TABLE}" (rowid, body) VALUES (%s, %s)', [(pid, rows[pid]) for pid in present]
            )
    return len(ids)


def search_clear() -> None:
    """Empty the index (before a rebuild; or when there are no petitions left to index)."""
    with connection.cursor() as cur:
        if _vendor() == "postgresql":
            cur.execute(f'UPDATE "{PG_TABLE}" SET "{COLUMN}" = NULL WHERE "{COLUMN}" IS NOT NULL')
        else:
            cur.execute(f'INSERT INTO "{TABLE}" ("{TABLE}") VALUES (\'delete-all\')')


def search_clear_if_no_petitions() -> bool:
    """Empty the index if no petition is left (after `manage.py flush`, say): rows of petitions that
    are gone must not collide with the ids of new ones (SQLite; on PostgreSQL the terms went with the
    petition rows). Returns whether it did."""
    if Petition.objects.exists():
        return False
    search_clear()
    return True


def search_row_count() -> int:
    """How many petitions the index holds (a check, e.g. after generating or re-indexing)."""
    with connection.cursor() as cur:
        if _vendor() == "postgresql":
            cur.execute(f'SELECT COUNT(*) FROM "{PG_TABLE}" WHERE "{COLUMN}" IS NOT NULL')
        else:
            cur.execute(f'SELECT COUNT(*) FROM "{TABLE}"')
        return cur.fetchone()[0]


def search_optimize() -> None:
    """After bulk writes: SQLite merges the FTS5 index into one b-tree (faster queries);
    PostgreSQL refreshes the petition table's statistics (those of its terms too)."""
    with connection.cursor() as cur:
        if _vendor() == "postgresql":
            cur.execute(f'ANALYZE "{PG_TABLE}"')
        else:
            cur.execute(f'INSERT INTO "{TABLE}" ("{TABLE}") VALUES (\'optimize\')')


def search_bulk_start(*, rebuild: bool = False) -> bool:
    """PostgreSQL, before many petitions' terms are written (the generator into an empty index; with
    `rebuild`, search_reindex whatever it holds): drop the GIN index, which `search_bulk_end` builds
    again in one go, several times faster than row by row. Meanwhile a search still finds the right
    petitions, slowly (it reads the whole table). Returns whether it did (never on SQLite, inside a
    transaction, or, without `rebuild`, when some petition is indexed)."""
    if _vendor() != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cur:
        if not rebuild:
            cur.execute(f'SELECT EXISTS (SELECT 1 FROM "{PG_TABLE}" WHERE "{COLUMN}" IS NOT NULL)')
            if cur.fetchone()[0]:
                return False
        cur.execute(f'DROP INDEX IF EXISTS "{PG_INDEX}"')
    return True


def search_bulk_end() -> None:
    """Build the GIN index that `search_bulk_start` dropped (with more memory than by default)."""
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        try:
            cur.execute(f'CREATE INDEX IF NOT EXISTS "{PG_INDEX}" ON "{PG_TABLE}" USING gin ("{COLUMN}")')
        finally:
            cur.execute("RESET maintenance_work_mem")


def _bodies(rows: list[tuple[int, str, str]]) -> list[tuple[int, str]]:
    return [(pk, search_body(title, content)) for pk, title, content in rows]


def search_index_empty_without_petitions(*, using: str = "default", **_signal) -> None:
    """After `migrate` and after a flush (both send post_migrate; a transactional test's teardown
    flushes): with no petition left, empty SQLite's FTS5 table. Flush empties the models' tables only,
    and a petition that later gets an old id would meet that id's old terms: a contentless FTS5 table
    is corrupted ("database disk image is malformed") when terms it does not hold are deleted."""
    db = connections[using]
    if db.vendor != "sqlite" or Petition.objects.using(using).exists():
        return
    with db.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES('delete-all')")


def search_reindex(*, batch: int = 5000, workers: int = 0, progress: Callable[[int], object] | None = None) -> int:
    """Rebuild the whole index from the petitions, `batch` petitions a transaction; returns how many.
    `workers` > 0: segment in that many forked processes (jieba is the slow part: ~1.5 ms a petition).

    SQLite: the index is emptied first: while this runs, a search finds only the petitions
    re-indexed so far. PostgreSQL: each petition's terms are replaced in place (a search finds them
    by their old terms until then), the GIN index dropped first and built once at the end
    (search_bulk_start). A petition registered meanwhile is indexed by its registration and replaced
    here when its turn comes."""
    if _vendor() == "sqlite":
        with transaction.atomic():
            search_clear()
    rebuild = search_bulk_start(rebuild=True)
    pool = None
    if workers > 0:
        import multiprocessing

        _tokenizer()  # loaded once, before the fork
        pool = multiprocessing.get_context("fork").Pool(workers)
    done, last = 0, 0
    try:
        while True:
            rows = list(
                Petition.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "title", "content")[:batch]
            )
            if not rows:
                break
            if pool:
                step = -(-len(rows) // (4 * workers))
                parts = pool.map(_bodies, [rows[k : k + step] for k in range(0, len(rows), step)])
                bodies = [pair for part in parts for pair in part]
            else:
                bodies = _bodies(rows)
            with transaction.atomic():
                _index(dict(bodies))
            last = rows[-1][0]
            done += len(rows)
            if progress:
                progress(len(rows))
    finally:
        if pool:
            pool.close()
            pool.join()
        if rebuild:
            search_bulk_end()
    with transaction.atomic():
        search_optimize()
    return done
