"""Generated command lines (hypothesis) against the real app in process: whatever the arguments,
the exit status is 0, 1 or 2, a failure is exactly one ``aimem: error:`` line on stderr, and
nothing ends in a traceback or an "unexpected" error (a bug). The commands that touch the
user's agent configs, crontab or stdin servers (install, uninstall, install-timer, doctor,
hook, mcp) are left out; everything runs in a throwaway data root and project."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from replay import aimem_exe

from aimem.cli import app as cli_app

COMMANDS = [
    "search", "show", "explore", "status", "projects", "path", "log", "lint", "reindex",
    "consolidate", "sweep", "unarchive", "write-page", "rules", "bootstrap",
]  # fmt: skip
OPTIONS = [
    "--json", "--project", "-p", "--limit", "-n", "--type", "-t", "--all", "-a", "--since",
    "--agent", "--author", "--full", "--dry-run", "--wiki", "--session", "-s", "--pending",
    "--title", "--body", "-b", "--tag", "--path", "--salience", "--pinned", "--not-pinned",
    "--supersedes", "--source", "--help", "--bogus", "-x", "--", "-", "--status", "list",
    "accept", "reject",
]  # fmt: skip
VALUES = [
    "", "0", "1", "-1", "100", "101", "1e9", "nan", "decision", "rule", "session", "bogus",
    "codex", "claude-code", "7d", "yesterday", "2026-11-01", "../../etc/passwd", "/etc/passwd",
    ".git/config", "index.md", "decisions/use-wal", "_archive/x", "nope", "proj", "a b", "*",
    'NEAR( "x* AND', "日本語", "x" * 300,
]  # fmt: skip
# Anything a shell can pass: no NUL (argv cannot hold one), no lone surrogates.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
TOKENS = st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES), TEXT)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data root with one project that has a page, and the project as the current folder."""
    root = tmp_path_factory.mktemp("fuzz")
    project = root / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIMEM_HOME", str(root / "data"))
        patch.setenv("AIMEM_CONFIG", str(root / "no-config.toml"))
        patch.setenv("HOME", str(root / "home"))
        patch.delenv("AIMEM_PROJECT", raising=False)
        patch.chdir(project)
        made = cli_app.run(["write-page", "-t", "decision", "--title", "Use WAL", "-b", "Fast."])
        assert made == 0
        yield project
    os.umask(0o022)  # the commands set 077 for what they create; give the test run its own back


@settings(
    max_examples=int(os.environ.get("AIMEM_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(command=st.sampled_from(COMMANDS), rest=st.lists(TOKENS, max_size=6))
def test_any_command_line_ends_cleanly(
    command: str, rest: list[str], world: Path, capsys: pytest.CaptureFixture
) -> None:
    code = cli_app.run([command, *rest])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (command, rest, code, err)
    assert "Traceback" not in out + err
    assert "aimem: error: unexpected " not in err, (command, rest, err)  # the catch-all: a bug
    if code != 0:
        lines = err.splitlines()
        assert lines and lines[-1].startswith("aimem: error: "), (command, rest, err)
        assert all(line.startswith("aimem: ") for line in lines), err  # warnings, then the error
    if code == 2:
        assert len(err.splitlines()) == 1 and "--help" in err


@settings(
    max_examples=int(os.environ.get("AIMEM_FUZZ_EXAMPLES_EXE", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(command=st.sampled_from(COMMANDS), rest=st.lists(TOKENS, max_size=4))
def test_the_real_executable_ends_cleanly(command: str, rest: list[str], world: Path) -> None:
    """A sample through ``.venv/bin/aimem`` itself: the entry point, a real argv and a real
    stdin (empty), as a shell would run it."""
    result = subprocess.run(
        [aimem_exe(), command, *rest],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        cwd=str(world),
    )
    assert result.returncode in (0, 1, 2), (command, rest, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert "aimem: error: unexpected " not in result.stderr
    if result.returncode:
        lines = result.stderr.splitlines()
        assert lines and lines[-1].startswith("aimem: error: "), (command, rest, result.stderr)
