"""VS Code (Copilot agent mode): ``servers`` in ``mcp.json``, which VS Code reads as JSON with
comments. Project scope ``<project>/.vscode/mcp.json``; user scope the ``mcp.json`` in VS Code's
user folder (``$XDG_CONFIG_HOME/Code/User``, macOS ``~/Library/Application Support/Code/User``,
Windows ``%APPDATA%\\Code\\User``; the default profile). Entries carry ``"type": "stdio"``. MCP
only.
"""

from __future__ import annotations

import os

from aimem.install import mcp_only
from aimem.install.common import FileChange, Inspection, Target

AGENT = "vscode"
BINARIES = ("code",)
START_EVENT = None
MCP_ONLY = True
KEY = "servers"
start_payload = mcp_only.start_payload


def config_dirs(target: Target, plat: str | None = None) -> list[str]:
    return [os.path.join(mcp_only.app_support(target, plat or mcp_only.platform()), "Code", "User")]


def config_path(target: Target, plat: str | None = None) -> str:
    if not target.user:
        return os.path.join(target.project, ".vscode", "mcp.json")
    return os.path.join(config_dirs(target, plat)[0], "mcp.json")


def server_entry(executable: str) -> dict:
    return {"type": "stdio", **mcp_only.entry(executable)}


def plan(target: Target, install: bool, notes: list[str]) -> list[FileChange]:
    server = server_entry(target.executable) if install else None
    if install:
        notes.append(mcp_only.CAPTURE_NOTE)
    return [mcp_only.jsonc_change(config_path(target), KEY, server)]


def inspect(target: Target) -> Inspection:
    return mcp_only.inspect_jsonc_file(config_path(target), KEY)
