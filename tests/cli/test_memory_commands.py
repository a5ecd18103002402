"""``aimem write-page`` and ``aimem lint`` through the installed executable: the same library
functions as the MCP tools, with one-line errors and meaningful exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from replay import aimem_exe, run_aimem


def test_write_page_starts_memory_then_lint_finds_an_orphan(env: dict, project: Path) -> None:
    cwd = str(project / "src")
    made = run_aimem(
        "write-page", "--type", "decision", "--title", "Use WAL", "--tag", "sqlite",
        "--body", "Readers never block. api_key=abc123def456", "--json",
        env=env, cwd=cwd,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = json.loads(made.stdout)
    assert done["action"] == "created" and done["path"] == "decisions/use-wal.md"
    assert done["redacted"]
    shown = run_aimem("show", "decisions/use-wal", env=env, cwd=cwd)
    assert "abc123def456" not in shown.stdout and "[REDACTED]" in shown.stdout

    stdin_cmd = [aimem_exe(), "write-page", "-t", "gotcha", "--title", "Lock order", "--json"]
    empty = subprocess.run(stdin_cmd, input="", capture_output=True, text=True, env=env, cwd=cwd)
    assert empty.returncode == 1 and "body must be a non-empty string" in empty.stderr
    piped = subprocess.run(
        stdin_cmd, input="Take A before B.\n", capture_output=True, text=True, env=env, cwd=cwd
    )
    assert json.loads(piped.stdout)["path"] == "gotchas/lock-order.md"

    report = run_aimem("lint", "--json", env=env, cwd=cwd)
    assert report.returncode == 0, report.stderr  # an orphan is a warning, not an error
    data = json.loads(report.stdout)
    assert data["counts"]["orphan_page"] == 2 and data["errors"] == 0
    plain = run_aimem("lint", env=env, cwd=cwd)
    assert "warning: orphan_page: decisions/use-wal.md" in plain.stdout


def test_write_page_errors_are_one_line(env: dict, project: Path) -> None:
    args = ("write-page", "--type", "rule", "--title", "Tabs", "--body", "Use tabs.")
    assert run_aimem(*args, env=env, cwd=str(project)).returncode == 0
    again = run_aimem(*args, env=env, cwd=str(project))
    assert again.returncode == 1
    assert again.stderr.startswith("aimem: error: a rule page already exists at _rules/tabs.md")
    assert len(again.stderr.strip().splitlines()) == 1
    update = run_aimem(*args, "--path", "_rules/tabs.md", "--json", env=env, cwd=str(project))
    assert json.loads(update.stdout)["action"] == "unchanged"
    missing = run_aimem(*args, "--path", "_rules/none.md", env=env, cwd=str(project))
    assert "no page '_rules/none.md'" in missing.stderr
    wrong = run_aimem("write-page", "--type", "session", "--title", "T", "--body", "B",
                      env=env, cwd=str(project))  # fmt: skip
    assert wrong.returncode == 1 and "type must be one of" in wrong.stderr


def test_lint_exits_1_on_errors(env: dict, project: Path, home: Path) -> None:
    body = "Links to [[nowhere]]."
    run_aimem("write-page", "-t", "concept", "--title", "C", "-b", body, env=env, cwd=str(project))
    report = run_aimem("lint", env=env, cwd=str(project))
    assert report.returncode == 1
    assert "error: broken_link: concepts/c.md: [[nowhere]] matches no page" in report.stdout
    elsewhere = run_aimem("lint", env=env, cwd="/")
    assert elsewhere.returncode == 1 and "not inside a project" in elsewhere.stderr


def test_write_page_takes_non_utf8_arguments(env: dict, project: Path) -> None:
    """Bytes that are not UTF-8 in an argument are replaced by U+FFFD, not an unexpected error."""
    argv = [aimem_exe(), "write-page", "-t", "concept", "--title", b"Caf\xff notes",
            "--tag", b"t\xfe", "--body", b"Body \xff.", "--json"]  # fmt: skip
    done = subprocess.run(argv, env=env, cwd=str(project), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"] == "Caf\ufffd notes"
    shown = run_aimem("show", json.loads(done.stdout)["path"], env=env, cwd=str(project))
    assert "Body \ufffd." in shown.stdout and "t\ufffd" in shown.stdout
