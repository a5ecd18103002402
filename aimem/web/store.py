"""What the web view reads, opened so that nothing can be written.

- The index: ``fts.connect_readonly`` (SQLite ``mode=ro``, ``query_only``). The web process never
  creates, repairs or syncs it: a missing or stale index is reported on the page instead.
- The state files (``handoff.json``, ``sessions.json``): read as JSON, never through the helpers
  that expire or claim an offer on the way.
- The wiki's git repository: see ``history``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aimem.capture import state
from aimem.index import fts
from aimem.index.reads import is_fresh, wiki_head
from aimem.project import ProjectPaths, list_projects

SESSION_AGENTS = ("claude-code", "codex", "gemini", "cursor", "opencode")


class NotFound(LookupError):
    """No such project, page, version or view: the server answers 404 with this message."""


@dataclass(frozen=True)
class ProjectRef:
    slug: str
    name: str
    paths: ProjectPaths


@dataclass
class Site:
    """What one ``aimem web`` serves: the data root and which projects (``only``: those slugs;
    ``None``: every project). ``cache`` holds results derived from a wiki HEAD (the lint
    summary), so they are computed once per commit rather than once per request."""

    home: str
    only: tuple[str, ...] | None = None
    max_offer_age_days: float = 7.0
    cache: dict = field(default_factory=dict)

    def projects(self) -> list[ProjectRef]:
        out = []
        for slug, paths, meta in list_projects(self.home):
            if self.only is not None and slug not in self.only:
                continue
            out.append(ProjectRef(slug, str(meta.get("name") or slug), paths))
        return out

    def project(self, slug: str) -> ProjectRef:
        for ref in self.projects():
            if ref.slug == slug:
                return ref
        raise NotFound(f"no project {slug!r} here")


@dataclass
class IndexState:
    """The project's index as the view may use it: ``conn`` is ``None`` when it cannot be read
    (``problem`` says why); ``stale`` when it lags the wiki's HEAD (results may miss the newest
    pages until an aimem command syncs it)."""

    conn: sqlite3.Connection | None
    problem: str = ""
    stale: bool = False


@contextmanager
def open_index(paths: ProjectPaths) -> Iterator[IndexState]:
    """The index read-only, or the reason it cannot be read (never created here)."""
    try:
        conn = fts.connect_readonly(paths.index)
    except fts.IndexUnavailable as exc:
        yield IndexState(None, f"{exc}: run `aimem reindex` to build it")
        return
    except (sqlite3.DatabaseError, OSError) as exc:
        yield IndexState(None, f"the index cannot be read ({exc}): run `aimem reindex`")
        return
    try:
        try:
            stale = not is_fresh(conn, paths.wiki)
        except sqlite3.DatabaseError as exc:
            yield IndexState(None, f"the index cannot be read ({exc}): run `aimem reindex`")
            return
        yield IndexState(conn, "", stale)
    finally:
        conn.close()


@dataclass
class Offer:
    """The current handoff as ``state/handoff.json`` records it, with its age applied but not
    written back (SessionStart expires it for real)."""

    path: str
    status: str
    from_agent: str
    from_session: str
    created: str
    claimed_by: dict | None

    @property
    def pending(self) -> bool:
        return self.status == state.OFFERED


def current_offer(
    paths: ProjectPaths, max_age_days: float, now: float | None = None
) -> Offer | None:
    offer = state.read_json(state.handoff_path(paths.state))
    path = offer.get("path")
    if not isinstance(path, str):
        return None
    status = str(offer.get("status", ""))
    created_ts = offer.get("created_ts")
    now = time.time() if now is None else now
    if (
        status == state.OFFERED
        and isinstance(created_ts, (int, float))
        and now - created_ts > max_age_days * 86400
    ):
        status = state.EXPIRED
    claimed = offer.get("claimed_by")
    return Offer(
        path=path,
        status=status,
        from_agent=str(offer.get("from_agent", "")),
        from_session=str(offer.get("from_session", "")),
        created=str(offer.get("created", "")),
        claimed_by=claimed if isinstance(claimed, dict) else None,
    )


def session_count(paths: ProjectPaths) -> int:
    """Sessions the project's state knows (open, consolidated and archived)."""
    return len(state.sessions(paths.state, archived=True))


def head(paths: ProjectPaths) -> str | None:
    return wiki_head(paths.wiki)


def has_wiki(paths: ProjectPaths) -> bool:
    return os.path.isdir(os.path.join(paths.wiki, ".git"))


# --- queries on a read-only index connection -------------------------------------------------


