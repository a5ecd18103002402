"""Schema, writes and ranked search for the derived SQLite index (FTS5).

The index is never the only copy of anything: every row comes from a page in the wiki's git
repository, so the schema can be dropped and rebuilt whenever it changes (``SCHEMA_VERSION``).

Layout: ``pages`` holds one row per page (metadata plus the counters only the index keeps: ``hits``
and ``last_access``); ``pages_fts`` is a regular FTS5 table whose rowid is ``pages.id``. A regular
(content-storing) FTS5 table costs a copy of the text, but deleting or replacing a row there always
removes exactly the old terms and ``snippet()`` works without any bookkeeping, which an external-
content or contentless table would make our job.

Search never lets FTS5 query syntax through: a user query is reduced to word tokens, each quoted as
an FTS5 string, so quotes, ``*``, ``-``, ``:``, ``NEAR(`` or ``OR`` in the input are plain text.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aimem.wiki.pages import PAGE_TYPES, Page

SCHEMA_VERSION = "2"  # 2: the hidden ``idents`` column
# Relevance multipliers: durable knowledge first, raw session logs last (DESIGN.md section 6).
TYPE_BOOST = {
    "rule": 1.5,
    "decision": 1.4,
    "gotcha": 1.4,
    "concept": 1.2,
    "handoff": 1.0,
    "session": 0.8,
}
COLUMN_WEIGHTS = (10.0, 5.0, 1.0, 2.0)  # title, tags, body, idents
DEFAULT_SALIENCE = 0.5
MAX_LIMIT = 100
MAX_TERMS = 32  # a pasted paragraph should not become a 500-phrase query
SNIPPET_TOKENS = 16
BUSY_TIMEOUT_MS = 5000

# Snippet highlight markers: control characters that cannot come from a page (they are stripped on
# the way in), so a hit is detectable even when the body itself contains markdown ``**bold**``.
_HL_OPEN, _HL_CLOSE = "\x02", "\x03"
_STRIP_CHARS = {0: None, 2: None, 3: None}
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    created TEXT,
    updated TEXT,
    salience REAL,
    pinned INTEGER NOT NULL DEFAULT 0,
    status TEXT,
    hits INTEGER NOT NULL DEFAULT 0,
    last_access REAL
);
CREATE INDEX IF NOT EXISTS pages_type ON pages(type);
CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts5(
    title, tags, body, idents, tokenize='porter unicode61'
);
"""
_TABLES = ("pages_fts", "pages", "meta")


@dataclass
class IndexedPage:
    """What the index keeps of one page."""

    path: str
    title: str
    type: str
    tags: list[str] = field(default_factory=list)
    body: str = ""
    created: str | None = None
    updated: str | None = None
    salience: float = DEFAULT_SALIENCE
    pinned: bool = False
    status: str | None = None


@dataclass
class SearchHit:
    """One search result; ``score`` is positive, higher is better."""

    path: str
    title: str
    type: str
    score: float
    snippet: str
    project: str = ""


@dataclass(frozen=True)
class PageEntry:
    """A catalogue line (same fields as ``consolidate.catalog.Entry``); ``updated`` is never None
    so entries sort as strings."""

    path: str
    title: str
    type: str
    updated: str


class IndexUnavailable(RuntimeError):
    """The index cannot be used (for example: this SQLite has no FTS5)."""


# --- connection and transactions ------------------------------------------------------------


FTS_ENV = "AIMEM_FTS"  # "fts4" forces the FTS4 fallback (tests; SQLite builds without FTS5)
_FTS4_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts4(title, tags, body, idents,"
    " tokenize=porter)"
)


def wanted_backend() -> str:
    return "fts4" if os.environ.get(FTS_ENV, "").strip().lower() == "fts4" else "fts5"


