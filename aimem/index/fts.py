"""Schema, writes and search for the derived SQLite index (FTS5, or FTS4 as a fallback).

The index is never the only copy of anything: every row comes from a page in the wiki's git
repository, so the schema can be dropped and rebuilt whenever it changes (``SCHEMA_VERSION``).

Layout: ``pages`` holds one row per page (metadata plus the counters only the index keeps: ``hits``
and ``last_access``); ``pages_fts`` is a regular FTS5 table whose rowid is ``pages.id``. A regular
(content-storing) FTS5 table costs a copy of the text, but deleting or replacing a row there always
removes exactly the old terms and the hits' text can be read back for snippets without any
bookkeeping, which an external-content or contentless table would make our job.

``pages_tri`` (schema 5) finds words of scripts written without spaces (日本語 inside
日本語のタイトル), which ``unicode61`` keeps as one long token: a trigram-tokenised FTS5 table
holding only each page's runs of those scripts (``query.unsegmented_text``), one row per page that
has any. A wiki without such text leaves it empty, so writes and word searches cost what they did.
Queries with such runs match them there (``MATCH`` for runs of 3+ characters, ``instr`` for 1-2,
which a trigram cannot index); without trigram support (FTS4, SQLite < 3.34) it is a plain table
and every run is matched with ``instr``.

``search`` puts together the parts that live in their own modules: what a query means
(``query``), how hits are ordered (``rank``) and the line of context shown for each (``snippets``).
"""

from __future__ import annotations

import datetime as _dt
import itertools
import logging
import math
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aimem.index import rank, snippets
from aimem.index.query import Item, identifier_text, parse_query, unsegmented_text
from aimem.wiki.pages import PAGE_TYPES, Page

# 2: hidden ``idents``; 3: ``updated_day``, ``weight``; 4: type indexes; 5: ``pages_tri``
SCHEMA_VERSION = "5"
MAX_LIMIT = 100
BUSY_TIMEOUT_MS = 5000
KEEP_SET_ASIDE = 3  # damaged index files kept beside the index for a post-mortem, newest first
_STRIP_CHARS = {0: None}  # NUL would cut the text short in some SQLite tools

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
    last_access REAL,
    updated_day REAL,
    weight REAL NOT NULL DEFAULT 1.0
);
-- The catalogue's newest pages of a type, read in order (no scan, no sort: the cost of a
-- consolidation must not grow with the wiki). It also counts the pages of each type.
CREATE INDEX IF NOT EXISTS pages_newest ON pages(type, coalesce(updated, ''), path);
-- The handoffs still offered, found without reading every handoff.
CREATE INDEX IF NOT EXISTS pages_status ON pages(type, status);
CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts5(
    title, tags, body, idents, tokenize='porter unicode61'
);
"""
_TRI_TABLES = {
    "trigram": "CREATE VIRTUAL TABLE IF NOT EXISTS pages_tri USING fts5("
    "title, tags, body, tokenize='trigram')",
    "plain": "CREATE TABLE IF NOT EXISTS pages_tri("
    "rowid INTEGER PRIMARY KEY, title TEXT, tags TEXT, body TEXT)",
}
_TABLES = ("pages_fts", "pages_tri", "pages", "meta")
_SCHEMA_KEYS = "('schema_version', 'fts', 'weights', 'tri')"  # meta keys that describe the schema
_SIDE_FILES = ("-wal", "-shm")

log = logging.getLogger("aimem.index")


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
    salience: float = rank.DEFAULT_SALIENCE
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


class IndexConnection(sqlite3.Connection):
    """A connection that knows which file it opened (to set that file aside if it turns out to
    be damaged) and whether it may write."""

    db_path: str = ""
    identity: tuple[int, int] | None = None  # (device, inode) of the file when it was opened
    readonly: bool = False


def connect(db_path: str, backend: str | None = None, *, repair: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the index at ``db_path``.

    The connection is in autocommit mode; multi-statement writes go through ``transaction()`` so
    each is atomic. WAL lets readers (MCP, ``aimem search``) run while consolidation writes. A
    schema from another ``SCHEMA_VERSION`` (or another full-text backend) is dropped and
    recreated: the index is derived, and an empty index without ``last_commit`` makes the next
    sync a full one. A damaged file (not a database, malformed, a directory in its place) is set
    aside (``set_aside``) and a new empty index created, unless ``repair`` is false (then the
    error is raised). ``backend`` is ``"fts5"``
    (default) or ``"fts4"`` (default from ``$AIMEM_FTS``); FTS4 is also used when this SQLite
    has no FTS5.
    """
    if db_path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(db_path)), exist_ok=True)
    seen = _identity(db_path)
    try:
        return _connect(db_path, backend)
    except (sqlite3.DatabaseError, OSError) as exc:
        if not repair or not is_damage(exc, db_path):
            raise
        set_aside(db_path, exc, seen)
    return _connect(db_path, backend)


