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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aimem.wiki.pages import PAGE_TYPES, Page

SCHEMA_VERSION = "1"
# Relevance multipliers: durable knowledge first, raw session logs last (DESIGN.md section 6).
TYPE_BOOST = {
    "rule": 1.5,
    "decision": 1.4,
    "gotcha": 1.4,
    "concept": 1.2,
    "handoff": 1.0,
    "session": 0.8,
}
COLUMN_WEIGHTS = (10.0, 5.0, 1.0)  # title, tags, body
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
    title, tags, body, tokenize='porter unicode61'
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


def connect(db_path: str) -> sqlite3.Connection:
    """Open (creating if needed) the index at ``db_path``.

    The connection is in autocommit mode; multi-statement writes go through ``transaction()`` so
    each is atomic. WAL lets readers (MCP, ``aimem search``) run while consolidation writes. A
    schema from another ``SCHEMA_VERSION`` is dropped and recreated: the index is derived, and an
    empty index without ``last_commit`` makes the next sync a full one.
    """
    parent = os.path.dirname(os.path.abspath(db_path))
    os.makedirs(parent, exist_ok=True)
    conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        _ensure_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _schema_state(conn: sqlite3.Connection) -> tuple[set[str], str | None]:
    existing = {
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    version = None
    if "meta" in existing:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = row[0] if row else None
    return existing, version


def _ensure_schema(conn: sqlite3.Connection) -> None:
    existing, version = _schema_state(conn)
    if version == SCHEMA_VERSION and existing.issuperset(_TABLES):
        return  # the common case takes no write lock, so readers never wait on a running sync
    with transaction(conn):
        existing, version = _schema_state(conn)  # another process may have just built it
        if version == SCHEMA_VERSION and existing.issuperset(_TABLES):
            return
        if existing & set(_TABLES):
            for table in _TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc).lower():
                raise IndexUnavailable(
                    "this SQLite build has no FTS5 module; the aimem index needs it"
                ) from exc
            raise
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )


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
            "INSERT INTO pages_fts(rowid, title, tags, body) VALUES (?, ?, ?, ?)",
            (rowid, title, " ".join(tags), body),
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
        conn.execute("DELETE FROM meta WHERE key != 'schema_version'")


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


_BOOST_SQL = (
    "CASE p.type "
    + " ".join(f"WHEN '{kind}' THEN {boost!r}" for kind, boost in TYPE_BOOST.items())
    + " ELSE 1.0 END"
)
# CROSS JOIN keeps pages_fts as the outer loop: the full-text match drives the query even when a
# type filter could tempt the planner into scanning ``pages`` by type.
_RANK_SQL = (
    "SELECT p.id, p.path, p.title, p.type,"
    f" -bm25(pages_fts, {', '.join(map(repr, COLUMN_WEIGHTS))}) * ({_BOOST_SQL}) AS score"
    " FROM pages_fts CROSS JOIN pages AS p ON p.id = pages_fts.rowid"
    " WHERE pages_fts MATCH ?{type_filter}"
    " ORDER BY score DESC, p.path"
    " LIMIT ?"
)


def _ranked(
    conn: sqlite3.Connection, expression: str, kind: str | None, limit: int
) -> list[tuple[int, str, str, str, float]]:
    if kind is None:
        sql, params = _RANK_SQL.format(type_filter=""), (expression, limit)
    else:
        sql, params = _RANK_SQL.format(type_filter=" AND p.type = ?"), (expression, kind, limit)
    return conn.execute(sql, params).fetchall()


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    type: str | None = None,  # the public name matches the CLI and MCP argument
    limit: int = 10,
    project: str = "",
) -> list[SearchHit]:
    """Ranked hits for a free-text ``query``, best first.

    Pages holding every term come first; if they are fewer than ``limit``, pages holding any term
    fill the rest, ranked below them. Relevance is BM25 (title > tags > body) times the page
    type's boost. Any string is a valid query; one with no word in it finds nothing.
    """
    if type is not None and type not in PAGE_TYPES:
        raise ValueError(f"unknown page type {type!r}; expected one of: {', '.join(PAGE_TYPES)}")
    limit = max(1, min(MAX_LIMIT, int(limit)))
    terms = query_terms(query)
    if not terms:
        return []
    phrases = [_phrase(t) for t in terms]
    any_terms = " OR ".join(phrases)
    rows = _ranked(conn, " AND ".join(phrases), type, limit)
    if len(rows) < limit and len(phrases) > 1:
        seen = {row[0] for row in rows}
        # Every all-terms hit is also an any-term hit: this many rows always hold enough new ones.
        more = _ranked(conn, any_terms, type, limit + len(rows))
        rows += [row for row in more if row[0] not in seen][: limit - len(rows)]
    snippets = _snippets(conn, any_terms, [row[0] for row in rows])
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


def _snippets(conn: sqlite3.Connection, expression: str, rowids: list[int]) -> dict[int, str]:
    """Snippets for the final hits only (not for every match before the LIMIT): the body around
    the best hit, else the highlighted title, else the tags, else the start of the body."""
    if not rowids:
        return {}
    args = f"'{_HL_OPEN}', '{_HL_CLOSE}', '…', {SNIPPET_TOKENS}"
    sql = (
        f"SELECT rowid, snippet(pages_fts, 2, {args}), snippet(pages_fts, 0, {args}),"
        f" snippet(pages_fts, 1, {args}) FROM pages_fts"
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
