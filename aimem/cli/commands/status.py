"""``aimem status``, ``aimem projects`` and ``aimem path``: where memory lives and its state."""

from __future__ import annotations

import os

import typer

from aimem.cli.context import PROJECT_HELP, CliError, print_json, select_project, settings
from aimem.project import list_projects, paths_for, resolve_project


def project_status(slug: str, name: str, paths) -> dict:  # noqa: ANN001
    """Everything ``aimem status`` shows, as plain data."""
    from aimem.capture import state
    from aimem.consolidate.run import pending_sessions
    from aimem.index.sync import index_status
    from aimem.wiki import repo as wikirepo

    sessions = state.sessions(paths.state, archived=True)
    by_status: dict[str, int] = {}
    for entry in sessions.values():
        key = str(entry.get("status", "?"))
        by_status[key] = by_status.get(key, 0) + 1
    commits = 0
    if os.path.isdir(os.path.join(paths.wiki, ".git")):
        commits = wikirepo.commit_count(wikirepo.open_repo(paths.wiki, create=False))
    offer = state.read_json(state.handoff_path(paths.state))
    return {
        "project": name,
        "slug": slug,
        "data": paths.base,
        "wiki": paths.wiki,
        "commits": commits,
        "sessions": by_status,
        "pending": pending_sessions(paths),
        "handoff": {k: offer.get(k) for k in ("path", "status", "from_agent", "created")}
        if offer
        else None,
        "index": index_status(paths.index, paths.wiki),
    }


def register(app: typer.Typer) -> None:
    @app.command()
    def status(
        project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the status as JSON."),
    ) -> None:
        """Show the project's memory: wiki commits, sessions, pending handoff, index state."""
        chosen = select_project(settings().home, project)
        info = project_status(chosen.slug, chosen.name, chosen.paths)
        if json_out:
            print_json(info)
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(show_header=False, box=None)
        table.add_row("project", f"{info['project']} ({info['slug']})")
        table.add_row("wiki", f"{info['wiki']} ({info['commits']} commits)")
        table.add_row(
            "pages indexed",
            str(info["index"]["pages"])
            + ("" if info["index"]["up_to_date"] else " (behind the wiki: run `aimem reindex`)"),
        )
        table.add_row(
            "sessions", ", ".join(f"{n} {s}" for s, n in info["sessions"].items()) or "none"
        )
        table.add_row("pending", ", ".join(info["pending"]) or "none")
        offer = info["handoff"]
        table.add_row(
            "handoff",
            f"{offer['status']}: {offer['path']} (from {offer['from_agent']})" if offer else "none",
        )
        Console().print(table)

    @app.command()
    def projects(
        json_out: bool = typer.Option(False, "--json", help="Print the projects as JSON."),
    ) -> None:
        """List every project with memory under the data root."""
        rows = []
        for slug, paths, meta in list_projects(settings().home):
            rows.append(
                {
                    "slug": slug,
                    "name": meta.get("name", slug),
                    "root": meta.get("root"),
                    "source": meta.get("source"),
                    "data": paths.base,
                }
            )
        if json_out:
            print_json(rows)
            return
        if not rows:
            typer.echo("no projects yet: install the hooks (`aimem install`) and start an agent")
            return
        from rich.console import Console
        from rich.table import Table

        table = Table("slug", "name", "root")
        for row in rows:
            table.add_row(row["slug"], str(row["name"]), str(row["root"] or ""))
        Console().print(table)

    @app.command()
    def path(
        wiki: bool = typer.Option(False, "--wiki", help="Print the current project's wiki."),
        project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
    ) -> None:
        """Print the data root, or with --wiki the project's wiki folder (for git and grep)."""
        home = settings().home
        if not wiki:
            typer.echo(home)
            return
        if project:
            typer.echo(select_project(home, project).paths.wiki)
            return
        found = resolve_project(os.getcwd())
        if found is None:
            raise CliError(f"{os.getcwd()} is not inside a project")
        typer.echo(paths_for(home, found.slug).wiki)
