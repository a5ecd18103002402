"""``aimem install-timer``: run ``aimem sweep --all`` once a day from the user's own scheduler.

Two back ends, both per user (no root):

* **systemd**: ``aimem-sweep.service`` (oneshot, low CPU and IO priority) and ``aimem-sweep.timer``
  (daily, persistent, randomised by up to an hour) in ``$XDG_CONFIG_HOME/systemd/user/``, then
  ``systemctl --user daemon-reload`` and ``enable --now``. Without a reachable user manager (a
  container, an SSH session without lingering) the files stay and the two commands are reported
  for the user to run later: the install itself did its part.
* **cron**: one line in the user's crontab, recognised by its trailing ``# aimem-sweep`` comment.
  The table is read with ``crontab -l`` and written back whole with ``crontab -`` (the only
  portable interface); every other line is passed through byte for byte.

``auto`` picks systemd when ``systemctl --user`` reaches a running user manager, else cron when a
``crontab`` command exists. Like the agent installers, everything is planned as ``FileChange``
records first (the crontab is a pseudo-file named ``crontab``), so ``--dry-run`` shows exactly
what a real run writes, and a second install plans no change.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aimem.install.common import (
    FileChange,
    InstallError,
    Target,
    apply,
    managed_file,
    read_text,
    shell_command,
    substitute,
    templates_dir,
)

KINDS = ("auto", "systemd", "cron")
SERVICE = "aimem-sweep.service"
TIMER = "aimem-sweep.timer"
CRON_TEMPLATE = "cron/aimem-sweep.cron"
CRON_MARKER = "# aimem-sweep"
CRONTAB = "crontab"  # the path shown for the user's crontab, which is not a file we can name
COMMAND_TIMEOUT = 30  # seconds; a wedged D-Bus must not hang the install
# Characters systemd's ExecStart would split at, expand (%specifiers, $VARIABLES) or unquote.
_SYSTEMD_UNSAFE = "%$\\'\""

Runner = Callable[..., subprocess.CompletedProcess]


@dataclass
class Ran:
    """One external command: run, failed, or (dry run) only planned."""

    command: str  # as the user would type it (``systemctl --user daemon-reload``)
    returncode: int | None  # None: not run (dry run) or could not start (see ``error``)
    error: str = ""  # the line of its output that says why it failed

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def as_dict(self) -> dict:
        return {"command": self.command, "returncode": self.returncode, "error": self.error}


@dataclass
class TimerResult:
    """What one back end did (or, for a dry run, would do)."""

    kind: str  # "systemd" or "cron"
    install: bool
    dry_run: bool
    sweep: str  # the command line the scheduler runs
    changes: list[FileChange] = field(default_factory=list)
    commands: list[Ran] = field(default_factory=list)  # every command run, reads included
    manual: list[str] = field(default_factory=list)  # still to run by hand
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.changes)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "action": "install" if self.install else "uninstall",
            "dry_run": self.dry_run,
            "changed": self.changed,
            "sweep": self.sweep,
            "changes": [{"path": c.path, "action": c.action} for c in self.changes],
            "commands": [r.as_dict() for r in self.commands],
            "manual": list(self.manual),
            "notes": list(self.notes),
        }


class _Shell:
    """Runs commands in the caller's environment (its ``PATH`` finds them, its
    ``XDG_RUNTIME_DIR`` / ``DBUS_SESSION_BUS_ADDRESS`` reach the user manager) and records each."""

    def __init__(self, env: Mapping[str, str], run: Runner) -> None:
        self.env = env
        self.run = run
        self.log: list[Ran] = []

    def child_env(self) -> dict[str, str]:
        # The XDG spec says an empty XDG_CONFIG_HOME means the default (aimem reads it so), but
        # systemctl then looks elsewhere and would not find the units aimem just wrote.
        return {k: v for k, v in self.env.items() if v or not k.startswith("XDG_")}

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.env.get("PATH", os.defpath))

    def call(
        self, name: str, *args: str, stdin: str | None = None
    ) -> subprocess.CompletedProcess | None:
        shown = shlex.join([name, *args])
        binary = self.which(name)
        if binary is None:
            self.log.append(Ran(shown, None, f"{name}: command not found"))
            return None
        try:
            proc = self.run(
                [binary, *args],
                input=stdin,
                capture_output=True,
                text=True,
                env=self.child_env(),
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            self.log.append(Ran(shown, None, f"timed out after {COMMAND_TIMEOUT} s"))
            return None
        except OSError as exc:
            self.log.append(Ran(shown, None, exc.strerror or str(exc)))
            return None
        error = "" if proc.returncode == 0 else _error_line(proc.stderr or proc.stdout)
        self.log.append(Ran(shown, proc.returncode, error))
        return proc

    def planned(self, name: str, *args: str) -> None:
        self.log.append(Ran(shlex.join([name, *args]), None))


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0].strip() if lines else ""


def _error_line(text: str | None) -> str:
    """The line that says why a command failed (systemctl prints "Created symlink ..." before
    "Failed to connect to bus")."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for line in lines:
        if "fail" in line.lower() or "error" in line.lower():
            return line
    return lines[-1] if lines else ""


