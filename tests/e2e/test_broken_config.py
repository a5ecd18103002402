"""A broken ``config.toml`` through the real Claude Code, offline: memory is recorded anyway.

Before, one wrong value (``handoff_max_age_days = "seven"``) or a syntax error in the config made
every hook exit 1 with a traceback, so a whole session was recorded nowhere. Now the hooks ignore
what is wrong (each bad key falls back to its default; an unparsable file means all defaults),
log it once, and record; SessionEnd consolidates; ``aimem status`` says what is wrong in one
warning line per problem and works; ``aimem doctor`` names the key.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pygit2
import pytest
from agents import FakeServer, base_env, binary, run_agent
from replay import aimem_exe

MARK = uuid.uuid4().hex[:6]
PROMPT = f"Fix the config-{MARK} loader so it accepts comments"
COMMAND = f"echo config-work-{MARK}"
BROKEN = {
    "values": (
        'handoff_max_age_days = "seven"\nlog_level = "NOPE"\n',
        ['handoff_max_age_days = "seven" is not a number', 'log_level = "NOPE"'],
    ),
    "syntax": ("handoff_max_age_days = = 3\n[unclosed\n", ["not valid TOML"]),
}


def aimem(*args: str, w: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [aimem_exe(), *args], env=w["env"], cwd=w["project"], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_claude_records_and_consolidates_with_a_broken_config(tmp_path: Path, kind: str) -> None:
    text, expected = BROKEN[kind]
    home, data, project = tmp_path / "home", tmp_path / "aimem", tmp_path / "proj"
    project.mkdir()
    home.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    env = base_env(home, data)
    config = home / ".config" / "aimem" / "config.toml"  # the default place (XDG_CONFIG_HOME)
    config.parent.mkdir(parents=True)
    config.write_text(text)
    w = {"env": env, "project": project}
    installed = aimem("install", "claude-code", "--scope", "user", w=w)
    assert installed.returncode == 0, installed.stderr

    server = FakeServer("anthropic", tmp_path / "requests.jsonl", [COMMAND])
    run_env = dict(
        env, ANTHROPIC_BASE_URL=f"http://127.0.0.1:{server.port}", ANTHROPIC_API_KEY="sk-ant-fake"
    )
    argv = [binary("claude"), "-p", PROMPT, "--output-format", "json", "--allowedTools", "Bash"]
    result = run_agent(argv, project, run_env, server)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    session = json.loads(result.stdout)["session_id"]

    # The hooks recorded the whole session, and its SessionEnd consolidated it.
    deadline = time.monotonic() + 90
    info: dict = {}
    while time.monotonic() < deadline:
        status = aimem("status", "--json", w=w)
        assert status.returncode == 0, status.stderr
        info = json.loads(status.stdout)
        if info["commits"] >= 1 and info["sessions"] == {"consolidated": 1}:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"the session was not consolidated: {info}")
    (journal,) = data.glob(f"projects/*/raw/{session}.jsonl")
    kinds = [json.loads(line)["kind"] for line in journal.read_text().splitlines()]
    assert kinds[0] == "session_start" and kinds[-1] == "session_end"
    assert {"prompt", "tool_use", "tool_result"} <= set(kinds), kinds
    (wiki,) = data.glob("projects/*/wiki")
    repo = pygit2.Repository(str(wiki))
    entry = json.loads(next(data.glob("projects/*/state/sessions.json")).read_text())[session]
    assert str(repo.head.target) == entry["commit"]
    page = (wiki / entry["page"]).read_text()
    assert PROMPT in page and f"config-work-{MARK}" in page

    # Commands: one warning line per problem, naming the file, and they work.
    shown = aimem("status", w=w)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    lines = shown.stderr.strip().splitlines()
    assert len(lines) == len(expected), shown.stderr
    for line, fragment in zip(lines, expected, strict=True):
        assert line.startswith(f"aimem: warning: {config}: ") and fragment in line
    assert "commits" in shown.stdout

    # doctor names the bad key (or the broken file) as a failure, with its fix.
    doctor = aimem("doctor", w=w)
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr
    fails = [x for x in doctor.stdout.splitlines() if x.startswith("FAIL  aimem        config:")]
    assert len(fails) == len(expected), doctor.stdout
    for line, fragment in zip(fails, expected, strict=True):
        assert fragment in line
    assert f"fix: fix or remove handoff_max_age_days in {config}" in doctor.stdout or (
        kind == "syntax" and f"fix: fix the TOML syntax in {config}" in doctor.stdout
    )

    # The hooks logged each problem once, not once per event.
    log = (data / "logs" / "aimem.log").read_text()
    ignored = [x for x in log.splitlines() if "hook: config ignored:" in x]
    assert len(ignored) == len(expected), ignored
    assert not [x for x in log.splitlines() if "hook:" in x and "config ignored" not in x]
    assert "Traceback" not in log  # the MCP server Claude closed at exit included
