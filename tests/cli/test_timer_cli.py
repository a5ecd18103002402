"""``aimem install-timer`` as a process: a typer app with just this command, wrapped the way
``aimem.cli.app.run`` wraps the real one (a ``CliError`` is one line on stderr, exit 1), with
HOME in a temp dir and a PATH holding systemctl (no user manager reachable) and, for cron, a
fake ``crontab`` that keeps the table in a file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

needs_systemctl = pytest.mark.skipif(not shutil.which("systemctl"), reason="no systemctl")
EXE = "/opt/aimem/bin/aimem"
LINE = f"17 4 * * * {EXE} sweep --all >/dev/null 2>&1 # aimem-sweep\n"
OTHER = "MAILTO=me@example.com\n*/5 * * * * /usr/bin/backup  # mine\n"
APP = """
import sys

import typer

from aimem.cli.commands import timer
from aimem.cli.context import CliError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def main() -> None:
    pass


timer.register(app)
try:
    app(prog_name="aimem")
except CliError as exc:
    typer.echo(f"aimem: error: {exc}", err=True)
    sys.exit(1)
"""
FAKE_CRONTAB = """#!/bin/bash
case "$1" in
  -l) if [ -s 'TABLE' ]; then cat 'TABLE'; else echo "no crontab for $USER" >&2; exit 1; fi ;;
  -) cat > 'TABLE' ;;
  *) exit 2 ;;
esac
"""


@pytest.fixture
def timer_env(tmp_path: Path) -> dict[str, str]:
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("bash", "cat", "systemctl"):
        found = shutil.which(name)
        if found:
            (tools / name).symlink_to(found)
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "XDG_CONFIG_HOME": "", "PATH": str(tools), "USER": "tester"}


def add_crontab(env: dict[str, str], tmp_path: Path) -> Path:
    script = Path(env["PATH"]) / "crontab"
    script.write_text(FAKE_CRONTAB.replace("TABLE", str(tmp_path / "table")))
    script.chmod(0o755)
    return tmp_path / "table"


def aimem(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", APP, "install-timer", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aimem: error: "), result.stderr
    return lines[0]


def units(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".config" / "systemd" / "user"


def test_help_describes_every_option(timer_env: dict):
    result = aimem(timer_env, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: aimem install-timer" in result.stdout
    for option in ("--systemd", "--cron", "--uninstall", "--dry-run", "--executable", "--json"):
        assert option in result.stdout
    assert "sweep --all" in result.stdout


def test_systemd_and_cron_are_exclusive(timer_env: dict):
    assert "not both" in one_line_error(aimem(timer_env, "--systemd", "--cron"))


@needs_systemctl
def test_systemd_install_twice_then_uninstall(timer_env: dict):
    first = aimem(timer_env, "--systemd", "--executable", EXE, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["kind"] == "systemd" and report["changed"] is True
    assert report["manual"] == [
        "systemctl --user daemon-reload",
        "systemctl --user enable --now aimem-sweep.timer",
    ]
    service = units(timer_env) / "aimem-sweep.service"
    assert f"ExecStart={EXE} sweep --all" in service.read_text()
    written = {p.name: p.read_bytes() for p in units(timer_env).glob("aimem-sweep.*")}

    second = aimem(timer_env, "--systemd", "--executable", EXE)
    assert second.returncode == 0, second.stderr
    assert "unchanged" in second.stdout and "nothing changed" in second.stdout
    assert "created" not in second.stdout and "updated" not in second.stdout
    assert "run by hand:\n    systemctl --user daemon-reload" in second.stdout
    assert {p.name: p.read_bytes() for p in units(timer_env).glob("aimem-sweep.*")} == written

    removed = aimem(timer_env, "--uninstall", "--systemd")
    assert removed.returncode == 0, removed.stderr
    assert "deleted" in removed.stdout
    assert not any(units(timer_env).rglob("aimem-sweep.*"))


def test_systemd_refuses_a_path_with_a_space_or_percent(timer_env: dict):
    for path in ("/opt/my tools/aimem", "/opt/100%/aimem"):
        message = one_line_error(aimem(timer_env, "--systemd", "--executable", path))
        assert "systemd unit would split or expand" in message
    assert not units(timer_env).exists()


def test_dry_run_prints_the_units_and_writes_nothing(timer_env: dict):
    result = aimem(timer_env, "--systemd", "--executable", EXE, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"+ExecStart={EXE} sweep --all" in result.stdout
    assert "# systemd: would run: systemctl --user enable --now aimem-sweep.timer" in result.stdout
    assert "dry run: nothing was written" in result.stderr
    assert not Path(timer_env["HOME"], ".config").exists()


def test_cron_without_crontab_is_one_line_naming_the_line(timer_env: dict):
    message = one_line_error(aimem(timer_env, "--cron", "--executable", EXE))
    assert "no crontab command" in message and message.endswith(LINE.strip())


@needs_systemctl
def test_auto_without_a_scheduler_is_one_line_naming_the_command(timer_env: dict):
    message = one_line_error(aimem(timer_env, "--executable", EXE))
    assert f"`{EXE} sweep --all`" in message


@needs_systemctl
def test_cron_keeps_other_lines_through_install_and_uninstall(timer_env: dict, tmp_path: Path):
    table = add_crontab(timer_env, tmp_path)
    table.write_text(OTHER)

    dry = aimem(timer_env, "--executable", EXE, "--dry-run")  # auto: no user manager, so cron
    assert dry.returncode == 0, dry.stderr
    assert f"+{LINE}" in dry.stdout and "--- crontab" in dry.stdout
    assert table.read_text() == OTHER

    first = aimem(timer_env, "--executable", EXE)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("crontab: runs") and "updated   crontab" in first.stdout
    assert table.read_bytes() == (OTHER + LINE).encode()

    second = aimem(timer_env, "--cron", "--executable", EXE, "--json")
    assert json.loads(second.stdout)["changed"] is False
    assert table.read_bytes() == (OTHER + LINE).encode()

    removed = aimem(timer_env, "--uninstall", "--cron", "--json")
    assert removed.returncode == 0, removed.stderr
    assert [r["kind"] for r in json.loads(removed.stdout)] == ["cron"]
    assert table.read_bytes() == OTHER.encode()


def test_uninstall_takes_no_executable(timer_env: dict):
    assert "--executable" in one_line_error(aimem(timer_env, "--uninstall", "--executable", EXE))
