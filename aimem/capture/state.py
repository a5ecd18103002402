"""Small state files the hook path reads without SQLite or git, changed under a project lock.

- ``state/sessions.json``: ``{session: {agent, status, started, ended, ...}}`` where ``status`` is
  ``open`` -> ``ended`` -> ``consolidated``.
- ``state/handoff.json``: the current handoff offer and who saw or claimed it.

A handoff is *offered* when a SessionStart shows it and *claimed* by the first session that does
real work after seeing it; the claim is an atomic change under ``state/state.lock``, so a second
concurrent session sees it claimed. Standard library only.
"""

from __future__ import annotations

import os
import time

from aimem.capture import jsonfast
from aimem.files import state_lock, write_atomic  # also used as state.state_lock by callers

OFFERED = "offered"
CLAIMED = "claimed"
EXPIRED = "expired"
SUPERSEDED = "superseded"


def now_iso(ts: float | None = None) -> str:
    t = time.time() if ts is None else ts
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


def read_json(path: str) -> dict:
    """A JSON object from ``path``; ``{}`` when missing or unreadable (state is re-derivable)."""
    try:
        with open(path, "rb") as fh:
            value = jsonfast.loads(fh.read())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_json_atomic(path: str, value: dict) -> None:
    """``value`` as JSON (sorted keys, one line: the C encoder, ~10x faster than indenting in
    Python), through ``write_atomic``."""
    from aimem.capture import jsonfast

    write_atomic(path, jsonfast.dumps(value, sort_keys=True).encode("utf-8") + b"\n")


def sessions_path(state_dir: str) -> str:
    return os.path.join(state_dir, "sessions.json")


def handoff_path(state_dir: str) -> str:
    return os.path.join(state_dir, "handoff.json")


# ``sessions.json`` is read at every SessionStart and rewritten at every session change, so it
# must not grow with history: past twice this many entries, consolidated sessions beyond the
# newest ``SESSIONS_KEPT`` move to ``sessions-archive.json`` (read only to find pending work).
SESSIONS_KEPT = 100


def sessions_archive_path(state_dir: str) -> str:
    return os.path.join(state_dir, "sessions-archive.json")


def update_session(state_dir: str, session: str, **changes: object) -> dict:
    """Merge ``changes`` into one session's entry; returns the new entry."""
    with state_lock(state_dir):
        sessions = read_json(sessions_path(state_dir))
        entry = sessions.get(session)
        entry = dict(entry) if isinstance(entry, dict) else {}
        entry.update(changes)
        sessions[session] = entry
        if len(sessions) > 2 * SESSIONS_KEPT:
            _archive_old_sessions(state_dir, sessions)
        write_json_atomic(sessions_path(state_dir), sessions)
        return entry


def _archive_old_sessions(state_dir: str, current: dict) -> None:
    """Move consolidated entries beyond the newest ``SESSIONS_KEPT`` from ``current`` into the
    archive. The archive is written first: a crash in between leaves an entry in both files
    (``sessions`` prefers the current one), never in neither."""
    done = [
        (e.get("consolidated_ts") or 0, s)
        for s, e in current.items()
        if isinstance(e, dict) and e.get("status") == "consolidated"
    ]
    done.sort(key=lambda item: item[0] if isinstance(item[0], (int, float)) else 0)
    old = [s for _, s in done[: max(0, len(done) - SESSIONS_KEPT)]]
    if not old:
        return
    archive = read_json(sessions_archive_path(state_dir))
    for s in old:
        archive[s] = current[s]
    write_json_atomic(sessions_archive_path(state_dir), archive)
    for s in old:
        del current[s]


def sessions(state_dir: str, archived: bool = False) -> dict[str, dict]:
    """Session entries; with ``archived`` also the old consolidated ones moved out of
    ``sessions.json`` (what pending-work checks need: a journal older than any entry is not
    unknown, it is done)."""
    found = read_json(sessions_path(state_dir))
    if archived:
        found = {**read_json(sessions_archive_path(state_dir)), **found}
    return {k: v for k, v in found.items() if isinstance(v, dict)}