def connect(db_path: str, backend: str | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the index at ``db_path``.

    The connection is in autocommit mode; multi-statement writes go through ``transaction()`` so
    each is atomic. WAL lets readers (MCP, ``aimem search``) run while consolidation writes. A
    schema from another ``SCHEMA_VERSION`` (or another full-text backend) is dropped and
    recreated: the index is derived, and an empty index without ``last_commit`` makes the next
    sync a full one. ``backend`` is ``"fts5"`` (default) or ``"fts4"`` (default from
    ``$AIMEM_FTS``); FTS4 is also used when this SQLite has no FTS5.
    """
    parent = os.path.dirname(os.path.abspath(db_path))
    os.makedirs(parent, exist_ok=True)
    conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        _ensure_schema(conn, backend or wanted_backend())
        if backend_of(conn) == "fts4":
            import sqlite_fts4

            sqlite_fts4.register_functions(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def backend_of(conn: sqlite3.Connection) -> str:
    """``"fts5"`` or ``"fts4"``: the full-text module the index behind ``conn`` was built with."""
    return get_meta(conn, "fts") or "fts5"


def _schema_state(conn: sqlite3.Connection) -> tuple[set[str], str | None, str | None]:
    existing = {
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    version = backend = None
    if "meta" in existing:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = row[0] if row else None
        row = conn.execute("SELECT value FROM meta WHERE key = 'fts'").fetchone()
        backend = row[0] if row else "fts5"
    return existing, version, backend


def _has_fts5(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.aimem_probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp.aimem_probe")
    return True


def _schema_ok(conn: sqlite3.Connection, want: str) -> bool:
    existing, version, backend = _schema_state(conn)
    if version != SCHEMA_VERSION or not existing.issuperset(_TABLES):
        return False
    # An FTS4 index is kept where FTS5 is wanted but missing (the fallback is the best we have).
    return backend == want or (backend == "fts4" and not _has_fts5(conn))


def _ensure_schema(conn: sqlite3.Connection, want: str = "fts5") -> None:
    if want not in ("fts5", "fts4"):
        raise ValueError(f"unknown full-text backend {want!r}; expected fts5 or fts4")
    if _schema_ok(conn, want):
        return  # the common case takes no write lock, so readers never wait on a running sync
    with transaction(conn):
        if _schema_ok(conn, want):  # another process may have just built it
            return
        existing = _schema_state(conn)[0]
        if existing & set(_TABLES):
            for table in _TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
        statements = [st for st in _SCHEMA.split(";") if st.strip()]
        backend = want
        if want == "fts4" or not _has_fts5(conn):
            statements[-1], backend = _FTS4_TABLE, "fts4"
        try:
            for statement in statements:
                conn.execute(statement)
        except sqlite3.OperationalError as exc:
            if "fts" in str(exc).lower():
                raise IndexUnavailable(
                    "this SQLite build has neither FTS5 nor FTS4; the aimem index needs one"
                ) from exc
            raise
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('fts', ?)", (backend,))


_savepoints = itertools.count(1)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic unit of writes. Outermost: ``BEGIN IMMEDIATE`` (take the write lock up front,
    so a read-then-write such as a sync is never interleaved with another writer). Nested: a
    savepoint, so a failing inner step rolls back only itself."""
    if conn.in_transaction:
        name = f"aimem_sp{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    else:
        conn.commit()


# --- meta -----------------------------------------------------------------------------------


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def set_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    """Set ``key``; ``None`` removes it."""
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(value)))


# --- pages ----------------------------------------------------------------------------------


def page_to_indexed(page: Page) -> IndexedPage:
    """Normalise a parsed page's front matter into index columns. Hand-edited pages can hold
    anything in YAML (dates as date objects, ``pinned: "yes"``, salience as text); none of it
    may stop the page from being searchable."""
    meta = page.meta
    tags: list[str] = []
    for tag in page.tags:
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    status = meta.get("status")
    return IndexedPage(
        path=page.path,
        title=page.title,
        type=page.type,
        tags=tags,
        body=page.body,
        created=_when(meta.get("created")),
        updated=_when(meta.get("updated")),
        salience=_salience(meta.get("salience")),
        pinned=_flag(meta.get("pinned")),
        status=None if status is None else str(status),
    )


