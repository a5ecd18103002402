"""Small state files: sessions, and the handoff offer's offered -> shown -> claimed life."""

from __future__ import annotations

import json
import os
import time

from aimem.capture import state

PAGE = "handoffs/2026-11-22-fix-login.md"


def write_offer(state_dir, **extra) -> None:
    offer = {
        "status": state.OFFERED,
        "path": PAGE,
        "from_session": "old-session",
        "from_agent": "claude-code",
        "created_ts": time.time(),
        **extra,
    }
    state.write_json_atomic(state.handoff_path(str(state_dir)), offer)


def handoff(state_dir) -> dict:
    return json.loads((state_dir / "handoff.json").read_text())


def test_update_session_merges(tmp_path):
    sdir = tmp_path / "state"
    first = state.update_session(str(sdir), "s1", agent="codex", status="open", started_ts=1.0)
    assert first == {"agent": "codex", "status": "open", "started_ts": 1.0}
    state.update_session(str(sdir), "s2", agent="claude-code", status="open")
    merged = state.update_session(str(sdir), "s1", status="ended", ended_ts=2.0)
    assert merged == {"agent": "codex", "status": "ended", "started_ts": 1.0, "ended_ts": 2.0}
    on_disk = state.sessions(str(sdir))
    assert on_disk["s1"] == merged
    assert on_disk["s2"] == {"agent": "claude-code", "status": "open"}


def test_sessions_ignores_non_object_entries(tmp_path):
    sdir = tmp_path / "state"
    sdir.mkdir()
    (sdir / "sessions.json").write_text('{"a": {"status": "open"}, "b": 3, "c": [1]}')
    assert state.sessions(str(sdir)) == {"a": {"status": "open"}}
    # A non-dict entry is replaced, not merged into.
    assert state.update_session(str(sdir), "b", status="open") == {"status": "open"}


def test_offer_shown_then_claimed_once(tmp_path):
    sdir = tmp_path / "state"
    write_offer(sdir)
    state.record_offer_shown(str(sdir), "s-new", PAGE)
    state.record_offer_shown(str(sdir), "s-new", PAGE)  # shown twice, listed once
    assert handoff(sdir)["shown_to"] == ["s-new"]

    assert state.claim_if_shown(str(sdir), "s-new", "codex") is True
    offer = handoff(sdir)
    assert offer["status"] == state.CLAIMED
    assert offer["claimed_by"]["session"] == "s-new"
    assert offer["claimed_by"]["agent"] == "codex"
    assert offer["path"] == PAGE

    # Nobody claims it again, not even the same session.
    assert state.claim_if_shown(str(sdir), "s-new", "codex") is False
    assert state.claim(str(sdir), "s-other", "claude-code") is False
    assert handoff(sdir)["claimed_by"]["session"] == "s-new"


def test_a_session_that_was_not_shown_cannot_claim(tmp_path):
    sdir = tmp_path / "state"
    write_offer(sdir)
    state.record_offer_shown(str(sdir), "s-shown", PAGE)
    assert state.claim_if_shown(str(sdir), "s-stranger", "codex") is False
    assert handoff(sdir)["status"] == state.OFFERED
    assert state.claim_if_shown(str(sdir), "s-shown", "codex") is True


def test_shown_for_another_page_is_not_recorded(tmp_path):
    sdir = tmp_path / "state"
    write_offer(sdir)
    state.record_offer_shown(str(sdir), "s1", "handoffs/some-older-page.md")
    assert "shown_to" not in handoff(sdir)
    assert state.claim_if_shown(str(sdir), "s1", "codex") is False


def test_no_offer_means_no_claim(tmp_path):
    sdir = tmp_path / "state"
    assert state.claim_if_shown(str(sdir), "s1", "codex") is False
    assert state.current_offer(str(sdir), 7) is None


def test_current_offer_returns_a_fresh_offer(tmp_path):
    sdir = tmp_path / "state"
    write_offer(sdir)
    offer = state.current_offer(str(sdir), max_age_days=7)
    assert offer is not None and offer["path"] == PAGE
    assert handoff(sdir)["status"] == state.OFFERED


def test_current_offer_expires_an_old_offer(tmp_path):
    sdir = tmp_path / "state"
    write_offer(sdir, created_ts=time.time() - 8 * 86400)
    assert state.current_offer(str(sdir), max_age_days=7) is None
    offer = handoff(sdir)
    assert offer["status"] == state.EXPIRED
    assert offer["expired_at"].endswith("Z")
    # An expired offer can no longer be shown or claimed.
    state.record_offer_shown(str(sdir), "s1", PAGE)
    assert state.claim_if_shown(str(sdir), "s1", "codex") is False
    assert state.claim(str(sdir), "s1", "codex") is False


