"""The typer root: registers each command module and turns ``CliError`` into one clean line."""

from __future__ import annotations

import logging

import typer

from aimem import __version__
from aimem.cli.commands import (
    consolidate,
    doctor,
    explore,
    hook,
    install,
    mcp,
    search,
    show,
    status,
    sweep,
    timer,
)
from aimem.cli.context import CliError

app = typer.Typer(
    name="aimem",
    help="Shared, git-native long-term memory for coding agents.\n\n"
    "Agents record sessions through `aimem hook`; sessions are consolidated into a markdown "
    "wiki in git; any agent starting in the same project gets a handoff and can search "
    "everything earlier sessions learned.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Markdown: docstring paragraphs wrap to the terminal instead of keeping their line breaks.
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aimem {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Shared, git-native long-term memory for coding agents."""


for module in (
    hook,
    consolidate,
    search,
    show,
    explore,
    status,
    mcp,
    sweep,
    timer,
    install,
    doctor,
):
    module.register(app)


def run() -> int:
    """Run the app; a ``CliError`` becomes one line on stderr and exit status 1, and so does an
    ``OSError`` (a full disk, a read-only folder): what failed is in the line, the traceback in
    the log file when there is one."""
    try:
        app()  # standalone mode: usage errors and --help exit through SystemExit
    except CliError as exc:
        _error_line(str(exc))
        return 1
    except OSError as exc:
        _log_traceback()
        _error_line(os_error_line(exc))
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback in the log
        # Redacted on both sides: the consolidation a SessionEnd hook starts writes its stderr
        # into the log file, where a raw traceback would bypass redaction.
        _log_traceback()
        _error_line(f"unexpected {type(exc).__name__}: {exc} (traceback in the log file)")
        return 1
    return 0


def _log_traceback() -> None:
    logger = logging.getLogger("aimem")
    if logger.handlers:  # without a log file, logging's last resort would print it on stderr
        logger.error("command failed", exc_info=True)


def _error_line(message: str) -> None:
    from aimem.capture.redact import redact

    typer.echo("aimem: error: " + redact(" ".join(message.split())), err=True)


def os_error_line(exc: OSError) -> str:
    """``Read-only file system: /x/state/sessions.json`` rather than a traceback."""
    what = exc.strerror or str(exc) or type(exc).__name__
    return f"{what}: {exc.filename}" if exc.filename else what
