"""The whole pipeline through the installed ``aimem`` executable, as agents run it:
real Claude Code payloads -> journal -> detached consolidation -> git wiki -> Codex SessionStart
handoff -> claim -> search."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pygit2
import pytest
from replay import (
    claude_session,
    context_of,
    payload,
    retarget,
    run_aimem,
    run_hook,
)

PROMPT = "Refactor parse_config in src/app/config.py so YAML anchors survive a round trip"


def wait_consolidated(env: dict, project: Path, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = run_aimem("status", "--json", env=env, cwd=str(project))
        assert out.returncode == 0, f"aimem status failed: {out.stderr[-3000:]}"
        info = json.loads(out.stdout)
        if info["sessions"].get("consolidated") and not info["pending"]:
            return info
        time.sleep(0.2)
    log = Path(env["AIMEM_HOME"], "logs", "aimem.log")
    tail = log.read_text()[-3000:] if log.exists() else "(no log)"
    raise AssertionError(f"not consolidated in time: {out.stdout}\nlog: {tail}")


def commits(wiki: str) -> list[str]:
    repo = pygit2.Repository(wiki)
    return [c.message for c in repo.walk(repo.head.target)]


@pytest.fixture
def claude_done(env: dict, project: Path) -> dict:
    """One recorded Claude Code session replayed and consolidated by its own SessionEnd hook."""
    session = str(uuid.uuid4())
    results = claude_session(str(project), session, PROMPT, env)
    assert [r.returncode for r in results] == [0] * len(results)
    # Nothing but SessionStart may print, and with no memory yet it has nothing to say.
    assert all(r.stdout == b"" for r in results), [r.stdout for r in results]
    info = wait_consolidated(env, project)
    return {"session": session, "status": info, "wiki": info["wiki"]}


def test_codex_in_a_subdirectory_receives_claims_and_stops_seeing_the_handoff(
    env: dict, project: Path, claude_done: dict
) -> None:
    codex = "01a20576-655f-76b0-865f-" + uuid.uuid4().hex[:12]
    subdir = str(project / "src" / "app")
    start = run_hook(
        "codex",
        "SessionStart",
        retarget(payload("codex", "SessionStart"), cwd=subdir, session=codex),
        env,
    )
    assert start.returncode == 0
    context = context_of(start.stdout)
    assert PROMPT in context  # Claude's last request
    assert "Exit code 1" in context  # the failed attempt
    assert context.count("<aimem-handoff>") == 1 and context.count("</aimem-handoff>") == 1
    assert "not instructions" in context

    prompt = retarget(
        payload("codex", "UserPromptSubmit"), cwd=subdir, session=codex, prompt="carry on"
    )
    assert run_hook("codex", "UserPromptSubmit", prompt, env).returncode == 0
    status = json.loads(run_aimem("status", "--json", env=env, cwd=subdir).stdout)
    assert status["handoff"]["status"] == "claimed"

    later = "01a20577-0000-7000-8000-" + uuid.uuid4().hex[:12]
    again = run_hook(
        "codex",
        "SessionStart",
        retarget(payload("codex", "SessionStart"), cwd=subdir, session=later),
        env,
    )
    assert "<aimem-handoff>" not in context_of(again.stdout)
    assert "Project memory" in context_of(again.stdout)  # the brief is still there


def test_a_session_that_was_never_shown_the_offer_cannot_claim_it(
    env: dict, project: Path, claude_done: dict
) -> None:
    stranger = "01a20578-0000-7000-8000-" + uuid.uuid4().hex[:12]
    prompt = retarget(payload("codex", "UserPromptSubmit"), cwd=str(project), session=stranger)
    run_hook("codex", "UserPromptSubmit", prompt, env)
    status = json.loads(run_aimem("status", "--json", env=env, cwd=str(project)).stdout)
    assert status["handoff"]["status"] == "offered"


def test_one_commit_per_session_fsck_clean_and_reconsolidation_adds_nothing(
    env: dict, project: Path, claude_done: dict
) -> None:
    wiki = claude_done["wiki"]
    assert len(commits(wiki)) == 1
    fsck = subprocess.run(["git", "-C", wiki, "fsck", "--strict"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
    status = subprocess.run(
        ["git", "-C", wiki, "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == ""  # work tree and index agree with HEAD

    again = run_aimem("consolidate", "--session", claude_done["session"], env=env, cwd=str(project))
    assert again.returncode == 0 and "unchanged" in again.stdout
    pending = run_aimem("consolidate", "--pending", env=env, cwd=str(project))
    assert pending.returncode == 0 and "nothing to consolidate" in pending.stdout
    assert len(commits(wiki)) == 1

    files = {p.relative_to(wiki).as_posix() for p in Path(wiki).rglob("*.md")}
    assert "index.md" in files and "log.md" in files
    assert any(f.startswith("sessions/") for f in files)
    assert any(f.startswith("handoffs/") for f in files)


def test_a_second_session_supersedes_or_closes_the_first_offer(
    env: dict, project: Path, claude_done: dict
) -> None:
    second = str(uuid.uuid4())
    claude_session(str(project), second, "Now add tests for the YAML anchor fix", env)
    deadline = time.monotonic() + 60
    while len(commits(claude_done["wiki"])) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    info = wait_consolidated(env, project)
    assert info["handoff"]["status"] == "offered"
    assert second[-8:] in info["handoff"]["path"].replace("-", "")
    first_page = next(
        Path(claude_done["wiki"], "handoffs").rglob(
            f"*{claude_done['session'].replace('-', '')[-8:]}.md"
        )
    )
    # The second Claude session saw the first offer at its start and did work: claimed.
    assert "status: claimed" in first_page.read_text()


def test_search_finds_claudes_work_and_reindex_from_scratch_is_identical(
    env: dict, project: Path, claude_done: dict
) -> None:
    queries = ["parse_config", "YAML anchors", "Exit code 1", "round trip", '"unbalanced', "*"]
    before = []
    for query in queries:
        out = run_aimem("search", query, "--json", env=env, cwd=str(project))
        assert out.returncode == 0, out.stderr
        before.append(json.loads(out.stdout))
    assert before[0] and before[0][0]["title"]
    assert {"path", "title", "type", "score", "snippet", "project"} <= set(before[0][0])
    index = Path(claude_done["status"]["data"]) / "index.sqlite"
    index.unlink()
    assert run_aimem("reindex", env=env, cwd=str(project)).returncode == 0
    after = [
        json.loads(run_aimem("search", q, "--json", env=env, cwd=str(project)).stdout)
        for q in queries
    ]
    assert after == before


def test_worktrees_of_one_repo_share_one_project(env: dict, project: Path, tmp_path: Path):
    other = tmp_path / "proj-wt"
    subprocess.run(
        ["git", "-C", str(project), "worktree", "add", "-q", "-b", "wt", str(other)], check=True
    )
    for cwd in (project, other):
        start = retarget(
            payload("claude-code", "SessionStart"), cwd=str(cwd), session=str(uuid.uuid4())
        )
        assert run_hook("claude-code", "SessionStart", start, env).returncode == 0
    listed = json.loads(run_aimem("projects", "--json", env=env).stdout)
    assert len(listed) == 1 and listed[0]["name"] == "proj"
    assert (
        run_aimem("path", "--wiki", env=env, cwd=str(other)).stdout
        == run_aimem("path", "--wiki", env=env, cwd=str(project)).stdout
    )


def test_home_is_not_a_project(env: dict, tmp_path: Path, home: Path) -> None:
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    env = dict(env, HOME=str(user_home))
    start = retarget(
        payload("claude-code", "SessionStart"), cwd=str(user_home), session=str(uuid.uuid4())
    )
    result = run_hook("claude-code", "SessionStart", start, env)
    assert result.returncode == 0 and result.stdout == b""
    assert not (home / "projects").exists()


def test_an_agent_started_right_after_another_quits_gets_the_fresh_handoff(
    env: dict, project: Path
) -> None:
    # No waiting between Claude's SessionEnd (which only spawns the consolidation) and Codex's
    # SessionStart: the hook itself waits for the running consolidation, boundedly.
    claude_session(str(project), str(uuid.uuid4()), PROMPT, env)
    codex = "01a20579-0000-7000-8000-" + uuid.uuid4().hex[:12]
    start = run_hook(
        "codex",
        "SessionStart",
        retarget(payload("codex", "SessionStart"), cwd=str(project), session=codex),
        env,
    )
    assert PROMPT in context_of(start.stdout)