def test_current_offer_uses_the_given_clock(tmp_path):
    sdir = tmp_path / "state"
    write_offer(sdir, created_ts=1_000_000.0)
    assert state.current_offer(str(sdir), 1, now=1_000_000.0 + 3600) is not None
    assert state.current_offer(str(sdir), 1, now=1_000_000.0 + 2 * 86400) is None
    assert handoff(sdir)["status"] == state.EXPIRED


def test_wait_for_consolidation_with_nothing_pending(tmp_path):
    sdir = tmp_path / "state"
    state.update_session(str(sdir), "done", status="consolidated", ended_ts=time.time())
    state.update_session(str(sdir), "old", status="ended", ended_ts=time.time() - 3600)
    started = time.monotonic()
    assert state.wait_for_consolidation(str(sdir), exclude="me", timeout=5) is True
    assert time.monotonic() - started < 1


def test_wait_for_consolidation_times_out_on_a_recent_end(tmp_path):
    sdir = tmp_path / "state"
    state.update_session(str(sdir), "other", status="ended", ended_ts=time.time())
    started = time.monotonic()
    assert state.wait_for_consolidation(str(sdir), exclude="me", timeout=0.15) is False
    waited = time.monotonic() - started
    assert 0.15 <= waited < 2


def test_wait_for_consolidation_returns_once_consolidated(tmp_path):
    import threading

    sdir = tmp_path / "state"
    state.update_session(str(sdir), "other", status="ended", ended_ts=time.time())
    timer = threading.Timer(
        0.2, lambda: state.update_session(str(sdir), "other", status="consolidated")
    )
    timer.start()
    try:
        assert state.wait_for_consolidation(str(sdir), exclude="me", timeout=5) is True
    finally:
        timer.join()


def test_wait_for_consolidation_ignores_own_session(tmp_path):
    sdir = tmp_path / "state"
    state.update_session(str(sdir), "me", status="ended", ended_ts=time.time())
    started = time.monotonic()
    assert state.wait_for_consolidation(str(sdir), exclude="me", timeout=5) is True
    assert time.monotonic() - started < 1


def test_corrupt_or_odd_handoff_reads_as_empty(tmp_path):
    sdir = tmp_path / "state"
    sdir.mkdir()
    path = sdir / "handoff.json"
    for content in (b'{"status": "offe', b"\xff\xfe\x00", b"[1, 2]", b""):
        path.write_bytes(content)
        assert state.read_json(str(path)) == {}
        assert state.current_offer(str(sdir), 7) is None
        assert state.claim_if_shown(str(sdir), "s1", "codex") is False
    assert state.read_json(str(sdir / "missing.json")) == {}


def test_write_json_atomic_leaves_no_temp_files(tmp_path):
    path = tmp_path / "state" / "x.json"
    state.write_json_atomic(str(path), {"é": 1})
    state.write_json_atomic(str(path), {"é": 2})
    assert state.read_json(str(path)) == {"é": 2}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]


def test_sessions_json_stays_bounded_and_old_sessions_stay_known(tmp_path, monkeypatch) -> None:
    """A year of sessions must not make every SessionStart read (and every session change
    rewrite) one entry per session ever seen; consolidated ones move to the archive, where the
    pending-work check still finds them."""
    from aimem.consolidate.run import pending_sessions
    from aimem.project import ProjectPaths

    monkeypatch.setattr(state, "SESSIONS_KEPT", 5)
    paths = ProjectPaths(str(tmp_path / "p"))
    os.makedirs(paths.raw)
    for i in range(40):
        sid = f"s{i:03d}"
        with open(paths.journal(sid), "w") as fh:
            fh.write("{}\n")
        os.utime(paths.journal(sid), (1000 + i, 1000 + i))
        state.update_session(paths.state, sid, status="open")
        state.update_session(paths.state, sid, status="consolidated", consolidated_ts=2000 + i)
    state.update_session(paths.state, "live", status="open")
    current = state.read_json(state.sessions_path(paths.state))
    assert len(current) <= 2 * 5 + 1
    assert "live" in current and "s039" in current  # the newest and the unfinished stay
    everything = state.sessions(paths.state, archived=True)
    assert set(everything) == {f"s{i:03d}" for i in range(40)} | {"live"}
    assert pending_sessions(paths) == []  # archived sessions are done, not unknown
    # A journal that grew after its session was archived is pending again.
    os.utime(paths.journal("s000"), (5000, 5000))
    assert pending_sessions(paths) == ["s000"]
