"""``aimem install`` and ``aimem uninstall``: aimem's hooks and MCP entry in the agents' configs."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer

from aimem.cli.context import PANEL_SETUP, CliError, examples

if TYPE_CHECKING:
    from aimem.install.common import Target

AGENTS_HELP = (
    "Agents: claude-code, codex, gemini, cursor, opencode (hooks and MCP); "
    "claude-desktop, vscode, windsurf, zed (MCP only)."
)
SCOPE_HELP = "user: the agent's configs in your home; project: the ones in the current project."


def _target(scope: str, executable: str | None, project_dir: str | None, resolve: bool = True):
    """Where to install; ``resolve=False`` (uninstall) needs no executable."""
    from aimem.install.common import SCOPES, InstallError, Target, default_executable, project_root

    if scope not in SCOPES:
        raise CliError(f"--scope must be user or project, not {scope!r}")
    exe = ""
    try:
        if executable:
            exe = os.path.abspath(os.path.expanduser(executable))
        elif resolve:
            exe = default_executable()
    except InstallError as exc:
        raise CliError(str(exc)) from None
    root = project_root(project_dir or os.getcwd())
    return Target(scope=scope, executable=exe, project=root, env=dict(os.environ))


def _run(agents: list[str], target: Target, install: bool, dry_run: bool) -> None:
    from aimem import install as installer
    from aimem.install.common import InstallError, unified_diff

    try:
        for agent in agents:
            installer.module(agent)
        plans = installer.plan(agents, target, install)
    except installer.PlanErrors as exc:
        for message in exc.messages:
            typer.echo(f"aimem: error: {message}", err=True)
        raise typer.Exit(1) from None
    except InstallError as exc:
        raise CliError(str(exc)) from None
    if dry_run:
        for plan in plans:
            for change in plan.changed:
                typer.echo(unified_diff(change), nl=False)
            for note in plan.notes:
                typer.echo(f"# {plan.agent}: {note}")
        if not any(p.changed for p in plans):
            typer.echo("# nothing to change")
        typer.echo("# dry run: nothing was written", err=True)
        return
    try:
        installer.apply(plans)
    except (InstallError, OSError) as exc:
        raise CliError(str(exc)) from None
    for plan in plans:
        if not plan.notes and all(c.action == "absent" for c in plan.changes):
            continue  # nothing of aimem's there, nothing done: no empty heading
        typer.echo(f"{plan.agent} ({target.scope} scope)")
        for change in plan.changes:
            if change.action == "absent":
                continue
            backup = " (previous: .bak)" if change.changed and change.before is not None else ""
            typer.echo(f"  {change.action:<9} {change.path}{backup}")
        for note in plan.notes:
            typer.echo(f"  note: {note}")


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_SETUP,
        epilog=examples(
            "aimem install                              # every agent found on this machine",
            "aimem install claude-code codex --dry-run  # see the diff first",
            "aimem install gemini --scope project       # this repository's configs",
        ),
    )
    def install(
        agents: list[str] = typer.Argument(  # noqa: B008 - typer's declaration style
            None,
            metavar="AGENT...",
            help=AGENTS_HELP + " Default: every agent found on this machine.",
        ),
        scope: str = typer.Option("user", "--scope", metavar="user|project", help=SCOPE_HELP),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Print the changes as a unified diff; write nothing."
        ),
        executable: str = typer.Option(
            None,
            "--executable",
            metavar="PATH",
            help="The aimem the hooks run (default: this installation's absolute path).",
        ),
        project_dir: str = typer.Option(
            None,
            "--project-dir",
            metavar="DIR",
            help="Project folder for --scope project (default: here).",
        ),
    ) -> None:
        """Add aimem's hooks and MCP server to the agents' own config files.

        Merges into the existing files (other keys and hooks stay; TOML comments stay), writes
        atomically and keeps the previous file as <file>.bak. Running it again changes nothing.
        A config that does not parse is left untouched: nothing is written for any agent."""
        from aimem import install as installer

        target = _target(scope, executable, project_dir)
        if not os.access(target.executable, os.X_OK):
            typer.echo(f"aimem: warning: {target.executable} is not an executable file", err=True)
        chosen = list(dict.fromkeys(agents or []))
        if not chosen:
            chosen = installer.detect_agents(target)
            if not chosen:
                raise CliError(
                    "no agent found on this machine (no claude, codex, gemini, cursor, opencode, "
                    "code, windsurf or zed on PATH, no config folder); name one: "
                    "aimem install claude-code"
                )
        _run(chosen, target, install=True, dry_run=dry_run)

    @app.command(
        rich_help_panel=PANEL_SETUP,
        epilog=examples(
            "aimem uninstall                  # aimem's entries out of every agent's configs",
            "aimem uninstall codex --dry-run  # see the diff first",
        ),
    )
    def uninstall(
        agents: list[str] = typer.Argument(  # noqa: B008 - typer's declaration style
            None, metavar="AGENT", help=AGENTS_HELP + " Default: all of them."
        ),
        scope: str = typer.Option("user", "--scope", metavar="user|project", help=SCOPE_HELP),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Print the changes as a unified diff; write nothing."
        ),
        project_dir: str = typer.Option(
            None,
            "--project-dir",
            metavar="DIR",
            help="Project folder for --scope project (default: here).",
        ),
    ) -> None:
        """Remove exactly aimem's hooks and MCP entries from the agents' config files.

        Entries are recognised by their command (`aimem hook ...`, `aimem mcp`) or aimem's marked
        block and files; everything else stays. The previous file is kept as <file>.bak."""
        from aimem import install as installer

        target = _target(scope, None, project_dir, resolve=False)
        chosen = list(dict.fromkeys(agents or [])) or list(installer.AGENT_IDS)
        _run(chosen, target, install=False, dry_run=dry_run)
