"""SessionStart waits for a consolidation still running, and only for a live one: after a crashed
(killed) consolidation, a new session starts at once instead of waiting the full
``consolidate_wait_seconds``."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from replay import payload, retarget, run_hook

from aimem.capture import state


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def sleeper():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child
    child.kill()
    child.wait()


def test_a_dead_or_zombie_consolidation_is_not_waited_for(tmp_path: Path) -> None:
    sdir = str(tmp_path / "state")
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while not Path(f"/proc/{zombie.pid}/stat").read_text().rpartition(")")[2].startswith(" Z"):
        assert time.monotonic() < deadline
        time.sleep(0.02)  # exited, not reaped yet
    for name, pid in (("killed", dead_pid()), ("zombie", zombie.pid)):
        state.update_session(sdir, name, status="ended", ended_ts=time.time(), consolidate_pid=pid)
    started = time.monotonic()
    assert state.wait_for_consolidation(sdir, exclude="me", timeout=5) is True
    assert time.monotonic() - started < 1
    zombie.wait()


def test_a_live_consolidation_is_waited_for(tmp_path: Path, sleeper) -> None:
    sdir = str(tmp_path / "state")
    state.update_session(
        sdir, "other", status="ended", ended_ts=time.time(), consolidate_pid=sleeper.pid
    )
    started = time.monotonic()
    assert state.wait_for_consolidation(sdir, exclude="me", timeout=0.5) is False
    assert time.monotonic() - started >= 0.5


def test_an_end_without_a_pid_yet_is_waited_for_only_briefly(tmp_path: Path) -> None:
    sdir = str(tmp_path / "state")
    # Just ended: the hook is starting the consolidation and has not recorded its pid yet.
    state.update_session(sdir, "new", status="ended", ended_ts=time.time())
    assert state.wait_for_consolidation(sdir, exclude="me", timeout=0.2) is False
    # Ended long enough ago that its pid would be known: a hook killed in between.
    old = time.time() - state.LIVE_SPAWN_GRACE - 1
    state.update_session(sdir, "new", status="ended", ended_ts=old)
    assert state.wait_for_consolidation(sdir, exclude="me", timeout=5) is True


def mark_ended(env: dict, pid: int) -> None:
    """A session that ended a moment ago, whose consolidation is ``pid``."""
    (data,) = Path(env["AIMEM_HOME"]).glob("projects/*")
    state.update_session(
        str(data / "state"), "ended", status="ended", ended_ts=time.time(), consolidate_pid=pid
    )


def timed_session_start(env: dict, project: Path, wait: float) -> float:
    p = retarget(
        payload("claude-code", "SessionStart"), cwd=str(project), session=str(uuid.uuid4())
    )
    started = time.monotonic()
    done = run_hook(
        "claude-code", "SessionStart", p, dict(env, AIMEM_CONSOLIDATE_WAIT_SECONDS=str(wait))
    )
    assert done.returncode == 0
    return time.monotonic() - started


def first_prompt(env: dict, project: Path) -> None:
    """The project's data folder exists: one session recorded a prompt."""
    p = retarget(payload("claude-code", "UserPromptSubmit"), cwd=str(project), session="first")
    assert run_hook("claude-code", "UserPromptSubmit", p, env).returncode == 0


def test_session_start_after_a_crashed_consolidation_does_not_wait(
    env: dict, project: Path
) -> None:
    first_prompt(env, project)
    mark_ended(env, dead_pid())
    assert timed_session_start(env, project, wait=5) < 2.5


def test_session_start_still_waits_for_a_live_consolidation(
    env: dict, project: Path, sleeper
) -> None:
    first_prompt(env, project)
    mark_ended(env, sleeper.pid)
    assert timed_session_start(env, project, wait=1.5) >= 1.5