def _when(value: object) -> str | None:
    """Dates as ISO text; UTC datetimes in the ``...Z`` form consolidation writes."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == _dt.timedelta(0):
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _salience(value: object) -> float:
    if isinstance(value, bool):
        return DEFAULT_SALIENCE
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_SALIENCE
    return number if math.isfinite(number) else DEFAULT_SALIENCE


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value) if isinstance(value, (bool, int, float)) else False


def _clean(text: str) -> str:
    return text.translate(_STRIP_CHARS)


def upsert(conn: sqlite3.Connection, page: IndexedPage) -> bool:
    """Insert or replace ``page``; ``True`` if it was new. The row id (and the page's ``hits`` and
    ``last_access``) survive an update; the old full-text terms do not."""
    title, body = _clean(page.title), _clean(page.body)
    tags = [_clean(t) for t in page.tags]
    values = (
        title,
        page.type,
        ",".join(tags),
        page.created,
        page.updated,
        page.salience,
        int(bool(page.pinned)),
        page.status,
    )
    with transaction(conn):
        row = conn.execute("SELECT id FROM pages WHERE path = ?", (page.path,)).fetchone()
        if row is None:
            cur = conn.execute(
                "INSERT INTO pages(title, type, tags, created, updated, salience, pinned, status,"
                " path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, page.path),
            )
            rowid = cur.lastrowid
        else:
            rowid = row[0]
            conn.execute(
                "UPDATE pages SET title = ?, type = ?, tags = ?, created = ?, updated = ?,"
                " salience = ?, pinned = ?, status = ? WHERE id = ?",
                (*values, rowid),
            )
            conn.execute("DELETE FROM pages_fts WHERE rowid = ?", (rowid,))
        conn.execute(
            "INSERT INTO pages_fts(rowid, title, tags, body, idents) VALUES (?, ?, ?, ?, ?)",
            (rowid, title, " ".join(tags), body, identifier_text(title, *tags, body)),
        )
    return row is None


def delete(conn: sqlite3.Connection, path: str) -> bool:
    """Remove the page at ``path``; ``True`` if there was one."""
    with transaction(conn):
        row = conn.execute("SELECT id FROM pages WHERE path = ?", (path,)).fetchone()
        if row is None:
            return False
        conn.execute("DELETE FROM pages_fts WHERE rowid = ?", (row[0],))
        conn.execute("DELETE FROM pages WHERE id = ?", (row[0],))
    return True


def clear(conn: sqlite3.Connection) -> None:
    """Remove every page and every meta key but ``schema_version`` (so ``last_commit`` cannot
    claim that an empty index is up to date)."""
    with transaction(conn):
        conn.execute("DELETE FROM pages_fts")
        conn.execute("DELETE FROM pages")
        conn.execute("DELETE FROM meta WHERE key NOT IN ('schema_version', 'fts')")


def optimize(conn: sqlite3.Connection) -> None:
    """Merge the FTS5 b-trees into one (worth it after a full rebuild)."""
    conn.execute("INSERT INTO pages_fts(pages_fts) VALUES ('optimize')")


def page_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM pages").fetchone()[0])


def get_page(conn: sqlite3.Connection, path: str) -> IndexedPage | None:
    """The indexed copy of one page (body included), or ``None``."""
    row = conn.execute(
        "SELECT p.path, p.title, p.type, p.tags, f.body, p.created, p.updated, p.salience,"
        " p.pinned, p.status FROM pages AS p JOIN pages_fts AS f ON f.rowid = p.id"
        " WHERE p.path = ?",
        (path,),
    ).fetchone()
    if row is None:
        return None
    return IndexedPage(
        path=row[0],
        title=row[1],
        type=row[2],
        tags=[t for t in row[3].split(",") if t],
        body=row[4],
        created=row[5],
        updated=row[6],
        salience=row[7],
        pinned=bool(row[8]),
        status=row[9],
    )


def list_entries(conn: sqlite3.Connection) -> list[PageEntry]:
    """Every indexed page as a catalogue entry, by path (for ``index.md`` and the brief)."""
    return [
        PageEntry(path, title, kind, updated or "")
        for path, title, kind, updated in conn.execute(
            "SELECT path, title, type, updated FROM pages ORDER BY path"
        )
    ]


# --- search ---------------------------------------------------------------------------------


def query_terms(query: str) -> list[str]:
    """The word tokens of a user query, de-duplicated (case-insensitively), at most ``MAX_TERMS``.
    Tokens with no letter or digit (``___``) are dropped: as FTS5 phrases they would be empty and
    an empty phrase matches nothing, which would sink the all-terms query."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a string, not {type(query).__name__}")
    terms: list[str] = []
    seen: set[str] = set()
    for token in _WORD.findall(query):
        key = token.casefold()
        if key in seen or not any(ch.isalnum() for ch in token):
            continue
        seen.add(key)
        terms.append(token)
        if len(terms) >= MAX_TERMS:
            break
    return terms


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