def _connect(db_path: str, backend: str | None) -> IndexConnection:
    identity = _identity(db_path)
    conn = sqlite3.connect(
        db_path,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        factory=IndexConnection,
    )
    conn.db_path, conn.identity = db_path, identity
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        _ensure_schema(conn, backend or wanted_backend())
        _register(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_readonly(db_path: str) -> sqlite3.Connection:
    """Open the existing index at ``db_path`` for reading only, creating and changing nothing
    (a read-only data root). SQLite reads a WAL database through its ``-shm`` file and must
    create one if it is missing; where it cannot, the file is opened immutable, which does not
    see a WAL left by a crashed writer (the answers may then be a little stale).

    Raises ``IndexUnavailable`` when there is no index or its schema is not this version's, and
    ``sqlite3.DatabaseError`` when it cannot be read."""
    if not os.path.isfile(db_path):
        raise IndexUnavailable(f"there is no index at {db_path}")
    from pathlib import Path

    uri = Path(os.path.abspath(db_path)).as_uri()
    for options in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(
            f"{uri}?{options}",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            factory=IndexConnection,
        )
        conn.db_path, conn.identity, conn.readonly = db_path, _identity(db_path), True
        try:
            conn.execute("PRAGMA query_only = 1")
            existing, version, _backend = _schema_state(conn)
            if version != SCHEMA_VERSION or not existing.issuperset(_TABLES):
                raise IndexUnavailable(f"the index at {db_path} was built by another version")
            _register(conn)
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if getattr(exc, "sqlite_errorname", "").startswith("SQLITE_CANTOPEN"):
                continue  # no -shm and no right to create one: try immutable
            raise
        except BaseException:
            conn.close()
            raise
    raise IndexUnavailable(f"the index at {db_path} cannot be opened read-only")


def _register(conn: sqlite3.Connection) -> None:
    if backend_of(conn) == "fts4":
        import sqlite_fts4

        sqlite_fts4.register_functions(conn)
    rank.ensure_math(conn)


def writable(db_path: str) -> bool:
    """Whether the index at ``db_path`` can be created or written (``False`` on a read-only data
    root or file system)."""
    if db_path == ":memory:":
        return True
    parent = os.path.dirname(os.path.abspath(db_path))
    while not os.path.isdir(parent):  # the folder is created on first use: ask its parent
        up = os.path.dirname(parent)
        if up == parent:
            return False
        parent = up
    if not os.access(parent, os.W_OK | os.X_OK):
        return False
    return not os.path.isfile(db_path) or os.access(db_path, os.W_OK)


def is_readonly(conn: sqlite3.Connection) -> bool:
    """Whether ``conn`` came from ``connect_readonly`` (reads must then skip their writes)."""
    return bool(getattr(conn, "readonly", False))


def is_damage(exc: BaseException, db_path: str) -> bool:
    """Whether ``exc``, raised opening or using the index at ``db_path``, means the file itself
    is damaged (as opposed to busy, read-only, or a full disk, which setting it aside would not
    cure)."""
    if db_path == ":memory:":
        return False
    if isinstance(exc, (IsADirectoryError, NotADirectoryError)):
        return True
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB":
        return True
    if "malformed" in text or "not a database" in text or "vtable constructor failed" in text:
        return True
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")) or "unable to open" in text:
        # A directory (or anything but a file) where the database or its -wal/-shm belongs.
        return any(
            os.path.lexists(p) and not os.path.isfile(p)
            for p in [db_path, *(db_path + s for s in _SIDE_FILES)]
        )
    return False


def set_aside(db_path: str, reason: object, seen: tuple[int, int] | None = None) -> str | None:
    """Move the damaged index at ``db_path`` (and its ``-wal``/``-shm``) out of the way, to
    ``<db_path>.corrupt-<UTC time>``, and log one line; the newest ``KEEP_SET_ASIDE`` such copies
    are kept. ``seen`` is the file's identity when it was found damaged: if another process has
    already replaced it with a fresh index, nothing is moved. Returns the new name, or ``None``."""
    if seen is not None and _identity(db_path) not in (seen, None):
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target, n = f"{db_path}.corrupt-{stamp}", 1
    while any(os.path.lexists(target + s) for s in ("", *_SIDE_FILES)):
        n += 1
        target = f"{db_path}.corrupt-{stamp}.{n}"
    moved = False
    for suffix in ("", *_SIDE_FILES):
        try:
            os.replace(db_path + suffix, target + suffix)
            moved = True
        except FileNotFoundError:
            continue
    if not moved:
        return None
    log.warning(
        "index %s is damaged (%s): set aside as %s and rebuilt from the wiki",
        db_path,
        str(reason).splitlines()[0] if str(reason) else type(reason).__name__,
        os.path.basename(target),
    )
    _prune_set_aside(db_path)
    return target


def _prune_set_aside(db_path: str) -> None:
    folder, base = os.path.split(os.path.abspath(db_path))
    prefix = base + ".corrupt-"
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return
    copies = sorted({n.removesuffix("-wal").removesuffix("-shm") for n in names})
    for old in copies[:-KEEP_SET_ASIDE]:
        for suffix in ("", *_SIDE_FILES):
            path = os.path.join(folder, old + suffix)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            except FileNotFoundError:
                continue
            except OSError as exc:  # noqa: PERF203 - a leftover copy is harmless
                log.warning("could not remove the old damaged index %s: %s", path, exc)


def _identity(db_path: str) -> tuple[int, int] | None:
    try:
        st = os.lstat(db_path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def backend_of(conn: sqlite3.Connection) -> str:
    """``"fts5"`` or ``"fts4"``: the full-text module the index behind ``conn`` was built with."""
    return get_meta(conn, "fts") or "fts5"


def _schema_state(conn: sqlite3.Connection) -> tuple[set[str], str | None, str | None]:
    """The tables there are, the schema version (``None`` if missing, or if the stored page
    weights were computed with other ranking constants) and the full-text backend."""
    existing = {
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    version = backend = None
    if "meta" in existing:
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN " + _SCHEMA_KEYS))
        if meta.get("weights") == rank.WEIGHTS_KEY:
            version = meta.get("schema_version")
        backend = meta.get("fts", "fts5")
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


def _has_trigram(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.aimem_tri_probe USING fts5(x, tokenize='trigram')")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp.aimem_tri_probe")
    return True


def tri_kind(conn: sqlite3.Connection) -> str:
    """``"trigram"`` or ``"plain"``: how the index behind ``conn`` holds unsegmented text."""
    return get_meta(conn, "tri") or "plain"


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
        tri = "trigram" if backend == "fts5" and _has_trigram(conn) else "plain"
        statements.append(_TRI_TABLES[tri])
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
        set_meta(conn, "tri", tri)
        set_meta(conn, "weights", rank.WEIGHTS_KEY)


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
        return rank.DEFAULT_SALIENCE
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return rank.DEFAULT_SALIENCE
    return number if math.isfinite(number) else rank.DEFAULT_SALIENCE


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
        rank.day_of(page.updated or page.created),
        rank.page_weight(page.type, page.status),
    )
    with transaction(conn):
        row = conn.execute("SELECT id FROM pages WHERE path = ?", (page.path,)).fetchone()
        if row is None:
            cur = conn.execute(
                "INSERT INTO pages(title, type, tags, created, updated, salience, pinned, status,"
                " updated_day, weight, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, page.path),
            )
            rowid = cur.lastrowid
        else:
            rowid = row[0]
            conn.execute(
                "UPDATE pages SET title = ?, type = ?, tags = ?, created = ?, updated = ?,"
                " salience = ?, pinned = ?, status = ?, updated_day = ?, weight = ? WHERE id = ?",
                (*values, rowid),
            )
            conn.execute("DELETE FROM pages_fts WHERE rowid = ?", (rowid,))
            conn.execute("DELETE FROM pages_tri WHERE rowid = ?", (rowid,))
        joined = " ".join(tags)
        conn.execute(
            "INSERT INTO pages_fts(rowid, title, tags, body, idents) VALUES (?, ?, ?, ?, ?)",
            (rowid, title, joined, body, identifier_text(title, *tags, body)),
        )
        runs = [unsegmented_text(text) for text in (title, joined, body)]
        if any(runs):  # most pages have none: no row, no cost
            conn.execute(
                "INSERT INTO pages_tri(rowid, title, tags, body) VALUES (?, ?, ?, ?)",
                (rowid, *runs),
            )
    return row is None


def delete(conn: sqlite3.Connection, path: str) -> bool:
    """Remove the page at ``path``; ``True`` if there was one."""
    with transaction(conn):
        row = conn.execute("SELECT id FROM pages WHERE path = ?", (path,)).fetchone()
        if row is None:
            return False
        conn.execute("DELETE FROM pages_fts WHERE rowid = ?", (row[0],))
        conn.execute("DELETE FROM pages_tri WHERE rowid = ?", (row[0],))
        conn.execute("DELETE FROM pages WHERE id = ?", (row[0],))
    return True


def clear(conn: sqlite3.Connection) -> None:
    """Remove every page and every meta key but those describing the schema (so ``last_commit``
    cannot claim that an empty index is up to date)."""
    with transaction(conn):
        conn.execute("DELETE FROM pages_fts")
        conn.execute("DELETE FROM pages_tri")
        conn.execute("DELETE FROM pages")
        conn.execute("DELETE FROM meta WHERE key NOT IN " + _SCHEMA_KEYS)


def optimize(conn: sqlite3.Connection) -> None:
    """Merge the FTS5 b-trees into one (worth it after a full rebuild)."""
    conn.execute("INSERT INTO pages_fts(pages_fts) VALUES ('optimize')")
    if tri_kind(conn) == "trigram":
        conn.execute("INSERT INTO pages_tri(pages_tri) VALUES ('optimize')")


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


def type_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Indexed pages per type (the catalogue's counts, without reading every row into Python)."""
    return dict(conn.execute("SELECT type, count(*) FROM pages GROUP BY type"))


def newest_entries(conn: sqlite3.Connection, kind: str, limit: int) -> list[PageEntry]:
    """The ``limit`` most recently updated pages of one type, newest first (ties: by path,
    descending), as catalogue entries: what ``index.md`` and the brief show."""
    return [
        PageEntry(path, title, kind, updated)
        for path, title, updated in conn.execute(
            "SELECT path, title, coalesce(updated, '') AS u FROM pages WHERE type = ? "
            "ORDER BY u DESC, path DESC LIMIT ?",
            (kind, limit),
        )
    ]


def types_of(conn: sqlite3.Connection, paths: list[str]) -> dict[str, str]:
    """The indexed type of each of ``paths`` that is in the index."""
    out: dict[str, str] = {}
    for start in range(0, len(paths), 500):  # SQLite's bound-variable limit
        chunk = paths[start : start + 500]
        marks = ",".join("?" * len(chunk))
        out.update(conn.execute(f"SELECT path, type FROM pages WHERE path IN ({marks})", chunk))
    return out


# --- search ---------------------------------------------------------------------------------


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
    type's boost times a retention factor (salience, age, reads; superseded pages lower): see
    ``aimem.index.rank``. Any string is a valid query; one with no word in it finds nothing.
    ``"a phrase"`` and ``prefix*`` are honoured; stop words are ignored; ``parseConfig``,
    ``parse_config`` and ``parse config`` find each other.
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
    params = {"type": type, "now": now, "today": now / rank.DAY}
    if any(item.kind == "substring" for item in items):
        rows = _search_unsegmented(conn, items, backend, params, limit)
    else:
        all_terms, any_term = match_expressions(items, backend)
        sql = rank.ranking_sql(backend, by_type=type is not None)
        rows = conn.execute(sql, {**params, "q": all_terms, "limit": limit}).fetchall()
        if len(rows) < limit and any_term is not None:
            seen = {row[0] for row in rows}
            # Every all-terms hit is also an any-term hit: this many rows always hold enough.
            more = conn.execute(sql, {**params, "q": any_term, "limit": limit + len(rows)})
            rows += [row for row in more.fetchall() if row[0] not in seen][: limit - len(rows)]
    texts = _texts(conn, [row[0] for row in rows])
    marks = snippets.highlighter(items)
    return [
        SearchHit(
            path=path,
            title=title,
            type=kind,
            score=float(score),
            snippet=snippets.snippet(*texts.get(rowid, ("", "", "")), marks),
            project=project,
        )
        for rowid, path, title, kind, score in rows
    ]


def match_expressions(items: list[Item], backend: str = "fts5") -> tuple[str, str | None]:
    """The full-text expressions ``search`` matches for a parsed query: every part, then (for
    more than one part) any part. Public so the benchmark can time the same match raw.
    Substring items are not words: they are matched in ``pages_tri``, not here."""
    parts = [item.expression(backend) for item in items if item.kind != "substring"]
    all_terms = (" " if backend == "fts4" else " AND ").join(parts)
    return all_terms, " OR ".join(parts) if len(parts) > 1 else None


def _search_unsegmented(
    conn: sqlite3.Connection, items: list[Item], backend: str, params: dict, limit: int
) -> list[tuple]:
    """``search`` for a query holding runs of unsegmented scripts: every part first, then any
    part, like word queries. A run is found inside the page's runs (``pages_tri``); the query's
    words, if any, in ``pages_fts``.

    Relevance per run: 10 in the title, 5 in the tags, plus ln(1 + occurrences in the body);
    1 per matched word part. BM25 is not used: a run of 1-2 characters has no trigram, so no
    MATCH to score, and one scale for every run keeps mixed queries comparable. The page weight
    and retention factor are the word search's (``rank``)."""
    runs = [item.text for item in items if item.kind == "substring"]
    words = [item for item in items if item.kind != "substring"]
    trigram = tri_kind(conn) == "trigram"
    args = {**params, "limit": limit}
    relevance, found, candidates = [], [], []
    for n, run in enumerate(runs):
        args[f"s{n}"] = run
        relevance.append(
            f"10.0 * (instr(coalesce(t.title, ''), :s{n}) > 0)"
            f" + 5.0 * (instr(coalesce(t.tags, ''), :s{n}) > 0)"
            f" + ln(1.0 + (length(coalesce(t.body, '')) - length(replace(coalesce(t.body, ''),"
            f" :s{n}, ''))) / {len(run)})"
        )
        if trigram and len(run) >= 3:
            args[f"m{n}"] = '"' + run.replace('"', '""') + '"'
            match = f"SELECT rowid FROM pages_tri WHERE pages_tri MATCH :m{n}"
        else:  # too short for a trigram, or no trigram tokenizer: every row that has runs
            match = (
                "SELECT rowid FROM pages_tri"
                f" WHERE instr(title, :s{n}) OR instr(tags, :s{n}) OR instr(body, :s{n})"
            )
        found.append(f"t.rowid IN ({match})")
        candidates.append(match)
    if words:
        all_words, any_word = match_expressions(words, backend)
        args["w_all"], args["w_any"] = all_words, any_word or all_words
        found.append("t.rowid IN (SELECT rowid FROM pages_fts WHERE pages_fts MATCH :w_all)")
        candidates.append("SELECT rowid FROM pages_fts WHERE pages_fts MATCH :w_any")
        relevance.append(
            "1.0 * (p.id IN (SELECT rowid FROM pages_fts WHERE pages_fts MATCH :w_any))"
        )
    by_type = " AND p.type = :type" if params.get("type") else ""
    select = (
        f"SELECT p.id, p.path, p.title, p.type, ({' + '.join(relevance)}) * p.weight"
        f" * {rank.FACTOR_SQL} AS score FROM {{source}} WHERE {{where}}{by_type}"
        " ORDER BY score DESC, p.path LIMIT :limit"
    )
    # Every part: the page has runs, so pages_tri drives the query.
    source = "pages_tri AS t CROSS JOIN pages AS p ON p.id = t.rowid"
    rows = conn.execute(select.format(source=source, where=" AND ".join(found)), args).fetchall()
    if len(rows) < limit and len(found) > 1:
        # Any part: the union of each part's pages (a page with the words but no runs too).
        source = (
            f"({' UNION '.join(candidates)}) AS c CROSS JOIN pages AS p ON p.id = c.rowid"
            " LEFT JOIN pages_tri AS t ON t.rowid = p.id"
        )
        seen = {row[0] for row in rows}
        sql = select.format(source=source, where="1")
        more = conn.execute(sql, {**args, "limit": limit + len(rows)}).fetchall()
        rows += [row for row in more if row[0] not in seen][: limit - len(rows)]
    return rows


def _texts(conn: sqlite3.Connection, rowids: list[int]) -> dict[int, tuple[str, str, str]]:
    """Title, tags and body of the final hits (for their snippets)."""
    if not rowids:
        return {}
    sql = (
        "SELECT rowid, title, tags, body FROM pages_fts"
        f" WHERE rowid IN ({', '.join('?' * len(rowids))})"
    )
    return {row[0]: row[1:] for row in conn.execute(sql, rowids)}
