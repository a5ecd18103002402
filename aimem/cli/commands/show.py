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
        from aimem.wiki.pages import PagePathError, parse, validate_page_path

        chosen = select_project(settings().home, project)
        try:
            rel = validate_page_path(page, chosen.paths.wiki)
        except PagePathError as exc:
            raise CliError(str(exc)) from None
        try:
            with open(f"{chosen.paths.wiki}/{rel}", encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            raise CliError(f"no page {rel!r} in project {chosen.slug}") from None
        if json_out:
            parsed = parse(text, rel)
            print_json({"path": rel, "meta": parsed.meta, "body": parsed.body})
            return
        typer.echo(text, nl=not text.endswith("\n"))
