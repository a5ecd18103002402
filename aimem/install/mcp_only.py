"""What the MCP-only clients share (Claude Desktop, VS Code, Windsurf, Zed): they have no hooks,
so aimem writes one MCP server entry that runs ``aimem mcp`` and nothing else.

These clients get the MCP tools (search, read, write, the handoff claim) but no automatic
capture: nothing records their sessions. Strict-JSON files go through ``common.edit_json`` (the
file's own style kept); files their client reads as JSON with comments (VS Code's ``mcp.json``,
Zed's ``settings.json``) through ``jsonc.edit_member``, which edits the text and keeps comments.
"""

from __future__ import annotations

import os
import sys

from aimem.install import jsonc
from aimem.install.common import (
    ConfigFile,
    FileChange,
    Inspection,
    InstallError,
    Target,
    edit_json,
    inspect_json,
    is_aimem_server,
    read_text,
    remove_server,
    server_argv,
    set_server,
)

SERVER_NAME = "aimem"


def platform() -> str:
    """``darwin``, ``win32`` or anything else (treated as Linux/XDG)."""
    return sys.platform


def app_support(target: Target, plat: str) -> str:
    """Where desktop apps keep their settings: macOS ``~/Library/Application Support``, Windows
    ``%APPDATA%``, elsewhere ``$XDG_CONFIG_HOME`` (default ``~/.config``)."""
    if plat == "darwin":
        return os.path.join(target.home, "Library", "Application Support")
    if plat == "win32":
        return target.env.get("APPDATA") or os.path.join(target.home, "AppData", "Roaming")
    return target.xdg_config


def entry(executable: str) -> dict:
    return {"command": executable, "args": ["mcp"]}


CAPTURE_NOTE = (
    "MCP only: the aimem tools (search, read, write, handoff) work, but no hooks record its "
    "sessions; ask the model to call memory_handoff_begin to pick up earlier work"
)


def user_scope_only(agent: str, target: Target, install: bool, notes: list[str]) -> bool:
    """True when ``target`` is user scope; for project scope (which these apps do not read) a
    note says why nothing is done."""
    if target.user:
        return True
    if install:
        notes.append(
            f"{agent} has no project-level MCP config aimem writes; nothing changed "
            f"(run `aimem install {agent}` for your user config)"
        )
    return False


def json_change(path: str, key: str, server: dict | None) -> FileChange:
    """A strict-JSON config: aimem's entry under ``key`` set to ``server``, or removed."""
    if server is None:
        return edit_json(path, lambda d: remove_server(d, key, SERVER_NAME))
    return edit_json(path, lambda d: set_server(d, key, SERVER_NAME, server, path))


def jsonc_change(path: str, key: str, server: dict | None) -> FileChange:
    """A JSON-with-comments config, edited as text (comments and trailing commas stay)."""
    return jsonc.edit_member(path, (key,), SERVER_NAME, server, is_aimem_server)


def inspect_json_file(path: str, key: str) -> Inspection:
    result = Inspection()
    result.mcp = server_argv(inspect_json(path, result), key, SERVER_NAME)
    return result


def inspect_jsonc_file(path: str, key: str) -> Inspection:
    """Doctor's view of a JSONC config: parse errors recorded, not raised."""
    result = Inspection()
    try:
        text = read_text(path)
        data = jsonc.loads(text) if text and text.strip() else {}
    except (InstallError, jsonc.JsoncError) as exc:
        result.files.append(ConfigFile(path, True, f"{path}: {exc}".split("; ")[0]))
        return result
    if not isinstance(data, dict):
        result.files.append(ConfigFile(path, True, f"{path}: the top level is not an object"))
        return result
    result.files.append(ConfigFile(path, text is not None))
    result.mcp = server_argv(data, key, SERVER_NAME)
    return result


def start_payload(cwd: str, session: str) -> dict:
    """No hooks, so no session start to simulate; kept for the registry's shape."""
    return {}
