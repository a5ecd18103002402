"""Bring the index up to the wiki's HEAD, touching only what changed.

The index remembers the last commit it reflects (``meta.last_commit``). An update diffs that
commit's tree against HEAD and re-reads only the changed pages, from the blobs at HEAD (never the
work tree, which may hold half-written or uncommitted edits), so a one-page change costs the same
in a 100,000-page wiki as in a 10-page one. When that commit is unknown (first run, a deleted
index, history rewritten by a force-push) the index is rebuilt from HEAD, which by construction
gives the same rows as any sequence of incremental updates.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass

import pygit2

from aimem.index import fts
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import (
    ARCHIVE_DIR,
    LOG_DIR,
    SPECIAL_PAGES,
    PagePathError,
    parse,
    validate_page_path,
)

LAST_COMMIT = "last_commit"

log = logging.getLogger("aimem.index")


@dataclass
class SyncResult:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    head: str | None = None
    full: bool = False  # True when the index was rebuilt from HEAD rather than diffed

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.deleted


def indexable(path: str) -> bool:
    """Whether a path in the wiki tree is a memory page the index should hold.

    Skipped: non-markdown files, the catalogue and the log with its day files under ``log/``
    (about the wiki, not memories), archived pages (out of search until restored), and paths
    the wiki's own path rules reject (hidden folders such as ``.obsidian/``), so every hit can
    be opened by ``show``/``memory_read``.
    """
    if not path.endswith(".md") or path in SPECIAL_PAGES:
        return False
    if path.startswith((ARCHIVE_DIR, LOG_DIR)):
        return False
    try:
        return validate_page_path(path) == path
    except PagePathError:
        return False


def sync_index(index_path: str, wiki_dir: str, full: bool = False) -> SyncResult:
    """Update the index at ``index_path`` to the HEAD of the wiki at ``wiki_dir``.

    Incremental unless ``full`` is set or the last indexed commit is missing from the repository.
    The whole update, including the new ``last_commit``, is one transaction: a crash leaves the
    previous consistent index. Without a repository or a first commit, the index is left empty.
    A damaged index (found on opening it, or by the update) is set aside and rebuilt.
    """
    repo = _open(wiki_dir)
    for attempt in range(2):
        conn = fts.connect(index_path)  # sets aside a file found damaged on opening
        try:
            return sync_connection(conn, repo, full)
        except (sqlite3.DatabaseError, OSError) as exc:
            if attempt or not fts.is_damage(exc, index_path):
                raise
            damage, seen = exc, getattr(conn, "identity", None)
        finally:
            conn.close()
        fts.set_aside(index_path, damage, seen)
        full = True
    raise AssertionError("unreachable")  # pragma: no cover


def sync_connection(
    conn: sqlite3.Connection, repo: pygit2.Repository | None, full: bool = False
) -> SyncResult:
    """``sync_index`` on an open connection (an index in memory, for a read-only data root)."""
    with fts.transaction(conn):
        # HEAD is read under the index's write lock, so of two concurrent syncs the later
        # one always sees the newer HEAD and the index never moves backwards.
        head = wikirepo.head_commit(repo) if repo is not None else None
        if head is None:
            stale = fts.page_count(conn)
            if stale or fts.get_meta(conn, LAST_COMMIT) is not None:
                fts.clear(conn)
            return SyncResult(deleted=stale, head=None, full=full)
        last = fts.get_meta(conn, LAST_COMMIT)
        if not full and last == head:
            return SyncResult(head=head)
        if full or last is None or not _has_commit(repo, last):
            result = _rebuild(conn, repo, head)
        else:
            result = _update(conn, repo, last, head)
        fts.set_meta(conn, LAST_COMMIT, head)
    if result.full:
        fts.optimize(conn)
    return result


def memory_index(wiki_dir: str) -> sqlite3.Connection:
    """A new index of the wiki's HEAD in memory: what a read uses when the index on disk is
    missing or damaged and cannot be rebuilt there (a read-only data root)."""
    conn = fts.connect(":memory:")
    try:
        sync_connection(conn, _open(wiki_dir), full=True)
    except BaseException:
        conn.close()
        raise
    return conn


def index_status(index_path: str, wiki_dir: str, read_only: bool = False) -> dict:
    """``{"pages", "last_commit", "head", "up_to_date"}``; creates nothing that is missing. A
    damaged index is set aside and rebuilt (``sync_index``) before it is counted; on a
    read-only data root, or with ``read_only`` (the web view and its lint summary promise to
    change no byte), it is counted as it is, or as empty when it cannot be read."""
    repo = _open(wiki_dir)
    head = wikirepo.head_commit(repo) if repo is not None else None
    pages, last = 0, None
    if os.path.lexists(index_path):
        read_only = read_only or not fts.writable(index_path)
        try:
            pages, last = _count(index_path, read_only)
        except (sqlite3.DatabaseError, OSError, fts.IndexUnavailable) as exc:
            if read_only:
                log.warning("index %s cannot be read: %s", index_path, exc)
            elif fts.is_damage(exc, index_path):
                sync_index(index_path, wiki_dir)  # sets the damaged file aside and rebuilds
                pages, last = _count(index_path, read_only)
            else:
                raise
    return {"pages": pages, "last_commit": last, "head": head, "up_to_date": last == head}


def _count(index_path: str, read_only: bool) -> tuple[int, str | None]:
    conn = fts.connect_readonly(index_path) if read_only else fts.connect(index_path, repair=False)
    try:
        return fts.page_count(conn), fts.get_meta(conn, LAST_COMMIT)
    finally:
        conn.close()


def _open(wiki_dir: str) -> pygit2.Repository | None:
    try:
        return wikirepo.open_repo(wiki_dir, create=False)
    except FileNotFoundError:
        return None


def _has_commit(repo: pygit2.Repository, sha: str) -> bool:
    try:
        repo[sha].peel(pygit2.Commit)
    except (KeyError, ValueError, TypeError, pygit2.GitError):
        return False
    return True


# A symlink is not a page: its blob is the link's target, and checked out it could lead out of
# the wiki. Only regular files are indexed (so search never offers a path ``show`` refuses).
def _is_file(tree: pygit2.Tree, path: str) -> bool:
    try:
        return tree[path].filemode in wikirepo.REGULAR_MODES
    except KeyError:
        return False


def _page_at(repo: pygit2.Repository, path: str, blob: str | None) -> fts.IndexedPage | None:
    data = wikirepo.read_blob(repo, blob) if blob else None
    if data is None:
        return None
    # utf-8-sig: an editor's byte-order mark must not hide the front matter.
    return fts.page_to_indexed(parse(data.decode("utf-8-sig", "replace"), path))


def _update(conn: sqlite3.Connection, repo: pygit2.Repository, last: str, head: str) -> SyncResult:
    result = SyncResult(head=head)
    tree = repo[head].peel(pygit2.Commit).tree
    for change in wikirepo.changed_paths(repo, last, head):
        page = None
        if change.status != "D" and indexable(change.path) and _is_file(tree, change.path):
            page = _page_at(repo, change.path, change.blob)
        if page is None:
            result.deleted += int(fts.delete(conn, change.path))
        elif fts.upsert(conn, page):
            result.added += 1
        else:
            result.updated += 1
    return result


def _rebuild(conn: sqlite3.Connection, repo: pygit2.Repository, head: str) -> SyncResult:
    """Every page at HEAD into an emptied index. ``hits``/``last_access`` exist only in the
    index (reads reinforce memories), so they are carried over for pages that are still there."""
    counters = {
        path: (hits, last_access)
        for path, hits, last_access in conn.execute("SELECT path, hits, last_access FROM pages")
    }
    fts.clear(conn)
    tree = repo[head].peel(pygit2.Commit).tree
    seen: set[str] = set()
    for path, blob in wikirepo.iter_tree(repo, tree):
        if not indexable(path):
            continue
        page = _page_at(repo, path, str(blob))
        if page is None:
            continue
        fts.upsert(conn, page)
        seen.add(path)
    conn.executemany(
        "UPDATE pages SET hits = ?, last_access = ? WHERE path = ?",
        [
            (hits, last_access, path)
            for path, (hits, last_access) in counters.items()
            if path in seen and (hits or last_access is not None)
        ],
    )
    return SyncResult(
        added=len(seen - counters.keys()),
        updated=len(seen & counters.keys()),
        deleted=len(counters.keys() - seen),
        head=head,
        full=True,
    )
