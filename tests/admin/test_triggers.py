"""The opt-in sync after a session: started detached after a consolidation, only when asked
for and when the project has a remote; the identity migration runs either way."""

from __future__ import annotations

import os
import time
from pathlib import Path

from admin_world import git, make_project

from aimem.admin.identity import local_id
from aimem.admin.triggers import after_consolidation
from aimem.sync import config


def _wait(pid: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.05)
    raise AssertionError("the detached sync did not finish")


def test_sync_after_session_runs_detached_only_when_opted_in(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    home = str(tmp_path / "data")
    monkeypatch.setenv("AIMEM_HOME", home)
    monkeypatch.setenv("AIMEM_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("AIMEM_SYNC_AFTER_SESSION", raising=False)
    paths = make_project(home, "alpha-00000001", "alpha", pages=2)
    assert after_consolidation(paths, "alpha") is None  # not opted in
    assert local_id(paths)  # the identity was migrated all the same

    monkeypatch.setenv("AIMEM_SYNC_AFTER_SESSION", "1")
    assert after_consolidation(paths, "alpha") is None  # no remote: nothing to start
    bare = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(bare))
    config.add(paths, "alpha", "laptop", bare.as_uri(), "all", "aimem/alpha")
    pid = after_consolidation(paths, "alpha")
    assert isinstance(pid, int)
    _wait(pid)
    head = git("rev-parse", "HEAD", cwd=paths.wiki).strip()
    assert git("rev-parse", "aimem/alpha", cwd=str(bare)).strip() == head
