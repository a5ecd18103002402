"""The catalogue after a change, read from the index: what ``index.md`` and the brief list.

The index is synced to HEAD under the wiki lock before a write, so it holds every page but the
ones the write adds, changes or removes; those are applied on top. Only the counts and the
newest ``PER_TYPE`` of each type are read, never every page, so a write costs the same in a wiki
of 100 pages and of 10,000.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import replace

from aimem.index import fts
from aimem.wiki.catalog import MARKED_STATUSES, PER_TYPE, Catalog, Entry
from aimem.wiki.pages import PAGE_TYPES, Page


def entries_after(index_path: str, new_pages: list[Page], removed: Collection[str] = ()) -> Catalog:
    """The catalogue once ``new_pages`` are written and the ``removed`` paths are gone."""
    changed = {page.path: _entry(fts.page_to_indexed(page)) for page in new_pages}
    gone = set(removed) | set(changed)
    conn = fts.connect(index_path)
    try:
        counts = fts.type_counts(conn)
        for kind in fts.types_of(conn, sorted(gone)).values():
            counts[kind] -= 1  # replaced or removed by this write: counted again below if kept
        newest = [
            Entry(e.path, e.title, e.type, e.updated)
            for kind in PAGE_TYPES
            for e in fts.newest_entries(conn, kind, PER_TYPE + len(gone))
            if e.path not in gone
        ]
        marked = _marked_statuses(conn, [e.path for e in newest])
        newest = [replace(e, status=marked.get(e.path, "")) for e in newest]
    finally:
        conn.close()
    for path, entry in changed.items():
        if path not in removed:
            counts[entry.type] = counts.get(entry.type, 0) + 1
            newest.append(entry)
    return Catalog({k: v for k, v in counts.items() if v > 0}, newest)


def _entry(page: fts.IndexedPage) -> Entry:
    # The index's own normalisation of front matter, so a page reads the same here as it will
    # in the index once synced (hand-edited dates may be YAML date objects).
    status = page.status if page.status in MARKED_STATUSES else ""
    return Entry(page.path, page.title, page.type, page.updated or "", status)


def _marked_statuses(conn: sqlite3.Connection, paths: list[str]) -> dict[str, str]:
    """The statuses the catalogue marks (proposed, rejected, superseded) among ``paths``."""
    out: dict[str, str] = {}
    statuses = ",".join("?" * len(MARKED_STATUSES))
    for start in range(0, len(paths), 400):  # SQLite's bound-variable limit
        chunk = paths[start : start + 400]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT path, status FROM pages WHERE path IN ({marks}) AND status IN ({statuses})",
            [*chunk, *MARKED_STATUSES],
        )
        out.update(rows)
    return out
