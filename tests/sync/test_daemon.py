"""A real network transport: ``git daemon`` on loopback (``git://``), started and stopped here.
Two machines sync through it, a rejected push retries over it, and once it is stopped a sync is
one line, a non-zero exit and nothing changed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest
from sync_world import Machine
from test_sync_cli import run

from aimem.sync.run import SyncError

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[str]:
    """``git daemon`` serving ``tmp_path/served`` on a loopback port; its base URL."""
    served = tmp_path / "served"
    served.mkdir()
    pygit2.init_repository(str(served / "memory.git"), bare=True)
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--export-all",
            "--enable=receive-pack",
            "--reuseaddr",
            "--informative-errors",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={served}",
            str(served),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("git daemon did not start") from None
            time.sleep(0.05)
    try:
        yield f"git://127.0.0.1:{port}/memory.git"
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def test_two_machines_sync_over_git_daemon(tmp_path: Path, daemon: str) -> None:
    a, b = Machine.make(tmp_path, "alpha"), Machine.make(tmp_path, "beta")
    for m in (a, b):
        m.add_remote("lan", daemon, "all")
    a.session("sess-daemon-0001", "Wire up the payment webhook", "Done, see the handler.")
    page = a.write("gotcha", "Webhook retries", "Stripe retries for three days.")
    assert a.sync("lan").status == "pushed"
    assert page in b.sync("lan").pulled
    b.edit(page, "Stripe retries for three days; make the handler idempotent.")
    a.write("decision", "Queue webhooks", "Webhooks go through the job queue.")
    raced = []

    def race(attempt: int) -> None:
        if attempt == 1 and not raced:
            raced.append(b.sync("lan"))

    outcome = a.sync("lan", on_fetched=race)
    assert outcome.attempts == 2 and outcome.status == "merged"
    b.sync("lan")
    assert a.tree_id() == b.tree_id()
    assert "idempotent" in a.page(page).body


def test_a_stopped_daemon_is_one_line_and_exit_1(tmp_path: Path, daemon: str) -> None:
    a = Machine.make(tmp_path, "alpha")
    a.write("concept", "Local only", "Not pushed yet.")
    port = daemon.rsplit(":", 1)[1].split("/")[0]
    dead = f"git://127.0.0.1:{free_port()}/memory.git"
    assert port not in dead.split("/")[2]
    a.add_remote("down", dead, "all")
    before = a.tree_id()
    with pytest.raises(SyncError) as err:
        a.sync("down")
    assert "\n" not in str(err.value) and "down: cannot fetch" in str(err.value)
    assert a.tree_id() == before
    code, out, line = run(a, "sync", "--remote", "down")  # the command: one line, exit 1
    assert code == 1 and "cannot fetch" in line and "\n" not in line and out == ""
