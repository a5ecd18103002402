"""The LLM step from the command line, through the installed executable: ``aimem consolidate
--llm`` against a loopback fake of the Anthropic Messages API (the real ``anthropic`` client,
the real wire format), ``aimem status`` with the spend it recorded, and ``aimem rules``."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.anthropic_api import FakeAnthropic, tool_reply
from replay import claude_session, run_aimem

PROMPT = "Refunds are off by one cent; store money as integer cents"


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic([tool_reply({"actions": [], "handoff": None})]).start()
    try:
        yield server
    finally:
        server.stop()


def recorded_session(env: dict, project: Path) -> str:
    session = str(uuid.uuid4())
    events = ["SessionStart", "UserPromptSubmit", "PostToolUse", "Stop"]  # nothing detached
    assert all(
        r.returncode == 0 for r in claude_session(str(project), session, PROMPT, env, events)
    )
    return session


def test_consolidate_llm_calls_the_model_once_and_status_shows_the_spend(
    env: dict, project: Path, fake: FakeAnthropic
) -> None:
    session = recorded_session(env, project)
    llm_env = dict(
        env, AIMEM_LLM="anthropic", ANTHROPIC_API_KEY="sk-test-key", ANTHROPIC_BASE_URL=fake.url
    )
    done = run_aimem(
        "consolidate", "--llm", "--session", session, "--json", env=llm_env, cwd=str(project)
    )
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert row["session"] == session and row["status"] == "committed"
    assert row["llm"]["status"] in ("no_changes", "applied"), row["llm"]
    assert len(fake.requests) == 1 and fake.requests[0].path == "/v1/messages"

    again = run_aimem("consolidate", "--llm", "--session", session, env=llm_env, cwd=str(project))
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    assert lines[0].startswith(f"{session}: unchanged")
    assert lines[1].startswith(f"{session[-8:]}: llm skipped (unchanged since it was compiled")
    assert len(fake.requests) == 1  # an unchanged, compiled session makes no call

    info = json.loads(run_aimem("status", "--json", env=llm_env, cwd=str(project)).stdout)
    llm = info["llm"]
    assert llm["enabled"] is True and llm["reason"] is None and llm["provider"] == "anthropic"
    assert llm["today"]["calls"] == 1 and llm["today"]["tokens"] == 2400
    assert llm["month"]["calls"] == 1
    text = run_aimem("status", env=llm_env, cwd=str(project)).stdout
    assert "anthropic claude-haiku-4-5; today 2,400 tokens" in text and "(1 call)" in text


def test_consolidate_llm_without_a_model_says_why(env: dict, project: Path) -> None:
    session = recorded_session(env, project)
    done = run_aimem("consolidate", "--llm", "--session", session, env=env, cwd=str(project))
    assert done.returncode == 0, done.stderr
    assert f"{session[-8:]}: llm skipped (no LLM configured (AIMEM_LLM is not set))" in done.stdout
    status = json.loads(run_aimem("status", "--json", env=env, cwd=str(project)).stdout)
    assert status["llm"]["enabled"] is False and "AIMEM_LLM" in status["llm"]["reason"]
    assert status["llm"]["today"]["calls"] == 0
    text = run_aimem("status", env=env, cwd=str(project)).stdout
    assert "off: no LLM configured" in text


def propose(wiki: str, slug: str, title: str) -> None:
    """A proposed rule, committed to the wiki the way a person (or the LLM step) adds one."""
    Path(wiki, "_rules").mkdir(exist_ok=True)
    Path(wiki, "_rules", f"{slug}.md").write_text(
        f"---\ntitle: {title}\ntype: rule\nstatus: proposed\norigin: llm\n"
        "created: 2026-11-30T10:00:00Z\n---\n" + title + ".\n"
    )
    git = ["git", "-C", wiki, "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "_rules"], check=True)
    subprocess.run([*git, "commit", "-qm", f"propose {slug}"], check=True)


def test_rules_list_accept_reject(env: dict, project: Path) -> None:
    cwd = str(project)
    made = run_aimem("write-page", "-t", "rule", "--title", "Tabs", "-b", "Use tabs.",
                     env=env, cwd=cwd)  # fmt: skip
    assert made.returncode == 0, made.stderr
    wiki = run_aimem("path", "--wiki", env=env, cwd=cwd).stdout.strip()
    propose(wiki, "run-rounding-tests", "Run the rounding tests before pushing")
    propose(wiki, "force-push", "Always push with force")

    listed = json.loads(run_aimem("rules", "list", "--json", env=env, cwd=cwd).stdout)
    assert [(r["path"], r["status"]) for r in listed] == [
        ("_rules/force-push.md", "proposed"),
        ("_rules/run-rounding-tests.md", "proposed"),
        ("_rules/tabs.md", "active"),
    ]
    assert listed[0]["origin"] == "llm"

    accepted = run_aimem("rules", "accept", "_rules/run-rounding-tests.md", env=env, cwd=cwd)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.startswith("accepted: _rules/run-rounding-tests.md (commit ")
    rejected = run_aimem("rules", "reject", "_rules/force-push.md", env=env, cwd=cwd)
    assert rejected.returncode == 0, rejected.stderr
    text = run_aimem("rules", "list", "--status", "accepted", env=env, cwd=cwd).stdout
    assert (
        text
        == "accepted  _rules/run-rounding-tests.md  Run the rounding tests before pushing  (llm)\n"
    )
    assert run_aimem("rules", "list", "--status", "proposed", env=env, cwd=cwd).stdout == (
        "no proposed rules\n"
    )
    log = json.loads(run_aimem("log", "--json", "-n", "2", env=env, cwd=cwd).stdout)
    assert [e["kind"] for e in log] == ["rules", "rules"]

    again = run_aimem("rules", "accept", "_rules/force-push.md", env=env, cwd=cwd)
    assert again.returncode == 1 and again.stderr == (
        "aimem: error: _rules/force-push.md is rejected, not proposed\n"
    )
    escape = run_aimem("rules", "reject", "../../etc/passwd", env=env, cwd=cwd)
    assert escape.returncode == 1 and len(escape.stderr.splitlines()) == 1
    bad = run_aimem("rules", "list", "--status", "maybe", env=env, cwd=cwd)
    assert bad.returncode == 2 and "Invalid value for '--status'" in bad.stderr
    bare = run_aimem("rules", env=env, cwd=cwd)
    assert bare.returncode == 0 and "accept" in bare.stdout and "reject" in bare.stdout
