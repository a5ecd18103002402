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
            help="Report the LLM step for each session (it runs whenever AIMEM_LLM and "
            "ANTHROPIC_API_KEY are set; see docs/llm.md) and retry sessions whose earlier call "
            "failed.",
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    ) -> None:
        """Write session and handoff pages from the raw journal and commit them to the wiki.

        Idempotent: a session already consolidated adds no commit. Empty sessions (no prompt, no
        tool use) produce nothing. SessionEnd hooks run this in the background."""
        from dataclasses import asdict

        from aimem.compile.run import RunState
        from aimem.consolidate.run import consolidate_pending, consolidate_session

        if session and pending:
            raise CliError("use --session or --pending, not both")
        chosen = select_project(settings().home, project)
        # One run for every session: an auth or quota error stops the LLM calls of the rest.
        # The LLM step itself runs inside the consolidation whenever an LLM is configured;
        # --llm retries sessions whose earlier call failed and always reports the step.
        run = RunState()
        try:
            with progress_bar("consolidate"):
                if session:
                    results = [
                        consolidate_session(
                            chosen.paths, chosen.name, session, run_state=run, retry_llm=llm
                        )
                    ]
                else:
                    results = consolidate_pending(
                        chosen.paths, chosen.name, run_state=run, retry_llm=llm
                    )
        except ValueError as exc:
            raise CliError(str(exc)) from None
        if session and results[0].status == "missing":
            raise CliError(f"no journal for session {session!r} in project {chosen.slug}")
        if json_out:
            print_json([asdict(r) for r in results])
            return
        if not results:
            typer.echo("nothing to consolidate")
        for r in results:
            commit = f" {r.commit[:10]}" if r.commit else ""
            typer.echo(f"{r.session}: {r.status}{commit} ({r.observations} observations)")
            step = asdict(r.llm) if r.llm is not None else None
            if step is not None and (llm or step["status"] != "skipped"):
                typer.echo(f"{short_session_id(r.session)}: llm {_llm_line(step)}")


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