def sweep_command(executable: str) -> str:
    return shell_command(executable, "sweep", "--all")


def unit_dir(env: Mapping[str, str]) -> str:
    target = Target(scope="user", executable="", project="", env=env)
    return os.path.join(target.xdg_config, "systemd", "user")


def _check_absolute(executable: str) -> None:
    if not os.path.isabs(executable):
        raise InstallError(f"the executable must be an absolute path, not {executable!r}")


def unit_texts(executable: str) -> dict[str, str]:
    """The two unit files, name -> text. ExecStart is not a shell command line, so the path goes
    in bare; a path systemd would split or expand is refused rather than escaped, because
    systemd's escaping rules (``%%``, ``$$``, its own quoting) differ by field and version."""
    _check_absolute(executable)
    bad = sorted(
        {c for c in executable if c.isspace() or not c.isprintable() or c in _SYSTEMD_UNSAFE}
    )
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise InstallError(
            f"{executable!r} contains {shown}, which a systemd unit would split or expand; "
            "point --executable at a symlink without them, or use --cron"
        )
    folder = templates_dir() / "systemd"
    return {
        name: (folder / name).read_text(encoding="utf-8").replace("{{AIMEM}}", executable)
        for name in (SERVICE, TIMER)
    }


def cron_line(executable: str) -> str:
    """Our crontab line (no newline). cron hands the line to ``/bin/sh``, so the shell-quoted
    path is right, except that cron itself turns ``%`` into a newline (and its escape differs
    between cron implementations) and a line break would end the entry."""
    _check_absolute(executable)
    if "%" in executable or not executable.isprintable():
        raise InstallError(
            f"{executable!r} contains '%' or a control character, which cron would mangle; "
            "point --executable at a symlink without them"
        )
    text = (templates_dir() / CRON_TEMPLATE).read_text(encoding="utf-8")
    line = str(substitute(text, executable)).strip("\n")
    assert line.endswith(CRON_MARKER) and "\n" not in line, CRON_TEMPLATE
    return line


def _is_ours(line: str) -> bool:
    return line.rstrip().endswith(CRON_MARKER)


def crontab_with(text: str | None, line: str | None) -> str | None:
    """``text`` with exactly one copy of our ``line`` (``None``: with none). Every other line is
    kept byte for byte; our line goes at the end, or stays where it is when it is already the only
    one and identical (a second install writes nothing)."""
    # Split at "\n" only, as cron does (str.splitlines also splits at \f, \x1c, U+2028, ...).
    parts = (text or "").split("\n")
    lines = [part + "\n" for part in parts[:-1]] + [parts[-1]] * bool(parts[-1])
    ours = [entry for entry in lines if _is_ours(entry)]
    if line is not None and ours == [line + "\n"]:
        return text
    kept = "".join(entry for entry in lines if not _is_ours(entry))
    if line is None:
        return kept if ours else text
    if kept and not kept.endswith("\n"):
        kept += "\n"  # cron ignores a last line without a newline
    return kept + line + "\n"


def _read_crontab(shell: _Shell, by_hand: str) -> str | None:
    """The user's crontab (``None`` when there is none); ``by_hand`` is the advice on failure."""
    proc = shell.call("crontab", "-l")
    if proc is None:
        raise InstallError(f"crontab -l failed ({shell.log[-1].error}); {by_hand}")
    if proc.returncode == 0:
        return proc.stdout
    if "no crontab for" in (proc.stderr or "").lower():
        return None
    raise InstallError(f"crontab -l failed ({shell.log[-1].error}); {by_hand}")


def _user_manager_up(shell: _Shell) -> bool:
    """``systemctl --user is-system-running`` reached a manager: it prints the state (``running``,
    ``degraded``, ... with a non-zero exit for most) unless there is none."""
    proc = shell.call("systemctl", "--user", "is-system-running")
    if proc is None:
        return False
    out = (proc.stdout or "") + (proc.stderr or "")
    state = _first_line(proc.stdout)
    return "Failed to connect" not in out and state not in ("", "offline", "unknown")


