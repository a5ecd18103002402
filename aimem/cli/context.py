"""What every command needs: settings, the selected project, output helpers, clean errors."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

from typer.core import TyperGroup

from aimem.config import Settings, load_settings, make_private_dirs
from aimem.logfile import setup_logging
from aimem.project import ProjectNotFound, ProjectPaths, find_project, paths_for, resolve_project

PROJECT_HELP = "Project: its slug, its name or a path inside it (default: the current directory)."

# Help panels: the root `--help` groups commands by what people come for.
PANEL_READ = "Read memory"
PANEL_WRITE = "Write and maintain memory"
PANEL_SETUP = "Set up and check"
PANEL_AGENTS = "Run by agents"


class AimemGroup(TyperGroup):
    """typer's group, with flags shown as flags.

    typer prints every option's value type beside it, so a flag read ``--json <bool>``, as if it
    took a value. A flag's metavar is set empty when its command is looked up (for help, for
    parsing), the help option's too; everything else is typer's."""

    def get_command(self, ctx, cmd_name):  # noqa: ANN001, ANN201 - click's signature
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            plain_flags(command, ctx)
        return command

    def format_help(self, ctx, formatter) -> None:  # noqa: ANN001 - click's signature
        plain_flags(self, ctx)
        super().format_help(ctx, formatter)


def plain_flags(command, ctx) -> None:  # noqa: ANN001 - click objects
    """Flags (``--json``, ``--dry-run``, ``--help``) show no value type in help; in a command
    group (``aimem rules``, ``aimem remote``) its subcommands' flags too, whatever group class
    its module used."""
    for param in [*command.params, command.get_help_option(ctx)]:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        plain_flags(sub, ctx)


def examples(*lines: str) -> str:
    """A command's help epilog: its example command lines as one code block (markdown help
    keeps a fenced block's line breaks, where it would join a docstring's lines)."""
    return "**Examples**\n\n```\n" + "\n".join(lines) + "\n```"


class CliError(Exception):
    """A user-facing failure: printed as one line on stderr, exit status 1."""


@dataclass
class Selected:
    slug: str
    name: str
    paths: ProjectPaths
    recorded: bool = True  # false: a project with no memory under the data root yet


def settings(need_home: bool = True) -> Settings:
    """Settings for a command. A bad config value or file is a warning line on stderr (the
    command goes on with the defaults for what was wrong); a data root that does not exist and
    cannot be created is a ``CliError`` unless ``need_home`` is false (``doctor`` reports it).
    Logging goes to the log file when it can be opened, and nowhere when it cannot."""
    loaded = load_settings()
    for problem in loaded.problems:
        warn(problem)
    # Everything this command creates under the data root is private (transcripts, pages).
    os.umask(0o077)
    if need_home:
        problem = home_problem(loaded.home)
        if problem:
            raise CliError(f"{problem} ({home_fix(loaded)})")
    setup_logging(loaded.home, loaded.log_level)
    return loaded


def home_problem(home: str) -> str | None:
    """Why the data root does not exist and cannot be created, or ``None`` (it is there now).
    An existing root that is read-only is fine: reading memory needs no writes."""
    if os.path.isdir(home):
        return None
    try:
        make_private_dirs(home)
    except OSError as exc:
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            why = "a file is in the way"
        else:
            why = exc.strerror or str(exc)
        return f"cannot create the data root {home}: {why}"
    return None


def home_fix(loaded: Settings) -> str:
    """The fix for a data root that cannot be created."""
    return (
        "set AIMEM_HOME, or home in "
        f"{loaded.config_file}, to a folder you can write, or create {loaded.home} yourself"
    )


def warn(message: str) -> None:
    """One warning line on stderr."""
    sys.stderr.write(f"aimem: warning: {message}\n")


def select_project(home: str, selector: str | None, need_memory: bool = True) -> Selected:
    """The project a command works on. With ``need_memory`` false, a real project that has no
    memory yet is returned too (``Selected.recorded`` false): ``status`` reports it instead of
    failing."""
    problems: list[str] = []
    try:
        slug, name, paths = find_project(home, selector, os.getcwd(), problems)
    except ProjectNotFound as exc:
        unrecorded = None if need_memory else _unrecorded(home, selector)
        if unrecorded is None:
            raise CliError(str(exc)) from None
        return unrecorded
    finally:
        for problem in problems:
            warn(problem)
    return Selected(slug, name, paths)


def _unrecorded(home: str, selector: str | None) -> Selected | None:
    """The project at ``selector`` (a path) or the current directory when it is a project
    with no folder under the data root yet; ``None`` for anything else (an unknown name, a
    folder that is no project)."""
    where = os.getcwd()
    if selector:
        where = os.path.abspath(os.path.expanduser(selector))
        if not os.path.isdir(where):
            return None
    found = resolve_project(where)
    if found is None:
        return None
    paths = paths_for(home, found.slug)
    if os.path.isdir(paths.base):
        return None
    return Selected(found.slug, found.name, paths, recorded=False)


def project_for_writing(home: str, selector: str | None) -> Selected:
    """Like ``select_project``, but a project with no memory yet gets its folder: writing the
    first page (or bootstrapping) is how memory starts without hooks."""
    try:
        return select_project(home, selector)
    except CliError:
        found = None if selector else resolve_project(os.getcwd())
        if found is None:
            raise
    from aimem.memory.write import ensure_project_folder

    paths = paths_for(home, found.slug)
    ensure_project_folder(paths, found)
    return Selected(found.slug, found.name, paths)


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
