"""What an agent asks of memory: search it, read a page, see what happened lately, pick up the
handoff. The MCP tools and the CLI are thin layers over these functions.

Results are compact on purpose (paths, titles, short snippets): an agent pays for every token it
is handed, so only ``read_page`` returns a whole page.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass, field

from aimem.capture import state
from aimem.index import fts
from aimem.index.graph import Neighbourhood
from aimem.index.graph import explore as neighbourhood
from aimem.index.query import query_terms
from aimem.index.reads import PageRow, recent_pages, reinforce, with_index
from aimem.project import ProjectPaths
from aimem.wiki.pages import Page, parse
from aimem.wiki.read import PageNotFound, load_page, read_text

log = logging.getLogger("aimem.recall")

# A page longer than this is cut in the answer (the file stays whole). Claude Code warns when a
# tool result passes 10k tokens, and the body travels twice (text and structured content).
MAX_PAGE_CHARS = 20_000
SUMMARY_CHARS = 600
KNOWLEDGE_TYPES = ("rule", "decision", "gotcha", "concept")


class EmptyQuery(ValueError):
    """A query with no word to search for."""


def query(
    paths: ProjectPaths, text: str, *, type: str | None = None, limit: int = 10, project: str = ""
) -> list[fts.SearchHit]:
    """Ranked hits for ``text``; the index is synced first if the wiki moved past it."""
    if not isinstance(text, str) or not query_terms(text):
        raise EmptyQuery("query has no words to search for: give a few keywords")
    return with_index(
        paths.index,
        paths.wiki,
        lambda conn: fts.search(conn, text, type=type, limit=limit, project=project),
    )


@dataclass
class ReadPage:
    page: Page
    text: str  # the page as stored (front matter and body), cut at ``MAX_PAGE_CHARS``
    truncated: bool
    reinforced: bool


def read_page(paths: ProjectPaths, path: str, now: float | None = None) -> ReadPage:
    """The page at ``path`` from the wiki, and one (throttled) reinforcement in the index.
    Raises ``PagePathError`` or ``PageNotFound``."""
    rel, text = read_text(paths.wiki, path)
    page = parse(text, rel)
    truncated = len(text) > MAX_PAGE_CHARS
    if truncated:
        text = text[:MAX_PAGE_CHARS].rstrip() + "\n…(cut: the page is longer)\n"
        page.body = page.body[:MAX_PAGE_CHARS].rstrip() + "\n…(cut: the page is longer)\n"
    return ReadPage(page, text, truncated, _reinforce(paths, page.path, now))


def _reinforce(paths: ProjectPaths, path: str, now: float | None) -> bool:
    """Reading a page never depends on the index: a missing, broken or read-only one only skips
    the count."""
    if not fts.writable(paths.index):
        return False
    try:
        conn = fts.connect(paths.index)
    except (sqlite3.DatabaseError, fts.IndexUnavailable, OSError) as exc:
        log.warning("read of %s not counted: %s", path, exc)
        return False
    try:
        return reinforce(conn, path, now)
    finally:
        conn.close()


def suggest_paths(paths: ProjectPaths, missing: str, limit: int = 3) -> list[str]:
    """Pages an agent may have meant when asking for a path that does not exist."""
    words = " ".join(re.split(r"[/_.\-]+", missing.removesuffix(".md")))
    if not query_terms(words):
        return []
    try:
        return with_index(
            paths.index,
            paths.wiki,
            lambda conn: [hit.path for hit in fts.search(conn, words, limit=limit)],
            fresh=False,
        )
    except Exception:  # noqa: BLE001 - suggestions are a courtesy
        return []


def explore(paths: ProjectPaths, path: str, limit: int = 10) -> Neighbourhood:
    """Links, backlinks, shared tags and shared sessions of the page at ``path``."""
    return with_index(
        paths.index, paths.wiki, lambda conn: neighbourhood(conn, paths.wiki, path, limit)
    )


def _neighbour_lines(label: str, rows: list[dict], shared_label: str = "") -> list[str]:
    if not rows:
        return []
    out = [f"{label}:"]
    for row in rows:
        extra = f" [{shared_label}: {', '.join(row['shared'])}]" if row.get("shared") else ""
        out.append(f"- [{row['type'] or '?'}] {row['title']} — {row['path']}{extra}")
    return out


def neighbourhood_text(data: dict) -> str:
    """``explore`` as compact text: one line per related page (MCP and CLI show the same)."""
    lines = [f"{data['title']} — {data['path']} ({data['type']}, project {data['project']})"]
    lines += _neighbour_lines("links to", data["links"])
    if data["broken_links"]:
        lines.append("broken links: " + ", ".join(f"[[{t}]]" for t in data["broken_links"]))
    lines += _neighbour_lines("linked from", data["backlinks"])
    lines += _neighbour_lines("shares tags with", data["shared_tags"], "tags")
    lines += _neighbour_lines("from the same sessions", data["shared_sessions"], "sessions")
    if len(lines) == 1:
        lines.append("no related pages found")
    return "\n".join(lines)


@dataclass
class HandoffInfo:
    path: str
    status: str
    from_agent: str
    from_session: str
    created: str
    summary: str
    claimed_by: dict | None = None


@dataclass
class Recent:
    sessions: list[PageRow]
    knowledge: list[PageRow]
    handoff: HandoffInfo | None
    pending_sessions: list[str] = field(default_factory=list)


def section(body: str, heading: str, limit: int = SUMMARY_CHARS) -> str:
    """The text under ``## heading`` (up to the next heading), flattened and cut to ``limit``."""
    match = re.search(rf"^##\s+{re.escape(heading)}\s*$(.*?)(?=^#|\Z)", body, re.M | re.S)
    text = " ".join(match.group(1).split()) if match else ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def handoff_info(paths: ProjectPaths, offer: dict) -> HandoffInfo | None:
    path = offer.get("path")
    if not isinstance(path, str):
        return None
    try:
        summary = section(load_page(paths.wiki, path).body, "Summary")
    except (PageNotFound, ValueError):
        summary = ""
    claimed = offer.get("claimed_by")
    return HandoffInfo(
        path=path,
        status=str(offer.get("status", "")),
        from_agent=str(offer.get("from_agent", "")),
        from_session=str(offer.get("from_session", "")),
        created=str(offer.get("created", "")),
        summary=summary,
        claimed_by=claimed if isinstance(claimed, dict) else None,
    )


