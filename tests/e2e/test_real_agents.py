"""The real agent CLIs, offline, firing their real hooks into aimem installed by `aimem install`.

Claude Code works on a project (a prompt with a unique phrase, a failing and a succeeding tool
call) and exits; Codex starts in a subdirectory and the handoff — Claude's last request and the
failed attempt — must be in the request the fake model server received; Codex works and exits;
Gemini starts and receives Codex's handoff, not Claude's stale one; search finds all three
sessions and the wiki has one commit per session.
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
from agents import base_env, binary, claude, codex, gemini
from replay import aimem_exe

PHRASE = f"zebra-{uuid.uuid4().hex[:8]}"
CLAUDE_PROMPT = f"Fix the {PHRASE} importer so it skips blank rows"
CODEX_PROMPT = "Continue the importer work and add a regression test."


def install_hooks(home: Path, env: dict) -> None:
    """The user's own agent settings first (Gemini needs its auth type), then `aimem install`
    merges aimem's hooks and MCP entries into the real config files."""
    gemini_settings = home / ".gemini" / "settings.json"
    gemini_settings.parent.mkdir(parents=True)
    user_settings = {
        "security": {"auth": {"selectedType": "gemini-api-key"}},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
    }
    gemini_settings.write_text(json.dumps(user_settings, indent=2))
    out = subprocess.run(
        [aimem_exe(), "install", "claude-code", "codex", "gemini", "--scope", "user"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(gemini_settings.read_text())["security"] == user_settings["security"]


def handoff_blocks(bodies: str) -> list[str]:
    """The fenced handoffs inside everything a fake model server received. Gemini CLI escapes
    hook context as HTML (``&lt;aimem-handoff&gt;``) before it reaches the model."""
    bodies = html.unescape(bodies)
    return [part.split("</aimem-handoff>")[0] for part in bodies.split("<aimem-handoff>")[1:]]


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
    env = base_env(home, data)
    install_hooks(home, env)
    return {"root": root, "home": home, "project": project, "env": env}


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
        CODEX_PROMPT,
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
    assert any(CLAUDE_PROMPT in block for block in handoff_blocks(bodies))


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


@pytest.fixture(scope="module")
def gemini_run(world: dict, codex_run):
    run = gemini(
        "Keep going from where the last session stopped.",
        world["project"],
        world["env"],
        world["root"] / "gemini.jsonl",
        commands=["echo gemini-was-here"],
    )
    assert run.returncode == 0, run.stderr[-2000:]
    info = wait_idle(world["env"], world["project"], sessions=3)
    return run, info


def test_gemini_receives_codexs_handoff_not_claudes(world: dict, gemini_run) -> None:
    run, info = gemini_run
    blocks = handoff_blocks(run.bodies())
    assert blocks, "no handoff reached Gemini's model requests"
    assert all(CODEX_PROMPT in block for block in blocks)
    assert not any(CLAUDE_PROMPT in block for block in blocks)
    assert info["commits"] == 3
    assert info["handoff"]["from_agent"] == "gemini"


def test_search_finds_all_three_sessions(world: dict, gemini_run) -> None:
    found = {}
    for query in (PHRASE, "codex-was-here", "gemini-was-here"):
        out = aimem(
            "search", query, "--type", "session", "--json", env=world["env"], cwd=world["project"]
        )
        found[query] = {h["path"] for h in json.loads(out.stdout)}
    agents = {
        agent
        for paths in found.values()
        for path in paths
        for agent in ("claude-code", "codex", "gemini")
        if f"-{agent}-" in path
    }
    assert agents == {"claude-code", "codex", "gemini"}, found


def inspector(*args: str, world: dict) -> subprocess.CompletedProcess:
    cmd = [binary("mcp-inspector"), "--cli", aimem_exe(), "mcp", *args]
    return subprocess.run(
        cmd, cwd=world["project"], env=world["env"], capture_output=True, text=True, timeout=120
    )


def test_mcp_inspector_lists_the_tools_and_calls_memory_query(world: dict, gemini_run) -> None:
    listed = inspector("--method", "tools/list", world=world)
    assert listed.returncode == 0, listed.stderr[-2000:]
    names = {tool["name"] for tool in json.loads(listed.stdout)["tools"]}
    assert {"memory_query", "memory_read", "memory_write_page", "memory_handoff_begin"} <= names
    called = inspector(
        "--method",
        "tools/call",
        "--tool-name",
        "memory_query",
        "--tool-arg",
        f"query={PHRASE}",
        world=world,
    )
    assert called.returncode == 0, called.stderr[-2000:]
    result = json.loads(called.stdout)
    assert not result.get("isError")
    assert PHRASE in json.dumps(result) and "sessions/" in json.dumps(result)


def test_claude_calls_memory_query_and_the_result_reaches_the_model(
    world: dict, gemini_run
) -> None:
    run = claude(
        "What did the earlier sessions do?",
        world["project"],
        world["env"],
        world["root"] / "claude-mcp.jsonl",
        commands=[],
        allowed="mcp__aimem__memory_query",
        mcp_tool="mcp__aimem__memory_query",
        mcp_input=json.dumps({"query": PHRASE}),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = [
        block
        for request in run.requests
        for message in (request.get("body") or {}).get("messages") or []
        if isinstance(message.get("content"), list)
        for block in message["content"]
        if isinstance(block, dict) and block.get("type") == "tool_result"
    ]
    assert results, "the fake model's memory_query call never came back as a tool_result"
    text = json.dumps(results)
    assert "sessions/" in text and PHRASE in text  # a page written by the first Claude session
