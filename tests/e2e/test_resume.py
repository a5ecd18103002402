"""Resumed sessions through the real agent CLIs, offline: the new work of a resumed session is
recorded, consolidated again into the same session page with a new commit, and its handoff is
offered again.

Claude Code: ``claude -p`` then ``claude -p --resume <id>`` then ``claude -p --continue``; Codex:
``codex exec`` then ``codex exec resume <id>``; Gemini CLI: ``gemini -p`` then
``gemini -p --resume latest``. Every agent resumes under the same session id and sends the same
SessionEnd payload again (Claude and Codex: byte for byte), which aimem once dropped as a replay.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pygit2
from agents import FakeServer, Run, base_env, binary, run_agent
from replay import aimem_exe

MARK = uuid.uuid4().hex[:6]
FIRST = f"Fix the parser-{MARK} so it accepts empty files"
SECOND = f"Now also fix the lexer-{MARK} for tabs"
THIRD = f"Finally update the changelog-{MARK}"
# The fake model runs the next command the conversation has no result for yet: a resumed
# conversation already holds the first result, so it runs the second one.
COMMANDS = [f"echo first-work-{MARK}", f"echo resumed-work-{MARK}", f"echo third-work-{MARK}"]


def aimem(*args: str, w: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [aimem_exe(), *args],
        env=w["env"],
        cwd=w["project"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def world(root: Path, agent: str) -> dict:
    home, data, project = root / "home", root / "aimem", root / "proj"
    project.mkdir(parents=True)
    home.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    env = base_env(home, data)
    if agent == "gemini":
        settings = home / ".gemini" / "settings.json"
        settings.parent.mkdir(parents=True)
        user = {
            "security": {"auth": {"selectedType": "gemini-api-key"}},
            "privacy": {"usageStatisticsEnabled": False},
            "telemetry": {"enabled": False},
        }
        settings.write_text(json.dumps(user))
    w = {"root": root, "home": home, "project": project, "env": env, "runs": 0}
    done = aimem("install", agent, "--scope", "user", w=w)
    assert done.returncode == 0, done.stderr
    return w


def run(w: dict, api: str, argv: list[str], commands: int, env: dict | None = None) -> Run:
    w["runs"] += 1
    server = FakeServer(api, w["root"] / f"requests-{w['runs']}.jsonl", COMMANDS[:commands])
    env = dict(w["env"], **(env or {}))
    if api == "anthropic":
        env.update(
            ANTHROPIC_BASE_URL=f"http://127.0.0.1:{server.port}", ANTHROPIC_API_KEY="sk-ant-fake"
        )
        argv = [binary("claude"), *argv, "--output-format", "json", "--allowedTools", "Bash"]
    elif api == "openai":
        codex_home = w["home"] / ".codex"
        env.update(CODEX_HOME=str(codex_home), FAKE_OPENAI_KEY="sk-fake")
        provider = {
            "model": '"gpt-5.1-codex"',
            "model_provider": '"fake"',
            "model_providers.fake.name": '"fake"',
            "model_providers.fake.base_url": f'"http://127.0.0.1:{server.port}/v1"',
            "model_providers.fake.wire_api": '"responses"',
            "model_providers.fake.env_key": '"FAKE_OPENAI_KEY"',
            "model_providers.fake.request_max_retries": "0",
            "model_providers.fake.stream_max_retries": "0",
        }
        options = [x for k, v in provider.items() for x in ("-c", f"{k}={v}")]
        argv = [
            binary("codex"),
            "exec",
            "--skip-git-repo-check",
            "-s",
            "danger-full-access",
            *options,
            *argv,
        ]
    else:
        env.update(
            GEMINI_API_KEY="fake-gemini-key",
            GEMINI_CLI_TRUST_WORKSPACE="true",
            GOOGLE_GEMINI_BASE_URL=f"http://127.0.0.1:{server.port}",
        )
        argv = [binary("gemini"), *argv, "--output-format", "json", "--yolo"]
        argv += ["-m", "gemini-2.5-flash"]
    result = run_agent(argv, w["project"], env, server)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def sessions(w: dict) -> dict:
    (path,) = Path(w["env"]["AIMEM_HOME"]).glob("projects/*/state/sessions.json")
    return json.loads(path.read_text())


def wait_commits(w: dict, commits: int, timeout: float = 90) -> dict:
    """Until the wiki has ``commits`` commits, every session is consolidated and nothing is
    pending; returns ``aimem status --json``."""
    deadline = time.monotonic() + timeout
    info: dict = {}
    while time.monotonic() < deadline:
        done = aimem("status", "--json", w=w)
        assert done.returncode == 0, done.stderr
        info = json.loads(done.stdout)
        settled = set(info["sessions"]) == {"consolidated"}
        if info["commits"] >= commits and settled and not info["pending"]:
            assert info["commits"] == commits, info
            return info
        time.sleep(0.3)
    raise AssertionError(f"consolidation did not finish: {info}")


def only_session(w: dict) -> tuple[str, dict]:
    ((session, entry),) = sessions(w).items()
    return session, entry


def assert_consolidated_again(w: dict, first: dict, prompts: list[str], work: str) -> None:
    """The resumed work is in the session's page, at the same path, in a new commit whose
    handoff is offered again; nothing is left pending."""
    session, entry = only_session(w)
    assert entry["status"] == "consolidated"
    assert entry["page"] == first["page"]
    assert entry["commit"] != first["commit"]
    (wiki,) = Path(w["env"]["AIMEM_HOME"]).glob("projects/*/wiki")
    repo = pygit2.Repository(str(wiki))
    assert str(repo.head.target) == entry["commit"]
    changed = repo.diff(f"{entry['commit']}~1", entry["commit"]).deltas
    assert entry["page"] in {d.new_file.path for d in changed}
    page = (wiki / entry["page"]).read_text()
    assert all(p in page for p in prompts), page
    assert work in page, page
    offer = json.loads((wiki.parent / "state" / "handoff.json").read_text())
    assert offer["status"] == "offered" and offer["from_session"] == session
    assert offer["commit"] == entry["commit"]
    handoff = (wiki / offer["path"]).read_text()
    assert prompts[-1] in handoff and "status: offered" in handoff
    pending = aimem("consolidate", "--pending", "--json", w=w)
    assert pending.returncode == 0, pending.stderr
    assert json.loads(pending.stdout) == []
    assert str(repo.head.target) == entry["commit"]  # nothing left to commit


def test_claude_resume_and_continue(tmp_path: Path) -> None:
    w = world(tmp_path, "claude-code")
    out = run(w, "anthropic", ["-p", FIRST], commands=1)
    session = json.loads(out.stdout)["session_id"]
    wait_commits(w, 1)
    first = sessions(w)[session]
    run(w, "anthropic", ["-p", SECOND, "--resume", session], commands=2)
    info = wait_commits(w, 2)
    assert info["handoff"]["status"] == "offered"
    assert_consolidated_again(w, first, [FIRST, SECOND], COMMANDS[1])
    second = sessions(w)[session]
    run(w, "anthropic", ["-p", THIRD, "--continue"], commands=3)
    wait_commits(w, 3)
    assert_consolidated_again(w, second, [FIRST, SECOND, THIRD], COMMANDS[2])


def test_codex_exec_resume(tmp_path: Path) -> None:
    w = world(tmp_path, "codex")
    run(w, "openai", [FIRST], commands=1)
    wait_commits(w, 1)
    session, first = only_session(w)
    run(w, "openai", ["resume", session, SECOND], commands=2)
    wait_commits(w, 2)
    assert_consolidated_again(w, first, [FIRST, SECOND], COMMANDS[1])


def test_gemini_resume_latest(tmp_path: Path) -> None:
    w = world(tmp_path, "gemini")
    run(w, "gemini", ["-p", FIRST], commands=1)
    wait_commits(w, 1)
    _, first = only_session(w)
    run(w, "gemini", ["-p", SECOND, "--resume", "latest"], commands=2)
    wait_commits(w, 2)
    # Gemini's resumed turn is recorded; the fake model answers it without a tool call.
    assert_consolidated_again(w, first, [FIRST, SECOND], SECOND)
