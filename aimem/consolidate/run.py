"""Run consolidation: one session (or every pending one) -> pages -> one commit -> index, state.

One memory transaction per session (``memory/transaction.py``): the session page, the handoff
page, the decision and gotcha pages the session wrote down (``written.py``) and the older offers
it closes are its changes; the transaction commits them with
``index.md`` and the log, then updates the index and the brief. After the commit, still under
the lock, ``state/handoff.json`` points at the new offer. Re-running it on the same journal
changes nothing.
"""

from __future__ import annotations

import calendar
import logging
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aimem.capture import journal, state
from aimem.consolidate.digest import SessionDigest, digest
from aimem.consolidate.handoff import handoff_page, handoff_path, prepare_handoff
from aimem.consolidate.session import page_ids, session_page, session_path
from aimem.consolidate.written import written_pages
from aimem.memory.transaction import Transaction, transaction
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.catalog import iso
from aimem.wiki.killpoint import killpoint
from aimem.wiki.pages import ARCHIVE_DIR, Page, parse, render

if TYPE_CHECKING:
    from aimem.compile.run import CompileResult, RunState

log = logging.getLogger("aimem.consolidate")


@dataclass
class Result:
    session: str
    status: str  # committed | unchanged | empty | missing
    commit: str | None = None
    pages: list[str] = field(default_factory=list)
    observations: int = 0
    skipped_lines: int = 0
    llm: CompileResult | None = None  # the LLM step after it (``None``: not run)


def consolidate_session(
    paths: ProjectPaths,
    project_name: str,
    session: str,
    *,
    run_state: RunState | None = None,
    retry_llm: bool = False,
) -> Result:
    """Consolidate ``session`` (zero-LLM, one commit), then, with the wiki lock released, run
    the LLM step on it (``aimem.compile``): additive, never fatal, and a no-op returning
    ``skipped`` at once unless ``AIMEM_LLM`` is set. ``run_state`` is shared by the sessions of
    one run, so an auth or quota error stops every further call."""
    result = _consolidate(paths, project_name, session)
    if result.status in ("committed", "unchanged"):
        # Lazy: the compile package (and the anthropic SDK it may load) is never on the hook
        # path, and the network call runs outside any lock (the step takes the lock itself).
        from aimem.compile.run import compile_session

        result.llm = compile_session(paths, project_name, session, run=run_state, retry=retry_llm)
    return result


def _consolidate(paths: ProjectPaths, project_name: str, session: str) -> Result:
    if not journal.valid_session_id(session):
        raise ValueError(f"invalid session id {session!r}")
    segment = paths.journal(session)
    if not os.path.exists(segment):
        return Result(session, "missing")
    with transaction(paths, project_name, "consolidate") as txn:
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
            result = _commit_session(paths, txn, d)
        except Exception as exc:
            # Leave a trace for `aimem status` and let `--pending` retry it later.
            state.update_session(paths.state, session, status="failed", error=str(exc)[:500])
            raise
        result.skipped_lines = skipped
        return result


