"""Session boundaries through real ``aimem hook`` processes, for every agent: a replayed
SessionStart/SessionEnd (the same hook fired twice in a row) is recorded once, while a resumed
session (the same session id starting and ending again, with the same boundary payloads) is
recorded, reopened and consolidated again at the same page path."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from replay import FIXTURES, run_aimem, run_hook

from aimem.capture import state

# agent -> fixture folder, (event, fixture) for start, resumed start, prompt and end.
AGENTS = {
    "claude-code": (
        "claude",
        ("SessionStart", "SessionStart"),
        ("SessionStart", "SessionStart.resume+compact"),
        ("UserPromptSubmit", "UserPromptSubmit"),
        ("SessionEnd", "SessionEnd"),
    ),
    "codex": (
        "codex",
        ("SessionStart", "SessionStart"),
        ("SessionStart", "SessionStart.resume"),
        ("UserPromptSubmit", "UserPromptSubmit"),
        ("SessionEnd", "SessionEnd"),
    ),
    "gemini": (
        "gemini",
        ("SessionStart", "SessionStart"),
        ("SessionStart", "SessionStart.resume"),
        ("BeforeAgent", "BeforeAgent"),
        ("SessionEnd", "SessionEnd"),
    ),
    "cursor": (
        "cursor",
        ("sessionStart", "sessionStart"),
        ("sessionStart", "sessionStart"),
        ("beforeSubmitPrompt", "beforeSubmitPrompt"),
        ("sessionEnd", "sessionEnd"),
    ),
    "opencode": (
        "opencode",
        ("session.created", "session.created"),
        ("session.created", "session.created"),
        ("chat.message", "chat.message"),
        ("plugin.exit", "plugin.exit"),
    ),
}


class Agent:
    """Real captured (or documented) payloads of one agent, pointed at our project/session."""

    def __init__(self, agent: str, cwd: Path, env: dict) -> None:
        self.agent, self.cwd, self.env = agent, str(cwd), env
        self.folder, self.start, self.resume, self.prompt, self.end = AGENTS[agent]
        self.session = f"{agent}-{uuid.uuid4()}"

    def payload(self, name: str, **changes: object) -> dict:
        data = json.loads((FIXTURES / self.folder / f"{name}.json").read_text())
        entry = data[0] if isinstance(data, list) else data
        p = dict(entry["payload"], cwd=self.cwd, session_id=self.session, **changes)
        if "conversation_id" in p:
            p["conversation_id"] = self.session
        return p

    def fire(self, which: tuple[str, str], **changes: object) -> None:
        event, name = which
        done = run_hook(self.agent, event, self.payload(name, **changes), self.env)
        assert done.returncode == 0
        assert done.stdout == b"" or json.loads(done.stdout)  # nothing, or the context JSON

    def say(self, text: str, n: int) -> None:
        # A new prompt has its own prompt/turn id and time, as the real agents send.
        self.fire(
            self.prompt,
            prompt=text,
            prompt_id=f"p{n}",
            turn_id=f"t{n}",
            generation_id=f"g{n}",
            timestamp=f"2026-11-22T23:0{n}:00.000Z",
        )


def data_dir(env: dict) -> Path:
    (project,) = Path(env["AIMEM_HOME"]).glob("projects/*")
    return project


def kinds(env: dict, session: str) -> list[str]:
    segment = data_dir(env) / "raw" / f"{session}.jsonl"
    return [json.loads(line)["kind"] for line in segment.read_text().splitlines()]


def entry(env: dict, session: str) -> dict:
    return json.loads((data_dir(env) / "state" / "sessions.json").read_text()).get(session, {})


def wait_consolidated(env: dict, session: str, not_commit: object = None) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        e = entry(env, session)
        if e.get("status") == "consolidated" and e.get("commit") not in (None, not_commit):
            return e
        time.sleep(0.1)
    raise AssertionError(f"not consolidated: {e}")


@pytest.mark.parametrize("agent", sorted(AGENTS))
def test_a_replayed_boundary_is_recorded_once(agent: str, env: dict, project: Path) -> None:
    a = Agent(agent, project, env)
    a.fire(a.start)
    a.fire(a.start)  # installed at two scopes: the same hook twice in a row
    a.say("Fix the parser", 1)
    a.fire(a.end)
    a.fire(a.end)
    assert kinds(env, a.session) == ["session_start", "prompt", "session_end"]
    wait_consolidated(env, a.session)


@pytest.mark.parametrize("agent", sorted(AGENTS))
def test_a_resumed_session_is_recorded_and_consolidated_again(
    agent: str, env: dict, project: Path
) -> None:
    a = Agent(agent, project, env)
    a.fire(a.start)
    a.say("Fix the parser", 1)
    a.fire(a.end)
    first = wait_consolidated(env, a.session)
    wiki = data_dir(env) / "wiki"
    # Resumed: the agent sends the same session id, and may repeat its start and end payloads.
    a.fire(a.resume)
    assert entry(env, a.session)["status"] == "open"
    a.say("Now also fix the lexer", 2)
    a.fire(a.end)
    assert kinds(env, a.session) == ["session_start", "prompt", "session_end"] * 2
    second = wait_consolidated(env, a.session, not_commit=first["commit"])
    assert second["page"] == first["page"]
    page = (wiki / second["page"]).read_text()
    assert "Fix the parser" in page and "Now also fix the lexer" in page
    offer = json.loads((data_dir(env) / "state" / "handoff.json").read_text())
    assert offer["status"] == "offered" and offer["from_session"] == a.session
    assert offer["commit"] == second["commit"]
    assert "Now also fix the lexer" in (wiki / offer["path"]).read_text()
    status = json.loads(run_aimem("status", "--json", env=env, cwd=str(project)).stdout)
    assert status["pending"] == [] and status["commits"] == 2


@pytest.mark.parametrize("before", ["consolidated", "failed", "ended"])
def test_a_session_start_reopens_an_ended_session(before: str, env: dict, project: Path) -> None:
    a = Agent("claude-code", project, env)
    a.fire(a.start)
    a.say("Fix the parser", 1)
    sessions = data_dir(env) / "state" / "sessions.json"
    data = json.loads(sessions.read_text())
    data[a.session].update(status=before, ended_ts=time.time() - 3600, consolidate_pid=None)
    sessions.write_text(json.dumps(data))
    a.fire(a.resume)
    assert entry(env, a.session)["status"] == "open"


def test_a_session_resumed_while_its_consolidation_runs_stays_open(
    env: dict, project: Path
) -> None:
    # `claude -p ...; claude -p --continue ...` in a script: the resume starts while the first
    # run's consolidation is still running, and must not be marked consolidated by it.
    a = Agent("claude-code", project, env)
    a.env = dict(env, AIMEM_CONSOLIDATE_WAIT_SECONDS="60")
    a.fire(a.start)
    a.say("Fix the parser", 1)
    a.fire(a.end)
    a.fire(a.resume)
    a.say("Now also fix the lexer", 2)
    deadline = time.monotonic() + 60
    while state.process_alive(entry(env, a.session).get("consolidate_pid")):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    last = entry(env, a.session)
    assert last["status"] == "open" and last.get("commit")  # consolidated, then reopened


def test_a_resumed_session_that_never_ends_becomes_pending(env: dict, project: Path) -> None:
    from aimem.consolidate.run import STALE_AFTER, pending_sessions
    from aimem.project import paths_for

    a = Agent("claude-code", project, env)
    a.fire(a.start)
    a.say("Fix the parser", 1)
    a.fire(a.end)
    wait_consolidated(env, a.session)
    a.fire(a.resume)
    a.say("Now also fix the lexer", 2)  # ...and the agent crashes: no SessionEnd
    paths = paths_for(env["AIMEM_HOME"], data_dir(env).name)
    assert pending_sessions(paths) == []  # open and recently active
    assert pending_sessions(paths, now=time.time() + STALE_AFTER + 60) == [a.session]
