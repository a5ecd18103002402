"""opencode: a plugin file (``hook_scripts/opencode/aimem.js``) and the ``mcp`` entry of
``opencode.json``.

User scope: ``$XDG_CONFIG_HOME/opencode/plugins/aimem.js`` and
``$XDG_CONFIG_HOME/opencode/opencode.json``; project scope: ``<project>/.opencode/plugins/aimem.js``
and ``<project>/opencode.json``. opencode loads every ``*.js``/``*.ts`` in those plugin folders at
startup. The plugin embeds the absolute executable path (opencode's PATH is the user's, but a
shim would cost ~125 ms per call). ``opencode.jsonc`` (JSON with comments) is not rewritten: aimem
cannot keep comments there, so it asks you to add the entry by hand.
"""

from __future__ import annotations

import json
import os
import re

from aimem.install.common import (
    MANAGED_MARK,
    ConfigFile,
    FileChange,
    Inspection,
    InstallError,
    Target,
    edit_json,
    inspect_json,
    managed_file,
    read_text,
    remove_server,
    server_argv,
    set_server,
    shell_command,
    text_template,
)

AGENT = "opencode"
BINARIES = ("opencode",)
TEMPLATE = "opencode/aimem.js"
START_EVENT = "session.created"
EVENTS = (
    "session.created",
    "chat.message",
    "tool.execute.after",
    "experimental.session.compacting",
    "session.compacted",
    "session.idle",
    "session.deleted",
    "plugin.exit",
)
_EXECUTABLE = r'^const AIMEM = ("(?:[^"\\]|\\.)*");$'


def config_dirs(target: Target) -> list[str]:
    return [os.path.join(target.xdg_config, "opencode")]


def plugin_path(target: Target) -> str:
    if target.user:
        return os.path.join(target.xdg_config, "opencode", "plugins", "aimem.js")
    return os.path.join(target.project, ".opencode", "plugins", "aimem.js")


def config_path(target: Target) -> str:
    base = os.path.join(target.xdg_config, "opencode") if target.user else target.project
    return os.path.join(base, "opencode.json")


def server_entry(executable: str) -> dict:
    return {"type": "local", "command": [executable, "mcp"], "enabled": True}


def plugin_executable(text: str | None) -> str | None:
    """The executable a generated plugin runs (its ``const AIMEM = "...";`` line)."""
    match = re.search(_EXECUTABLE, text or "", re.M)
    if not match:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def plan(target: Target, install: bool, notes: list[str]) -> list[FileChange]:
    config = config_path(target)
    if install and read_text(config) is None and os.path.exists(config + "c"):
        raise InstallError(
            f"{config}c has comments aimem cannot keep; add "
            f'"mcp": {{"aimem": {json.dumps(server_entry(target.executable))}}} to it by hand '
            f"(or pass --scope to install elsewhere); nothing was written"
        )
    if install:
        plugin = text_template(TEMPLATE, target.executable)
        entry = server_entry(target.executable)
        return [
            managed_file(plugin_path(target), plugin),
            edit_json(config, lambda d: set_server(d, "mcp", "aimem", entry, config)),
        ]
    return [
        managed_file(plugin_path(target), None),
        edit_json(config, lambda d: remove_server(d, "mcp", "aimem")),
    ]


def inspect(target: Target) -> Inspection:
    result = Inspection(expected=["plugin"])
    path = plugin_path(target)
    try:
        text = read_text(path)
    except InstallError as exc:
        text = None
        result.files.append(ConfigFile(path, True, str(exc).split("; ")[0]))
    else:
        result.files.append(ConfigFile(path, text is not None))
    executable = plugin_executable(text) if text and MANAGED_MARK in text else None
    if executable is not None:
        result.start_command = shell_command(executable, "hook", AGENT, START_EVENT)
        result.hooks = {"plugin": [result.start_command]}
    elif text is not None and MANAGED_MARK in text:
        result.problems.append(
            (
                f"{path} does not name an aimem executable",
                f"aimem install opencode --scope {target.scope}",
            )
        )
    result.mcp = server_argv(inspect_json(config_path(target), result), "mcp", "aimem")
    return result


def start_payload(cwd: str, session: str) -> dict:
    return {"hook_event_name": START_EVENT, "session_id": session, "cwd": cwd, "source": "startup"}
