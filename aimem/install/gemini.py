"""Gemini CLI: hooks and the MCP server both live in ``settings.json``.

User scope ``~/.gemini/settings.json``, project scope ``<project>/.gemini/settings.json`` (Gemini
loads project settings, hooks included, only in trusted folders, and fingerprints project hooks:
a changed command is a new, untrusted hook). Hook timeouts are milliseconds. Gemini's own
``gemini mcp add`` defaults to project scope; aimem follows ``--scope``.
"""

from __future__ import annotations

import os

from aimem.install.common import (
    FileChange,
    Inspection,
    Target,
    edit_json,
    inspect_json,
    json_template,
    merge_nested_hooks,
    nested_hook_commands,
    remove_nested_hooks,
    remove_server,
    server_argv,
    set_server,
)

AGENT = "gemini"
BINARIES = ("gemini",)
TEMPLATE = "gemini/settings.json"
START_EVENT = "SessionStart"


def config_dirs(target: Target) -> list[str]:
    return [os.path.join(target.home, ".gemini")]


def settings_path(target: Target) -> str:
    base = target.home if target.user else target.project
    return os.path.join(base, ".gemini", "settings.json")


def plan(target: Target, install: bool, notes: list[str]) -> list[FileChange]:
    path = settings_path(target)
    if not install:

        def remove(data: dict) -> None:
            remove_nested_hooks(data, path)
            remove_server(data, "mcpServers", "aimem")

        return [edit_json(path, remove)]
    desired = json_template(TEMPLATE, target.executable)["hooks"]
    entry = {"command": target.executable, "args": ["mcp"]}

    def add(data: dict) -> None:
        merge_nested_hooks(data, desired, path)
        set_server(data, "mcpServers", "aimem", entry, path)

    return [edit_json(path, add)]


def inspect(target: Target) -> Inspection:
    result = Inspection(expected=list(json_template(TEMPLATE, "aimem")["hooks"]))
    data = inspect_json(settings_path(target), result)
    result.hooks = nested_hook_commands(data)
    result.mcp = server_argv(data, "mcpServers", "aimem")
    result.start_command = (result.hooks.get(START_EVENT) or [None])[0]
    return result


def start_payload(cwd: str, session: str) -> dict:
    return {
        "session_id": session,
        "transcript_path": "",
        "cwd": cwd,
        "hook_event_name": START_EVENT,
        "timestamp": "2026-01-01T00:00:00.000Z",
        "source": "startup",
    }
