"""The real agent CLIs, offline, firing their real hooks into aimem.

Claude Code works on a project (a prompt with a unique phrase, a failing and a succeeding tool
call) and exits; Codex starts in a subdirectory and the handoff — Claude's last request and the
failed attempt — must be in the request the fake model server received; Codex works and exits;
then search finds both sessions and the wiki has one commit per session.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pygit2
import pytest
from agents import base_env, claude, codex
from replay import aimem_exe

PHRASE = f"zebra-{uuid.uuid4().hex[:8]}"
CLAUDE_PROMPT = f"Fix the {PHRASE} importer so it skips blank rows"
TEMPLATES = Path(__file__).resolve().parents[2] / "hook_scripts"


def install_hooks(home: Path) -> None:
    """Hook entries from hook_scripts/, pointing at the installed executable."""
    exe = aimem_exe()
    claude_cfg = home / ".claude" / "settings.json"
    claude_cfg.parent.mkdir(parents=True, exist_ok=True)
    claude_cfg.write_text(
        (TEMPLATES / "claude-code" / "settings.json").read_text().replace("{{AIMEM}}", exe)
    )
    codex_cfg = home / ".codex" / "hooks.json"
    codex_cfg.parent.mkdir(parents=True, exist_ok=True)
    codex_cfg.write_text((TEMPLATES / "codex" / "hooks.json").read_text().replace("{{AIMEM}}", exe))


def aimem(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [aimem_exe(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def wait_idle(env: dict, cwd: Path, sessions: int, timeout: float = 90) -> dict:
    """Until ``sessions`` sessions are consolidated and nothing is pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = json.loads(aimem("status", "--json", env=env, cwd=cwd).stdout)
        if info["sessions"].get("consolidated", 0) >= sessions and not info["pending"]:
            return info
        time.sleep(0.3)
    raise AssertionError(f"consolidation did not finish: {info}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("e2e")
    home, data, project = root / "home", root / "aimem", root / "shop"
    (project / "src" / "importer").mkdir(parents=True)
    home.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    install_hooks(home)
    return {"root": root, "home": home, "project": project, "env": base_env(home, data)}


@pytest.fixture(scope="module")
def claude_run(world: dict):
    run = claude(
        CLAUDE_PROMPT,
        world["project"],
        world["env"],
        world["root"] / "claude.jsonl",
        commands=["false", "echo imported"],
    )
    assert run.returncode == 0, run.stderr[-2000:]
    info = wait_idle(world["env"], world["project"], sessions=1)
    return run, info


@pytest.fixture(scope="module")
def codex_run(world: dict, claude_run):
    run = codex(
        "Continue the importer work.",
        world["project"] / "src" / "importer",
        world["env"],
        world["root"] / "codex.jsonl",
        commands=["echo codex-was-here"],
    )
    assert run.returncode == 0, run.stderr[-2000:]
    info = wait_idle(world["env"], world["project"], sessions=2)
    return run, info


def test_claude_session_is_recorded_and_committed(world: dict, claude_run) -> None:
    run, info = claude_run
    # The fake model asked for `false` then `echo`: both tool calls really ran.
    assert sum('"tool_result"' in json.dumps(r.get("body")) for r in run.requests) >= 2
    assert info["commits"] == 1
    assert info["handoff"]["status"] == "offered"
    assert info["handoff"]["from_agent"] == "claude-code"


def test_the_handoff_reaches_codexs_model_request(world: dict, codex_run) -> None:
    run, _ = codex_run
    bodies = run.bodies()
    assert CLAUDE_PROMPT in bodies  # Claude's last request...
    assert "Exit code 1" in bodies  # ...and the failed attempt reached the model
    assert "aimem-handoff" in bodies


def test_codex_claimed_it_and_the_wiki_has_one_commit_per_session(world: dict, codex_run) -> None:
    _, info = codex_run
    assert info["commits"] == 2
    assert info["handoff"]["from_agent"] == "codex"
    repo = pygit2.Repository(info["wiki"])
    messages = [c.message for c in repo.walk(repo.head.target)]
    assert [m.split()[1] for m in messages] == ["codex", "claude-code"]
    first = next(Path(info["wiki"], "handoffs").rglob("*.md"), None)
    assert first is not None
    statuses = [
        p.read_text().split("status: ")[1].split()[0]
        for p in Path(info["wiki"], "handoffs").rglob("*.md")
    ]
    assert sorted(statuses) == ["claimed", "offered"]


def test_search_finds_both_sessions(world: dict, codex_run) -> None:
    out = aimem("search", PHRASE, "--json", env=world["env"], cwd=world["project"])
    hits = json.loads(out.stdout)
    assert any(h["type"] == "session" and PHRASE in h["title"] for h in hits)
    agents = json.loads(
        aimem("search", "codex-was-here", "--json", env=world["env"], cwd=world["project"]).stdout
    )
    assert any(h["type"] == "session" for h in agents)
