"""``aimem consolidate``: turn session journals into wiki pages, one commit per session."""

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
            "aimem consolidate                       # every pending session",
            "aimem consolidate --session 557233d5-0c1e-4c4e-9d0b-6f1f2a3b4c5d",
            "aimem consolidate --project myapp --json",
        ),
    )
    def consolidate(
        session: str = typer.Option(
            None, "--session", "-s", metavar="ID", help="Consolidate this session id."
        ),
        pending: bool = typer.Option(
            False, "--pending", help="Consolidate every session not consolidated yet (default)."
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    ) -> None:
        """Write session and handoff pages from the raw journal and commit them to the wiki.

        Idempotent: a session already consolidated adds no commit. Empty sessions (no prompt, no
        tool use) produce nothing. SessionEnd hooks run this in the background."""
        from aimem.consolidate.run import consolidate_pending, consolidate_session

        if session and pending:
            raise CliError("use --session or --pending, not both")
        chosen = select_project(settings().home, project)
        try:
            if session:
                results = [consolidate_session(chosen.paths, chosen.name, session)]
            else:
                results = consolidate_pending(chosen.paths, chosen.name)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        if session and results[0].status == "missing":
            raise CliError(f"no journal for session {session!r} in project {chosen.slug}")
        if json_out:
            print_json([r.__dict__ for r in results])
            return
        if not results:
            typer.echo("nothing to consolidate")
        for r in results:
            commit = f" {r.commit[:10]}" if r.commit else ""
            typer.echo(f"{r.session}: {r.status}{commit} ({r.observations} observations)")
