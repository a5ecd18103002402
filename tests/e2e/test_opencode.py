"""The real opencode CLI, offline, running aimem's plugin as `aimem install opencode` wrote it.

A Claude Code session (replayed from real payloads) works on the project and is consolidated;
then `opencode run` starts in a subdirectory against a loopback Chat Completions fake, and the
handoff — Claude's last request and the failed attempt — must be in the request the fake model
server received (opencode's system prompt, pushed there by the plugin). opencode runs a failing
and a succeeding shell command and exits; its session is recorded through the plugin's calls,
consolidated into its own wiki commit and found by search.
"""

from __future__ import annotations

import html
import json
import subprocess
import time
import uuid
from pathlib import Path

import pygit2
import pytest
from agents import base_env, opencode
from replay import aimem_exe, claude_session

PHRASE = f"okapi-{uuid.uuid4().hex[:8]}"
CLAUDE_PROMPT = f"Fix the {PHRASE} importer so it skips blank rows"
OPENCODE_PROMPT = "Continue the importer work and add a regression test."
MARK = f"opencode-was-here-{uuid.uuid4().hex[:6]}"


def aimem(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [aimem_exe(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def wait_idle(env: dict, cwd: Path, sessions: int, timeout: float = 90) -> dict:
    """Until ``sessions`` sessions are consolidated and nothing is pending."""
    deadline = time.monotonic() + timeout
    info: dict = {}
    while time.monotonic() < deadline:
        out = aimem("status", "--json", env=env, cwd=cwd)
        assert out.returncode == 0, out.stderr[-2000:]
        info = json.loads(out.stdout)
        if info["sessions"].get("consolidated", 0) >= sessions and not info["pending"]:
            return info
        time.sleep(0.3)
    raise AssertionError(f"consolidation did not finish: {info}")


def handoff_blocks(text: str) -> list[str]:
    text = html.unescape(text)
    return [part.split("</aimem-handoff>")[0] for part in text.split("<aimem-handoff>")[1:]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("e2e-opencode")
    home, data, project = root / "home", root / "aimem", root / "shop"
    (project / "src" / "importer").mkdir(parents=True)
    home.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    env = base_env(home, data)
    # The user's own opencode.json first; `aimem install` merges its MCP entry into it.
    config = home / ".config" / "opencode" / "opencode.json"
    config.parent.mkdir(parents=True)
    user = {"$schema": "https://opencode.ai/config.json", "autoupdate": False}
    config.write_text(json.dumps(user, indent=2))
    out = aimem("install", "opencode", "--scope", "user", env=env, cwd=project)
    assert out.returncode == 0, out.stderr
    merged = json.loads(config.read_text())
    assert merged["autoupdate"] is False and "aimem" in merged["mcp"]
    assert (home / ".config" / "opencode" / "plugins" / "aimem.js").is_file()
    return {"root": root, "home": home, "data": data, "project": project, "env": env}


@pytest.fixture(scope="module")
def claude_done(world: dict) -> dict:
    results = claude_session(str(world["project"]), str(uuid.uuid4()), CLAUDE_PROMPT, world["env"])
    assert [r.returncode for r in results] == [0] * len(results)
    return wait_idle(world["env"], world["project"], sessions=1)


@pytest.fixture(scope="module")
def opencode_run(world: dict, claude_done: dict):
    run = opencode(
        OPENCODE_PROMPT,
        world["project"] / "src" / "importer",
        world["env"],
        world["root"] / "opencode.jsonl",
        commands=["false", f"echo {MARK}"],
    )
    assert run.returncode == 0, run.stderr[-3000:]
    info = wait_idle(world["env"], world["project"], sessions=2)
    return run, info


def journal(world: dict) -> list[dict]:
    """What the plugin's `aimem hook opencode ...` calls recorded."""
    return [
        json.loads(line)
        for path in world["data"].glob("projects/*/raw/*.jsonl")
        for line in path.read_text().splitlines()
        if line.strip() and json.loads(line).get("agent") == "opencode"
    ]


def test_the_handoff_reaches_opencodes_model_request(opencode_run) -> None:
    run, _ = opencode_run
    system = "\n".join(
        m["content"] if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
        for r in run.requests
        for m in (r.get("body") or {}).get("messages") or []
        if m.get("role") == "system"
    )
    blocks = handoff_blocks(system)
    assert blocks, "no handoff reached opencode's model requests"
    assert any(CLAUDE_PROMPT in block for block in blocks)  # Claude's last request...
    assert any("Exit code 1" in block for block in blocks)  # ...and the failed attempt


def test_the_plugin_recorded_the_session(world: dict, opencode_run) -> None:
    run, _ = opencode_run
    # The fake model asked for `false` then `echo`: both tool calls really ran.
    assert sum(m.get("role") == "tool" for m in run.requests[-1]["body"]["messages"]) == 2
    # The `mcp` entry aimem wrote into opencode.json started `aimem mcp`: its tools were offered.
    offered = {t["function"]["name"] for t in run.requests[-1]["body"].get("tools") or []}
    assert "aimem_memory_query" in offered, sorted(offered)
    events = journal(world)
    assert len({e["session"] for e in events}) == 1
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "session_start" and kinds[-1] == "session_end", kinds
    assert {"prompt", "tool_error", "stop"} <= set(kinds), kinds
    assert any(OPENCODE_PROMPT in e.get("text", "") for e in events if e["kind"] == "prompt")
    assert any(e.get("input") == "false" for e in events if e["kind"] == "tool_error")
    assert any(MARK in json.dumps(e) for e in events if e["kind"] not in ("tool_error", "prompt"))


def test_the_session_is_consolidated_and_claims_the_handoff(world: dict, opencode_run) -> None:
    _, info = opencode_run
    assert info["commits"] == 2
    assert info["handoff"]["from_agent"] == "opencode"
    repo = pygit2.Repository(info["wiki"])
    messages = [c.message for c in repo.walk(repo.head.target)]
    assert [m.split()[1] for m in messages] == ["opencode", "claude-code"]
    out = aimem(
        "search", MARK, "--type", "session", "--json", env=world["env"], cwd=world["project"]
    )
    assert any("-opencode-" in hit["path"] for hit in json.loads(out.stdout)), out.stdout
