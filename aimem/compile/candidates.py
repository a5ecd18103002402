"""The existing pages the model may update, supersede or contradict: up to 12, each with an id.

Found with the search index over the session's prompts, the files it touched and the errors it
met, among knowledge pages (decisions, gotchas, concepts, rules). The model sees each page's id,
type, status, title and the start of its body; it names a page by id (``p3``), never by path.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from aimem.compile.evidence import Observation
from aimem.wiki.pages import Page, parse

MAX_CANDIDATES = 12
EXCERPT_CHARS = 800
KNOWLEDGE_TYPES = ("decision", "gotcha", "concept", "rule")
_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")


@dataclass(frozen=True)
class Candidate:
    id: str  # "p1"...
    path: str
    page: Page
    stored: bytes  # the page's bytes at HEAD when read: a change before apply drops the action

    @property
    def protected(self) -> str | None:
        """Why automation must not change this page, or ``None``."""
        if self.page.meta.get("pinned") is True:
            return "pinned"
        if str(self.page.meta.get("author", "")).lower() == "human":
            return "written by a person"
        return None

    def as_data(self) -> dict:
        body = self.page.body.strip()
        if len(body) > EXCERPT_CHARS:
            body = body[:EXCERPT_CHARS].rstrip() + " …"
        return {
            "id": self.id,
            "type": self.page.type,
            "status": str(self.page.meta.get("status") or "active"),
            "title": self.page.title,
            "text": body,
        }


def search_text(observations: list[Observation], limit: int = 32) -> str:
    """A query from what the session was about: prompt words, touched file names, errors."""
    words: dict[str, None] = {}
    for obs in observations:
        if obs.kind == "prompt":
            for w in _WORDS.findall(obs.full.get("text", "")[:2000]):
                words.setdefault(w.lower(), None)
    for obs in observations:
        if obs.kind == "tool_error":
            for w in _WORDS.findall(obs.full.get("error", "")[:300]):
                words.setdefault(w.lower(), None)
        for name in ("input",):
            for token in obs.full.get(name, "").split():
                if "/" in token or "." in token:
                    stem = os.path.splitext(os.path.basename(token.strip("'\"`,;")))[0]
                    if _WORDS.fullmatch(stem):
                        words.setdefault(stem.lower(), None)
    return " ".join(list(words)[:limit])


def find_candidates(
    conn,
    repo,
    observations: list[Observation],
    limit: int = MAX_CANDIDATES,  # noqa: ANN001
) -> list[Candidate]:
    """Up to ``limit`` knowledge pages related to the session, best first, read from HEAD.
    ``conn`` is an index connection synced to HEAD; ``repo`` the wiki's pygit2 repository."""
    from aimem.index import fts
    from aimem.wiki import repo as wikirepo

    query = search_text(observations)
    if not query:
        return []
    hits = []
    for kind in KNOWLEDGE_TYPES:
        hits += fts.search(conn, query, type=kind, limit=limit)
    hits.sort(key=lambda h: -h.score)
    out: list[Candidate] = []
    for hit in hits:
        if len(out) >= limit or any(c.path == hit.path for c in out):
            continue
        data = wikirepo.read_file(repo, hit.path)
        if data is None:
            continue
        page = parse(data.decode("utf-8", "replace"), hit.path)
        out.append(Candidate(f"p{len(out) + 1}", hit.path, page, data))
    return out
