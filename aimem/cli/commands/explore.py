"""``aimem explore``: the pages around one page (links, backlinks, shared tags and sessions)."""

from __future__ import annotations

import typer

from aimem.cli.context import (
    PANEL_READ,
    PROJECT_HELP,
    CliError,
    examples,
    print_json,
    select_project,
    settings,
)


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_READ,
        epilog=examples(
            "aimem explore decisions/use-sqlite-fts5",
            "aimem explore concepts/retry-policy.md --limit 5 --json",
        ),
    )
    def explore(
        page: str = typer.Argument(
            ..., metavar="PAGE", help="Page path inside the wiki ('.md' optional)."
        ),
        limit: int = typer.Option(
            10, "--limit", "-n", min=1, max=50, metavar="N", help="Most pages per relation."
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the neighbourhood as JSON."),
    ) -> None:
        """Show a page's neighbours: links, backlinks, pages sharing its tags or sessions."""
        from dataclasses import asdict

        from aimem import recall
        from aimem.wiki.pages import PagePathError
        from aimem.wiki.read import PageNotFound

        chosen = select_project(settings().home, project)
        try:
            hood = recall.explore(chosen.paths, page, limit)
        except PagePathError as exc:
            raise CliError(str(exc)) from None
        except PageNotFound:
            raise CliError(f"no page {page!r} in project {chosen.slug}") from None
        data = {"project": chosen.slug, **asdict(hood)}
        if json_out:
            print_json(data)
            return
        typer.echo(recall.neighbourhood_text(data))
