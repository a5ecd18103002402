"""Windsurf (Cascade): ``mcpServers`` in ``~/.codeium/windsurf/mcp_config.json`` (strict JSON,
the Claude Desktop schema). User scope only: Windsurf reads no project MCP file. MCP only.
"""

from __future__ import annotations

import os

from aimem.install import mcp_only
from aimem.install.common import FileChange, Inspection, Target

AGENT = "windsurf"
BINARIES = ("windsurf",)
START_EVENT = None
MCP_ONLY = True
SCOPES = ("user",)  # no project-level MCP config
KEY = "mcpServers"
start_payload = mcp_only.start_payload


def config_dirs(target: Target) -> list[str]:
    return [os.path.join(target.home, ".codeium", "windsurf")]


def config_path(target: Target) -> str:
    return os.path.join(config_dirs(target)[0], "mcp_config.json")


def plan(target: Target, install: bool, notes: list[str]) -> list[FileChange]:
    if not mcp_only.user_scope_only(AGENT, target, install, notes):
        return []
    server = mcp_only.entry(target.executable) if install else None
    if install:
        notes.append(mcp_only.CAPTURE_NOTE)
        notes.append("press refresh in Cascade's MCP panel to load the aimem tools")
    return [mcp_only.json_change(config_path(target), KEY, server)]


def inspect(target: Target) -> Inspection:
    if not target.user:
        return Inspection()
    return mcp_only.inspect_json_file(config_path(target), KEY)
