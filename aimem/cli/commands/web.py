"""``aimem web``: a read-only view of memory in the browser, served until Ctrl-C."""

from __future__ import annotations

import typer

from aimem.cli.context import PANEL_READ, PROJECT_HELP, CliError, examples, select_project, settings

DEFAULT_PORT = 8377


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_READ,
        epilog=examples(
            "aimem web                      # this project (or every project outside one)",
            "aimem web --all --open         # every project, opened in the browser",
            "aimem web --project webshop --port 0",
        ),
    )
    def web(
        port: int = typer.Option(
            DEFAULT_PORT,
            "--port",
            min=0,
            max=65535,
            metavar="N",
            help="TCP port on 127.0.0.1; 0 picks a free one.",
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        all_projects: bool = typer.Option(
            False, "--all", "-a", help="Serve every project (the default outside a project)."
        ),
        open_browser: bool = typer.Option(
            False, "--open", help="Open the view in the default browser once it listens."
        ),
        host: str = typer.Option(
            "127.0.0.1",
            "--host",
            metavar="ADDRESS",
            help="Listen on another address (prints a warning: memory has no login).",
        ),
        allow_host: list[str] = typer.Option(  # noqa: B008 - typer's way to declare a list
            [],
            "--allow-host",
            metavar="NAME",
            help="Another Host name clients may use (with --host); repeatable.",
        ),
    ) -> None:
        """Browse memory read-only: projects, pages, history, search, sessions.

        Serves on 127.0.0.1 until Ctrl-C; no daemon, nothing written (git and the index are
        opened read-only)."""
        from aimem.web import serve
        from aimem.web.store import Site

        loaded = settings()
        if project and all_projects:
            raise CliError("--all and --project cannot be used together")
        if all_projects:
            only, what = None, "every project"
        elif project:
            chosen = select_project(loaded.home, project)
            only, what = (chosen.slug,), f"project {chosen.name}"
        else:
            try:
                chosen = select_project(loaded.home, None)
                only, what = (chosen.slug,), f"project {chosen.name}"
            except CliError:
                only, what = None, "every project"
        if not serve.is_loopback(host):
            typer.echo(
                f"aimem: warning: listening on {host}: anyone who can reach it can read this "
                "memory (prompts, session logs, pages); there is no login",
                err=True,
            )
        try:
            bound = serve.bind(host, port)
        except OSError as exc:
            hint = ": pass --port 0 for a free port" if port else ""
            raise CliError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}){hint}"
            ) from None
        site = Site(loaded.home, only, loaded.handoff_max_age_days)
        typer.echo(f"aimem web: {what} at {bound.url} (read-only; Ctrl-C to stop)")
        if open_browser:
            import webbrowser

            webbrowser.open(bound.url)
        serve.serve(site, bound, tuple(allow_host))