def choose_kind(kind: str, executable: str, shell: _Shell) -> str:
    if kind not in KINDS:
        raise InstallError(f"unknown scheduler {kind!r}; choose from {', '.join(KINDS)}")
    if kind != "auto":
        return kind
    if _user_manager_up(shell):
        return "systemd"
    if shell.which("crontab"):
        return "cron"
    raise InstallError(
        "no running systemd user manager and no crontab command here; run "
        f"`{sweep_command(executable)}` once a day from your own scheduler"
    )


def install_timer(
    kind: str,
    executable: str,
    *,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    run: Runner = subprocess.run,
) -> TimerResult:
    """Schedule ``<executable> sweep --all`` daily. ``env`` decides ``HOME``/``XDG_CONFIG_HOME``
    and where ``systemctl``/``crontab`` are found (default: this process's environment)."""
    env = os.environ if env is None else env
    _check_absolute(executable)
    shell = _Shell(env, run)
    chosen = choose_kind(kind, executable, shell)
    if chosen == "systemd":
        result = _install_systemd(executable, dry_run, env, shell)
    else:
        result = _install_cron(executable, dry_run, shell)
    result.commands = shell.log
    return result


def uninstall_timer(
    kind: str = "auto",
    *,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    run: Runner = subprocess.run,
) -> list[TimerResult]:
    """Remove what ``install_timer`` added: ``auto`` looks at both back ends (cron only when a
    ``crontab`` command exists). Other units and crontab lines are never touched."""
    if kind not in KINDS:
        raise InstallError(f"unknown scheduler {kind!r}; choose from {', '.join(KINDS)}")
    env = os.environ if env is None else env
    results = []
    if kind in ("auto", "systemd"):
        shell = _Shell(env, run)
        result = _uninstall_systemd(dry_run, env, shell)
        result.commands = shell.log
        results.append(result)
    if kind == "cron" or (kind == "auto" and _Shell(env, run).which("crontab")):
        shell = _Shell(env, run)
        result = _uninstall_cron(dry_run, shell)
        result.commands = shell.log
        results.append(result)
    return results


# --- systemd ----------------------------------------------------------------------------------


def _systemctl(result: TimerResult, shell: _Shell, *commands: tuple[str, ...]) -> str | None:
    """Run ``systemctl --user <command>`` for each (the file-level part of ``enable``/``disable``
    works without a user manager, so a failure does not stop the rest); failed ones go to
    ``result.manual``. Returns why the first one failed, or None."""
    failure = None
    for args in commands:
        argv = ("--user", *args)
        if result.dry_run:
            shell.planned("systemctl", *argv)
            continue
        proc = shell.call("systemctl", *argv)
        if proc is None or proc.returncode != 0:
            failure = failure or shell.log[-1].error or f"exit status {shell.log[-1].returncode}"
            result.manual.append(shlex.join(["systemctl", *argv]))
    return failure


def _install_systemd(
    executable: str, dry_run: bool, env: Mapping[str, str], shell: _Shell
) -> TimerResult:
    result = TimerResult("systemd", True, dry_run, sweep_command(executable))
    folder = unit_dir(env)
    result.changes = [
        managed_file(os.path.join(folder, name), text)
        for name, text in unit_texts(executable).items()
    ]
    if not dry_run:
        apply(result.changes)
    # Run both even when the files are unchanged: an earlier install may have found no user
    # manager, and both commands are no-ops on an enabled timer.
    failure = _systemctl(result, shell, ("daemon-reload",), ("enable", "--now", TIMER))
    if failure is not None:
        enabled = _wants_link(folder) is not None  # `enable` links the unit even when offline
        result.notes.append(
            f"systemctl --user failed ({failure}); the unit files are in place"
            + (" and enabled, so the timer starts with your user manager" if enabled else "")
            + ": run the commands below once it is up (`loginctl enable-linger` keeps one "
            "running while you are logged out)"
        )
    if shell.which("crontab"):  # switching from cron: two schedulers would sweep twice
        proc = shell.call("crontab", "-l")
        if (
            proc is not None
            and proc.returncode == 0
            and crontab_with(proc.stdout, None) != proc.stdout
        ):
            result.notes.append(
                "your crontab still runs the sweep too; remove that line with "
                "`aimem install-timer --uninstall --cron`"
            )
    return result


