"""Reading the index on an agent's behalf: keep it fresh, reinforce what is read, list recent pages.

Reinforcement is the only write a read makes, and it goes to the index (``hits``, ``last_access``),
never to git: a commit per read would bury the wiki's history under noise. It is throttled in the
database itself (one ``UPDATE ... WHERE last_access < now - interval``), so repeated reads of one
page by one agent, or by several servers at once, count once per interval without any in-process
bookkeeping.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from aimem.index import fts

log = logging.getLogger("aimem.index")

REINFORCE_INTERVAL = 60.0  # seconds: a page's hits grow at most once per minute
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
T = TypeVar("T")


@dataclass(frozen=True)
class PageRow:
    """A page as a compact listing shows it."""

    path: str
    title: str
    type: str
    updated: str


def wiki_head(wiki_dir: str) -> str | None:
    """The commit the wiki's HEAD points at, read from the ref files (a tenth of a millisecond,
    where opening the repository with pygit2 costs most of one); pygit2 answers the cases this
    does not cover (a symbolic ref chain, an odd layout)."""
    git = os.path.join(wiki_dir, ".git")
    try:
        with open(os.path.join(git, "HEAD"), encoding="ascii") as fh:
            head = fh.read().strip()
        if not head.startswith("ref: "):
            return head if _SHA.fullmatch(head) else _pygit2_head(wiki_dir)
        ref = head[5:]
        try:
            with open(os.path.join(git, *ref.split("/")), encoding="ascii") as fh:
                sha = fh.read().strip()
            return sha if _SHA.fullmatch(sha) else _pygit2_head(wiki_dir)
        except FileNotFoundError:
            pass
        with open(os.path.join(git, "packed-refs"), encoding="ascii") as fh:  # after `git gc`
            for line in fh:
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref and _SHA.fullmatch(parts[0]):
                    return parts[0]
        return None  # an unborn branch: no commit yet
    except FileNotFoundError:
        return None if not os.path.isdir(git) else _pygit2_head(wiki_dir)
    except (OSError, UnicodeDecodeError):
        return _pygit2_head(wiki_dir)


def _pygit2_head(wiki_dir: str) -> str | None:
    from aimem.wiki import repo as wikirepo

    try:
        return wikirepo.head_commit(wikirepo.open_repo(wiki_dir, create=False))
    except Exception:  # noqa: BLE001 - no readable repository: nothing to sync from
        return None


def is_fresh(conn: sqlite3.Connection, wiki_dir: str) -> bool:
    """Whether the index behind ``conn`` reflects the wiki's HEAD."""
    from aimem.index.sync import LAST_COMMIT

    return fts.get_meta(conn, LAST_COMMIT) == wiki_head(wiki_dir)


def ensure_fresh(index_path: str, wiki_dir: str, conn: sqlite3.Connection | None = None) -> bool:
    """Sync the index if the wiki's HEAD moved past it; ``True`` if a sync ran.

    The check reads one meta row and the HEAD ref, so an up-to-date index (the common case) costs
    no write lock and no pygit2. ``conn`` (optional) is an open connection to reuse for the
    check. A failed sync is logged and the stale index still answers; an index that cannot be
    written (a read-only data root, ``conn`` opened read-only) is not synced."""
    from aimem.index.sync import sync_index

    if not os.path.isdir(os.path.join(wiki_dir, ".git")):
        return False
    if conn is not None and (fts.is_readonly(conn) or getattr(conn, "db_path", "") == ":memory:"):
        return False
    if not fts.writable(index_path):
        return False
    if conn is not None:
        fresh = is_fresh(conn, wiki_dir)
    else:
        own = fts.connect(index_path)
        try:
            fresh = is_fresh(own, wiki_dir)
        finally:
            own.close()
    if fresh:
        return False
    try:
        sync_index(index_path, wiki_dir)
    except Exception as exc:  # noqa: BLE001 - a stale index is better than no answer
        log.warning("index sync failed: %s", exc)
        return False
    return True


