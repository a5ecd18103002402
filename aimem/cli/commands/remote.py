"""``aimem remote add|remove|show``: where a project's memory syncs to (machine-local)."""

from __future__ import annotations

import os

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

SHARE_HELP = (
    "What the remote receives (required): `all` = the whole wiki, for your own machines "
    "(what a restore needs); `knowledge` = decisions, gotchas, concepts and rules only, for a "
    "team (never sessions, handoffs, prompts or the log)."
)

remote_app = typer.Typer(
    name="remote",
    help="Git remotes a project's memory syncs with (`aimem sync`). Kept on this machine only.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    epilog=examples(
        "aimem remote add team git@github.com:acme/shop.git --share knowledge",
        "aimem remote show",
        "aimem remote remove team",
    ),
)


def register(app: typer.Typer) -> None:
    app.add_typer(remote_app, name="remote", rich_help_panel=PANEL_WRITE)


def _selected(project: str | None, create: bool):  # noqa: ANN202 - cli.context.Selected
    chosen = select_project(settings().home, project, need_memory=not create)
    if not chosen.recorded:
        from aimem.memory.write import ensure_project_folder
        from aimem.project import resolve_project

        where = os.path.abspath(os.path.expanduser(project)) if project else os.getcwd()
        found = resolve_project(where)
        if found is None:
            raise CliError(f"{where} is not inside a project")
        ensure_project_folder(chosen.paths, found)
    return chosen


@remote_app.command(
    "add",
    epilog=examples(
        "aimem remote add laptop ssh://me@laptop/~/memory.git --share all",
        "aimem remote add team git@github.com:acme/shop.git --share knowledge",
        "aimem remote add origin https://git.example.com/acme/shop.git --share knowledge \\",
        "    --branch aimem/shop",
    ),
)
def add(
    name: str = typer.Argument(..., metavar="NAME", help="A short name: letters, digits, . _ -"),
    url: str = typer.Argument(
        ..., metavar="URL", help="path, file://, ssh://, user@host:path, https://, git://"
    ),
    share: str = typer.Option(..., "--share", metavar="all|knowledge", help=SHARE_HELP),
    branch: str = typer.Option(
        None,
        "--branch",
        metavar="BRANCH",
        help="Branch on the remote (default aimem/<project>): safe beside a code repository's own.",
    ),
    project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
) -> None:
    """Add a remote to sync this project's memory with.

    Credentials are your own: ssh keys through your ssh agent, https through your git
    credential helper. A URL holding a password is refused."""
    from aimem.sync import config

    chosen = _selected(project, create=True)
    try:
        remote = config.add(chosen.paths, chosen.name, name, url, share, branch)
    except config.RemoteConfigError as exc:
        raise CliError(str(exc)) from None
    typer.echo(
        f"{remote.name}: {remote.url} branch {remote.branch}, shares {remote.share} "
        f"(run `aimem sync`)"
    )


@remote_app.command("remove", epilog=examples("aimem remote remove laptop"))
def remove(
    name: str = typer.Argument(..., metavar="NAME"),
    project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
) -> None:
    """Forget a remote on this machine (nothing on the remote is touched)."""
    from aimem.sync import config

    chosen = _selected(project, create=False)
    try:
        gone = config.remove(chosen.paths, name)
    except config.RemoteConfigError as exc:
        raise CliError(str(exc)) from None
    typer.echo(f"removed {gone.name} ({gone.url})")


@remote_app.command("show", epilog=examples("aimem remote show", "aimem remote show --json"))
def show(
    project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the remotes as JSON."),
) -> None:
    """List this project's remotes: name, URL, branch, what they receive."""
    from dataclasses import asdict

    from aimem.sync import config

    chosen = _selected(project, create=False)
    try:
        remotes = config.load(chosen.paths)
    except config.RemoteConfigError as exc:
        raise CliError(str(exc)) from None
    if json_out:
        print_json([asdict(r) for r in remotes])
        return
    if not remotes:
        typer.echo("no remotes (add one: aimem remote add NAME URL --share all|knowledge)")
    for r in remotes:
        typer.echo(f"{r.name}\t{r.share}\t{r.url}\t{r.branch}")
