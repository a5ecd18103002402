"""``aimem doctor``: check every agent's install, the data root, the index and the wiki."""

from __future__ import annotations

import os

import typer

from aimem.cli.context import PANEL_SETUP, examples, print_json, settings

SYMBOLS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "--  "}


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_SETUP,
        epilog=examples(
            "aimem doctor          # each check, and the command that fixes each problem",
            "aimem doctor --json   # for scripts; exit status 1 when something is broken",
        ),
    )
    def doctor(
        json_out: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
    ) -> None:
        """Check that memory is really being recorded.

        Per agent: found, configs parse, aimem's entries point at a working executable, a timed
        hook round trip in a throwaway data root. Then the data root, the index against the
        wiki's HEAD, `git fsck` of the wiki and sessions whose consolidation never finished.

        Each problem comes with the command that fixes it. Exit status 1 when something is
        broken."""
        from aimem.install import doctor as checks
        from aimem.install.common import Target, project_root
        from aimem.project import non_project_dirs

        loaded = settings(need_home=False)  # a data root that cannot be made is a finding here
        cwd = os.getcwd()
        env = dict(os.environ)
        user = Target("user", "", cwd, env)
        root = project_root(cwd)
        excluded = non_project_dirs(env) | {os.path.realpath(user.home)}
        project = None if os.path.realpath(root) in excluded else Target("project", "", root, env)
        report = checks.run(loaded.home, cwd, user, project, loaded)
        if json_out:
            print_json(report.as_dict())
        else:
            for check in report.checks:
                timing = f" [{check.ms:.0f} ms]" if check.ms is not None else ""
                typer.echo(
                    f"{SYMBOLS[check.status]}  {check.subject:<12} {check.name}: "
                    f"{check.detail}{timing}"
                )
                if check.fix and check.status in ("warn", "fail"):
                    typer.echo(f"{'':18}fix: {check.fix}")
            typer.echo("all good" if report.ok else "problems found (see FAIL above)")
        if not report.ok:
            raise typer.Exit(1)
