"""``aimem install-timer``: schedule the daily ``aimem sweep --all`` (systemd user timer, cron)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer

from aimem.cli.context import PANEL_SETUP, CliError, examples, print_json

if TYPE_CHECKING:
    from aimem.install.timer import TimerResult

TITLES = {"systemd": "systemd user timer", "cron": "crontab"}


def _executable(value: str | None) -> str:
    from aimem.install.common import InstallError, default_executable

    if value:
        return os.path.abspath(os.path.expanduser(value))
    try:
        return default_executable()
    except InstallError as exc:
        raise CliError(str(exc)) from None


def _print_dry_run(results: list[TimerResult]) -> None:
    from aimem.install.common import unified_diff

    for result in results:
        for change in result.changes:
            if change.changed:
                typer.echo(unified_diff(change), nl=False)
        for ran in result.commands:
            if ran.returncode is None and not ran.error:
                typer.echo(f"# {result.kind}: would run: {ran.command}")
        for note in result.notes:
            typer.echo(f"# {result.kind}: {note}")
    if not any(r.changed for r in results):
        typer.echo("# nothing to change")
    typer.echo("# dry run: nothing was written", err=True)


def _print(results: list[TimerResult]) -> None:
    for result in results:
        header = TITLES[result.kind]
        typer.echo(f"{header}: runs {result.sweep} daily" if result.install else header)
        for change in result.changes:
            if change.action != "absent":
                typer.echo(f"  {change.action:<9} {change.path}")
        for ran in result.commands:
            if ran.ok:
                typer.echo(f"  {'ran':<9} {ran.command}")
            else:
                typer.echo(f"  {'failed':<9} {ran.command}: {ran.error}")
        for note in result.notes:
            typer.echo(f"  note: {note}")
        if result.manual:
            typer.echo("  run by hand:")
            for command in result.manual:
                typer.echo(f"    {command}")
        if not result.changed:
            typer.echo("  nothing changed" if result.install else "  nothing of aimem's found")


def register(app: typer.Typer) -> None:
    @app.command(
        "install-timer",
        rich_help_panel=PANEL_SETUP,
        epilog=examples(
            "aimem install-timer --dry-run    # the unit files or crontab line, as a diff",
            "aimem install-timer              # systemd user timer, else cron",
            "aimem install-timer --cron",
            "aimem install-timer --uninstall",
        ),
    )
    def install_timer(
        systemd: bool = typer.Option(
            False, "--systemd", help="Use a systemd user timer (~/.config/systemd/user/)."
        ),
        cron: bool = typer.Option(False, "--cron", help="Use a line in your crontab."),
        uninstall: bool = typer.Option(
            False,
            "--uninstall",
            help="Remove the timer units and the crontab line (both unless --systemd or --cron).",
        ),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Print the changes as a diff and the commands; do nothing."
        ),
        executable: str = typer.Option(
            None,
            "--executable",
            metavar="PATH",
            help="The aimem the schedule runs (default: this installation's absolute path).",
        ),
        json_out: bool = typer.Option(
            False, "--json", help="Print the result as JSON (a list for --uninstall)."
        ),
    ) -> None:
        """Run `aimem sweep --all` once a day, so unused memory decays in every project.

        Default: a systemd user timer when `systemctl --user` reaches a running user manager
        (daily, catching up after downtime, low CPU and IO priority), else a line in your crontab
        (04:17 daily). Without a user manager, the unit files are written anyway and the two
        `systemctl --user` commands to run later are printed. Running it again changes nothing;
        other units and crontab lines are never touched."""
        from aimem.install.common import InstallError
        from aimem.install.timer import install_timer as install
        from aimem.install.timer import uninstall_timer

        if systemd and cron:
            raise CliError("pass --systemd or --cron, not both")
        kind = "systemd" if systemd else "cron" if cron else "auto"
        try:
            if uninstall:
                if executable:
                    raise CliError("--executable is for installing; --uninstall needs no path")
                results = uninstall_timer(kind, dry_run=dry_run)
            else:
                exe = _executable(executable)
                results = [install(kind, exe, dry_run=dry_run)]
        except (InstallError, OSError) as exc:
            raise CliError(str(exc)) from None
        if not uninstall and not os.access(exe, os.X_OK):  # after: an error stays one line
            typer.echo(f"aimem: warning: {exe} is not an executable file", err=True)
        if json_out:
            dicts = [r.as_dict() for r in results]
            print_json(dicts if uninstall else dicts[0])
        elif dry_run:
            _print_dry_run(results)
        else:
            _print(results)
