"""The typer root: registers each command module and turns every failure into one clean line.

``CliError`` and ``OSError`` exit 1; click's usage errors (a missing argument, an unknown
option, a bad value) exit 2, as usage errors do in every Unix tool, but as one line like the
rest instead of typer's framed box.
"""

from __future__ import annotations

import logging
import sys

import typer
from typer._click import exceptions as click_errors

from aimem import __version__
from aimem.cli.commands import (
    backup,
    bootstrap,
    consolidate,
    doctor,
    explore,
    export,
    forget,
    hook,
    install,
    log,
    mcp,
    purge,
    remote,
    rename,
    rules,
    search,
    show,
    status,
    sweep,
    sync,
    timer,
    web,
)
from aimem.cli.context import AimemGroup, CliError, examples

USAGE_EXIT = 2


app = typer.Typer(
    name="aimem",
    cls=AimemGroup,
    help="Shared, git-native long-term memory for coding agents.\n\n"
    "Agents record sessions through `aimem hook`; sessions are consolidated into a markdown "
    "wiki in git; any agent starting in the same project gets a handoff and can search "
    "everything earlier sessions learned.",
    epilog=examples(
        "aimem install                 # hooks and MCP server into your agents",
        'aimem search "retry backoff"  # what earlier sessions learned',
        "aimem log --since 7d          # what happened this week",
        "aimem --install-completion    # tab completion for your shell",
    ),
    no_args_is_help=True,
    # typer's `--install-completion` / `--show-completion` (bash, zsh, fish, PowerShell).
    add_completion=True,
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


# The root help shows panels in the order their first command is registered.
for module in (
    search,
    show,
    explore,
    status,
    log,
    web,
    export,
    consolidate,
    bootstrap,
    sweep,
    sync,
    remote,
    rules,
    backup,
    purge,
    rename,
    forget,
    install,
    timer,
    doctor,
    mcp,
    hook,
):
    module.register(app)


def run(argv: list[str] | None = None) -> int:
    """Run the app and return its exit status. A ``CliError`` becomes one line on stderr and
    status 1, and so does an ``OSError`` (a full disk, a read-only folder): what failed is in
    the line, the traceback in the log file when there is one. A usage error is one line and
    status 2."""
    try:
        # Not standalone: click's exceptions come here instead of being drawn as a box.
        code = app(args=argv, prog_name="aimem", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:  # bare `aimem`: the help is the answer
        typer.echo(exc.ctx.get_help())
        return 0
    except click_errors.UsageError as exc:
        _error_line(usage_line(exc, sys.argv[1:] if argv is None else argv))
        return USAGE_EXIT
    except click_errors.ClickException as exc:
        _error_line(exc.format_message())
        return exc.exit_code or 1
    except typer.Abort:  # end of input at a prompt
        _error_line("aborted")
        return 1
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
    return code if isinstance(code, int) else 0


def usage_line(exc: click_errors.UsageError, argv: list[str]) -> str:
    """``No such option: --jsn (try `aimem search --help`)``: click's message and where help is.
    Some errors come without their command's context (an option missing its value): the
    command is then the first word of the command line that names one."""
    if exc.ctx is not None and exc.ctx.command_path != "aimem":
        where = exc.ctx.command_path
    else:
        named = [arg for arg in argv if arg in app_commands()][:1]
        where = " ".join(["aimem", *named])
    return f"{exc.format_message()} (try `{where} --help`)"


def app_commands() -> set[str]:
    """The command words: each command's, and each command group's (``rules``)."""
    names = {
        info.name or info.callback.__name__.replace("_", "-") for info in app.registered_commands
    }
    return names | {group.typer_instance.info.name for group in app.registered_groups}


def _log_traceback() -> None:
    logger = logging.getLogger("aimem")
    if logger.handlers:  # without a log file, logging's last resort would print it on stderr
        logger.error("command failed", exc_info=True)


def _error_line(message: str) -> None:
    from aimem.redact import redact

    typer.echo("aimem: error: " + redact(" ".join(message.split())), err=True)


def os_error_line(exc: OSError) -> str:
    """``Read-only file system: /x/state/sessions.json`` rather than a traceback."""
    what = exc.strerror or str(exc) or type(exc).__name__
    return f"{what}: {exc.filename}" if exc.filename else what
