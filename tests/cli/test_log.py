"""``aimem log`` through the installed executable: a real Claude Code session recorded by the
hooks and consolidated, a page written with ``aimem write-page``, and a person's own commit in
the wiki, as one timeline with filters."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from replay import claude_session, run_aimem

PROMPT = "Make the importer retry with backoff"


def ok(*args: str, env: dict, cwd: str) -> subprocess.CompletedProcess:
    result = run_aimem(*args, env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def history(env: dict, project: Path) -> dict:
    session = str(uuid.uuid4())
    events = ["SessionStart", "UserPromptSubmit", "Stop"]  # no SessionEnd: nothing detached
    assert all(
        r.returncode == 0 for r in claude_session(str(project), session, PROMPT, env, events)
    )
    ok("consolidate", "--session", session, env=env, cwd=str(project))
    ok("write-page", "-t", "decision", "--title", "Retry with backoff", "-b", "Doubling, capped.",
       env=env, cwd=str(project))  # fmt: skip
    wiki = ok("path", "--wiki", env=env, cwd=str(project)).stdout.strip()
    Path(wiki, "concepts").mkdir(exist_ok=True)
    Path(wiki, "concepts", "backoff.md").write_text(
        "---\ntitle: Backoff\ntype: concept\n---\nWait longer each time.\n"
    )
    git = ["git", "-C", wiki, "-c", "user.name=Alice Doe", "-c", "user.email=alice@example.com"]
    subprocess.run([*git, "add", "concepts/backoff.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "Explain backoff"], check=True)
    return {"session": session, "wiki": wiki}


def events(*args: str, env: dict, cwd: str) -> list[dict]:
    return json.loads(ok("log", *args, "--json", env=env, cwd=cwd).stdout)


def test_log_shows_sessions_and_commits_newest_first(
    env: dict, project: Path, history: dict
) -> None:
    cwd = str(project)
    found = events(env=env, cwd=cwd)
    kinds = [e["kind"] for e in found]
    assert sorted(kinds) == ["commit", "consolidate", "session", "write-page"], kinds
    assert [e["ts"] for e in found] == sorted((e["ts"] for e in found), reverse=True)
    session = next(e for e in found if e["kind"] == "session")
    assert session["session"] == history["session"] and session["agent"] == "claude-code"
    assert session["status"] == "consolidated" and session["page"].startswith("sessions/")
    assert session["author"] is None
    consolidated = next(e for e in found if e["kind"] == "consolidate")
    assert consolidated["agent"] == "claude-code"
    assert consolidated["author"] == "aimem <aimem@localhost>"
    assert consolidated["summary"].startswith("consolidate: claude-code session ")
    mine = next(e for e in found if e["kind"] == "commit")
    assert (
        mine["author"] == "Alice Doe <alice@example.com>" and mine["summary"] == "Explain backoff"
    )
    head = subprocess.run(
        ["git", "-C", history["wiki"], "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert mine["commit"] == head
    assert all(e["time"][:10] == time.strftime("%Y-%m-%d") for e in found)

    text = ok("log", env=env, cwd=cwd).stdout
    assert "Alice Doe" in text and "Explain backoff" in text and "claude-code" in text
    assert "created decision decisions/retry-with-backoff.md" in text
    assert head[:7] in text


def test_log_filters(env: dict, project: Path, history: dict) -> None:
    cwd = str(project)
    by_alice = events("--author", "ALICE", env=env, cwd=cwd)
    assert [e["summary"] for e in by_alice] == ["Explain backoff"]
    assert {e["kind"] for e in events("--author", "aimem@", env=env, cwd=cwd)} == {
        "consolidate",
        "write-page",
    }
    claude = events("--agent", "claude-code", env=env, cwd=cwd)
    assert {e["kind"] for e in claude} == {"session", "consolidate"}
    assert events("--agent", "codex", env=env, cwd=cwd) == []
    assert len(events("--since", "1h", env=env, cwd=cwd)) == 4
    assert events("--since", "2999-01-01", env=env, cwd=cwd) == []
    assert len(events("-n", "2", env=env, cwd=cwd)) == 2
    nothing = ok("log", "--agent", "gemini", env=env, cwd=cwd)
    assert nothing.stdout == "nothing recorded matching these filters\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--agent", "claude"), "unknown agent 'claude'"),
        (("--since", "last tuesday"), "--since 'last tuesday'"),
        (("--project", "nope"), "unknown project 'nope'"),
    ],
)
def test_log_bad_input_is_one_line(args: tuple, message: str, env: dict, project: Path) -> None:
    result = run_aimem("log", *args, env=env, cwd=str(project))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("aimem: error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_log_of_a_project_without_memory_is_empty(env: dict, project: Path) -> None:
    result = run_aimem("log", env=env, cwd=str(project))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"no memory yet for project proj ({project_slug(env, project)})\n"
    assert events(env=env, cwd=str(project)) == []
    assert not Path(env["AIMEM_HOME"], "projects").exists()


def project_slug(env: dict, project: Path) -> str:
    return json.loads(run_aimem("status", "--json", env=env, cwd=str(project)).stdout)["slug"]
