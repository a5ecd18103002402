"""``aimem mcp``, ``aimem lint`` and ``aimem write-page``: the MCP server, and the two MCP tools
people also want from a shell (the same library functions, so both faces behave alike)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from aimem.cli.context import (
    PANEL_AGENTS,
    PANEL_WRITE,
    PROJECT_HELP,
    CliError,
    examples,
    print_json,
    project_for_writing,
    select_project,
    settings,
)
from aimem.cli.progress import progress_bar

TYPES_HELP = "decision, gotcha, concept or rule."


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_AGENTS,
        epilog=examples(
            "aimem mcp                                  # what `aimem install` registers",
            "AIMEM_PROJECT=myapp aimem mcp              # pin the project",
            "npx @modelcontextprotocol/inspector aimem mcp   # try the tools by hand",
        ),
    )
    def mcp() -> None:
        """Run the MCP server over stdio (agents start this; see docs/mcp.md).

        The project is AIMEM_PROJECT, else the client's roots, else the current directory;
        every tool also takes an explicit project."""
        from aimem.mcp.server import serve

        raise typer.Exit(serve())

    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            "aimem lint                 # problems, then a one-line summary",
            "aimem lint --project myapp --json | jq '.issues[] | select(.severity == \"error\")'",
        ),
    )
    def lint(
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Check the memory for problems (read-only).

        Broken wikilinks, orphan pages, stale handoff offers, pages missing front matter, index
        drift against the wiki's HEAD, journals never consolidated. Exit status 1 if there is an
        error (warnings alone exit 0)."""
        from aimem.lifecycle.lint import lint as run_lint

        loaded = settings()
        chosen = select_project(loaded.home, project)
        with progress_bar("lint: reading pages") as advance:
            report = run_lint(chosen.paths, loaded.handoff_max_age_days, progress=advance)
        if json_out:
            print_json(
                {
                    "project": chosen.slug,
                    "pages": report.pages,
                    "errors": report.errors,
                    "warnings": report.warnings,
                    "counts": report.counts(),
                    "issues": [i.as_dict() for i in report.issues],
                }
            )
        else:
            for issue in report.issues:
                typer.echo(f"{issue.severity}: {issue.kind}: {issue.path}: {issue.detail}")
            typer.echo(
                f"{chosen.slug}: {report.pages} pages, {report.errors} error(s), "
                f"{report.warnings} warning(s)"
            )
        if report.errors:
            raise typer.Exit(1)

    @app.command(
        "write-page",
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            'aimem write-page -t decision --title "Use SQLite FTS5" -b "Because ..." --tag search',
            'git diff | aimem write-page -t gotcha --title "Rebase drops the lockfile"',
            "aimem write-page --path decisions/use-sqlite-fts5.md -t decision "
            '--title "Use SQLite FTS5" --pinned < notes.md',
        ),
    )
    def write_page(
        type_: str = typer.Option(..., "--type", "-t", metavar="TYPE", help=TYPES_HELP),
        title: str = typer.Option(..., "--title", metavar="TEXT", help="One line."),
        body: str = typer.Option(
            None, "--body", "-b", metavar="TEXT", help="Markdown text; '-' or omitted reads stdin."
        ),
        tags: Annotated[
            list[str] | None, typer.Option("--tag", metavar="TAG", help="A tag (repeatable).")
        ] = None,
        path: str = typer.Option(None, "--path", metavar="PAGE", help="Update this existing page."),
        supersedes: Annotated[
            list[str] | None,
            typer.Option(
                "--supersedes",
                metavar="PAGE",
                help="Path of a page this one replaces (repeatable).",
            ),
        ] = None,
        salience: float = typer.Option(
            None,
            "--salience",
            min=0.0,
            max=1.0,
            metavar="0-1",
            help="Importance, 0-1 (default by type).",
        ),
        pinned: bool = typer.Option(
            None,
            "--pinned/--not-pinned",
            help="Pin the page (never archived) or unpin it; default: new pages unpinned, "
            "updated pages keep theirs.",
        ),
        source: Annotated[
            list[str] | None,
            typer.Option("--source", metavar="SESSION", help="A session id (repeatable)."),
        ] = None,
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Create or update a decision, gotcha, concept or rule page (one commit)."""
        from filelock import Timeout

        from aimem.memory.write import PageWrite, WriteError
        from aimem.memory.write import write_page as write
        from aimem.wiki.pages import PagePathError
        from aimem.wiki.read import PageNotFound

        if body is None or body == "-":
            body = sys.stdin.read()
        chosen = project_for_writing(settings().home, project)
        request = PageWrite(
            type=type_,
            title=title,
            body=body,
            tags=list(tags) if tags else None,
            path=path,
            salience=salience,
            pinned=pinned,
            supersedes=list(supersedes or []),
            sources=list(source or []),
        )
        try:
            done = write(chosen.paths, chosen.name, request)
        except PageNotFound as exc:
            raise CliError(f"no page {exc.path!r} in project {chosen.slug}") from None
        except (WriteError, PagePathError) as exc:
            raise CliError(str(exc)) from None
        except Timeout:
            raise CliError("the wiki is locked by another writer; try again") from None
        if json_out:
            print_json(done.__dict__)
            return
        commit = f" (commit {done.commit[:10]})" if done.commit else ""
        typer.echo(f"{done.action}: {done.path}{commit}")
        if done.redacted:
            typer.echo("note: secrets in the input were replaced by [REDACTED]", err=True)
