"""``aimem search`` and ``aimem reindex``: the derived SQLite FTS index."""

from __future__ import annotations

import logging
import re

import typer

from aimem.cli.context import PROJECT_HELP, CliError, print_json, select_project, settings

log = logging.getLogger("aimem.cli")


def _bold_hits(snippet: str) -> str:
    from rich.markup import escape

    return re.sub(r"\*\*(.+?)\*\*", r"[bold yellow]\1[/]", escape(snippet))


def _print_hits(query: str, hits: list, json_out: bool, labelled: bool) -> None:
    if json_out:
        print_json([h.__dict__ for h in hits])
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    if not hits:
        console.print(f"no results for {escape(repr(query))}")
        return
    for hit in hits:
        where = f"{escape(hit.project)} · " if labelled else ""
        console.print(
            f"[bold]{escape(hit.title)}[/]  [dim]{where}{hit.type} · {escape(hit.path)}"
            f" · {hit.score:.3g}[/]"
        )
        console.print("  " + _bold_hits(hit.snippet))


def register(app: typer.Typer) -> None:
    @app.command()
    def search(
        query: str = typer.Argument(..., help="Words to look for; any text is accepted."),
        type_: str = typer.Option(
            None,
            "--type",
            "-t",
            help="Only pages of this type: rule, decision, gotcha, concept, handoff, session.",
        ),
        limit: int = typer.Option(10, "--limit", "-n", min=1, max=100, help="Most results."),
        project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print a JSON array of hits."),
        all_projects: bool = typer.Option(
            False,
            "--all",
            "-a",
            help="Search every project; each hit is labelled with its project.",
        ),
    ) -> None:
        """Full-text search over the project's wiki, best match first, hits highlighted."""
        from aimem.index import fts
        from aimem.index.reads import with_index

        if all_projects:
            from aimem.index.multi import search_all

            if project:
                raise CliError("--all and --project cannot be used together")
            try:
                hits = search_all(settings().home, query, type=type_, limit=limit)
            except ValueError as exc:
                raise CliError(str(exc)) from None
            _print_hits(query, hits, json_out, labelled=True)
            return
        chosen = select_project(settings().home, project)
        paths = chosen.paths
        try:
            # Synced first (a stale index still answers if that fails); a damaged index is
            # rebuilt, a read-only one read as it is.
            hits = with_index(
                paths.index,
                paths.wiki,
                lambda conn: fts.search(conn, query, type=type_, limit=limit, project=chosen.slug),
            )
        except ValueError as exc:
            raise CliError(str(exc)) from None
        _print_hits(query, hits, json_out, labelled=False)

    @app.command()
    def reindex(
        full: bool = typer.Option(
            False,
            "--full",
            help="Rebuild from scratch instead of "
            "applying the git diff since the last indexed commit.",
        ),
        project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Bring index.sqlite up to the wiki's HEAD (it is derived: deleting it loses nothing)."""
        from aimem.index.sync import sync_index
        from aimem.wiki.lock import wiki_lock

        chosen = select_project(settings().home, project)
        with wiki_lock(chosen.paths.state):
            result = sync_index(chosen.paths.index, chosen.paths.wiki, full=full)
        if json_out:
            print_json(result.__dict__)
            return
        verb = "rebuilt" if result.full else "updated"
        typer.echo(
            f"{verb} index at {(result.head or 'no commit')[:10]}:"
            f" {result.added} added, {result.updated} updated, {result.deleted} deleted"
        )
