"""The typer root: every failure is one redacted line on stderr, the traceback in the log only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from replay import claude_session

from aimem.cli import app as cli_app
from aimem.consolidate import run as consolidate_run
from aimem.logfile import log_path

SECRET = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def test_an_unexpected_error_is_one_redacted_line_and_a_logged_traceback(
    home: Path,
    project: Path,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    claude_session(str(project), "app-err-1", "Fix the importer", env, ["SessionStart"])

    def broken(*_args: object, **_kwargs: object) -> list:
        raise RuntimeError(f"boom while reading token={SECRET}\nsecond line")

    monkeypatch.setattr(consolidate_run, "consolidate_pending", broken)
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "argv", ["aimem", "consolidate", "--pending"])
    assert cli_app.run() == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("aimem: error: unexpected RuntimeError: boom")
    assert SECRET not in err and "Traceback" not in err
    logged = Path(log_path(str(home))).read_text()
    assert "Traceback" in logged and "RuntimeError" in logged
    assert SECRET not in logged


def test_a_cli_error_line_is_redacted(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(sys, "argv", ["aimem", "show", f"password={SECRET}", "--project", "nope"])
    assert cli_app.run() == 1
    err = capsys.readouterr().err
    assert err.startswith("aimem: error: ") and err.count("\n") == 1
    assert SECRET not in err
