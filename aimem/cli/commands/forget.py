"""``aimem forget-project``: delete a project's local memory (never a remote's copy)."""

from __future__ import annotations

import typer

from aimem.cli.context import PANEL_WRITE, CliError, examples, select_project, settings


def register(app: typer.Typer) -> None:
    @app.command(
        "forget-project",
        rich_help_panel=PANEL_WRITE,
        epilog=examples("aimem forget-project myapp-3f9c1a2b --yes"),
    )
    def forget_project(
        project: str = typer.Argument(..., metavar="P", help="The project: slug, name or path."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask first."),
    ) -> None:
        """Delete a project's wiki, journals and index from this machine. Its remotes and
        backups keep their copies; `aimem restore` or `aimem sync` brings it back."""
        from aimem.admin.rename import AdminError, forget

        home = settings().home
        chosen = select_project(home, project)
        if not yes and not typer.confirm(f"delete the local memory of {chosen.slug}?"):
            raise CliError("nothing deleted")
        try:
            forget(home, chosen.paths)
        except AdminError as exc:
            raise CliError(str(exc)) from None
        typer.echo(f"forgot {chosen.slug} (remotes untouched)")
