"""A page's neighbourhood: its ``[[wikilinks]]``, its backlinks, pages sharing its tags, and pages
that came from the same sessions (``sources`` in the front matter).

Everything is answered from the index plus a handful of page reads, so exploring costs about the
same in a 10,000-page wiki as in a small one:

- links: each distinct target is resolved by one query (exact path, else the file name), not by
  loading every path of the wiki;
- backlinks: a page linking here must contain this page's file name in its body, so an FTS phrase
  query on the name's words finds the candidates, and only those are parsed for links;
- shared tags: a ``LIKE`` over the ``tags`` column (comma-joined), no page read;
- shared sessions: session and handoff pages carry the session's short id in their path, so they
  are found by path; knowledge pages (rules, decisions, gotchas, concepts) citing a session are
  found by reading their front matter, the newest ``SOURCE_SCAN`` of them.
"""

from __future__ import annotations

import os
import posixpath
import sqlite3
from dataclasses import dataclass, field

from aimem.index import fts
from aimem.index.query import query_terms
from aimem.index.reads import PageRow, titles
from aimem.wiki.links import choose, link_name, link_targets, normalise_target
from aimem.wiki.pages import SPECIAL_PAGES, parse
from aimem.wiki.read import load_page

BACKLINK_CANDIDATES = 2000  # pages whose body mentions the name, parsed for real links
SOURCE_SCAN = 2000  # newest knowledge pages whose front matter is read for shared sessions
KNOWLEDGE_TYPES = ("rule", "decision", "gotcha", "concept")


@dataclass
class Neighbour:
    path: str
    title: str
    type: str
    shared: list[str] = field(default_factory=list)  # the tags or sessions in common


@dataclass
class Neighbourhood:
    path: str
    title: str
    type: str
    tags: list[str]
    sources: list[str]
    links: list[Neighbour]
    broken_links: list[str]
    backlinks: list[Neighbour]
    shared_tags: list[Neighbour]
    shared_sessions: list[Neighbour]


def explore(conn: sqlite3.Connection, wiki_dir: str, path: str, limit: int = 10) -> Neighbourhood:
    """The neighbourhood of the page at ``path``; each list holds at most ``limit`` pages."""
    page = load_page(wiki_dir, path)
    resolver = IndexResolver(conn, _special_pages(wiki_dir))
    out_paths: list[str] = []
    broken: list[str] = []
    for target in link_targets(page.body):
        resolved = resolver.resolve(target)
        if resolved is None:
            broken.append(target)
        elif resolved != page.path and resolved not in out_paths:
            out_paths.append(resolved)
    sources = _sources(page.meta)
    return Neighbourhood(
        path=page.path,
        title=page.title,
        type=page.type,
        tags=page.tags,
        sources=sources,
        links=_rows(conn, out_paths[:limit]),
        broken_links=broken[:limit],
        backlinks=backlinks(conn, resolver, page.path, limit),
        shared_tags=shared_tags(conn, page.path, page.tags, limit),
        shared_sessions=shared_sessions(conn, wiki_dir, page.path, sources, limit),
    )


def _special_pages(wiki_dir: str) -> list[str]:
    return [p for p in SPECIAL_PAGES if os.path.isfile(os.path.join(wiki_dir, p))]


def _rows(
    conn: sqlite3.Connection, paths: list[str], shared: dict | None = None
) -> list[Neighbour]:
    found = titles(conn, paths)
    out = []
    for path in paths:
        row = found.get(path) or PageRow(path, posixpath.basename(path)[:-3], "", "")
        out.append(Neighbour(row.path, row.title, row.type, (shared or {}).get(path, [])))
    return out


def _sources(meta: dict) -> list[str]:
    value = meta.get("sources")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, (str, int)) and str(v).strip()]


class IndexResolver:
    """``LinkResolver`` over the index: each distinct target costs one query instead of loading
    every path of a large wiki up front."""

    def __init__(self, conn: sqlite3.Connection, extra: list[str]) -> None:
        self.conn = conn
        self.extra = set(extra)  # index.md, log.md: in the wiki, not in the index
        self._cache: dict[str, str | None] = {}

    def resolve(self, target: str) -> str | None:
        path = normalise_target(target)
        if not path or path.startswith("../"):
            return None
        if path in self.extra:
            return path
        if path not in self._cache:
            name = posixpath.basename(path)
            rows = self.conn.execute(
                "SELECT path FROM pages WHERE path IN (?, ?) OR path LIKE ? ESCAPE '\\'",
                (path, name, "%/" + _like_escape(name)),
            )
            found = [row[0] for row in rows]
            same = [p for p in found if posixpath.basename(p).casefold() == name.casefold()]
            self._cache[path] = path if path in found else choose(path, same)
        return self._cache[path]