def _commit_session(paths: ProjectPaths, txn: Transaction, d: SessionDigest) -> Result:
    """The session's changes: its session and handoff pages, and the previous offers its new
    offer closes; then, after the commit, the offer in ``state/handoff.json``."""
    repo = txn.repo
    offered = offered_handoffs(paths)
    reconcile_offer(paths, repo, offered)
    short = page_id(repo, d)
    previous = state.read_json(state.handoff_path(paths.state))
    # Files changed in the project's repository since SessionStart's commit, and the open items
    # the previous offer hands on: both pages below use them.
    prepare_handoff(d, repo, previous)
    session = session_page(d, short)
    prev_path = previous.get("path")
    if _offer_is_newer(previous, d):
        # Consolidated late (its consolidation was killed, or it went stale): its handoff is
        # recorded but must not take the offer from a session that ended after it.
        handoff, handoff_changed = _late_handoff(repo, d, short), False
    else:
        handoff, handoff_changed = _handoff_for(repo, d, short)
    txn.write(session)
    txn.write(handoff)
    # "Decision: …" / "Gotcha: …" written down in the session: pages in the same commit.
    for page in written_pages(txn.read_page, d, short):
        txn.write(page)
    if handoff_changed:
        # The new offer replaces every other one: the previous offer, and any handoff an
        # interrupted run or an older aimem left marked offered.
        for path in dict.fromkeys([*([prev_path] if isinstance(prev_path, str) else []), *offered]):
            if path == handoff.path:
                continue
            status = previous.get("status") if path == prev_path else None
            closed = _close_previous_offer(txn, path, status)
            if closed is not None:
                txn.write(closed)

    txn.log(f"consolidate {d.agent} session {short}: " + ", ".join(txn.changed()))
    message = f"consolidate: {d.agent} session {short} ({d.observations} observations)\n\n"
    done = txn.commit(message + f"{d.title}\n")
    if done.commit and handoff_changed:
        offer = {
            "path": handoff.path,
            "from_session": d.session,
            "from_agent": d.agent,
            "created": iso(d.ended),
            "created_ts": d.ended,
            "status": state.OFFERED,
            "shown_to": [],
            "commit": done.commit,
        }
        with state.state_lock(paths.state):
            state.write_json_atomic(state.handoff_path(paths.state), offer)
        killpoint("consolidate.offered")
    state.update_session(
        paths.state,
        d.session,
        agent=d.agent,
        status="consolidated",
        consolidated_ts=time.time(),
        commit=done.commit,
        page=session.path,
    )
    status = "committed" if done.commit else "unchanged"
    return Result(d.session, status, done.commit, done.paths, d.observations)


def _offer_is_newer(offer: dict, d: SessionDigest) -> bool:
    """Whether the current (or last) offer came from another session that ended after ``d``."""
    created = offer.get("created_ts")
    return (
        offer.get("from_session") != d.session
        and isinstance(created, (int, float))
        and created > d.ended
    )


def _late_handoff(repo, d: SessionDigest, short: str) -> Page:  # noqa: ANN001
    """The handoff of a session consolidated after a newer offer: closed, keeping the final
    status its page already has (claimed or expired), superseded otherwise."""
    stored = wikirepo.read_file(repo, handoff_path(d, short))
    status = None
    if stored is not None:
        path = handoff_path(d, short)
        status = parse(stored.decode("utf-8", "replace"), path).meta.get("status")
    final = status if status in (state.CLAIMED, state.EXPIRED) else state.SUPERSEDED
    return handoff_page(d, status=final, short=short)


def _handoff_for(repo, d: SessionDigest, short: str) -> tuple[Page, bool]:
    """The session's handoff page and whether its content changed. An unchanged journal keeps
    the page's current status (it may have been claimed since), so a re-run commits nothing."""
    fresh = handoff_page(d, short=short)
    stored = wikirepo.read_file(repo, fresh.path)
    if stored is None:
        return fresh, True
    status = parse(stored.decode("utf-8", "replace"), fresh.path).meta.get("status")
    if isinstance(status, str) and status != fresh.meta["status"]:
        same = handoff_page(d, status=status, short=short)
        if render(same).encode("utf-8") == stored:
            return same, False
    return fresh, render(fresh).encode("utf-8") != stored


def _close_previous_offer(txn: Transaction, path: str, status: object) -> Page | None:
    """The previous handoff page with its final status (claimed, expired or superseded)."""
    page = txn.read_page(path)
    if page is None:
        return None
    final = status if status in (state.CLAIMED, state.EXPIRED) else state.SUPERSEDED
    if page.meta.get("status") == final:
        return None
    page.meta["status"] = final
    return page


def page_id(repo, d: SessionDigest) -> str:  # noqa: ANN001 - a pygit2.Repository
    """The id this session's pages are named by (``session.page_ids``): the first whose session
    and handoff pages are free or already this session's (checked in their front matter, live
    or archived), preferring one that is its own, so a page path never passes to another session
    and a session re-consolidated (resumed, or after a crash) finds its pages again."""
    free = None
    for short in page_ids(d.session):
        owners = [
            _owner(repo, session_path(d, short), "session"),
            _owner(repo, handoff_path(d, short), "from_session"),
        ]
        if any(o not in (None, d.session) for o in owners):
            continue
        if d.session in owners:
            return short
        free = free or short
    return free or page_ids(d.session)[-1]


