"""``aimem status``, ``aimem projects`` and ``aimem path``: where memory lives and its state."""

from __future__ import annotations

import os
import time

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
        "memory": True,
        "data": paths.base,
        "wiki": paths.wiki,
        "commits": commits,
        "sessions": by_status,
        "pending": pending_sessions(paths),
        "handoff": {k: offer.get(k) for k in ("path", "status", "from_agent", "created")}
        if offer
        else None,
        "index": index_status(paths.index, paths.wiki),
        "llm": llm_status(paths.state),
        "conflicts": conflicts(paths),
    }


def conflicts(paths) -> list[dict]:  # noqa: ANN001
    """Pages edited on two machines that nobody has reconciled yet (``aimem sync`` keeps both)."""
    from aimem.sync.conflicts import unresolved

    return [{"path": c.path, "sibling": c.sibling} for c in unresolved(paths)]


def llm_status(state_dir: str) -> dict:
    """Whether the LLM step runs and what it spent today and this month (every project of the
    data root: the budget is one), for ``status``."""
    from aimem.compile import spend
    from aimem.compile.settings import llm_settings

    conf = llm_settings()
    reason = conf.disabled_reason()
    spent = spend.status(state_dir)
    return {
        "enabled": reason is None,
        "reason": reason,
        "provider": conf.provider or None,
        "model": conf.model,
        "today": spent["today"],
        "month": spent["month"],
    }


def llm_line(info: dict) -> str:
    """``anthropic claude-haiku-4-5: today 2,400 tokens $0.01 (1 call); this month ...``."""

    def spent(period: dict) -> str:
        calls = period["calls"]
        return (
            f"{period['tokens']:,} tokens ${period['cost_usd']:.2f} "
            f"({calls} call{'s' if calls != 1 else ''})"
        )

    head = f"{info['provider']} {info['model']}" if info["enabled"] else f"off: {info['reason']}"
    if not info["enabled"] and not info["month"]["calls"]:
        return head
    return f"{head}; today {spent(info['today'])}; this month {spent(info['month'])}"


def project_row(slug: str, paths, meta: dict) -> dict:  # noqa: ANN001
    """One project for ``aimem projects``: where it is, its size and when it last changed."""
    from aimem.capture import state
    from aimem.index.sync import index_status
    from aimem.timeline import iso, last_activity

    last = last_activity(paths)
    return {
        "slug": slug,
        "name": meta.get("name", slug),
        "root": meta.get("root"),
        "source": meta.get("source"),
        "data": paths.base,
        "pages": index_status(paths.index, paths.wiki)["pages"],
        "sessions": len(state.sessions(paths.state, archived=True)),
        "last_activity": iso(last) if last is not None else None,
        "last_activity_ts": last,
    }


def ago(ts: float | None, now: float) -> str:
    """``12 min ago``, ``3 h ago``, ``5 d ago``, then the date: short enough for a table
    (``--json`` has the exact time)."""
    if ts is None:
        return "never"
    import datetime as dt

    seconds = max(0.0, now - ts)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 14 * 86400:
        return f"{int(seconds // 86400)} d ago"
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d")


def no_memory_status(slug: str, name: str, paths) -> dict:  # noqa: ANN001
    """``status`` of a project nobody has recorded in yet: the same keys, all empty."""
    return {
        "project": name,
        "slug": slug,
        "memory": False,
        "data": paths.base,
        "wiki": paths.wiki,
        "commits": 0,
        "sessions": {},
        "pending": [],
        "handoff": None,
        "index": {"pages": 0, "last_commit": None, "head": None, "up_to_date": True},
        "llm": llm_status(paths.state),
        "conflicts": [],
    }


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_READ,
        epilog=examples(
            "aimem status                   # the project containing the current directory",
            "aimem status --project myapp --json",
        ),
    )
    def status(
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the status as JSON."),
    ) -> None:
        """Show the project's memory: wiki commits, sessions, pending handoff, index state.

        A project nobody has recorded in yet is not an error: status says so (exit status 0,
        `"memory": false` in `--json`) and how to start."""
        chosen = select_project(settings().home, project, need_memory=False)
        if not chosen.recorded:
            info = no_memory_status(chosen.slug, chosen.name, chosen.paths)
            if json_out:
                print_json(info)
                return
            typer.echo(
                f"no memory yet for project {chosen.name} ({chosen.slug}): install the hooks "
                "(`aimem install`) and start an agent here, or write a page (`aimem write-page`)"
            )
            return
        info = project_status(chosen.slug, chosen.name, chosen.paths)
        if json_out:
            print_json(info)
            return
        from rich.console import Console
        from rich.markup import escape
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
        table.add_row("llm", escape(llm_line(info["llm"])))
        if info["conflicts"]:
            first = info["conflicts"][0]
            more = len(info["conflicts"]) - 1
            table.add_row(
                "conflicts",
                escape(
                    f"{len(info['conflicts'])} page(s) edited on two machines: {first['path']} "
                    f"(the other version is {first['sibling']})"
                    + (f" and {more} more" if more else "")
                    + "; merge by hand, then delete the other version (docs/sync.md)"
                ),
            )
        Console().print(table)

    @app.command(
        rich_help_panel=PANEL_READ,
        epilog=examples(
            "aimem projects          # pages, sessions and last activity of each project",
            "aimem projects --json | jq -r 'sort_by(.last_activity_ts) | .[-1].slug'",
        ),
    )
    def projects(
        json_out: bool = typer.Option(False, "--json", help="Print the projects as JSON."),
    ) -> None:
        """List every project with memory under the data root, most recently active first.

        Each with its indexed pages, its recorded sessions and when its memory last changed
        (its newest wiki commit or session record)."""
        rows = [
            project_row(slug, paths, meta) for slug, paths, meta in list_projects(settings().home)
        ]
        rows.sort(key=lambda r: (-(r["last_activity_ts"] or 0), r["slug"]))
        if json_out:
            print_json(rows)
            return
        if not rows:
            typer.echo("no projects yet: install the hooks (`aimem install`) and start an agent")
            return
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        table = Table("slug", "name", "pages", "sessions", "last activity", "root")
        now = time.time()
        for row in rows:
            table.add_row(
                escape(row["slug"]),
                escape(str(row["name"])),
                str(row["pages"]),
                str(row["sessions"]),
                ago(row["last_activity_ts"], now),
                escape(str(row["root"] or "")),
            )
        Console(highlight=False).print(table)

    @app.command(
        rich_help_panel=PANEL_READ,
        epilog=examples(
            "aimem path                              # the data root",
            'git -C "$(aimem path --wiki)" log --stat  # the wiki is a git repository',
            'grep -rl parse_config "$(aimem path --wiki --project myapp)"',
        ),
    )
    def path(
        wiki: bool = typer.Option(
            False, "--wiki", help="Print the project's wiki folder instead of the data root."
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
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
