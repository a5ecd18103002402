"""``aimem rename``: a project's display name and folder, its identity kept."""

from __future__ import annotations

import typer

from aimem.cli.context import PANEL_WRITE, CliError, examples, select_project, settings


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples('aimem rename myapp-3f9c1a2b "billing service"'),
    )
    def rename(
        old: str = typer.Argument(..., metavar="OLD", help="The project: slug, name or path."),
        new: str = typer.Argument(..., metavar="NEW", help="Its new name."),
    ) -> None:
        """Rename a project here (local only): its folder and name change, its id, remotes and
        history do not, and its checkout keeps finding it."""
        from aimem.admin.rename import AdminError
        from aimem.admin.rename import rename as run_rename

        home = settings().home
        chosen = select_project(home, old)
        try:
            slug = run_rename(home, chosen.paths, new)
        except AdminError as exc:
            raise CliError(str(exc)) from None
        typer.echo(f"renamed {chosen.slug} -> {slug}")