def _wants_link(folder: str) -> str | None:
    """The symlink ``enable`` made for our timer, when it exists and points at our file."""
    link = os.path.join(folder, "timers.target.wants", TIMER)
    if not os.path.islink(link):
        return None
    pointed = os.path.join(os.path.dirname(link), os.readlink(link))
    ours = os.path.abspath(os.path.join(folder, TIMER))
    return link if os.path.abspath(pointed) == ours else None


def _uninstall_systemd(dry_run: bool, env: Mapping[str, str], shell: _Shell) -> TimerResult:
    result = TimerResult("systemd", False, dry_run, "")
    folder = unit_dir(env)
    service, timer = (managed_file(os.path.join(folder, n), None) for n in (SERVICE, TIMER))
    result.changes = [service, timer]
    link = _wants_link(folder)
    if not result.changed and link is None:
        return result  # nothing of ours here: no systemctl calls either
    failure = None
    if timer.changed:  # ours: a timer file of the same name that is not aimem's stays enabled
        failure = _systemctl(result, shell, ("disable", "--now", TIMER))
    if dry_run:
        _systemctl(result, shell, ("daemon-reload",))
        return result
    apply(result.changes)
    if link is not None and os.path.islink(link):
        # `disable` did not run or could not reach a user manager: the link would dangle.
        os.unlink(link)
        result.notes.append(f"removed {link}")
    _systemctl(result, shell, ("daemon-reload",))
    if failure is not None:
        result.manual = [f"systemctl --user stop {TIMER}", "systemctl --user daemon-reload"]
        result.notes.append(
            f"systemctl --user failed ({failure}); the files are gone, so the timer will not "
            "start again; if a user manager runs where systemctl could not reach it, run the "
            "commands below there"
        )
    return result


# --- cron -------------------------------------------------------------------------------------


def _write_crontab(result: TimerResult, shell: _Shell, text: str, by_hand: str) -> None:
    if result.dry_run:
        shell.planned("crontab", "-")
        return
    proc = shell.call("crontab", "-", stdin=text)
    if proc is None or proc.returncode != 0:
        raise InstallError(f"crontab - failed ({shell.log[-1].error}); {by_hand}")


def _install_cron(executable: str, dry_run: bool, shell: _Shell) -> TimerResult:
    line = cron_line(executable)
    by_hand = f"add this line to your crontab by hand: {line}"
    if shell.which("crontab") is None:
        raise InstallError(f"no crontab command on this machine; {by_hand}")
    result = TimerResult("cron", True, dry_run, sweep_command(executable))
    before = _read_crontab(shell, by_hand)
    change = FileChange(CRONTAB, before, crontab_with(before, line), backup=False)
    result.changes = [change]
    if change.changed:
        _write_crontab(result, shell, change.after or "", by_hand)
    if os.path.exists(os.path.join(unit_dir(shell.env), TIMER)):  # two schedulers: two sweeps
        result.notes.append(
            f"the systemd timer {TIMER} is installed too; remove it with "
            "`aimem install-timer --uninstall --systemd`"
        )
    return result


def _uninstall_cron(dry_run: bool, shell: _Shell) -> TimerResult:
    if shell.which("crontab") is None:
        raise InstallError("no crontab command on this machine, so there is no line to remove")
    result = TimerResult("cron", False, dry_run, "")
    by_hand = f"delete the line ending in {CRON_MARKER!r} with `crontab -e`"
    before = _read_crontab(shell, by_hand)
    change = FileChange(CRONTAB, before, crontab_with(before, None), backup=False)
    result.changes = [change]
    if change.changed:
        _write_crontab(result, shell, change.after or "", by_hand)
    return result


def current_schedule(
    env: Mapping[str, str], run: Runner = subprocess.run
) -> tuple[str, list[str]] | None:
    """Where ``aimem install-timer`` scheduled the sweep (``"systemd"`` or ``"cron"``) and the
    argv it runs; ``None`` when it is scheduled nowhere (for ``aimem doctor``)."""
    service = read_text(os.path.join(unit_dir(env), SERVICE))
    if service is not None:
        for line in service.splitlines():
            if line.startswith("ExecStart="):
                return "systemd", line.removeprefix("ExecStart=").split()
    shell = _Shell(env, run)
    if shell.which("crontab") is None:
        return None
    proc = shell.call("crontab", "-l")
    for line in (proc.stdout if proc is not None and proc.returncode == 0 else "").split("\n"):
        if _is_ours(line):
            try:
                fields = shlex.split(line, comments=True)
            except ValueError:
                return "cron", []
            return "cron", fields[5:]  # after the five time fields
    return None
