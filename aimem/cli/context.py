"""What every command needs: settings, the selected project, output helpers, clean errors."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

from aimem.config import Settings, load_settings
from aimem.logfile import setup_logging
from aimem.project import ProjectNotFound, ProjectPaths, find_project

PROJECT_HELP = "Project: its slug, its name or a path inside it (default: the current directory)."


class CliError(Exception):
    """A user-facing failure: printed as one line on stderr, exit status 1."""


@dataclass
class Selected:
    slug: str
    name: str
    paths: ProjectPaths


def settings() -> Settings:
    try:
        loaded = load_settings()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    setup_logging(loaded.home, loaded.log_level)
    return loaded


def select_project(home: str, selector: str | None) -> Selected:
    try:
        slug, name, paths = find_project(home, selector, os.getcwd())
    except ProjectNotFound as exc:
        raise CliError(str(exc)) from None
    return Selected(slug, name, paths)


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
