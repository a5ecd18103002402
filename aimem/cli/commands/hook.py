"""``aimem hook``: listed here for ``--help``; real calls are dispatched in ``aimem.entry`` before
typer is imported, so this body only runs if someone calls the app object directly."""

from __future__ import annotations

import typer

from aimem.cli.context import PANEL_AGENTS, examples


def register(app: typer.Typer) -> None:
    @app.command(
        context_settings={"ignore_unknown_options": True},
        rich_help_panel=PANEL_AGENTS,
        epilog=examples(
            'echo \'{"session_id": "s1"}\' | aimem hook claude-code SessionStart',
            "aimem hook codex < payload.json   # event from the payload's hook_event_name",
        ),
    )
    def hook(
        agent: str = typer.Argument(
            ..., metavar="AGENT", help="claude-code, codex, gemini, cursor or opencode."
        ),
        event: str = typer.Argument(
            None, metavar="EVENT", help="The agent's event name, e.g. SessionStart."
        ),
    ) -> None:
        """Record one agent hook event (the payload comes on stdin).

        Agents run this. It never fails: problems go to the log file, the exit status is 0."""
        from aimem.capture.hook import main

        raise typer.Exit(main([agent] + ([event] if event else [])))
