"""``aimem consolidate``: turn session journals into wiki pages, one commit per session."""

from __future__ import annotations

import typer

from aimem._hash import short_session_id
from aimem.cli.context import (
    PANEL_WRITE,
    PROJECT_HELP,
    CliError,
    examples,
    print_json,
    select_project,
    settings,
)
from aimem.cli.progress import progress_bar


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            "aimem consolidate                       # every pending session",
            "aimem consolidate --session 557233d5-0c1e-4c4e-9d0b-6f1f2a3b4c5d",
            "aimem consolidate --project myapp --json",
            "AIMEM_LLM=anthropic aimem consolidate --llm --session 557233d5   # and the LLM step",
        ),
    )
    def consolidate(
        session: str = typer.Option(
            None, "--session", "-s", metavar="ID", help="Consolidate this session id."
        ),
        pending: bool = typer.Option(
            False, "--pending", help="Consolidate every session not consolidated yet (default)."
        ),
        llm: bool = typer.Option(
            False,
            "--llm",
            help="Then run the LLM step on each session (AIMEM_LLM and ANTHROPIC_API_KEY set; "
            "see docs/llm.md), retrying sessions whose earlier call failed.",
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
        compiled = _compile(chosen, results) if llm else {}
        if json_out:
            rows = [r.__dict__ for r in results]
            if llm:
                rows = [{**row, "llm": compiled.get(row["session"])} for row in rows]
            print_json(rows)
            return
        if not results:
            typer.echo("nothing to consolidate")
        for r in results:
            commit = f" {r.commit[:10]}" if r.commit else ""
            typer.echo(f"{r.session}: {r.status}{commit} ({r.observations} observations)")
            done = compiled.get(r.session)
            if done is not None:
                typer.echo(f"{short_session_id(r.session)}: llm {_llm_line(done)}")


def _compile(chosen, results: list) -> dict[str, dict]:  # noqa: ANN001 - Selected, Result
    """The LLM step on each session the zero-LLM pass left in the wiki, one shared run (an
    auth or quota error stops the calls for the rest of it); results as plain data by session."""
    from dataclasses import asdict

    from aimem.compile.run import RunState, compile_session

    run = RunState()
    todo = [r.session for r in results if r.status in ("committed", "unchanged")]
    out = {}
    with progress_bar("llm") as advance:
        for done, session in enumerate(todo):
            advance(done, len(todo))
            result = compile_session(chosen.paths, chosen.name, session, run=run, retry=True)
            out[session] = asdict(result)
        advance(len(todo), len(todo))
    return out


def _llm_line(result: dict) -> str:
    """``applied 3f9c1a2b40 (2 pages)``, ``skipped (no LLM configured ...)``."""
    line = str(result["status"])
    if result.get("commit"):
        line += f" {result['commit'][:10]}"
    details = []
    if result.get("pages"):
        details.append(f"{len(result['pages'])} page(s)")
    if result.get("reason"):
        details.append(str(result["reason"]))
    return line + (f" ({'; '.join(details)})" if details else "")
