"""What happened in a project's memory, newest first: agent sessions and the wiki's commits.

Two sources, both already on disk: the session records (``state/sessions.json`` and its
archive: which agent, when it started, ended, was consolidated) and the wiki's git history
(every consolidation, page write, sweep and unarchive is one commit; people's own commits in the
wiki are there too). A commit's author is git's author; sessions have an agent and no author.
Read-only: nothing is created or locked.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pygit2

from aimem.capture import state
from aimem.project import ProjectPaths

# ``consolidate: codex session 1a2b3c4d (12 observations)``: the agent a commit came from.
CONSOLIDATE_AGENT = re.compile(r"^consolidate: (\S+) session ")
# ``write-page: created decision ...``: the operation before the colon names the event.
OPERATION = re.compile(r"^([a-z][a-z-]{1,30}):")
RELATIVE = re.compile(r"^(\d{1,6})\s*([mhdw])$")
UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass
class Event:
    ts: float
    kind: str  # "session", or the commit's operation: consolidate, write-page, sweep, ...
    summary: str
    agent: str | None = None
    author: str | None = None  # "name <email>" of a commit
    session: str | None = None
    commit: str | None = None
    status: str | None = None  # a session's: open, ended, consolidated, failed
    page: str | None = None  # a consolidated session's page

    def as_dict(self) -> dict:
        return {"time": iso(self.ts), **asdict(self)}


def iso(ts: float) -> str:
    """Local time with its offset, to the second: what people compare with their clock."""
    return dt.datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def parse_since(text: str, now: float | None = None) -> float:
    """A ``--since`` value as a timestamp: ``30m``, ``12h``, ``7d``, ``2w``, ``today``,
    ``yesterday``, or a date or date-time (``2026-11-01``, ``2026-11-01T09:30``; local time
    unless it carries an offset). ``ValueError`` with the accepted forms otherwise."""
    now = time.time() if now is None else now
    value = text.strip().lower()
    relative = RELATIVE.match(value)
    if relative:
        return now - int(relative.group(1)) * UNITS[relative.group(2)]
    if value in ("today", "yesterday"):
        midnight = dt.datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
        days = 1 if value == "yesterday" else 0
        return (midnight - dt.timedelta(days=days)).timestamp()
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--since {text!r}: use 30m, 12h, 7d, 2w, today, yesterday or a date like 2026-11-01"
        ) from None
    return moment.timestamp()  # a naive moment is local time


def commit_events(wiki_dir: str, since: float | None = None) -> Iterator[Event]:
    """The wiki's commits, newest first (by commit time), down to ``since``."""
    if not os.path.isdir(os.path.join(wiki_dir, ".git")):
        return
    try:
        repo = pygit2.Repository(wiki_dir)
    except pygit2.GitError:
        return
    if repo.head_is_unborn:
        return
    # Topological as well as by time: commits made within the same second (a page written,
    # then accepted) keep their real order; time alone would leave ties in any order.
    order = pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME
    for commit in repo.walk(repo.head.target, order):
        if since is not None and commit.commit_time < since:
            return
        message = commit.message.strip()
        first = message.splitlines()[0] if message else ""
        operation = OPERATION.match(first)
        agent = CONSOLIDATE_AGENT.match(first)
        yield Event(
            ts=float(commit.commit_time),
            kind=operation.group(1) if operation else "commit",
            summary=first,
            agent=agent.group(1) if agent else None,
            author=f"{commit.author.name} <{commit.author.email}>",
            commit=str(commit.id),
        )


def session_events(state_dir: str, since: float | None = None) -> list[Event]:
    """One event per recorded session, at its start (or its end when the start is unknown)."""
    out = []
    for session, entry in state.sessions(state_dir, archived=True).items():
        ts = _first_number(entry, "started_ts", "ended_ts", "consolidated_ts")
        if ts is None or (since is not None and ts < since):
            continue
        agent = entry.get("agent") if isinstance(entry.get("agent"), str) else None
        status = str(entry.get("status") or "unknown")
        summary = f"session {session[:8]} {status}"
        ended = _first_number(entry, "ended_ts")
        if ended is not None and ended >= ts:
            summary += f" after {_duration(ended - ts)}"
        page = entry.get("page") if isinstance(entry.get("page"), str) else None
        out.append(
            Event(ts, "session", summary, agent=agent, session=session, status=status, page=page)
        )
    return out


def timeline(
    paths: ProjectPaths,
    *,
    agent: str | None = None,
    author: str | None = None,
    since: float | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Sessions and commits, newest first. ``agent`` keeps that agent's sessions and
    consolidations; ``author`` (part of a commit author's name or email, any case) keeps commits
    only, since a session has no author."""
    events: list[Event] = []
    if author is None:
        events += session_events(paths.state, since)
    needle = author.lower() if author is not None else None
    for event in commit_events(paths.wiki, since):
        if needle is not None and needle not in (event.author or "").lower():
            continue
        events.append(event)
    if agent is not None:
        events = [e for e in events if e.agent == agent]
    events.sort(key=lambda e: (e.ts, e.kind != "session"), reverse=True)
    return events[:limit] if limit is not None else events


def last_activity(paths: ProjectPaths) -> float | None:
    """When the project's memory last changed: its newest commit or session record."""
    times = [e.ts for e in session_events(paths.state)]
    times += [_newest(e, "ended_ts", "consolidated_ts") for e in _entries(paths.state)]
    newest_commit = next(commit_events(paths.wiki), None)
    if newest_commit is not None:
        times.append(newest_commit.ts)
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _entries(state_dir: str) -> list[dict]:
    return list(state.sessions(state_dir, archived=True).values())


def _first_number(entry: dict, *keys: str) -> float | None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None


def _newest(entry: dict, *keys: str) -> float | None:
    found = [_first_number(entry, key) for key in keys]
    known = [t for t in found if t is not None]
    return max(known) if known else None


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
