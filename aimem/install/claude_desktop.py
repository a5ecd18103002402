"""Claude Desktop: ``mcpServers`` in ``claude_desktop_config.json`` (strict JSON). macOS
``~/Library/Application Support/Claude/``, Windows ``%APPDATA%\\Claude\\``, Linux (community
builds) ``$XDG_CONFIG_HOME/Claude/``. User scope only: the app has no project config. MCP only.
"""

from __future__ import annotations

import os

from aimem.install import mcp_only
from aimem.install.common import FileChange, Inspection, Target

AGENT = "claude-desktop"
BINARIES = ("claude-desktop",)  # Linux community packages; macOS/Windows are found by folder
START_EVENT = None
MCP_ONLY = True
SCOPES = ("user",)  # no project-level MCP config
KEY = "mcpServers"
start_payload = mcp_only.start_payload


def config_dirs(target: Target, plat: str | None = None) -> list[str]:
    return [os.path.join(mcp_only.app_support(target, plat or mcp_only.platform()), "Claude")]


def config_path(target: Target, plat: str | None = None) -> str:
    return os.path.join(config_dirs(target, plat)[0], "claude_desktop_config.json")


def plan(target: Target, install: bool, notes: list[str]) -> list[FileChange]:
    if not mcp_only.user_scope_only(AGENT, target, install, notes):
        return []
    server = mcp_only.entry(target.executable) if install else None
    if install:
        notes.append(mcp_only.CAPTURE_NOTE)
        notes.append("restart Claude Desktop (quit it fully) to load the aimem tools")
    return [mcp_only.json_change(config_path(target), KEY, server)]


def inspect(target: Target) -> Inspection:
    if not target.user:
        return Inspection()
    return mcp_only.inspect_json_file(config_path(target), KEY)