def open_for_reading(index_path: str, wiki_dir: str) -> sqlite3.Connection:
    """The index a read is answered from: the file (a damaged one set aside and a new one
    created, filled by the next sync); on a read-only data root the file as it is, opened
    read-only, or an index of the wiki built in memory when the file cannot be read."""
    if fts.writable(index_path):
        return fts.connect(index_path)
    try:
        return fts.connect_readonly(index_path)
    except (sqlite3.DatabaseError, fts.IndexUnavailable) as exc:
        log.warning(
            "index %s cannot be read and cannot be rebuilt there (%s): reading an index"
            " built in memory",
            index_path,
            exc,
        )
    from aimem.index.sync import memory_index

    return memory_index(wiki_dir)


def with_index(
    index_path: str, wiki_dir: str, work: Callable[[sqlite3.Connection], T], fresh: bool = True
) -> T:
    """``work(conn)`` on the project's index, synced to the wiki's HEAD first when ``fresh``.

    The index is derived, so damage found on the way (a file that is not a database, a page of
    it malformed) never fails the read: the file is set aside, rebuilt from the wiki and
    ``work`` runs again; where it cannot be rebuilt (a read-only data root) ``work`` runs on an
    index built in memory."""
    from aimem.index.sync import memory_index, sync_index

    in_memory = False
    for attempt in range(2):
        conn = memory_index(wiki_dir) if in_memory else open_for_reading(index_path, wiki_dir)
        try:
            if fresh:
                ensure_fresh(index_path, wiki_dir, conn)
            return work(conn)
        except (sqlite3.DatabaseError, OSError) as exc:
            if attempt or not fts.is_damage(exc, index_path):
                raise
            damage, seen = exc, getattr(conn, "identity", None)
            in_memory = fts.is_readonly(conn)
        finally:
            conn.close()
        if in_memory:
            log.warning(
                "index %s is damaged (%s) and read-only: reading an index built in memory",
                index_path,
                damage,
            )
        else:
            fts.set_aside(index_path, damage, seen)
            sync_index(index_path, wiki_dir, full=True)
    raise AssertionError("unreachable")  # pragma: no cover


def reinforce(
    conn: sqlite3.Connection,
    path: str,
    now: float | None = None,
    interval: float = REINFORCE_INTERVAL,
) -> bool:
    """Count one read of ``path``; ``False`` if it is not indexed or was counted within
    ``interval`` seconds. A busy index skips the count rather than delaying the read, and an
    index opened read-only or built in memory does not count at all."""
    if fts.is_readonly(conn) or getattr(conn, "db_path", "") == ":memory:":
        return False
    now = time.time() if now is None else now
    try:
        cur = conn.execute(
            "UPDATE pages SET hits = hits + 1, last_access = ?"
            " WHERE path = ? AND (last_access IS NULL OR last_access <= ?)",
            (now, path, now - interval),
        )
    except sqlite3.OperationalError as exc:  # locked past the busy timeout
        log.warning("reinforcing %s skipped: %s", path, exc)
        return False
    return cur.rowcount > 0


def counters(conn: sqlite3.Connection, path: str) -> tuple[int, float | None] | None:
    """``(hits, last_access)`` of an indexed page, or ``None``."""
    row = conn.execute("SELECT hits, last_access FROM pages WHERE path = ?", (path,)).fetchone()
    return None if row is None else (int(row[0]), row[1])


def recent_pages(conn: sqlite3.Connection, types: tuple[str, ...], limit: int) -> list[PageRow]:
    """The most recently updated pages of the given types, newest first."""
    marks = ", ".join("?" * len(types))
    rows = conn.execute(
        f"SELECT path, title, type, coalesce(updated, '') FROM pages WHERE type IN ({marks})"
        " ORDER BY coalesce(updated, '') DESC, path DESC LIMIT ?",
        (*types, max(0, int(limit))),
    )
    return [PageRow(*row) for row in rows]


def titles(conn: sqlite3.Connection, paths: list[str]) -> dict[str, PageRow]:
    """Title, type and date of each indexed path among ``paths``."""
    out: dict[str, PageRow] = {}
    for start in range(0, len(paths), 500):  # stay under SQLite's bound-parameter limit
        chunk = paths[start : start + 500]
        rows = conn.execute(
            "SELECT path, title, type, coalesce(updated, '') FROM pages"
            f" WHERE path IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        out.update({row[0]: PageRow(*row) for row in rows})
    return out
