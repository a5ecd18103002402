"""``aimem rules``: list the project's rules, accept or reject the ones the LLM step proposed."""

from __future__ import annotations

import typer

from aimem.cli.context import (
    PANEL_WRITE,
    PROJECT_HELP,
    AimemGroup,
    CliError,
    examples,
    print_json,
    select_project,
    settings,
)

STATUSES = ("proposed", "accepted", "rejected", "active")

rules_app = typer.Typer(
    name="rules",
    cls=AimemGroup,
    help="List the project's rules; accept or reject the ones proposed by the LLM step.\n\n"
    "A proposed rule waits for a person: accepted, it is a rule like any other; rejected, it "
    "stays in the wiki marked `rejected` (one commit either way).",
    epilog=examples(
        "aimem rules list --status proposed",
        "aimem rules accept _rules/run-the-rounding-tests-before-pushing.md",
        "aimem rules reject _rules/always-push-with-force.md",
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, rich_help_panel=PANEL_WRITE)


@rules_app.command(
    "list",
    epilog=examples(
        "aimem rules list                      # proposed first, then by path",
        "aimem rules list --status accepted --json",
    ),
)
def list_command(
    status: str = typer.Option(
        None,
        "--status",
        metavar="STATUS",
        help="Only rules with this status: proposed, accepted, rejected, or active (a rule "
        "written by hand or before proposals existed).",
    ),
    project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the rules as a JSON array."),
) -> None:
    """List the rules in the wiki, proposed ones first."""
    from dataclasses import asdict

    from aimem.compile.rules import list_rules

    if status is not None and status not in STATUSES:
        raise typer.BadParameter(f"use one of {', '.join(STATUSES)}", param_hint="'--status'")
    chosen = select_project(settings().home, project)
    found = list_rules(chosen.paths, status)
    if json_out:
        print_json([asdict(rule) for rule in found])
        return
    if not found:
        typer.echo(f"no {status} rules" if status else "no rules yet")
        return
    width = max(len(rule.status) for rule in found)
    for rule in found:
        origin = f"  ({rule.origin})" if rule.origin else ""
        typer.echo(f"{rule.status:<{width}}  {rule.path}  {rule.title}{origin}")


def _decide(page: str, project: str | None, verdict: str) -> None:
    from aimem.compile.rules import RuleError, decide
    from aimem.wiki.pages import PagePathError

    chosen = select_project(settings().home, project)
    try:
        commit = decide(chosen.paths, chosen.name, page, verdict)
    except (RuleError, PagePathError) as exc:
        raise CliError(str(exc)) from None
    suffix = f" (commit {commit[:10]})" if commit else ""
    typer.echo(f"{verdict}: {page}{suffix}")


@rules_app.command(
    "accept",
    epilog=examples("aimem rules accept _rules/run-the-rounding-tests-before-pushing.md"),
)
def accept_command(
    page: str = typer.Argument(..., metavar="PAGE", help="The proposed rule's path in the wiki."),
    project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
) -> None:
    """Accept a proposed rule: from now on agents get it in their brief (one commit)."""
    _decide(page, project, "accepted")


@rules_app.command(
    "reject",
    epilog=examples("aimem rules reject _rules/always-push-with-force.md --project myapp"),
)
def reject_command(
    page: str = typer.Argument(..., metavar="PAGE", help="The proposed rule's path in the wiki."),
    project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
) -> None:
    """Reject a proposed rule: it stays in the wiki as rejected and reaches no agent (one
    commit)."""
    _decide(page, project, "rejected")