LIVE_SPAWN_GRACE = 5.0  # seconds between marking a session ended and recording its child's pid


def process_alive(pid: object) -> bool:
    """Whether ``pid`` is a running process (a zombie, dead but not yet reaped, is not)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read(512)
    except OSError:
        return True  # no procfs: trust kill(0)
    return stat.rpartition(b")")[2][1:2] != b"Z"


def consolidation_live(entry: dict, now: float) -> bool:
    """Whether a consolidation of this session may still finish: it ended recently and the
    consolidation it spawned is alive (or is being spawned right now). A killed or crashed one
    is not waited for."""
    ended = entry.get("ended_ts")
    if entry.get("status") != "ended" or not isinstance(ended, (int, float)):
        return False
    if not 0 <= now - ended < 120:
        return False
    pid = entry.get("consolidate_pid")
    if pid is None:
        return now - ended < LIVE_SPAWN_GRACE
    return process_alive(pid)


def wait_for_consolidation(state_dir: str, exclude: str, timeout: float) -> bool:
    """Wait (bounded) while another session that ended recently is still being consolidated, so
    an agent started right after another one quits gets the fresh handoff. Only a live
    consolidation is waited for. ``True`` if none is left pending."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        now = time.time()
        pending = [
            s for s, e in sessions(state_dir).items() if s != exclude and consolidation_live(e, now)
        ]
        if not pending:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def current_offer(state_dir: str, max_age_days: float, now: float | None = None) -> dict | None:
    """The offered handoff, or ``None``; an offer past its age is marked expired on the way."""
    offer = read_json(handoff_path(state_dir))
    if offer.get("status") != OFFERED:
        return None
    created = offer.get("created_ts")
    now = time.time() if now is None else now
    if isinstance(created, (int, float)) and now - created > max_age_days * 86400:
        with state_lock(state_dir):
            fresh = read_json(handoff_path(state_dir))
            if fresh.get("status") == OFFERED and fresh.get("path") == offer.get("path"):
                fresh["status"] = EXPIRED
                fresh["expired_at"] = now_iso(now)
                write_json_atomic(handoff_path(state_dir), fresh)
        return None
    return offer


def record_offer_shown(state_dir: str, session: str, path: str) -> None:
    """Remember that ``session`` was shown the offer at ``path`` (it may claim it later)."""
    with state_lock(state_dir):
        offer = read_json(handoff_path(state_dir))
        if offer.get("status") != OFFERED or offer.get("path") != path:
            return
        shown = offer.get("shown_to")
        shown = [s for s in shown if isinstance(s, str)] if isinstance(shown, list) else []
        if session not in shown:
            shown.append(session)
            offer["shown_to"] = shown[-50:]
            write_json_atomic(handoff_path(state_dir), offer)


def claim_if_shown(state_dir: str, session: str, agent: str) -> bool:
    """Claim the offer if ``session`` was shown it and nobody claimed it first."""
    offer = read_json(handoff_path(state_dir))  # cheap unlocked check on every prompt/tool event
    shown = offer.get("shown_to")
    if offer.get("status") != OFFERED or not isinstance(shown, list) or session not in shown:
        return False
    return claim(state_dir, session, agent, expected_path=offer.get("path"))


def claim(state_dir: str, session: str, agent: str, expected_path: object = None) -> bool:
    """Atomically move the offer to ``claimed``; ``False`` if it was not (or no longer) offered."""
    with state_lock(state_dir):
        offer = read_json(handoff_path(state_dir))
        if offer.get("status") != OFFERED:
            return False
        if expected_path is not None and offer.get("path") != expected_path:
            return False
        offer["status"] = CLAIMED
        offer["claimed_by"] = {"session": session, "agent": agent, "at": now_iso()}
        write_json_atomic(handoff_path(state_dir), offer)
        return True
