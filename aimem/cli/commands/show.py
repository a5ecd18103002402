"""``aimem show``: print one wiki page."""

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
            "aimem show index.md                     # the catalogue, newest first",
            "aimem show handoffs/2026-11/2026-11-23-ab12cd34",
            "aimem show decisions/use-sqlite-fts5 --json | jq .meta",
        ),
    )
    def show(
        page: str = typer.Argument(
            ...,
            metavar="PAGE",
            help="Page path inside the wiki, e.g. "
            "handoffs/2026-11/2026-11-23-ab12cd34.md ('.md' optional).",
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print path, front matter and body."),
    ) -> None:
        """Print a page of the project's wiki (front matter included)."""
        from aimem.wiki.pages import PagePathError, parse
        from aimem.wiki.read import PageNotFound, read_text

        chosen = select_project(settings().home, project)
        try:
            rel, text = read_text(chosen.paths.wiki, page)
        except PagePathError as exc:
            raise CliError(str(exc)) from None
        except PageNotFound as exc:
            raise CliError(f"no page {exc.path!r} in project {chosen.slug}") from None
        if json_out:
            parsed = parse(text, rel)
            print_json({"path": rel, "meta": parsed.meta, "body": parsed.body})
            return
        typer.echo(text, nl=not text.endswith("\n"))