def backlinks(
    conn: sqlite3.Connection, resolver: IndexResolver, path: str, limit: int
) -> list[Neighbour]:
    """Pages whose body links to ``path``, newest first."""
    name = posixpath.basename(path)[:-3]
    terms = query_terms(name)
    if terms:
        phrase = '"' + " ".join(terms).replace('"', '""') + '"'
        rows = conn.execute(
            "SELECT p.path, p.title, p.type, f.body FROM pages_fts AS f"
            " JOIN pages AS p ON p.id = f.rowid WHERE pages_fts MATCH ?"
            " ORDER BY coalesce(p.updated, '') DESC LIMIT ?",
            ("body : " + phrase, BACKLINK_CANDIDATES),
        )
    else:  # a name with no word in it: nothing narrows the search, so read every body
        rows = conn.execute(
            "SELECT p.path, p.title, p.type, f.body FROM pages_fts AS f"
            " JOIN pages AS p ON p.id = f.rowid ORDER BY coalesce(p.updated, '') DESC"
        )
    out: list[Neighbour] = []
    name = posixpath.basename(path).casefold()
    for other, title, kind, body in rows:
        if other == path:
            continue
        if any(link_name(t) == name and resolver.resolve(t) == path for t in link_targets(body)):
            out.append(Neighbour(other, title, kind))
            if len(out) >= limit:
                break
    return out


def _read_indexed(wiki_dir: str, path: str) -> str | None:
    """The work-tree text of a path the index holds (checked when it was indexed, so the full
    ``validate_page_path``, whose ``realpath`` costs more than the read, is not repeated); a
    symlinked file is skipped rather than followed."""
    full = os.path.join(wiki_dir, path)
    try:
        if os.path.islink(full):
            return None
        with open(full, encoding="utf-8-sig", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _front_matter(text: str) -> str:
    if not text.startswith("---"):
        return ""
    end = text.find("\n---", 3)
    return text[: end if end > 0 else 8192]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def shared_tags(
    conn: sqlite3.Connection, path: str, tags: list[str], limit: int
) -> list[Neighbour]:
    """Pages sharing tags with this one: most tags in common first, then rarer tags, newest."""
    if not tags:
        return []
    found: dict[str, tuple[str, str, str, list[str]]] = {}
    weight: dict[str, float] = {}
    total = max(1, fts.page_count(conn))
    for tag in dict.fromkeys(t.strip() for t in tags if t.strip()):
        rows = conn.execute(
            "SELECT path, title, type, coalesce(updated, '') FROM pages"
            " WHERE (',' || tags || ',') LIKE ? ESCAPE '\\' AND path != ?",
            (f"%,{_like_escape(tag)},%", path),
        ).fetchall()
        rarity = 1.0 - len(rows) / (total + 1)  # a tag on every page says little
        for other, title, kind, updated in rows:
            entry = found.setdefault(other, (title, kind, updated, []))
            entry[3].append(tag)
            weight[other] = weight.get(other, 0.0) + 1.0 + rarity
    newest_first = sorted(found, key=lambda p: (found[p][2], p), reverse=True)
    ranked = sorted(newest_first, key=lambda p: -weight[p])[:limit]  # stable: ties stay newest
    return [Neighbour(p, found[p][0], found[p][1], found[p][3]) for p in ranked]


def shared_sessions(
    conn: sqlite3.Connection, wiki_dir: str, path: str, sources: list[str], limit: int
) -> list[Neighbour]:
    """Other pages citing one of ``sources`` (session ids) in their front matter."""
    if not sources:
        return []
    from aimem._hash import short_session_id

    wanted = set(sources)
    candidates: list[str] = []
    for session in wanted:
        short = short_session_id(session)
        rows = conn.execute(
            "SELECT path FROM pages WHERE type IN ('session', 'handoff')"
            " AND path LIKE ? ESCAPE '\\'",
            (f"%-{_like_escape(short)}.md",),
        )
        candidates += [row[0] for row in rows]
    marks = ", ".join("?" * len(KNOWLEDGE_TYPES))
    candidates += [
        row[0]
        for row in conn.execute(
            f"SELECT path FROM pages WHERE type IN ({marks})"
            " ORDER BY coalesce(updated, '') DESC LIMIT ?",
            (*KNOWLEDGE_TYPES, SOURCE_SCAN),
        )
    ]
    shared: dict[str, list[str]] = {}
    for other in dict.fromkeys(candidates):
        if other == path:
            continue
        text = _read_indexed(wiki_dir, other)
        # Parsing YAML costs ~0.25 ms a page, so a substring test on the front matter rules out
        # almost every candidate before it is parsed.
        if text is None or not any(session in _front_matter(text) for session in wanted):
            continue
        common = [s for s in _sources(parse(text, other).meta) if s in wanted]
        if common:
            shared[other] = common
            if len(shared) >= limit:
                break
    return _rows(conn, list(shared), shared)