# --- identifiers ------------------------------------------------------------------------------

# ``parseConfig`` -> parse, Config; ``HTTPServer2`` -> HTTP, Server, 2; ``parse_config`` -> parse,
# config. unicode61 already splits ``parse_config`` and ``src/app/config.py`` at punctuation, but
# keeps ``parseConfig`` whole and never joins ``parse_config`` into ``parseconfig``: the hidden
# ``idents`` column holds both forms of every compound identifier: each spelling finds the others.
_HUMPS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W\d_]+")
_COMPOUND = re.compile(r"[a-z][A-Z]|[A-Za-z0-9]_[A-Za-z0-9]")  # searched within one \w+ token


def identifier_parts(token: str) -> list[str]:
    """The words of a code identifier, lower-cased (``parseConfig`` -> ``[parse, config]``)."""
    return [part.lower() for part in _HUMPS.findall(token)]


def identifier_text(*texts: str) -> str:
    """The split and the joined form of every compound identifier in ``texts``, once each."""
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        for token in _WORD.findall(text):
            if token in seen or len(token) > 200 or not _COMPOUND.search(token):
                continue
            seen.add(token)
            parts = identifier_parts(token)
            if len(parts) > 1:
                out.append(" ".join(parts) + " " + "".join(parts))
    return "\n".join(out)


# --- query parsing ----------------------------------------------------------------------------

# Words that carry no topic: dropped from a query unless nothing else is left ("how do we handle
# timezones" searches for "handle timezones"). Operator words (and, or, not) are in the list, so a
# query made only of them still searches them as words.
STOP_WORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each else ever
    few for from further get gets got had has have having he her here hers him his how i if
    in into is it its itself just let like me might more most must my no nor not now of off
    on once only or other our ours out over own please same she should so some such than
    that the their theirs them then there these they this those through to too under until
    up us very was we were what when where which while who whom why will with would you your
    yours""".split()  # noqa: SIM905
)
_PHRASE = re.compile(r'"([^"]*)"')
_PREFIX = re.compile(r"(\w+)(\*?)")  # no backtracking: a word, then maybe a star
MIN_PREFIX = 2  # ``a*`` would expand to most of the vocabulary


@dataclass(frozen=True)
class _Item:
    """One part of a parsed query: a word, a "quoted phrase" or a prefix*."""

    text: str
    kind: str  # "word", "phrase" or "prefix"

    def expression(self, backend: str = "fts5") -> str:
        if self.kind == "phrase":
            return _phrase(self.text)
        if self.kind == "prefix":
            return _phrase(self.text + "*") if backend == "fts4" else _phrase(self.text) + "*"
        variants = [_phrase(self.text)]
        parts = identifier_parts(self.text)
        if len(parts) > 1 and any(ch.isalpha() for ch in self.text):
            for variant in (" ".join(parts), "".join(parts)):
                if variant != self.text.lower():
                    variants.append(_phrase(variant))
        if len(variants) == 1:
            return variants[0]
        # FTS4's standard syntax has no parentheses, but OR binds tighter than the implicit AND.
        return " OR ".join(variants) if backend == "fts4" else "(" + " OR ".join(variants) + ")"


def parse_query(query: str) -> list[_Item]:
    """The parts of a user query. ``"..."`` (balanced) is a phrase, ``word*`` a prefix, anything
    else is words; every other character is a separator, so no input is an FTS syntax error. Stop
    words are dropped unless the query holds nothing else."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a string, not {type(query).__name__}")
    items: list[_Item] = []
    seen: set[tuple[str, str]] = set()

    def add(text: str, kind: str) -> None:
        key = (text.casefold(), kind)
        if key not in seen and len(items) < MAX_TERMS:
            seen.add(key)
            items.append(_Item(text, kind))

    def words(text: str) -> None:
        for match in _PREFIX.finditer(text):
            word, star = match.groups()
            if not any(ch.isalnum() for ch in word):
                continue
            if star and len(word) >= MIN_PREFIX:
                add(word, "prefix")
            else:
                for w in query_terms(word):
                    add(w, "word")
            if len(items) >= MAX_TERMS:
                break

    last = 0
    for match in _PHRASE.finditer(query):
        words(query[last : match.start()])
        inner = query_terms(match.group(1))
        if len(inner) > 1:
            add(" ".join(inner), "phrase")
        elif inner:
            add(inner[0], "word")
        last = match.end()
    words(query[last:].replace('"', " "))
    kept = [i for i in items if i.kind != "word" or i.text.casefold() not in STOP_WORDS]
    return kept or items


