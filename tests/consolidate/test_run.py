"""Consolidation in-process: journal -> pages -> one git commit -> index -> handoff offer.

Real files, real git (pygit2), real SQLite; no subprocess.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from aimem.capture import state
from aimem.capture.journal import append_line
from aimem.capture.observation import Observed, build, encode
from aimem.consolidate.run import (
    STALE_AFTER,
    consolidate_pending,
    consolidate_session,
    pending_sessions,
)
from aimem.index import fts
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import parse

CWD = "/work/proj"
FIRST = "5f0c2a9e-1b7d-4c3e-9a8f-0123456789ab"
SECOND = "019a2057-655f-76b0-865f-3c2d1e0f9a8b"


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    return ProjectPaths(str(tmp_path / "data" / "projects" / "proj-12345678"))


def add(paths: ProjectPaths, session: str, kind: str, agent: str = "claude-code", **fields) -> dict:
    """Append one journal record the way the hook does (build, encode, locked append)."""
    key = f"{kind}-{time.monotonic_ns()}"
    record = build(agent, kind, Observed(kind, session, CWD, fields, key=key), "proj")
    assert append_line(paths.journal(session), encode(record), record["id"])
    return record


def work_session(paths: ProjectPaths, session: str, prompt: str, agent: str = "claude-code"):
    add(paths, session, "session_start", agent, source="startup")
    add(paths, session, "prompt", agent, text=prompt)
    add(paths, session, "tool_use", agent, tool="Bash", input="pytest -q")
    add(paths, session, "tool_error", agent, tool="Bash", input="pytest -q", error="Exit code 1")
    add(paths, session, "tool_use", agent, tool="Edit", input="fix", files=[f"{CWD}/src/cfg.py"])
    add(paths, session, "tool_result", agent, tool="Edit", input="fix", output="ok")
    add(paths, session, "stop", agent, message="Fixed. Should I also update the docs?")
    add(paths, session, "session_end", agent, reason="exit")


def commits(paths: ProjectPaths) -> int:
    if not os.path.isdir(os.path.join(paths.wiki, ".git")):
        return 0
    return wikirepo.commit_count(wikirepo.open_repo(paths.wiki, create=False))


def offer(paths: ProjectPaths) -> dict:
    return state.read_json(state.handoff_path(paths.state))


def page_meta(paths: ProjectPaths, rel: str) -> dict:
    return parse(Path(paths.wiki, rel).read_text(encoding="utf-8"), rel).meta


def handoff_of(result) -> str:
    (path,) = [
        p
        for p in result.pages
        if p.startswith("handoffs/") and p.endswith(result.session[-8:] + ".md")
    ]
    return path


def test_consolidating_a_session_commits_pages_and_offers_the_handoff(
    paths: ProjectPaths,
) -> None:
    work_session(paths, FIRST, "Refactor parse_config so YAML anchors survive")
    result = consolidate_session(paths, "proj", FIRST)

    assert result.status == "committed"
    assert result.commit and result.observations == 8 and result.skipped_lines == 0
    assert commits(paths) == 1
    repo = wikirepo.open_repo(paths.wiki, create=False)
    assert wikirepo.head_commit(repo) == result.commit
    session_page = next(p for p in result.pages if p.startswith("sessions/"))
    handoff = handoff_of(result)
    day_log = next(p for p in result.pages if p.startswith("log/"))  # log/YYYY-MM/YYYY-MM-DD.md
    assert sorted(result.pages) == sorted([session_page, handoff, "index.md", "log.md", day_log])
    for rel in result.pages:
        assert Path(paths.wiki, rel).is_file(), rel
        assert wikirepo.read_file(repo, rel) == Path(paths.wiki, rel).read_bytes()
    assert session_page.endswith(f"-claude-code-{FIRST[-8:]}.md")
    assert handoff.endswith(f"-{FIRST[-8:]}.md")
    assert "Refactor parse_config" in Path(paths.wiki, "index.md").read_text()
    assert FIRST[-8:] in Path(paths.wiki, "log.md").read_text()
    assert FIRST[-8:] in Path(paths.wiki, day_log).read_text()

    meta = page_meta(paths, handoff)
    assert meta["status"] == "offered" and meta["from_session"] == FIRST
    current = offer(paths)
    assert current["path"] == handoff
    assert current["status"] == state.OFFERED
    assert current["from_session"] == FIRST and current["from_agent"] == "claude-code"
    assert current["commit"] == result.commit
    assert state.sessions(paths.state)[FIRST]["status"] == "consolidated"
    assert "1 handoffs, 1 sessions" in Path(paths.state, "brief.md").read_text()

    # The derived index already holds both pages.
    conn = fts.connect(paths.index)
    try:
        hits = fts.search(conn, "parse_config anchors")
    finally:
        conn.close()
    assert {h.path for h in hits} == {session_page, handoff}


def test_a_second_run_changes_nothing(paths: ProjectPaths) -> None:
    work_session(paths, FIRST, "Refactor parse_config")
    first = consolidate_session(paths, "proj", FIRST)
    log_before = Path(paths.wiki, "log.md").read_bytes()
    offer_before = offer(paths)

    again = consolidate_session(paths, "proj", FIRST)
    assert again.status == "unchanged" and again.commit is None
    assert commits(paths) == 1
    assert wikirepo.head_commit(wikirepo.open_repo(paths.wiki)) == first.commit
    assert Path(paths.wiki, "log.md").read_bytes() == log_before
    assert offer(paths) == offer_before
    assert pending_sessions(paths) == []


def test_a_torn_last_line_is_skipped(paths: ProjectPaths) -> None:
    work_session(paths, FIRST, "Refactor parse_config")
    with open(paths.journal(FIRST), "ab") as fh:
        fh.write(b'{"v":1,"kind":"prompt","text":"half a li')
    result = consolidate_session(paths, "proj", FIRST)
    assert result.status == "committed"
    assert result.skipped_lines == 1
    assert result.observations == 8
    assert commits(paths) == 1
    assert "half a li" not in Path(paths.wiki, handoff_of(result)).read_text()


def test_an_unparsable_middle_line_is_skipped_too(paths: ProjectPaths) -> None:
    add(paths, FIRST, "prompt", text="first prompt")
    with open(paths.journal(FIRST), "ab") as fh:
        fh.write(b"not json at all\n")
    add(paths, FIRST, "stop", message="done")
    result = consolidate_session(paths, "proj", FIRST)
    assert result.status == "committed" and result.skipped_lines == 1
    assert result.observations == 2


def test_an_empty_session_produces_nothing(paths: ProjectPaths) -> None:
    add(paths, FIRST, "session_start", source="startup")
    add(paths, FIRST, "stop", message="Hi! What shall we do?")
    add(paths, FIRST, "session_end", reason="exit")
    result = consolidate_session(paths, "proj", FIRST)
    assert result.status == "empty" and result.commit is None
    assert result.observations == 3
    assert commits(paths) == 0
    assert not list(Path(paths.base).rglob("*.md"))
    assert offer(paths) == {}
    assert state.sessions(paths.state)[FIRST]["status"] == "consolidated"
    assert pending_sessions(paths) == []


def test_a_missing_journal_is_missing(paths: ProjectPaths) -> None:
    assert consolidate_session(paths, "proj", FIRST).status == "missing"
    assert commits(paths) == 0


@pytest.mark.parametrize("bad", ["", "../escape", ".hidden", "-rf", "a/b", "x" * 129, "sp ace"])
def test_an_invalid_session_id_is_a_value_error(paths: ProjectPaths, bad: str) -> None:
    with pytest.raises(ValueError, match="invalid session id"):
        consolidate_session(paths, "proj", bad)


def test_a_journal_that_grew_gets_a_second_commit_and_a_fresh_offer(paths: ProjectPaths) -> None:
    work_session(paths, FIRST, "Refactor parse_config")
    first = consolidate_session(paths, "proj", FIRST)
    handoff = handoff_of(first)
    state.claim(paths.state, "someone-else", "codex")
    assert offer(paths)["status"] == state.CLAIMED

    add(paths, FIRST, "prompt", text="Now also handle merge keys")
    assert FIRST in pending_sessions(paths, now=time.time() + 1)
    second = consolidate_session(paths, "proj", FIRST)
    assert second.status == "committed" and second.commit != first.commit
    assert commits(paths) == 2
    assert handoff in second.pages and "log.md" in second.pages
    text = Path(paths.wiki, handoff).read_text()
    assert "Now also handle merge keys" in text
    assert "stopped mid-task" in text
    current = offer(paths)
    assert current["path"] == handoff
    assert current["status"] == state.OFFERED
    assert current["commit"] == second.commit
    log_lines = [ln for ln in Path(paths.wiki, "log.md").read_text().splitlines() if ln[:2] == "- "]
    assert len(log_lines) == 2


def test_pending_sessions(paths: ProjectPaths) -> None:
    now = time.time()
    done, ended, stale, fresh, unknown = (f"s{i}-{FIRST}" for i in range(5))
    work_session(paths, done, "already consolidated")
    assert consolidate_session(paths, "proj", done).status == "committed"
    for session in (ended, stale, fresh, unknown):
        add(paths, session, "prompt", text="work")
    state.update_session(paths.state, ended, status="ended")
    state.update_session(paths.state, stale, status="open")
    state.update_session(paths.state, fresh, status="open")
    os.utime(paths.journal(done), (now - 7200, now - 7200))
    os.utime(paths.journal(ended), (now - 600, now - 600))
    os.utime(paths.journal(stale), (now - STALE_AFTER - 60,) * 2)
    os.utime(paths.journal(fresh), (now - 60, now - 60))

    pending = pending_sessions(paths, now=now)
    assert set(pending) == {ended, stale, unknown}
    assert pending.index(stale) < pending.index(ended)  # oldest journal first
    # Later on, the open session goes stale too.
    assert fresh in pending_sessions(paths, now=now + STALE_AFTER)
    # A consolidated journal that grew afterwards is pending again.
    os.utime(paths.journal(done), (now + 5, now + 5))
    assert done in pending_sessions(paths, now=now)


def test_a_claimed_offer_is_closed_as_claimed_and_never_re_offered(paths: ProjectPaths) -> None:
    work_session(paths, FIRST, "Refactor parse_config")
    first = consolidate_session(paths, "proj", FIRST)
    first_handoff = handoff_of(first)
    assert state.claim(paths.state, SECOND, "codex")
    assert not state.claim(paths.state, "third", "codex")  # already claimed

    work_session(paths, SECOND, "Add tests for the anchors", agent="codex")
    second = consolidate_session(paths, "proj", SECOND)
    second_handoff = handoff_of(second)
    assert second.status == "committed" and commits(paths) == 2
    assert first_handoff in second.pages  # closed in the same commit
    assert page_meta(paths, first_handoff)["status"] == state.CLAIMED
    assert page_meta(paths, second_handoff)["status"] == state.OFFERED
    current = offer(paths)
    assert current["path"] == second_handoff and current["status"] == state.OFFERED
    assert current["from_session"] == SECOND and current["from_agent"] == "codex"

    # Re-running the first session (journal unchanged) keeps its claimed page and the new offer.
    again = consolidate_session(paths, "proj", FIRST)
    assert again.status == "unchanged" and again.commit is None
    assert commits(paths) == 2
    assert page_meta(paths, first_handoff)["status"] == state.CLAIMED
    assert offer(paths) == current

    status = subprocess.run(
        ["git", "-C", paths.wiki, "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == ""


def test_an_unclaimed_offer_is_superseded_by_the_next_one(paths: ProjectPaths) -> None:
    work_session(paths, FIRST, "Refactor parse_config")
    first_handoff = handoff_of(consolidate_session(paths, "proj", FIRST))
    work_session(paths, SECOND, "Something else", agent="codex")
    consolidate_session(paths, "proj", SECOND)
    assert page_meta(paths, first_handoff)["status"] == state.SUPERSEDED
    assert offer(paths)["from_session"] == SECOND


# --- Issue 10: short-id collisions (defect 5) and state after a crash (defect 10) -------------


def offered_pages(paths: ProjectPaths) -> list[str]:
    repo = wikirepo.open_repo(paths.wiki, create=False)
    head = repo[wikirepo.head_commit(repo)]
    return sorted(
        rel
        for rel, blob in wikirepo.iter_tree(repo, head.tree)
        if rel.startswith("handoffs/")
        and parse(repo[blob].data.decode(), rel).meta.get("status") == state.OFFERED
    )


def test_sessions_whose_short_ids_collide_keep_their_own_pages(paths: ProjectPaths) -> None:
    work_session(paths, "edit-sess-0001", "Edit the parser")
    work_session(paths, "open-sess-0001", "Open the socket")
    first = consolidate_session(paths, "proj", "edit-sess-0001")
    second = consolidate_session(paths, "proj", "open-sess-0001")
    assert first.status == second.status == "committed"
    sessions = {p for p in first.pages + second.pages if p.startswith("sessions/")}
    handoffs = {p for p in first.pages + second.pages if p.startswith("handoffs/")}
    assert len(sessions) == 2 and len(handoffs) == 2
    assert any(p.endswith("-open-sess0001.md") for p in sessions)
    repo = wikirepo.open_repo(paths.wiki, create=False)
    assert repo[second.commit].message.startswith("consolidate: claude-code session open-sess0001")
    for rel in sessions:
        assert page_meta(paths, rel)["session"] in ("edit-sess-0001", "open-sess-0001")
    owners = {page_meta(paths, rel)["from_session"] for rel in handoffs}
    assert owners == {"edit-sess-0001", "open-sess-0001"}
    # Each finds its own pages again: nothing to commit.
    before = commits(paths)
    assert consolidate_session(paths, "proj", "edit-sess-0001").status == "unchanged"
    assert consolidate_session(paths, "proj", "open-sess-0001").status == "unchanged"
    assert commits(paths) == before
    assert state.sessions(paths.state)["open-sess-0001"]["page"] in sessions
    assert offered_pages(paths) == [p for p in handoffs if p.endswith("-open-sess0001.md")]


def test_an_offer_lost_after_its_commit_is_recovered_without_a_second_commit(
    paths: ProjectPaths,
) -> None:
    work_session(paths, FIRST, "Refactor parse_config")
    consolidate_session(paths, "proj", FIRST)
    lost_state = offer(paths)
    work_session(paths, SECOND, "Port the CLI")
    second = consolidate_session(paths, "proj", SECOND)
    # As if killed right after the commit: neither state write happened.
    state.write_json_atomic(state.handoff_path(paths.state), lost_state)
    state.update_session(paths.state, SECOND, status="ended", consolidated_ts=None)
    before = commits(paths)
    again = consolidate_session(paths, "proj", SECOND)
    assert again.status == "unchanged" and commits(paths) == before
    assert offer(paths)["path"] == handoff_of(second) and offer(paths)["status"] == "offered"
    assert offer(paths)["from_session"] == SECOND
    assert offered_pages(paths) == [handoff_of(second)]
    assert state.sessions(paths.state)[SECOND]["status"] == "consolidated"


def test_every_stale_offered_handoff_is_closed_by_the_next_offer(paths: ProjectPaths) -> None:
    """What killed runs of an older aimem left: many handoff pages still marked offered."""
    work_session(paths, FIRST, "Refactor parse_config")
    first = consolidate_session(paths, "proj", FIRST)
    repo = wikirepo.open_repo(paths.wiki, create=False)
    text = (Path(paths.wiki) / handoff_of(first)).read_text()
    stale = {f"handoffs/2020-01/2020-01-0{i}-stale{i}.md": text.encode() for i in range(1, 4)}
    wikirepo.commit_files(repo, stale, "left by killed runs")
    work_session(paths, SECOND, "Port the CLI")
    second = consolidate_session(paths, "proj", SECOND)
    assert offered_pages(paths) == [handoff_of(second)]
    for rel in [*stale, handoff_of(first)]:
        assert page_meta(paths, rel)["status"] == "superseded"


def test_an_offer_whose_page_is_gone_is_dropped(paths: ProjectPaths) -> None:
    from aimem.consolidate.run import offered_handoffs, reconcile_offer
    from aimem.index.sync import sync_index

    work_session(paths, FIRST, "Refactor parse_config")
    first = consolidate_session(paths, "proj", FIRST)
    repo = wikirepo.open_repo(paths.wiki, create=False)
    wikirepo.commit_files(repo, {handoff_of(first): None}, "deleted by hand")
    sync_index(paths.index, paths.wiki)
    reconcile_offer(paths, repo, offered_handoffs(paths))
    assert offer(paths) == {}


def test_a_session_consolidated_late_does_not_take_the_offer_from_newer_work(
    paths: ProjectPaths,
) -> None:
    """The older session's consolidation was killed; the newer one was consolidated and offered;
    the older one is recovered later (``--pending``): the newer handoff stays the offer."""
    work_session(paths, FIRST, "Older work on the importer")
    work_session(paths, SECOND, "Newer work on the exporter")
    newer = consolidate_session(paths, "proj", SECOND)
    older = consolidate_session(paths, "proj", FIRST)
    assert older.status == "committed"
    assert offer(paths)["path"] == handoff_of(newer)
    assert offered_pages(paths) == [handoff_of(newer)]
    assert page_meta(paths, handoff_of(older))["status"] == "superseded"
    # Re-running either changes nothing.
    assert consolidate_session(paths, "proj", FIRST).status == "unchanged"
    assert consolidate_session(paths, "proj", SECOND).status == "unchanged"
    assert offer(paths)["path"] == handoff_of(newer)


# --- the LLM step after the zero-LLM commit (issue 12 part 2 hook point) ---------------------


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """The loopback fake Messages API, and the environment that turns the LLM step on."""
    from fakes.anthropic_api import FakeAnthropic

    server = FakeAnthropic().start()
    monkeypatch.setenv("AIMEM_LLM", "anthropic")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("AIMEM_LLM_TIMEOUT", "2")
    monkeypatch.delenv("AIMEM_INSIDE", raising=False)
    try:
        yield server
    finally:
        server.stop()


def test_without_an_llm_the_step_is_skipped_at_once(paths, monkeypatch) -> None:
    monkeypatch.delenv("AIMEM_LLM", raising=False)
    work_session(paths, FIRST, "fix the parser")
    result = consolidate_session(paths, "proj", FIRST)
    assert result.status == "committed"
    assert result.llm is not None and result.llm.status == "skipped"
    assert "AIMEM_LLM" in result.llm.reason


def test_the_llm_step_runs_after_the_commit_with_the_lock_released(paths, fake_api) -> None:
    from fakes.anthropic_api import tool_reply

    from aimem.wiki.lock import wiki_lock

    seen: dict = {}

    def while_the_model_thinks(_request) -> None:  # noqa: ANN001
        seen["commits"] = commits(paths)  # the zero-LLM commit is already there
        with wiki_lock(paths.state, timeout=0.5):  # and nobody holds the wiki lock
            seen["lock"] = True

    fake_api.on_request = while_the_model_thinks
    fake_api.script = [tool_reply({"actions": [], "handoff": None})]
    work_session(paths, FIRST, "fix the parser")
    result = consolidate_session(paths, "proj", FIRST)
    assert result.status == "committed"
    assert seen == {"commits": 1, "lock": True}
    assert result.llm is not None and result.llm.status in ("no_changes", "applied")
    assert len(fake_api.messages()) == 1
    # Re-running the same journal makes no second call.
    again = consolidate_session(paths, "proj", FIRST)
    assert again.status == "unchanged" and again.llm.status == "skipped"
    assert len(fake_api.messages()) == 1


def test_a_quota_error_stops_the_calls_for_the_rest_of_the_run(paths, fake_api) -> None:
    from fakes.anthropic_api import quota_error

    fake_api.script = [quota_error()]
    work_session(paths, FIRST, "fix the parser")
    work_session(paths, SECOND, "now the CLI")
    for session in (FIRST, SECOND):  # ended over half an hour ago: both pending
        old = time.time() - 2 * STALE_AFTER
        os.utime(paths.journal(session), (old, old))
    results = consolidate_pending(paths, "proj")
    assert [r.status for r in results] == ["committed", "committed"]  # zero-LLM pages stand
    assert len(fake_api.messages()) == 1  # one call, then none in this run
    assert [r.llm.status for r in results].count("skipped") == 1
