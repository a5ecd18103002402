"""``aimem.install.timer``: the systemd user units and the crontab line for the daily sweep.

systemd runs for real: this machine's ``systemctl --user`` reaches no user manager (the tests
give it no ``XDG_RUNTIME_DIR``), which is the fallback path that must keep the files and report
the commands. cron runs through a fake ``crontab`` that keeps the table in a file. ``PATH`` holds
only those two and what the fake needs, so a real ``crontab`` on the host never interferes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from aimem.install import timer
from aimem.install.common import InstallError

EXE = "/opt/aimem/bin/aimem"
SYSTEMCTL = shutil.which("systemctl")
needs_systemctl = pytest.mark.skipif(SYSTEMCTL is None, reason="no systemctl on this machine")

FAKE_CRONTAB = """#!/bin/bash
# crontab(1) stand-in: the table is the file TABLE; every call is logged to CALLS.
echo "$*" >> 'CALLS'
case "$1" in
  -l) if [ -s 'TABLE' ]; then cat 'TABLE'; else echo "no crontab for $USER" >&2; exit 1; fi ;;
  -) cat > 'TABLE' ;;
  *) echo "usage: crontab [-l | -]" >&2; exit 2 ;;
esac
"""
OTHER_LINES = (
    "# m h dom mon dow command\n"
    "MAILTO=me@example.com\n"
    "*/5 * * * * /usr/bin/backup --quiet  # keep\n"
    "\n"
    "@reboot echo 'hi %s' >/dev/null\n"
)


def make_env(tmp_path: Path, *, crontab: bool) -> dict[str, str]:
    """HOME in the temp dir, no user manager; PATH has systemctl and maybe a fake crontab."""
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    for name in ("bash", "cat", "systemctl"):
        found = shutil.which(name)
        if found and not (tools / name).exists():
            (tools / name).symlink_to(found)
    if crontab:
        script = tools / "crontab"
        text = FAKE_CRONTAB.replace("TABLE", str(tmp_path / "table"))
        script.write_text(text.replace("CALLS", str(tmp_path / "calls")))
        script.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "XDG_CONFIG_HOME": "", "PATH": str(tools), "USER": "tester"}


def units(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".config" / "systemd" / "user"


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime: an unchanged mtime proves the file was not rewritten."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def calls(tmp_path: Path) -> list[str]:
    path = tmp_path / "calls"
    return path.read_text().splitlines() if path.exists() else []


# --- systemd ----------------------------------------------------------------------------------


@needs_systemctl
def test_systemd_install_writes_the_units_and_reports_the_commands(tmp_path: Path):
    env = make_env(tmp_path, crontab=False)
    result = timer.install_timer("systemd", EXE, env=env)
    service = (units(env) / timer.SERVICE).read_text()
    unit = (units(env) / timer.TIMER).read_text()
    assert service.startswith("# Managed by `aimem install-timer`")
    assert unit.startswith("# Managed by `aimem install-timer`")
    assert f"\nExecStart={EXE} sweep --all\n" in service
    assert "\nType=oneshot\n" in service and "\nNice=10\n" in service
    assert "\nIOSchedulingClass=best-effort\n" in service
    for line in ("OnCalendar=daily", "Persistent=true", "RandomizedDelaySec=1h"):
        assert f"\n{line}\n" in unit
    assert "{{" not in service + unit
    assert result.kind == "systemd" and result.changed
    assert [c.action for c in result.changes] == ["created", "created"]
    # No user manager here: not an error, the files stay and the commands are handed over.
    assert result.manual == [
        "systemctl --user daemon-reload",
        "systemctl --user enable --now aimem-sweep.timer",
    ]
    assert [r.command for r in result.commands] == result.manual
    assert not any(r.ok for r in result.commands)
    assert "systemctl --user failed" in result.notes[0]


@needs_systemctl
def test_second_systemd_install_changes_nothing(tmp_path: Path):
    env = make_env(tmp_path, crontab=False)
    timer.install_timer("systemd", EXE, env=env)
    before = snapshot(units(env))
    again = timer.install_timer("systemd", EXE, env=env)
    assert not again.changed
    assert [c.action for c in again.changes] == ["unchanged", "unchanged"]
    assert snapshot(units(env)) == before
    moved = timer.install_timer("systemd", "/usr/local/bin/aimem", env=env)
    assert [c.action for c in moved.changes] == ["updated", "unchanged"]
    assert "ExecStart=/usr/local/bin/aimem sweep --all" in (units(env) / timer.SERVICE).read_text()


@needs_systemctl
def test_systemd_uninstall_removes_only_aimems_units(tmp_path: Path):
    env = make_env(tmp_path, crontab=False)
    folder = units(env)
    folder.mkdir(parents=True)
    (folder / "backup.service").write_text("[Service]\nExecStart=/bin/true\n")
    timer.install_timer("systemd", EXE, env=env)
    (result,) = timer.uninstall_timer("systemd", env=env)
    assert [c.action for c in result.changes] == ["deleted", "deleted"]
    assert result.commands[0].command == "systemctl --user disable --now aimem-sweep.timer"
    assert sorted(p.name for p in folder.rglob("*")) == ["backup.service"]
    (again,) = timer.uninstall_timer("systemd", env=env)
    assert not again.changed and again.commands == []


@needs_systemctl
def test_a_timer_file_that_is_not_aimems_is_left_alone(tmp_path: Path):
    env = make_env(tmp_path, crontab=False)
    folder = units(env)
    folder.mkdir(parents=True)
    (folder / timer.TIMER).write_text("[Timer]\nOnCalendar=hourly\n")
    with pytest.raises(InstallError, match="is not aimem's"):
        timer.install_timer("systemd", EXE, env=env)
    assert not (folder / timer.SERVICE).exists()
    (result,) = timer.uninstall_timer("systemd", env=env)
    assert (folder / timer.TIMER).read_text() == "[Timer]\nOnCalendar=hourly\n"
    assert result.commands == []


@pytest.mark.parametrize(
    "path",
    ["/opt/my tools/aimem", "/opt/100%/aimem", "/opt/$HOME/aimem", "/opt/a\tb/aimem", "/o'k/a"],
)
def test_systemd_refuses_a_path_it_would_mangle(tmp_path: Path, path: str):
    env = make_env(tmp_path, crontab=False)
    with pytest.raises(InstallError, match="systemd unit would split or expand") as caught:
        timer.install_timer("systemd", path, env=env)
    assert "\n" not in str(caught.value)
    assert not units(env).exists()


def test_a_relative_executable_is_refused(tmp_path: Path):
    with pytest.raises(InstallError, match="absolute path"):
        timer.install_timer("systemd", "bin/aimem", env=make_env(tmp_path, crontab=False))


def test_systemd_dry_run_writes_nothing(tmp_path: Path):
    env = make_env(tmp_path, crontab=False)
    result = timer.install_timer("systemd", EXE, dry_run=True, env=env)
    assert not units(env).exists()
    assert result.changed and [c.action for c in result.changes] == ["created", "created"]
    assert f"ExecStart={EXE} sweep --all" in (result.changes[0].after or "")
    assert [(r.command, r.returncode) for r in result.commands] == [
        ("systemctl --user daemon-reload", None),
        ("systemctl --user enable --now aimem-sweep.timer", None),
    ]
    assert result.manual == []


def fake_manager(log: list[list[str]]):
    """A ``run`` standing in for a machine whose user manager is up."""

    def run(argv, **kwargs):
        log.append(argv[1:])
        out = "running\n" if argv[1:] == ["--user", "is-system-running"] else ""
        return subprocess.CompletedProcess(argv, 0, out, "")

    return run


def test_auto_picks_systemd_when_a_user_manager_runs(tmp_path: Path):
    env = make_env(tmp_path, crontab=True)
    if not shutil.which("systemctl", path=env["PATH"]):
        (Path(env["PATH"]) / "systemctl").symlink_to("/bin/true")  # only looked up, never run
    log: list[list[str]] = []
    result = timer.install_timer("auto", EXE, env=env, run=fake_manager(log))
    assert result.kind == "systemd" and result.manual == [] and result.notes == []
    assert log == [
        ["--user", "is-system-running"],
        ["--user", "daemon-reload"],
        ["--user", "enable", "--now", "aimem-sweep.timer"],
        ["-l"],  # is the cron line from an earlier --cron install still there?
    ]
    assert all(r.ok for r in result.commands[:3])


@needs_systemctl
def test_auto_falls_back_to_cron_without_a_user_manager(tmp_path: Path):
    env = make_env(tmp_path, crontab=True)
    result = timer.install_timer("auto", EXE, env=env)
    assert result.kind == "cron"
    assert result.commands[0].command == "systemctl --user is-system-running"
    assert not units(env).exists()


@needs_systemctl
def test_auto_without_any_scheduler_names_the_command(tmp_path: Path):
    env = make_env(tmp_path, crontab=False)
    with pytest.raises(InstallError, match="from your own scheduler") as caught:
        timer.install_timer("auto", EXE, env=env)
    assert f"`{EXE} sweep --all`" in str(caught.value)
    assert not units(env).exists()


# --- cron -------------------------------------------------------------------------------------


def test_cron_install_keeps_every_other_line_and_uninstall_restores_them(tmp_path: Path):
    env = make_env(tmp_path, crontab=True)
    table = tmp_path / "table"
    table.write_bytes(OTHER_LINES.encode())
    result = timer.install_timer("cron", EXE, env=env)
    line = f"17 4 * * * {EXE} sweep --all >/dev/null 2>&1 # aimem-sweep\n"
    assert table.read_bytes() == (OTHER_LINES + line).encode()
    assert result.kind == "cron" and [c.action for c in result.changes] == ["updated"]
    assert calls(tmp_path) == ["-l", "-"]

    again = timer.install_timer("cron", EXE, env=env)
    assert not again.changed and calls(tmp_path) == ["-l", "-", "-l"]  # read, nothing written
    assert table.read_bytes() == (OTHER_LINES + line).encode()

    (removed,) = timer.uninstall_timer("cron", env=env)
    assert removed.changed and table.read_bytes() == OTHER_LINES.encode()
    (again,) = timer.uninstall_timer("cron", env=env)
    assert not again.changed and table.read_bytes() == OTHER_LINES.encode()


def test_cron_install_into_an_empty_crontab(tmp_path: Path):
    env = make_env(tmp_path, crontab=True)
    result = timer.install_timer("cron", "/home/me/my tools/aimem", env=env)
    line = "17 4 * * * '/home/me/my tools/aimem' sweep --all >/dev/null 2>&1 # aimem-sweep\n"
    assert (tmp_path / "table").read_text() == line  # cron runs it through sh: quoted is right
    assert result.changes[0].action == "created"
    timer.uninstall_timer("cron", env=env)
    assert (tmp_path / "table").read_text() == ""


def test_cron_replaces_a_stale_line_and_keeps_the_order_of_the_rest(tmp_path: Path):
    env = make_env(tmp_path, crontab=True)
    stale = "30 3 * * * /old/aimem sweep --all >/dev/null 2>&1 # aimem-sweep\n"
    (tmp_path / "table").write_text("A=1\n" + stale + "0 * * * * hourly\n")
    timer.install_timer("cron", EXE, env=env)
    assert (tmp_path / "table").read_text() == (
        f"A=1\n0 * * * * hourly\n17 4 * * * {EXE} sweep --all >/dev/null 2>&1 # aimem-sweep\n"
    )


def test_crontab_with_adds_the_newline_cron_needs():
    line = "17 4 * * * /a sweep --all # aimem-sweep"
    assert timer.crontab_with("A=1", line) == f"A=1\n{line}\n"
    assert timer.crontab_with(None, line) == f"{line}\n"
    assert timer.crontab_with(None, None) is None
    assert timer.crontab_with(f"x\f y\n{line}\n", None) == "x\f y\n"  # split at \n only


def test_cron_dry_run_writes_nothing(tmp_path: Path):
    env = make_env(tmp_path, crontab=True)
    (tmp_path / "table").write_text(OTHER_LINES)
    result = timer.install_timer("cron", EXE, dry_run=True, env=env)
    assert result.changed and (tmp_path / "table").read_text() == OTHER_LINES
    assert calls(tmp_path) == ["-l"]
    assert [(r.command, r.returncode) for r in result.commands] == [
        ("crontab -l", 0),
        ("crontab -", None),
    ]


def test_cron_without_crontab_names_the_line_to_add(tmp_path: Path):
    env = make_env(tmp_path, crontab=False)
    with pytest.raises(InstallError) as caught:
        timer.install_timer("cron", EXE, env=env)
    message = str(caught.value)
    assert "\n" not in message and "no crontab command" in message
    assert message.endswith(f"17 4 * * * {EXE} sweep --all >/dev/null 2>&1 # aimem-sweep")


def test_cron_refuses_a_percent_sign(tmp_path: Path):
    with pytest.raises(InstallError, match="cron would mangle"):
        timer.install_timer("cron", "/opt/100%/aimem", env=make_env(tmp_path, crontab=True))
    assert not (tmp_path / "table").exists()


def test_a_failing_crontab_is_one_line_and_writes_nothing(tmp_path: Path):
    env = make_env(tmp_path, crontab=True)
    script = Path(env["PATH"]) / "crontab"
    script.write_text("#!/bin/bash\necho 'You (tester) are not allowed to use this' >&2\nexit 1\n")
    with pytest.raises(InstallError, match=r"crontab -l failed \(You \(tester\) are not allowed"):
        timer.install_timer("cron", EXE, env=env)


@needs_systemctl
def test_uninstall_auto_removes_both_kinds(tmp_path: Path):
    env = make_env(tmp_path, crontab=True)
    (tmp_path / "table").write_text(OTHER_LINES)
    timer.install_timer("cron", EXE, env=env)
    systemd = timer.install_timer("systemd", EXE, env=env)
    assert any("crontab still runs the sweep" in n for n in systemd.notes)
    results = timer.uninstall_timer(env=env)
    assert [r.kind for r in results] == ["systemd", "cron"]
    assert all(r.changed for r in results)
    assert (tmp_path / "table").read_text() == OTHER_LINES
    assert not any(units(env).rglob("aimem-sweep.*"))


def test_the_templates_ship_in_the_wheel():
    """pyproject force-includes ``hook_scripts/`` as ``aimem/hook_scripts``: the files only need
    to be there."""
    root = Path(__file__).resolve().parents[2]
    pyproject = (root / "pyproject.toml").read_text()
    assert '"hook_scripts" = "aimem/hook_scripts"' in pyproject
    for rel in ("systemd/aimem-sweep.service", "systemd/aimem-sweep.timer", timer.CRON_TEMPLATE):
        assert os.path.isfile(root / "hook_scripts" / rel)


# --- what doctor reads ------------------------------------------------------------------------


def test_current_schedule_finds_the_units_or_the_crontab_line(tmp_path: Path) -> None:
    env = make_env(tmp_path, crontab=True)
    assert timer.current_schedule(env) is None
    (tmp_path / "table").write_text(OTHER_LINES)
    assert timer.current_schedule(env) is None  # other people's lines are not ours
    timer.install_timer("cron", EXE, env=env)
    kind, argv = timer.current_schedule(env)
    assert kind == "cron" and argv[:3] == [EXE, "sweep", "--all"]
    timer.uninstall_timer("cron", env=env)
    assert timer.current_schedule(env) is None


@needs_systemctl
def test_current_schedule_reads_the_service_unit(tmp_path: Path) -> None:
    env = make_env(tmp_path, crontab=False)
    timer.install_timer("systemd", EXE, env=env)
    assert timer.current_schedule(env) == ("systemd", [EXE, "sweep", "--all"])