# --- ranking ----------------------------------------------------------------------------------

# Retention (DESIGN.md section 7) maps onto a bounded multiplier so that a strong text match on an
# old page still beats a weak one on a fresh page: factor = RETENTION_FLOOR + RETENTION_SPAN *
# min(1, retention); a new page at the default salience scores exactly 1.0.
RETENTION_FLOOR = 0.75
RETENTION_SPAN = 0.5
SUPERSEDED_FACTOR = 0.5  # a replaced decision stays findable, below what replaced it
CANDIDATES = 40  # rows re-ranked by retention beyond ``limit``


def retention(
    salience: float | None,
    updated: str | None,
    hits: int,
    last_access: float | None,
    now: float,
) -> float:
    """``salience·e^(−0.02·age_days) + 0.6·ln(1 + hits)·e^(−0.04·days_since_access)``."""
    sal = DEFAULT_SALIENCE if salience is None else float(salience)
    age = _age_days(updated, now)
    value = sal * math.exp(-0.02 * age)
    if hits:
        since = max(0.0, (now - last_access) / 86400) if last_access else 365.0
        value += 0.6 * math.log1p(hits) * math.exp(-0.04 * since)
    return value


def _age_days(when: str | None, now: float) -> float:
    if not when:
        return 0.0
    try:
        stamp = _dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=_dt.UTC)
    return max(0.0, (now - stamp.timestamp()) / 86400)


def _factor(row: tuple, now: float) -> float:
    salience, updated, hits, last_access, pinned, status = row[5:11]
    value = 1.0 if pinned else min(1.0, retention(salience, updated, hits, last_access, now))
    factor = RETENTION_FLOOR + RETENTION_SPAN * value
    if status and str(status).lower() == "superseded":
        factor *= SUPERSEDED_FACTOR
    return factor


_BOOST_SQL = (
    "CASE p.type "
    + " ".join(f"WHEN '{kind}' THEN {boost!r}" for kind, boost in TYPE_BOOST.items())
    + " ELSE 1.0 END"
)
# CROSS JOIN keeps pages_fts as the outer loop: the full-text match drives the query even when a
# type filter could tempt the planner into scanning ``pages`` by type.
_RANK_SQL = (
    "SELECT p.id, p.path, p.title, p.type,"
    f" -bm25(pages_fts, {', '.join(map(repr, COLUMN_WEIGHTS))}) * ({_BOOST_SQL}) AS score,"
    " p.salience, coalesce(p.updated, p.created), p.hits, p.last_access, p.pinned, p.status"
    " FROM pages_fts CROSS JOIN pages AS p ON p.id = pages_fts.rowid"
    " WHERE pages_fts MATCH ?{type_filter}"
    " ORDER BY score DESC, p.path"
    " LIMIT ?"
)
# FTS4: sqlite-fts4's Okapi BM25 over matchinfo (no column weights; titles and tags count as text).
_RANK_SQL_FTS4 = _RANK_SQL.replace(
    f"-bm25(pages_fts, {', '.join(map(repr, COLUMN_WEIGHTS))})",
    "-coalesce(rank_bm25(matchinfo(pages_fts, 'pcnalx')), 0)",
)


