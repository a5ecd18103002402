"""``aimem sweep`` and ``aimem unarchive``: the memory lifecycle (DESIGN.md section 7)."""

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
from aimem.cli.progress import progress_bar


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            "aimem sweep --dry-run     # what would be archived or dropped",
            "aimem sweep               # this project, one commit",
            "aimem sweep --all --json  # every project (what the daily timer runs)",
        ),
    )
    def sweep(
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        all_projects: bool = typer.Option(
            False,
            "--all",
            "-a",
            help="Sweep every project under the data root (what the timer runs).",
        ),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Show what would be archived or dropped; change nothing."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Archive pages nobody uses any more, and drop long-archived ones (one commit).

        A page whose retention (salience decaying with age, reinforced by reads) is below 0.20
        moves to _archive/ in the wiki: out of search, still in git and on disk. Archived pages
        are deleted 180 days later (git history keeps them). Pinned pages, rules and the handoff
        on offer are never archived. First, sessions that ended (or went silent) without
        reaching the wiki, because their consolidation was killed or failed or their agent has no
        end event, are consolidated. `aimem install-timer` runs this daily."""
        from aimem.lifecycle.sweep import sweep as run_sweep
        from aimem.project import list_projects

        if all_projects and project:
            raise CliError("pass --project or --all, not both")
        home = settings().home
        if all_projects:
            targets = [
                (slug, str(meta.get("name") or slug), p) for slug, p, meta in list_projects(home)
            ]
        else:
            chosen = select_project(home, project)
            targets = [(chosen.slug, chosen.name, chosen.paths)]
        report = []
        with progress_bar("sweep") as advance:
            for done, (slug, name, paths) in enumerate(targets):
                advance(done, len(targets))
                try:
                    recovered = _recover_sessions(paths, name, dry_run)
                    result = run_sweep(paths, name, dry_run=dry_run)
                except Exception as exc:  # noqa: BLE001 - one broken project must not stop the rest
                    if not all_projects:
                        raise CliError(f"sweep of {slug} failed: {exc}") from None
                    report.append({"project": slug, "error": str(exc)})
                    continue
                report.append({"project": slug, "consolidated": recovered, **result.as_dict()})
            advance(len(targets), len(targets))
        if json_out:
            print_json(report if all_projects else report[0])
        else:
            _print(report, dry_run)
        if any("error" in entry for entry in report):
            raise typer.Exit(1)

    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            "aimem unarchive decisions/use-sqlite-fts5",
            "aimem unarchive _archive/gotchas/rebase-drops-lockfile.md --project myapp",
        ),
    )
    def unarchive(
        page: str = typer.Argument(
            ..., metavar="PAGE", help="The archived page ('_archive/' and '.md' optional)."
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
    ) -> None:
        """Bring an archived page back where it was, dated today (one commit)."""
        from aimem.lifecycle.sweep import unarchive as run_unarchive
        from aimem.wiki.pages import PagePathError
        from aimem.wiki.read import PageNotFound

        chosen = select_project(settings().home, project)
        try:
            path = run_unarchive(chosen.paths, chosen.name, page)
        except PageNotFound as exc:
            raise CliError(f"no archived page at {exc.path}") from None
        except (PagePathError, FileExistsError, FileNotFoundError) as exc:
            raise CliError(str(exc)) from None
        typer.echo(f"unarchived {path}")


def _recover_sessions(paths, name: str, dry_run: bool) -> list[str]:  # noqa: ANN001
    """Consolidate the project's pending sessions (stale-session recovery, DESIGN section 7);
    the ids of those that reached the wiki, or with ``dry_run`` those that would be tried."""
    from aimem.consolidate.run import consolidate_session, pending_sessions

    pending = pending_sessions(paths)
    if dry_run:
        return pending
    done = []
    for session in pending:
        result = consolidate_session(paths, name, session)
        if result.status in ("committed", "unchanged", "empty"):
            done.append(session)
    return done


def _print(report: list[dict], dry_run: bool) -> None:
    verb = "would archive" if dry_run else "archived"
    drop = "would drop" if dry_run else "dropped"
    for entry in report:
        if "error" in entry:
            typer.echo(f"{entry['project']}: error: {entry['error']}", err=True)
            continue
        for session in entry["consolidated"]:
            action = "would consolidate" if dry_run else "consolidated"
            typer.echo(f"{entry['project']}: {action} session {session}")
        for item in entry["archived"]:
            typer.echo(f"{entry['project']}: {verb} {item['path']} (retention {item['retention']})")
        for path in entry["dropped"]:
            typer.echo(f"{entry['project']}: {drop} {path}")
        if not entry["archived"] and not entry["dropped"] and not entry["consolidated"]:
            typer.echo(f"{entry['project']}: nothing to sweep")
