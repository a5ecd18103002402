"""The wiki lock: one writer at a time, and it clears what a killed writer left in state/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from filelock import FileLock, Timeout

from aimem.wiki.lock import wiki_lock


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_taking_the_lock_removes_temporary_files_of_dead_writers(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    dead = dead_pid()
    stale = [state / f"sessions.json.{dead}.tmp", state / f"brief.md.{dead}.tmp"]
    for path in stale:
        path.write_text("{half")
    live = state / f"handoff.json.{os.getppid()}.tmp"  # a live process's write in progress
    live.write_text("{")
    (state / "sessions.json").write_text("{}\n")
    with wiki_lock(str(state)):
        pass
    assert [p for p in stale if p.exists()] == []
    assert live.exists()
    assert (state / "sessions.json").read_text() == "{}\n"


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with wiki_lock(str(state)):
        try:
            FileLock(str(state / "wiki.lock"), timeout=0.05).acquire()
        except Timeout:
            pass
        else:
            raise AssertionError("a second writer got the wiki lock")
