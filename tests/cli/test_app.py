"""The typer root: every failure is one redacted line on stderr, the traceback in the log only;
usage errors are one line too (exit 2); every command's help has examples; completion works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from replay import aimem_exe, claude_session, run_aimem
from typer.testing import CliRunner

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


# Usage errors, help and completion --------------------------------------------------------

USAGE_ERRORS = [
    (["search"], "Missing argument 'QUERY'", "aimem search --help"),
    (["search", "x", "--limit", "abc"], "Invalid value for '--limit'", "aimem search --help"),
    (["search", "x", "--limit", "0"], "--limit", "aimem search --help"),
    (["status", "--jsn"], "No such option: --jsn", "aimem status --help"),
    (["bogus"], "No such command 'bogus'", "aimem --help"),
    (["log", "--since"], "requires an argument", "aimem log --help"),
    (["show"], "Missing argument 'PAGE'", "aimem show --help"),
    (["write-page", "--salience", "7", "--type", "rule", "--title", "t"], "--salience", ""),
]


@pytest.mark.parametrize(("args", "message", "hint"), USAGE_ERRORS)
def test_a_usage_error_is_one_line_and_exit_2(
    args: list[str], message: str, hint: str, env: dict, tmp_path: Path
) -> None:
    """The real executable: click's framed box (usage, hint, error panel) is one line now."""
    result = run_aimem(*args, env=env, cwd=str(tmp_path))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aimem: error: ") and message in lines[0], lines[0]
    assert hint in lines[0]
    assert "╭" not in result.stderr and "Usage:" not in result.stderr


def test_bare_aimem_prints_the_help(env: dict, tmp_path: Path) -> None:
    result = run_aimem(env=env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Usage: aimem" in result.stdout and "Read memory" in result.stdout
    assert result.stderr == ""


def test_run_in_process_returns_the_exit_status(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli_app.run(["path"]) == 0
    assert capsys.readouterr().out.strip() == str(home)
    assert cli_app.run(["search", "--limit"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aimem: error: ") and err.count("\n") == 1
    assert cli_app.run(["status", "--project", "nope"]) == 1
    assert capsys.readouterr().err.startswith("aimem: error: unknown project 'nope'")


def command_names() -> list[str]:
    group = typer.main.get_command(cli_app.app)
    return sorted(group.commands)


@pytest.mark.parametrize("command", command_names())
def test_every_command_help_has_examples_and_plain_flags(command: str, home: Path) -> None:
    """typer's CliRunner, in process: an Examples block naming the command, flags without a
    `<bool>` type, and options with a named value (`PROJECT`, `N`) instead of `<str>`."""
    result = CliRunner().invoke(cli_app.app, [command, "--help"], terminal_width=120)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Examples" in out, out
    block = out.split("Examples", 1)[1]
    assert f"aimem {command}" in block, block
    assert "<bool>" not in out, out
    options = [line for line in out.split("Examples", 1)[0].splitlines() if " --" in line]
    for line in options:
        assert "<list[str]>" not in line and "<str>" not in line, line
        if "--project " in line:
            assert "PROJECT" in line or "SLUG" in line, line


def test_root_help_groups_commands_and_offers_completion(home: Path) -> None:
    result = CliRunner().invoke(cli_app.app, ["--help"], terminal_width=120)
    assert result.exit_code == 0
    for panel in ("Read memory", "Write and maintain memory", "Set up and check", "Run by agents"):
        assert panel in result.output
    assert "--install-completion" in result.output and "<bool>" not in result.output


def test_install_completion_for_bash_completes_commands_and_options(
    env: dict, tmp_path: Path
) -> None:
    """`aimem --install-completion` run from bash (the shell is detected from the parent
    process) writes a script that bash really uses to complete a command and an option."""
    user_home = tmp_path / "user"
    user_home.mkdir()
    exe_dir = str(Path(aimem_exe()).parent)
    env = dict(env, HOME=str(user_home), PATH=exe_dir + os.pathsep + env.get("PATH", ""))
    # "; exit $?" keeps bash from exec-ing aimem in its place, so aimem's parent is bash, as it
    # is at a prompt (typer detects the shell from the parent; under make it would find sh).
    installed = subprocess.run(
        ["bash", "--norc", "-c", "aimem --install-completion; exit $?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert installed.returncode == 0, installed.stderr
    script = user_home / ".bash_completions" / "aimem.sh"
    assert "bash completion installed" in installed.stdout and script.is_file()
    assert f"source '{script}'" in (user_home / ".bashrc").read_text()
    complete = (
        f"source '{script}'; "
        'COMP_WORDS=(aimem se); COMP_CWORD=1; _aimem_completion aimem; echo "${COMPREPLY[@]}"; '
        "COMP_WORDS=(aimem log --ag); COMP_CWORD=2; _aimem_completion aimem; "
        'echo "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "--norc", "-c", complete], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    commands, options = done.stdout.splitlines()
    assert commands.split() == ["search"]
    assert options.split() == ["--agent"]


def subcommands() -> list[tuple[str, str]]:
    group = typer.main.get_command(cli_app.app)
    return sorted(
        (name, sub)
        for name, command in group.commands.items()
        for sub in getattr(command, "commands", {})
    )


@pytest.mark.parametrize(("group", "command"), subcommands())
def test_every_subcommand_help_has_examples(group: str, command: str, home: Path) -> None:
    result = CliRunner().invoke(cli_app.app, [group, command, "--help"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert f"aimem {group} {command}" in result.output.split("Examples", 1)[1]
    assert "<bool>" not in result.output