def _ranked(
    conn: sqlite3.Connection,
    expression: str,
    kind: str | None,
    limit: int,
    now: float,
    backend: str = "fts5",
) -> list[tuple[int, str, str, str, float]]:
    """The best ``limit`` rows by BM25 × type boost × retention: BM25 × boost picks the
    candidates in SQL, retention re-ranks them."""
    fetch = limit + CANDIDATES
    template = _RANK_SQL_FTS4 if backend == "fts4" else _RANK_SQL
    if kind is None:
        sql, params = template.format(type_filter=""), (expression, fetch)
    else:
        sql, params = template.format(type_filter=" AND p.type = ?"), (expression, kind, fetch)
    rows = [
        (row[0], row[1], row[2], row[3], row[4] * _factor(row, now))
        for row in conn.execute(sql, params)
    ]
    rows.sort(key=lambda r: (-r[4], r[1]))
    return rows[:limit]


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    type: str | None = None,  # the public name matches the CLI and MCP argument
    limit: int = 10,
    project: str = "",
    now: float | None = None,
) -> list[SearchHit]:
    """Ranked hits for a free-text ``query``, best first.

    Pages holding every term come first; if they are fewer than ``limit``, pages holding any term
    fill the rest, ranked below them. Relevance is BM25 (title > tags > body) times the page
    type's boost times a retention factor (salience, age, reads; superseded pages lower). Any
    string is a valid query; one with no word in it finds nothing. ``"a phrase"`` and ``prefix*``
    are honoured; stop words are ignored; ``parseConfig``, ``parse_config`` and ``parse config``
    find each other.
    """
    if type is not None and type not in PAGE_TYPES:
        raise ValueError(f"unknown page type {type!r}; expected one of: {', '.join(PAGE_TYPES)}")
    limit = max(1, min(MAX_LIMIT, int(limit)))
    items = parse_query(query)
    if not items:
        return []
    if now is None:  # by the day: the same query gives the same scores all day long
        now = time.time() // 86400 * 86400
    backend = backend_of(conn)
    parts = [item.expression(backend) for item in items]
    any_terms = " OR ".join(parts)
    all_terms = (" " if backend == "fts4" else " AND ").join(parts)
    rows = _ranked(conn, all_terms, type, limit, now, backend)
    if len(rows) < limit and len(parts) > 1:
        seen = {row[0] for row in rows}
        # Every all-terms hit is also an any-term hit: this many rows always hold enough new ones.
        more = _ranked(conn, any_terms, type, limit + len(rows), now, backend)
        rows += [row for row in more if row[0] not in seen][: limit - len(rows)]
    snippets = _snippets(conn, any_terms, [row[0] for row in rows], backend)
    return [
        SearchHit(
            path=path,
            title=title,
            type=kind,
            score=float(score),
            snippet=snippets.get(rowid, ""),
            project=project,
        )
        for rowid, path, title, kind, score in rows
    ]


def _snippets(
    conn: sqlite3.Connection, expression: str, rowids: list[int], backend: str = "fts5"
) -> dict[int, str]:
    """Snippets for the final hits only (not for every match before the LIMIT): the body around
    the best hit, else the highlighted title, else the tags, else the start of the body."""
    if not rowids:
        return {}
    marks = f"'{_HL_OPEN}', '{_HL_CLOSE}', '…'"

    def snip(column: int) -> str:
        if backend == "fts4":  # FTS4 takes the column after the markers
            return f"snippet(pages_fts, {marks}, {column}, {SNIPPET_TOKENS})"
        return f"snippet(pages_fts, {column}, {marks}, {SNIPPET_TOKENS})"

    sql = (
        f"SELECT rowid, {snip(2)}, {snip(0)}, {snip(1)} FROM pages_fts"
        f" WHERE pages_fts MATCH ? AND rowid IN ({', '.join('?' * len(rowids))})"
    )
    out: dict[int, str] = {}
    for rowid, body, title, tags in conn.execute(sql, (expression, *rowids)):
        for text in (body, title, tags):
            if text and _HL_OPEN in text:
                chosen = text
                break
        else:
            chosen = body or title or ""
        out[rowid] = _display(chosen)
    return out


def _display(snippet: str) -> str:
    """One line of text with ``**`` around the hits."""
    text = _SPACE.sub(" ", snippet).strip()
    return text.replace(_HL_OPEN, "**").replace(_HL_CLOSE, "**")
