"""Run consolidation: one session (or every pending one) -> pages -> one commit -> index, state.

Under the wiki lock: bring the index up to the wiki's HEAD, build the session and handoff pages,
regenerate ``index.md``, append ``log.md``, commit once, update the index from the diff, then point
``state/handoff.json`` at the new offer. Re-running it on the same journal changes nothing.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

from aimem.capture import journal, state
from aimem.consolidate import catalog
from aimem.consolidate.digest import SessionDigest, digest
from aimem.consolidate.handoff import handoff_page
from aimem.consolidate.session import iso, session_page, session_path
from aimem.index.sync import sync_index
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.lock import wiki_lock
from aimem.wiki.pages import Page, parse, render

log = logging.getLogger("aimem.consolidate")


@dataclass
class Result:
    session: str
    status: str  # committed | unchanged | empty | missing
    commit: str | None = None
    pages: list[str] = field(default_factory=list)
    observations: int = 0
    skipped_lines: int = 0


def consolidate_session(paths: ProjectPaths, project_name: str, session: str) -> Result:
    if not journal.valid_session_id(session):
        raise ValueError(f"invalid session id {session!r}")
    segment = paths.journal(session)
    if not os.path.exists(segment):
        return Result(session, "missing")
    with wiki_lock(paths.state):
        read = journal.read_journal(segment)
        skipped = len(read.bad_lines) + int(read.torn_tail)
        if read.torn_tail:
            log.warning("session %s: torn last journal line skipped", session)
        if read.bad_lines:
            log.warning("session %s: unparsable journal lines skipped: %s", session, read.bad_lines)
        d = digest(read.records)
        if d is None or d.empty:
            state.update_session(
                paths.state, session, status="consolidated", page=None, consolidated_ts=time.time()
            )
            return Result(session, "empty", observations=len(read.records), skipped_lines=skipped)
        try:
            result = _commit_session(paths, project_name, d)
        except Exception as exc:
            # Leave a trace for `aimem status` and let `--pending` retry it later.
            state.update_session(paths.state, session, status="failed", error=str(exc)[:500])
            raise
        result.skipped_lines = skipped
        return result


def _commit_session(paths: ProjectPaths, project_name: str, d: SessionDigest) -> Result:
    repo = wikirepo.open_repo(paths.wiki)
    sync_index(paths.index, paths.wiki)
    session = session_page(d)
    handoff, handoff_changed = _handoff_for(repo, d)
    new_pages = {session.path: render(session), handoff.path: render(handoff)}

    changes: dict[str, bytes | None] = {p: t.encode("utf-8") for p, t in new_pages.items()}
    previous = state.read_json(state.handoff_path(paths.state))
    prev_path = previous.get("path")
    if handoff_changed and isinstance(prev_path, str) and prev_path != handoff.path:
        closed = _close_previous_offer(repo, prev_path, previous.get("status"))
        if closed is not None:
            changes[prev_path] = closed

    entries = catalog.entries_after(paths, [session, handoff])
    changes["index.md"] = catalog.render_index(project_name, entries).encode("utf-8")
    pending = {p: c for p, c in changes.items() if wikirepo.read_file(repo, p) != c}
    if not pending:
        _finish(paths, project_name, d, entries, None)
        return Result(d.session, "unchanged", observations=d.observations)
    line = f"{iso(time.time())} consolidate {d.agent} session {d.short_id}: " + ", ".join(
        sorted(p for p in pending if p != "index.md")
    )
    pending["log.md"] = catalog.log_after(repo, [line])
    message = (
        f"consolidate: {d.agent} session {d.short_id} ({d.observations} observations)\n\n"
        f"{d.title}\n"
    )
    commit = wikirepo.commit_files(repo, pending, message)
    sync_index(paths.index, paths.wiki)
    if handoff_changed:
        offer = {
            "path": handoff.path,
            "from_session": d.session,
            "from_agent": d.agent,
            "created": iso(d.ended),
            "created_ts": d.ended,
            "status": state.OFFERED,
            "shown_to": [],
            "commit": commit,
        }
        with state.state_lock(paths.state):
            state.write_json_atomic(state.handoff_path(paths.state), offer)
    _finish(paths, project_name, d, entries, commit)
    return Result(
        d.session, "committed" if commit else "unchanged", commit, sorted(pending), d.observations
    )


def _handoff_for(repo, d: SessionDigest) -> tuple[Page, bool]:
    """The session's handoff page and whether its content changed. An unchanged journal keeps
    the page's current status (it may have been claimed since), so a re-run commits nothing."""
    fresh = handoff_page(d)
    stored = wikirepo.read_file(repo, fresh.path)
    if stored is None:
        return fresh, True
    status = parse(stored.decode("utf-8", "replace"), fresh.path).meta.get("status")
    if isinstance(status, str) and status != fresh.meta["status"]:
        same = handoff_page(d, status=status)
        if render(same).encode("utf-8") == stored:
            return same, False
    return fresh, render(fresh).encode("utf-8") != stored


def _close_previous_offer(repo, path: str, status: object) -> bytes | None:
    """The previous handoff page with its final status (claimed, expired or superseded)."""
    data = wikirepo.read_file(repo, path)
    if data is None:
        return None
    page = parse(data.decode("utf-8", "replace"), path)
    final = status if status in (state.CLAIMED, state.EXPIRED) else state.SUPERSEDED
    if page.meta.get("status") == final:
        return None
    page.meta["status"] = final
    return render(page).encode("utf-8")


def _finish(
    paths: ProjectPaths,
    project_name: str,
    d: SessionDigest,
    entries: list[catalog.Entry],
    commit: str | None,
) -> None:
    catalog.write_brief(paths, project_name, entries)
    state.update_session(
        paths.state,
        d.session,
        agent=d.agent,
        status="consolidated",
        consolidated_ts=time.time(),
        commit=commit,
        page=session_path(d),
    )


STALE_AFTER = 30 * 60  # an open session silent this long is treated as over


def pending_sessions(paths: ProjectPaths, now: float | None = None) -> list[str]:
    """Sessions whose journal was not consolidated since it last grew: ended ones, and open ones
    silent for ``STALE_AFTER`` (agents without an end event, or one that crashed)."""
    now = time.time() if now is None else now
    known = state.sessions(paths.state)
    out = []
    for session in journal.list_segments(paths.raw):
        entry = known.get(session, {})
        done = entry.get("consolidated_ts")
        try:
            mtime = os.stat(paths.journal(session)).st_mtime
        except FileNotFoundError:
            continue
        if entry.get("status") == "open" and now - mtime < STALE_AFTER:
            continue
        if (
            entry.get("status") != "consolidated"
            or not isinstance(done, (int, float))
            or (mtime > done)
        ):
            out.append(session)
    return out


def consolidate_pending(paths: ProjectPaths, project_name: str) -> list[Result]:
    return [consolidate_session(paths, project_name, s) for s in pending_sessions(paths)]