def _owner(repo, rel: str, key: str) -> str | None:  # noqa: ANN001 - a pygit2.Repository
    """The session a page at ``rel`` (or its archived copy) belongs to; ``None`` if there is no
    such page, ``""`` for a page that names none."""
    found = None
    for path in (rel, ARCHIVE_DIR + rel):
        data = wikirepo.read_file(repo, path)
        if data is None:
            continue
        owner = parse(data.decode("utf-8", "replace"), path).meta.get(key)
        if owner != found and found is not None:
            return ""  # the live page and its archived copy disagree: take neither
        found = owner if isinstance(owner, str) else ""
    return found


def offered_handoffs(paths: ProjectPaths) -> list[str]:
    """Handoff pages marked ``offered`` at HEAD, newest first (the index is synced to HEAD).
    Normally one: each consolidation closes the others in the commit that makes its offer."""
    from aimem.index import fts

    conn = fts.connect(paths.index)
    try:
        rows = conn.execute(
            "SELECT path FROM pages WHERE type = 'handoff' AND status = ?"
            " ORDER BY coalesce(created, '') DESC, path DESC",
            (state.OFFERED,),
        ).fetchall()
    finally:
        conn.close()
    return [row[0] for row in rows]


def reconcile_offer(paths: ProjectPaths, repo, offered: list[str]) -> None:  # noqa: ANN001
    """Bring ``state/handoff.json`` in line with the committed wiki. A run killed between its
    commit and the state write leaves the offer pointing at a page the commit closed (or at an
    older version of a re-offered page): the newest handoff still offered at HEAD is then the
    offer. An offer whose page is gone, with nothing offered in its place, is dropped."""
    path = state.handoff_path(paths.state)
    current = state.read_json(path)
    current_path = current.get("path")
    if offered:
        if current_path in offered:
            data = wikirepo.read_file(repo, current_path)
            meta = parse(data.decode("utf-8", "replace"), current_path).meta if data else {}
            if str(meta.get("created", "")) == str(current.get("created", "")):
                return  # state and wiki agree
        newest = offered[0]
        data = wikirepo.read_file(repo, newest)
        if data is None:
            return
        meta = parse(data.decode("utf-8", "replace"), newest).meta
        created = str(meta.get("created", ""))
        offer = {
            "path": newest,
            "from_session": str(meta.get("from_session", "")),
            "from_agent": str(meta.get("from_agent", "")),
            "created": created,
            "created_ts": _timestamp(created),
            "status": state.OFFERED,
            "shown_to": [],
            "commit": wikirepo.head_commit(repo),
        }
        log.warning("handoff offer recovered from the wiki: %s (was %s)", newest, current_path)
    elif (
        current.get("status") == state.OFFERED
        and isinstance(current_path, str)
        and wikirepo.read_file(repo, current_path) is None
    ):
        offer = {}
        log.warning("handoff offer dropped: %s is not in the wiki", current_path)
    else:
        return
    with state.state_lock(paths.state):
        state.write_json_atomic(path, offer)


def _timestamp(stamp: str) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return None


STALE_AFTER = 30 * 60  # an open session silent this long is treated as over


def pending_sessions(paths: ProjectPaths, now: float | None = None) -> list[str]:
    """Sessions whose journal was not consolidated since it last grew: ended ones, and open ones
    silent for ``STALE_AFTER`` (agents without an end event, or one that crashed)."""
    now = time.time() if now is None else now
    known = state.sessions(paths.state, archived=True)
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


def consolidate_pending(
    paths: ProjectPaths,
    project_name: str,
    *,
    run_state: RunState | None = None,
    retry_llm: bool = False,
) -> list[Result]:
    from aimem.compile.run import RunState

    run_state = RunState() if run_state is None else run_state  # one per run: see above
    return [
        consolidate_session(paths, project_name, s, run_state=run_state, retry_llm=retry_llm)
        for s in pending_sessions(paths)
    ]
