"""The real Codex 0.169.0 trusts the hooks ``aimem install codex`` wrote (asked through
``codex app-server`` ``hooks/list``), and only those."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path

import pytest
from agents import binary

from aimem import install
from aimem.install.common import Target


def hooks_list(codex: str, codex_home: Path, cwd: Path) -> list[dict]:
    """``hooks/list`` from ``codex app-server`` (JSON-RPC over stdio), bounded in time; the
    server is stopped by its PID."""
    env = {**os.environ, "CODEX_HOME": str(codex_home), "HOME": str(codex_home.parent)}
    proc = subprocess.Popen(
        [codex, "app-server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
    )

    def send(message: dict) -> None:
        proc.stdin.write((json.dumps(message) + "\n").encode())
        proc.stdin.flush()

    def receive(want: int) -> dict:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    break
                message = json.loads(line)
                if message.get("id") == want:
                    return message
        raise AssertionError("codex app-server did not answer")

    try:
        init = {"clientInfo": {"name": "aimem-test", "version": "0"}}
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init})
        receive(1)
        send({"jsonrpc": "2.0", "method": "initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "hooks/list", "params": {}})
        answer = receive(2)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    return [hook for entry in answer["result"]["data"] for hook in entry["hooks"]]


@pytest.mark.parametrize("scope", ["user", "project"])
def test_real_codex_trusts_what_aimem_installed(tmp_path: Path, scope: str):
    home, project = tmp_path / "home", tmp_path / "proj"
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True)
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (codex_home / "config.toml").write_text(
        f'# my settings\n[projects."{project.resolve()}"]\ntrust_level = "trusted"\n'
    )
    # The user's own hook comes first, so aimem's Stop sits at group index 1.
    (project / ".codex").mkdir()
    user_hooks = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "true"}]}]}}
    hooks_dir = codex_home if scope == "user" else project / ".codex"
    (hooks_dir / "hooks.json").write_text(json.dumps(user_hooks, indent=2) + "\n")
    target = Target(scope, "/opt/aimem/bin/aimem", str(project), {"HOME": str(home)})
    install.apply(install.plan(["codex"], target, True))

    hooks = hooks_list(binary("codex"), codex_home, project)
    ours = [h for h in hooks if "aimem" in (h.get("command") or "")]
    assert len(ours) == 7, hooks
    assert {h["trustStatus"] for h in ours} == {"trusted"}, ours
    theirs = [h for h in hooks if h.get("command") == "true"]
    assert [h["trustStatus"] for h in theirs] == ["untrusted"]  # aimem trusts only its own
