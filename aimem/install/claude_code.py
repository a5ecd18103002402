"""Claude Code: hooks in ``settings.json``, the MCP server in ``~/.claude.json`` or ``.mcp.json``.

User scope: ``~/.claude/settings.json`` (hooks) and the top-level ``mcpServers`` of
``~/.claude.json`` (what ``claude mcp add --scope user`` writes). Project scope:
``<project>/.claude/settings.json`` and ``<project>/.mcp.json``. Claude Code merges hooks from
every settings level and runs an identical handler once, so installing both scopes is harmless.
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

AGENT = "claude-code"
BINARIES = ("claude",)
TEMPLATE = "claude-code/settings.json"
START_EVENT = "SessionStart"


def config_dirs(target: Target) -> list[str]:
    return [os.path.join(target.home, ".claude")]


def settings_path(target: Target) -> str:
    base = target.home if target.user else target.project
    return os.path.join(base, ".claude", "settings.json")


def mcp_path(target: Target) -> str:
    if target.user:
        return os.path.join(target.home, ".claude.json")
    return os.path.join(target.project, ".mcp.json")


def server_entry(executable: str) -> dict:
    return {"type": "stdio", "command": executable, "args": ["mcp"]}


def plan(target: Target, install: bool, notes: list[str]) -> list[FileChange]:
    hooks_file, mcp_file = settings_path(target), mcp_path(target)
    if install:
        desired = json_template(TEMPLATE, target.executable)["hooks"]
        entry = server_entry(target.executable)
        return [
            edit_json(hooks_file, lambda d: merge_nested_hooks(d, desired, hooks_file)),
            edit_json(
                mcp_file,
                lambda d: set_server(d, "mcpServers", "aimem", entry, mcp_file),
                mode=0o600,
            ),
        ]
    return [
        edit_json(hooks_file, lambda d: remove_nested_hooks(d, hooks_file)),
        edit_json(mcp_file, lambda d: remove_server(d, "mcpServers", "aimem")),
    ]


def inspect(target: Target) -> Inspection:
    result = Inspection(expected=list(json_template(TEMPLATE, "aimem")["hooks"]))
    result.hooks = nested_hook_commands(inspect_json(settings_path(target), result))
    result.mcp = server_argv(inspect_json(mcp_path(target), result), "mcpServers", "aimem")
    result.start_command = (result.hooks.get(START_EVENT) or [None])[0]
    return result


def start_payload(cwd: str, session: str) -> dict:
    return {
        "session_id": session,
        "transcript_path": None,
        "cwd": cwd,
        "hook_event_name": START_EVENT,
        "source": "startup",
    }
