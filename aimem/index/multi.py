"""Search across every project's index at once (``aimem search --all``).

Each project keeps its own index; a cross-project search asks each one for its best ``limit``
hits (syncing it first, as a single-project search does) and merges them by score. BM25 scores
come from per-project statistics, so the merge is approximate across very different wikis, which
is acceptable for "where did I see this" across projects. Every hit carries its project's slug.
"""

from __future__ import annotations

import logging
import os
import sqlite3

from aimem.index import fts
from aimem.index.reads import with_index
from aimem.project import list_projects

log = logging.getLogger("aimem.index")


def search_all(
    home: str, query: str, *, type: str | None = None, limit: int = 10
) -> list[fts.SearchHit]:
    """The best ``limit`` hits over every project under ``home``, labelled with their project."""
    hits: list[fts.SearchHit] = []
    for slug, paths, _meta in list_projects(home):
        if not os.path.isdir(os.path.join(paths.wiki, ".git")) and not os.path.exists(paths.index):
            continue
        try:
            hits += with_index(
                paths.index,
                paths.wiki,
                lambda conn, slug=slug: fts.search(
                    conn, query, type=type, limit=limit, project=slug
                ),
            )
        except (sqlite3.DatabaseError, OSError, fts.IndexUnavailable) as exc:
            log.warning("search of project %s skipped: %s", slug, exc)
    hits.sort(key=lambda h: (-h.score, h.project, h.path))
    return hits[: max(1, min(fts.MAX_LIMIT, int(limit)))]
