"""Cursor: ``hooks.json`` (flat: ``{"version": 1, "hooks": {"<event>": [{"command"}]}}``),
``mcp.json`` (``mcpServers``) and, in project scope, an always-apply rule
``.cursor/rules/aimem.mdc``.

Cursor's ``sessionStart`` context injection has been reported unreliable, so the rule (which
Cursor puts in every conversation) points the agent at the aimem MCP tools: the handoff arrives
through ``memory_handoff_begin`` even when the hook's ``additional_context`` is dropped. Cursor has
no rule *file* at user level (user rules live in its settings UI), so user scope installs hooks and
MCP only. Cursor reportedly ignores a whole ``hooks.json`` with one unknown event name, so the
template holds only documented camelCase events. Tested against the documented formats; no Cursor
binary runs here.
"""

from __future__ import annotations

import copy
import os

from aimem.install.common import (
    ConfigFile,
    FileChange,
    Inspection,
    InstallError,
    Target,
    child,
    drop_if_empty,
    edit_json,
    inspect_json,
    is_aimem_handler,
    json_template,
    managed_file,
    remove_server,
    server_argv,
    set_server,
    text_template,
)

AGENT = "cursor"
BINARIES = ("cursor", "cursor-agent")
TEMPLATE = "cursor/hooks.json"
RULE_TEMPLATE = "cursor/aimem.mdc"
START_EVENT = "sessionStart"
_EMPTY = ({}, {"version": 1})  # what is left of a hooks.json aimem created


def config_dirs(target: Target) -> list[str]:
    return [os.path.join(target.home, ".cursor")]


def _base(target: Target) -> str:
    return os.path.join(target.home if target.user else target.project, ".cursor")


def hooks_path(target: Target) -> str:
    return os.path.join(_base(target), "hooks.json")


def mcp_path(target: Target) -> str:
    return os.path.join(_base(target), "mcp.json")


def rule_path(target: Target) -> str:
    return os.path.join(target.project, ".cursor", "rules", "aimem.mdc")


def merge_flat_hooks(data: dict, desired: dict[str, list], path: str) -> None:
    """Cursor's flat lists: aimem's handlers become exactly ``desired``, others stay put."""
    if data.get("version", 1) != 1:
        raise InstallError(
            f"{path}: hooks.json version {data['version']!r} is not 1; nothing was written"
        )
    data.setdefault("version", 1)
    hooks = child(data, "hooks", path)
    for event in list(hooks):
        handlers = hooks[event]
        if not isinstance(handlers, list):
            continue
        mine = [h for h in handlers if is_aimem_handler(h)]
        if event in desired and mine == desired[event]:
            continue
        kept = [h for h in handlers if not is_aimem_handler(h)]
        if event in desired:
            kept += copy.deepcopy(desired[event])
        if kept:
            hooks[event] = kept
        elif mine:
            del hooks[event]
    for event, handlers in desired.items():
        if event not in hooks:
            hooks[event] = copy.deepcopy(handlers)


def remove_flat_hooks(data: dict) -> None:
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return
    for event in list(hooks):
        handlers = hooks[event]
        if isinstance(handlers, list) and any(is_aimem_handler(h) for h in handlers):
            kept = [h for h in handlers if not is_aimem_handler(h)]
            if kept:
                hooks[event] = kept
            else:
                del hooks[event]
    drop_if_empty(data, "hooks")


def flat_hook_commands(data: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    hooks = data.get("hooks")
    for event, handlers in hooks.items() if isinstance(hooks, dict) else ():
        for handler in handlers if isinstance(handlers, list) else []:
            if is_aimem_handler(handler):
                found.setdefault(event, []).append(handler["command"])
    return found


def plan(target: Target, install: bool, notes: list[str]) -> list[FileChange]:
    hooks_file, mcp_file = hooks_path(target), mcp_path(target)
    if install:
        template = json_template(TEMPLATE, target.executable)
        desired = template["hooks"]
        entry = {"command": target.executable, "args": ["mcp"]}
        changes = [
            edit_json(hooks_file, lambda d: merge_flat_hooks(d, desired, hooks_file)),
            edit_json(mcp_file, lambda d: set_server(d, "mcpServers", "aimem", entry, mcp_file)),
        ]
        if target.user:
            notes.append(
                "Cursor has no user-level rule file: run `aimem install cursor --scope project` "
                "in a project to add the always-apply rule (.cursor/rules/aimem.mdc)"
            )
        else:
            changes.append(managed_file(rule_path(target), text_template(RULE_TEMPLATE, "")))
        return changes
    changes = [
        edit_json(hooks_file, remove_flat_hooks, empty=_EMPTY),
        edit_json(mcp_file, lambda d: remove_server(d, "mcpServers", "aimem")),
    ]
    if not target.user:
        changes.append(managed_file(rule_path(target), None))
    return changes


def inspect(target: Target) -> Inspection:
    result = Inspection(expected=list(json_template(TEMPLATE, "aimem")["hooks"]))
    result.hooks = flat_hook_commands(inspect_json(hooks_path(target), result))
    result.mcp = server_argv(inspect_json(mcp_path(target), result), "mcpServers", "aimem")
    result.start_command = (result.hooks.get(START_EVENT) or [None])[0]
    if not target.user:
        rule = rule_path(target)
        exists = os.path.exists(rule)
        result.files.append(ConfigFile(rule, exists))
        if result.installed and not exists:
            result.problems.append(
                (f"the always-apply rule {rule} is missing", "aimem install cursor --scope project")
            )
    return result


def start_payload(cwd: str, session: str) -> dict:
    return {
        "conversation_id": session,
        "generation_id": session,
        "session_id": session,
        "hook_event_name": START_EVENT,
        "cursor_version": "doctor",
        "workspace_roots": [cwd],
        "is_background_agent": False,
        "composer_mode": "agent",
    }