@dataclass(frozen=True)
class Row:
    path: str
    title: str
    type: str
    updated: str
    status: str = ""
    pinned: bool = False


_ROW = "SELECT path, title, type, coalesce(updated, ''), coalesce(status, ''), pinned FROM pages"


def _rows(conn: sqlite3.Connection, where: str, params: tuple = ()) -> list[Row]:
    return [
        Row(p, t, k, u, s, bool(pin))
        for p, t, k, u, s, pin in conn.execute(f"{_ROW} {where}", params)
    ]


def pinned_pages(conn: sqlite3.Connection, limit: int = 50) -> list[Row]:
    return _rows(conn, "WHERE pinned = 1 ORDER BY coalesce(updated, '') DESC LIMIT ?", (limit,))


def rules(conn: sqlite3.Connection, accepted: bool, limit: int = 50) -> list[Row]:
    """Rules in force (anything but proposed, superseded or archived) or proposed ones."""
    test = "NOT IN ('proposed', 'superseded', 'archived')" if accepted else "= 'proposed'"
    return _rows(
        conn,
        f"WHERE type = 'rule' AND coalesce(status, '') {test}"
        " ORDER BY coalesce(updated, '') DESC LIMIT ?",
        (limit,),
    )


def count_where(conn: sqlite3.Connection, where: str, params: tuple = ()) -> int:
    return int(conn.execute(f"SELECT count(*) FROM pages WHERE {where}", params).fetchone()[0])


def last_updated(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT max(coalesce(updated, '')) FROM pages").fetchone()
    return str(row[0] or "")


def folder_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Pages under each folder (recursively), ``""`` being the wiki's root."""
    counts: dict[str, int] = {}
    for (path,) in conn.execute("SELECT path FROM pages"):
        parts = path.split("/")[:-1]
        counts[""] = counts.get("", 0) + 1
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            counts[key] = counts.get(key, 0) + 1
    return counts


def folder_pages(conn: sqlite3.Connection, folder: str, limit: int = 1000) -> list[Row]:
    """Pages directly inside ``folder`` ("" for the root), newest first."""
    prefix = folder.strip("/") + "/" if folder.strip("/") else ""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return _rows(
        conn,
        "WHERE path LIKE ? ESCAPE '\\' AND instr(substr(path, ?), '/') = 0"
        " ORDER BY coalesce(updated, '') DESC, path LIMIT ?",
        (escaped + "%", len(prefix) + 1, limit),
    )


def pages_of_type(conn: sqlite3.Connection, kind: str, limit: int, agent: str = "") -> list[Row]:
    """Pages of one type, newest first; for sessions, optionally one agent's (the agent is part
    of a session page's file name: ``sessions/<date>-<agent>-<short id>.md``)."""
    if agent:
        pattern = f"%-{agent}-%".replace("_", "\\_")
        return _rows(
            conn,
            "WHERE type = ? AND path LIKE ? ESCAPE '\\'"
            " ORDER BY coalesce(updated, '') DESC, path DESC LIMIT ?",
            (kind, pattern, limit),
        )
    return _rows(
        conn, "WHERE type = ? ORDER BY coalesce(updated, '') DESC, path DESC LIMIT ?", (kind, limit)
    )


def statuses(conn: sqlite3.Connection, paths: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for start in range(0, len(paths), 500):
        chunk = paths[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        out.update(
            conn.execute(
                f"SELECT path, coalesce(status, '') FROM pages WHERE path IN ({marks})", chunk
            )
        )
    return out


def all_statuses(conn: sqlite3.Connection) -> list[str]:
    return [
        s
        for (s,) in conn.execute("SELECT DISTINCT status FROM pages WHERE status != '' ORDER BY 1")
    ]


def session_agent(path: str) -> str:
    """The agent in a session page's file name, ``""`` when it names none."""
    name = os.path.basename(path)
    for agent in SESSION_AGENTS:
        if f"-{agent}-" in name:
            return agent
    return ""


@dataclass
class Document:
    """One page as the static export's client-side search needs it."""

    project: str
    path: str
    title: str
    type: str
    status: str
    text: str


def documents(conn: sqlite3.Connection, project: str) -> Iterator[Document]:
    """Every indexed page with its indexed text (front matter stripped), by path."""
    rows = conn.execute(
        "SELECT p.path, p.title, p.type, coalesce(p.status, ''), f.body FROM pages AS p"
        " JOIN pages_fts AS f ON f.rowid = p.id ORDER BY p.path"
    )
    for path, title, kind, status, body in rows:
        yield Document(project, path, title, kind, status, body)
