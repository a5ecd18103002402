"""``aimem purge``: remove a page or a leaked string from a project's whole history."""

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
            "aimem purge gotchas/leaked-token --dry-run",
            'aimem purge --match "AKIA0123456789ABCDEF" --yes',
        ),
    )
    def purge(
        page: str = typer.Argument(None, metavar="PAGE", help="A page path ('.md' optional)."),
        match: str = typer.Option(None, "--match", metavar="TEXT", help="A string to remove."),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Say what would change; change nothing."
        ),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before rewriting history."),
        json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Remove a page, or a string, from every commit of the wiki (messages too; authors and
        dates kept), the object store, the index and the journals. Remotes then need `aimem sync
        --force`; older backup files still hold it (both are listed)."""
        from aimem.admin.purge import PurgeError
        from aimem.admin.purge import purge as run_purge

        if (page is None) == (match is None):
            raise CliError("give a PAGE or --match TEXT (one of them)")
        home = settings().home
        chosen = select_project(home, project)
        if not dry_run and not yes:
            what = page if page is not None else "the string"
            if not typer.confirm(f"rewrite the history of {chosen.slug} to remove {what}?"):
                raise CliError("nothing purged")
        try:
            report = run_purge(
                home, chosen.paths, chosen.name, page=page, match=match, dry_run=dry_run
            )
        except PurgeError as exc:
            raise CliError(str(exc)) from None
        if json_out:
            print_json(report.as_dict())
            return
        verb = "would rewrite" if dry_run else "rewrote"
        typer.echo(
            f"{chosen.slug}: {verb} {report.rewritten_commits} of {report.commits} commits "
            f"({report.blobs} files, {report.messages} messages, {len(report.journals)} journals)"
        )
        for name in report.remotes:
            typer.echo(f"remote {name} still has it: run `aimem sync --force`")
        for path in report.backups:
            typer.echo(f"backup {path} still holds it: delete it or make a new one")