def recent(paths: ProjectPaths, limit: int = 5, max_offer_age_days: float = 7.0) -> Recent:
    """The latest sessions, the latest rules/decisions/gotchas/concepts, the current handoff (an
    offer past its age is expired on the way, as at SessionStart) and sessions not yet
    consolidated."""
    from aimem.consolidate.run import pending_sessions

    sessions, knowledge = with_index(
        paths.index,
        paths.wiki,
        lambda conn: (
            recent_pages(conn, ("session",), limit),
            recent_pages(conn, KNOWLEDGE_TYPES, limit),
        ),
    )
    state.current_offer(paths.state, max_offer_age_days)  # expires a stale offer
    offer = state.read_json(state.handoff_path(paths.state))
    return Recent(
        sessions=sessions,
        knowledge=knowledge,
        handoff=handoff_info(paths, offer) if offer else None,
        pending_sessions=pending_sessions(paths),
    )


@dataclass
class HandoffStart:
    claimed: bool
    handoff: HandoffInfo | None
    page: str  # the handoff page's body ("" without a handoff)
    reason: str  # why nothing was claimed ("" when claimed)


def begin_handoff(
    paths: ProjectPaths,
    session: str,
    agent: str,
    max_offer_age_days: float = 7.0,
    now: float | None = None,
) -> HandoffStart:
    """Show the pending handoff and claim it for ``session`` (atomically: of two sessions asking
    at once, one gets it). Without an offer, say why and show the latest handoff's state."""
    offer = state.current_offer(paths.state, max_offer_age_days, now)
    if offer is None:
        latest = state.read_json(state.handoff_path(paths.state))
        info = handoff_info(paths, latest) if latest else None
        if info is None:
            reason = "no handoff has been recorded in this project yet"
        elif info.status == state.CLAIMED:
            who = info.claimed_by or {}
            reason = f"the latest handoff was already claimed by {who.get('agent', 'another')} "
            reason += f"session {who.get('session', '?')} at {who.get('at', '?')}"
        else:
            reason = f"the latest handoff is {info.status}, not offered"
        return HandoffStart(False, info, "", reason)
    info = handoff_info(paths, offer)
    try:
        body = load_page(paths.wiki, str(offer.get("path"))).body
    except (PageNotFound, ValueError):
        body = ""
    claimed = state.claim(paths.state, session, agent, expected_path=offer.get("path"))
    fresh = state.read_json(state.handoff_path(paths.state))
    info = handoff_info(paths, fresh) or info
    reason = "" if claimed else "another session claimed it a moment earlier"
    return HandoffStart(claimed, info, body, reason)
