"""Zed: ``context_servers`` in ``settings.json``, which Zed reads as JSON with comments and
trailing commas (``jsonc`` edits it as text, so every comment stays). User scope: Linux
``$XDG_CONFIG_HOME/zed/settings.json``, macOS ``~/.config/zed/settings.json``, Windows
``%APPDATA%\\Zed\\settings.json``; project scope ``<project>/.zed/settings.json``. MCP only.

The entry is the documented custom-server shape: ``command`` (a string), ``args``, ``env``. No
``"source"`` key: Zed 2025-06 wrote ``"source": "custom"``, but its settings are untagged since
2025-11 and a migration removes that key (zed-industries/zed#43417), so writing it would make
Zed offer to migrate the user's settings.
"""

from __future__ import annotations

import os

from aimem.install import mcp_only
from aimem.install.common import FileChange, Inspection, Target

AGENT = "zed"
BINARIES = ("zed", "zeditor")  # zeditor: the name some Linux distributions ship
START_EVENT = None
MCP_ONLY = True
KEY = "context_servers"
start_payload = mcp_only.start_payload


def config_dirs(target: Target, plat: str | None = None) -> list[str]:
    plat = plat or mcp_only.platform()
    if plat == "darwin":
        return [os.path.join(target.home, ".config", "zed")]
    if plat == "win32":
        return [os.path.join(mcp_only.app_support(target, plat), "Zed")]
    return [os.path.join(target.xdg_config, "zed")]


def config_path(target: Target, plat: str | None = None) -> str:
    if not target.user:
        return os.path.join(target.project, ".zed", "settings.json")
    return os.path.join(config_dirs(target, plat)[0], "settings.json")


def server_entry(executable: str) -> dict:
    return {**mcp_only.entry(executable), "env": {}}


def plan(target: Target, install: bool, notes: list[str]) -> list[FileChange]:
    server = server_entry(target.executable) if install else None
    if install:
        notes.append(mcp_only.CAPTURE_NOTE)
    return [mcp_only.jsonc_change(config_path(target), KEY, server)]


def inspect(target: Target) -> Inspection:
    return mcp_only.inspect_jsonc_file(config_path(target), KEY)
