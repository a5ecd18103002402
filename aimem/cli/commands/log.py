"""``aimem log``: the project's timeline, sessions and memory changes, newest first."""

from __future__ import annotations

import datetime as dt

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
            "aimem log                        # the last 30 events",
            "aimem log --since 7d --agent codex",
            "aimem log --author alice --since 2026-11-01",
            "aimem log --json -n 200 | jq '.[] | select(.kind == \"sweep\")'",
        ),
    )
    def log(
        agent: str = typer.Option(
            None,
            "--agent",
            metavar="AGENT",
            help="Only this agent's sessions and consolidations: claude-code, codex, gemini, "
            "cursor or opencode.",
        ),
        since: str = typer.Option(
            None,
            "--since",
            metavar="WHEN",
            help="Only events after this: 30m, 12h, 7d, 2w, today, yesterday, or a date "
            "(2026-11-01) or date-time (2026-11-01T09:30).",
        ),
        author: str = typer.Option(
            None,
            "--author",
            metavar="TEXT",
            help="Only wiki commits whose author name or email contains this (any case); "
            "sessions have no author, so they are left out.",
        ),
        limit: int = typer.Option(
            30, "--limit", "-n", min=1, max=100_000, metavar="N", help="Most events shown."
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the events as a JSON array."),
    ) -> None:
        """Show what happened in the project's memory, newest first.

        Agent sessions (when each started, which agent, how it ended) and the wiki's commits
        (consolidations, pages written, sweeps, unarchives, and your own commits in the wiki),
        each with its author. The sources are the session records and the wiki's git history,
        so `git -C "$(aimem path --wiki)" log` shows the same commits."""
        from aimem.capture.adapters import AGENTS
        from aimem.timeline import parse_since, timeline

        if agent is not None and agent not in AGENTS:
            raise CliError(f"unknown agent {agent!r}: use one of {', '.join(AGENTS)}")
        try:
            after = parse_since(since) if since is not None else None
        except ValueError as exc:
            raise CliError(str(exc)) from None
        # A project nobody has recorded in yet has an empty timeline, not an error.
        chosen = select_project(settings().home, project, need_memory=False)
        events = timeline(chosen.paths, agent=agent, author=author, since=after, limit=limit)
        if json_out:
            print_json([e.as_dict() for e in events])
            return
        if not events:
            if not chosen.recorded:
                typer.echo(f"no memory yet for project {chosen.name} ({chosen.slug})")
            else:
                filtered = agent or author or since
                typer.echo("nothing recorded" + (" matching these filters" if filtered else ""))
            return
        # One line per event, columns padded, never wrapped: greppable, and a long summary
        # runs past the edge instead of breaking the columns.
        rows = [
            (
                dt.datetime.fromtimestamp(e.ts).strftime("%Y-%m-%d %H:%M"),
                e.kind,
                _short_author(e.author) if e.author else e.agent or "",
                (e.commit or "")[:7],
                _detail(e),
            )
            for e in events
        ]
        kind_width = max(len(r[1]) for r in rows)
        who_width = max(len(r[2]) for r in rows)
        for when, kind, who, commit, detail in rows:
            line = f"{when}  {kind:<{kind_width}}  {who:<{who_width}}  {commit:<7}  {detail}"
            typer.echo(printable(line).rstrip())


def printable(text: str) -> str:
    """Commit messages and author names come from anyone who committed to the wiki: control
    characters (a terminal escape sequence) are shown as ``?``, never sent to the terminal."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _short_author(author: str) -> str:
    """``alice <alice@example.com>`` as ``alice``; aimem's own commits read ``aimem``."""
    return author.split(" <", 1)[0] or author


def _detail(event) -> str:  # noqa: ANN001 - a timeline.Event
    if event.kind == "session":
        page = f"  {event.page}" if event.page else ""
        return f"{event.summary}{page}"
    # The operation is in its own column: ``write-page: created ...`` reads ``created ...``.
    prefix = f"{event.kind}: "
    return event.summary[len(prefix) :] if event.summary.startswith(prefix) else event.summary
