"""``aimem show``: print one wiki page."""

from __future__ import annotations

import typer

from aimem.cli.context import PROJECT_HELP, CliError, print_json, select_project, settings


def register(app: typer.Typer) -> None:
    @app.command()
    def show(
        page: str = typer.Argument(
            ...,
            help="Page path inside the wiki, e.g. "
            "handoffs/2026-11/2026-11-23-ab12cd34.md ('.md' optional).",
        ),
        project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
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
