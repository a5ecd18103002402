"""``aimem export --html DIR``: the web view as a static site, for sharing a snapshot."""

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
            "aimem export --html site/             # the current project",
            "aimem export --html site/ --all       # every project, with a project list",
            "aimem export --html /tmp/memory -p webshop && xdg-open /tmp/memory/index.html",
        ),
    )
    def export(
        html: str = typer.Option(
            ...,
            "--html",
            metavar="DIR",
            help="Folder to write the site into: empty, new, or an earlier export (replaced).",
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        all_projects: bool = typer.Option(
            False, "--all", "-a", help="Export every project under the data root."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print what was written as JSON."),
    ) -> None:
        """Write the read-only web view as static files: open DIR/index.html in any browser.

        The same pages as `aimem web` (project home, pages with wikilinks and backlinks,
        history and diffs, sessions), linked relatively so the folder works from disk or any
        web server, with search running in the browser over an index written beside them.
        Nothing in memory changes.
        """
        from aimem.cli.progress import progress_bar
        from aimem.web.export import ExportError, export_html

        home = settings().home
        if all_projects and project:
            raise CliError("--all and --project cannot be used together")
        only = None if all_projects else (select_project(home, project).slug,)
        try:
            with progress_bar("exporting") as advance:
                result = export_html(home, html, only, progress=advance)
        except ExportError as exc:
            raise CliError(str(exc)) from None
        if json_out:
            print_json(result.__dict__)
            return
        typer.echo(
            f"wrote {result.files} pages and {result.assets} assets for "
            f"{len(result.projects)} project(s), {result.documents} pages searchable: "
            f"{result.out_dir}/index.html"
        )
        if result.missing:
            typer.echo(
                f"{len(result.missing)} linked view(s) do not exist and show a 404 page: "
                + ", ".join(result.missing[:5]),
                err=True,
            )
