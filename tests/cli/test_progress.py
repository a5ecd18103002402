"""Progress bars: drawn on stderr when stderr is a terminal (a real pty), never otherwise, and
never on stdout, so piped and JSON output stay clean."""

from __future__ import annotations

import io
import os
import select
import subprocess
from pathlib import Path

import pytest
from replay import aimem_exe, run_aimem

from aimem.cli.progress import progress_bar


def run_with_tty_stderr(args: list[str], env: dict, cwd: str) -> tuple[int, bytes, bytes]:
    """Run aimem with stderr on a pseudo-terminal and stdout on a pipe."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [aimem_exe(), *args], stdout=subprocess.PIPE, stderr=slave, env=env, cwd=cwd
    )
    os.close(slave)
    err = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            err += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    out = proc.stdout.read()
    proc.stdout.close()
    return proc.wait(timeout=60), out, err


@pytest.fixture
def wiki_with_pages(env: dict, project: Path) -> str:
    for n in range(3):
        made = run_aimem("write-page", "-t", "concept", "--title", f"Concept {n}", "-b", "Body.",
                         env=env, cwd=str(project))  # fmt: skip
        assert made.returncode == 0, made.stderr
    return str(project)


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (["lint", "--json"], "lint: reading pages"),
        (["reindex", "--full", "--json"], "reindex"),
        (["sweep", "--dry-run", "--json"], "sweep"),
    ],
)
def test_long_commands_draw_a_bar_on_a_terminal_only(
    args: list[str], label: str, env: dict, wiki_with_pages: str
) -> None:
    env = dict(env, COLUMNS="100", TERM="xterm")
    code, out, err = run_with_tty_stderr(args, env, wiki_with_pages)
    assert code == 0, err
    assert label.encode() in err  # the bar, with its label
    assert b"\x1b[?25l" in err and b"\x1b[?25h" in err  # cursor hidden, then given back
    assert b"\x1b" not in out  # stdout stays plain JSON
    assert out.strip().startswith((b"{", b"["))

    piped = run_aimem(*args, env=env, cwd=wiki_with_pages)  # stderr a pipe: no bar
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.encode() == out


def test_the_library_callback_counts_the_pages(wiki_with_pages: str, env: dict) -> None:
    from aimem.lifecycle.lint import lint
    from aimem.project import find_project

    _, _, paths = find_project(env["AIMEM_HOME"], None, wiki_with_pages)
    calls: list[tuple[int, int | None]] = []
    report = lint(paths, progress=lambda done, total: calls.append((done, total)))
    total = calls[-1][1]
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert total >= report.pages == 3


def test_progress_bar_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    with progress_bar("work", stream) as advance:
        advance(1, 2)
        advance(2, 2)
    assert stream.getvalue() == ""
