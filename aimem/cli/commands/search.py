"""``aimem search`` and ``aimem reindex``: the derived SQLite FTS index."""

from __future__ import annotations

import logging
import re

import typer

from aimem.cli.context import (
    PANEL_READ,
    PANEL_WRITE,
    PROJECT_HELP,
    CliError,
    examples,
    print_json,
    select_project,
    settings,
)
from aimem.cli.progress import progress_bar

log = logging.getLogger("aimem.cli")

BAR_CELLS = 5


def relevance_bar(score: float, best: float) -> str:
    """``■■■□□``: a hit's score against the best hit of the same search, in five cells.
    BM25 scores mean nothing on their own (``3.98e-06``) and differ from index to index; how a
    hit compares with the top one is what a reader can use. Every hit gets at least one cell."""
    if best <= 0 or score <= 0:
        filled = 1
    else:
        filled = max(1, min(BAR_CELLS, round(BAR_CELLS * score / best)))
    return "■" * filled + "□" * (BAR_CELLS - filled)


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
    best = max(hit.score for hit in hits)
    width = len(str(len(hits)))
    for rank, hit in enumerate(hits, 1):
        where = f"{escape(hit.project)} · " if labelled else ""
        bar = relevance_bar(hit.score, best)
        console.print(
            f"{rank:>{width}}. [cyan]{bar}[/] [bold]{escape(hit.title)}[/]"
            f"  [dim]{where}{hit.type} · {escape(hit.path)}[/]"
        )
        console.print(" " * (width + 2) + _bold_hits(hit.snippet))


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_READ,
        epilog=examples(
            'aimem search "retry backoff"',
            "aimem search parse_config --type decision --limit 3",
            'aimem search "yaml anchors" --all          # every project',
            "aimem search timeout --json | jq '.[0].path'",
        ),
    )
    def search(
        query: str = typer.Argument(
            ..., metavar="QUERY", help="Words to look for; any text is accepted."
        ),
        type_: str = typer.Option(
            None,
            "--type",
            "-t",
            metavar="TYPE",
            help="Only pages of this type: rule, decision, gotcha, concept, handoff, session.",
        ),
        limit: int = typer.Option(
            10, "--limit", "-n", min=1, max=100, metavar="N", help="Most results."
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print a JSON array of hits."),
        all_projects: bool = typer.Option(
            False,
            "--all",
            "-a",
            help="Search every project; each hit is labelled with its project.",
        ),
    ) -> None:
        """Full-text search over the project's wiki, best match first, hits highlighted.

        Each hit shows its rank and a bar of its relevance against the best hit (■■■■■ is as
        good as the first); `--json` gives the raw score."""
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

    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            "aimem reindex            # apply the wiki's commits since the last indexed one",
            "aimem reindex --full     # rebuild index.sqlite from scratch",
        ),
    )
    def reindex(
        full: bool = typer.Option(
            False,
            "--full",
            help="Rebuild from scratch instead of "
            "applying the git diff since the last indexed commit.",
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Bring index.sqlite up to the wiki's HEAD (it is derived: deleting it loses nothing)."""
        from aimem.index.sync import sync_index
        from aimem.wiki.lock import wiki_lock

        chosen = select_project(settings().home, project)
        # sync_index reports no progress yet: a pulsing bar says the work is going on.
        with progress_bar("reindex"), wiki_lock(chosen.paths.state):
            result = sync_index(chosen.paths.index, chosen.paths.wiki, full=full)
        if json_out:
            print_json(result.__dict__)
            return
        verb = "rebuilt" if result.full else "updated"
        typer.echo(
            f"{verb} index at {(result.head or 'no commit')[:10]}:"
            f" {result.added} added, {result.updated} updated, {result.deleted} deleted"
        )
