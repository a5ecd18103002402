"""Replay real captured hook payloads through the installed ``aimem`` executable.

Shared by the tests and by the README's demo (``tests/demo.py``), so both exercise exactly what
an agent runs: a separate ``aimem hook <agent> <event>`` process per event, payload on stdin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "payloads"
AGENT_DIRS = {"claude-code": "claude", "codex": "codex"}
CLAUDE_SESSION = [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "MessageDisplay",
    "Stop",
    "SessionEnd",
]


def aimem_exe() -> str:
    """The ``aimem`` console script installed next to the running interpreter."""
    candidate = Path(sys.executable).parent / "aimem"
    if not candidate.exists():
        raise RuntimeError(f"aimem is not installed in {candidate.parent}: run `make install`")
    return str(candidate)


def payload(agent: str, name: str, index: int = 0) -> dict:
    """One real payload (``name`` is the file stem, e.g. ``PostToolUse.mcp``)."""
    data = json.loads((FIXTURES / AGENT_DIRS[agent] / f"{name}.json").read_text())
    entry = data[index] if isinstance(data, list) else data
    return dict(entry["payload"])


def retarget(p: dict, *, cwd: str, session: str, prompt: str | None = None) -> dict:
    """The same payload, pointed at another project folder and session."""
    p = dict(p, cwd=cwd, session_id=session)
    if prompt is not None and "prompt" in p:
        p["prompt"] = prompt
    return p


def run_hook(
    agent: str, event: str, data: dict | bytes, env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return subprocess.run(
        [aimem_exe(), "hook", agent, event],
        input=raw,
        env=env,
        capture_output=True,
        timeout=timeout,
    )


def run_aimem(
    *args: str, env: dict[str, str], cwd: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [aimem_exe(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def claude_session(
    cwd: str, session: str, prompt: str, env: dict[str, str], events: list[str] = CLAUDE_SESSION
) -> list[subprocess.CompletedProcess]:
    """A whole recorded Claude Code session, one hook process per event."""
    return [
        run_hook(
            "claude-code",
            event,
            retarget(payload("claude-code", event), cwd=cwd, session=session, prompt=prompt),
            env,
        )
        for event in events
    ]


def context_of(output: bytes) -> str:
    """The ``additionalContext`` a SessionStart hook printed ("" when it printed nothing)."""
    if not output.strip():
        return ""
    return json.loads(output)["hookSpecificOutput"]["additionalContext"]


def clean_env(home: str, **extra: str) -> dict[str, str]:
    """A hook environment like an agent's: our data root, nothing inherited that changes it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIMEM_")}
    env.update({"AIMEM_HOME": home, **extra})
    return env


def wait_all_consolidated(env: dict, project: Path, count: int, timeout: float = 120) -> None:
    """Wait until ``aimem status`` counts ``count`` consolidated sessions and nothing pending
    (the consolidations SessionEnd hooks started in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = run_aimem("status", "--json", env=env, cwd=str(project))
        info = json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else {}
        if info.get("sessions", {}).get("consolidated", 0) >= count and not info.get("pending"):
            return
        time.sleep(0.2)
    raise AssertionError(f"sessions not consolidated in time: {out.stdout} {out.stderr[-2000:]}")
