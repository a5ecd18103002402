"""``aimem sync``: fetch, merge and push a project's memory with its remotes."""

from __future__ import annotations

import typer

from aimem.cli.context import (
    PANEL_WRITE,
    PROJECT_HELP,
    CliError,
    examples,
    print_json,
    select_project,
    settings,
)


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            "aimem sync                  # this project, every remote",
            "aimem sync --remote team    # one remote",
            "aimem sync --all            # every project that has remotes",
            "aimem sync --force --remote laptop   # make the remote exactly this side",
        ),
    )
    def sync(
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        all_projects: bool = typer.Option(
            False, "--all", "-a", help="Every project under the data root that has remotes."
        ),
        remote: str = typer.Option(
            None, "--remote", "-r", metavar="NAME", help="Only this remote."
        ),
        force: bool = typer.Option(
            False,
            "--force",
            help="Overwrite the remote branch with this side, merging nothing (after a purge).",
        ),
        json_out: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
    ) -> None:
        """Sync memory with its remotes: fetch, merge, push.

        The merge never loses a page and never writes a conflict marker: a page edited on two
        machines keeps both versions (the other one beside it, linked) until you reconcile
        them. A rejected push is fetched, merged and retried; an unreachable remote changes
        nothing here. Nothing that looks like a secret is pushed."""
        from dataclasses import asdict

        from aimem.project import list_projects
        from aimem.sync import config
        from aimem.sync.run import SyncError, sync_remote

        if all_projects and project:
            raise CliError("pass --project or --all, not both")
        home = settings().home
        if all_projects:
            targets = [
                (slug, str(meta.get("name") or slug), paths)
                for slug, paths, meta in list_projects(home)
            ]
        else:
            chosen = select_project(home, project)
            targets = [(chosen.slug, chosen.name, chosen.paths)]
        report, failures = [], []
        for slug, name, paths in targets:
            try:
                remotes = config.load(paths)
            except config.RemoteConfigError as exc:
                failures.append(str(exc))
                continue
            if remote is not None:
                remotes = [r for r in remotes if r.name == remote]
                if not remotes and not all_projects:
                    raise CliError(f"no remote {remote!r} (see `aimem remote show`)")
            if not remotes and not all_projects:
                raise CliError(
                    "no remotes (add one: aimem remote add NAME URL --share all|knowledge)"
                )
            for r in remotes:
                try:
                    outcome = sync_remote(paths, name, r, force=force)
                except SyncError as exc:
                    failures.append(f"{slug}: {exc}" if all_projects else str(exc))
                    continue
                entry = {"project": slug, **asdict(outcome)}
                report.append(entry)
                if not json_out:
                    prefix = f"{slug}: " if all_projects else ""
                    typer.echo(prefix + outcome.line())
                    for c in outcome.conflicts:
                        typer.echo(
                            f"  edited on two machines: {c.path} (other version: {c.sibling})"
                        )
        if json_out:
            print_json({"synced": report, "errors": failures})
        if failures:
            raise CliError(failures[0] if len(failures) == 1 else "; ".join(failures))
