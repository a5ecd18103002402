"""``aimem install`` / ``aimem uninstall``: aimem's hooks and MCP server entry in each agent's own
config files, merged, never replaced (``common`` has the merge, backup and atomic-write rules;
one module per agent knows its files).

Every agent module defines ``AGENT``, ``BINARIES``, ``START_EVENT``, ``config_dirs(target)``,
``plan(target, install, notes) -> [FileChange]``, ``inspect(target) -> Inspection`` (for
``aimem doctor``) and ``start_payload(cwd, session)`` (a synthetic session start). The MCP-only
clients (``MCP_ONLY = True``: no hooks, so no automatic capture) get the MCP entry alone.

``AGENT_IDS`` is the one list of names: the CLI's choices and help come from it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from types import ModuleType

from aimem.install import (
    claude_code,
    claude_desktop,
    codex,
    common,
    cursor,
    gemini,
    opencode,
    vscode,
    windsurf,
    zed,
)
from aimem.install.common import FileChange, InstallError, Target

HOOK_AGENT_IDS = ("claude-code", "codex", "gemini", "cursor", "opencode")
MCP_CLIENT_IDS = ("claude-desktop", "vscode", "windsurf", "zed")
AGENT_IDS = HOOK_AGENT_IDS + MCP_CLIENT_IDS
_MODULES: dict[str, ModuleType] = {
    m.AGENT: m
    for m in (claude_code, codex, gemini, cursor, opencode, claude_desktop, vscode, windsurf, zed)
}


def scopes(agent: str) -> tuple[str, ...]:
    """The scopes an agent has configs for (the MCP-only desktop apps: user only)."""
    return tuple(getattr(module(agent), "SCOPES", common.SCOPES))


def mcp_only(agent: str) -> bool:
    """No hooks: the client gets aimem's MCP tools but nothing records its sessions."""
    return bool(getattr(module(agent), "MCP_ONLY", False))


def module(agent: str) -> ModuleType:
    try:
        return _MODULES[agent]
    except KeyError:
        raise InstallError(f"unknown agent {agent!r}; choose from {', '.join(AGENT_IDS)}") from None


def detected(agent: str, target: Target) -> bool:
    """Found on this machine: its binary on ``PATH`` or its config folder present."""
    mod = module(agent)
    path = target.env.get("PATH", "")
    if any(shutil.which(name, path=path) for name in mod.BINARIES):
        return True
    return any(os.path.isdir(d) for d in mod.config_dirs(target))


def detect_agents(target: Target) -> list[str]:
    return [a for a in AGENT_IDS if detected(a, target)]


@dataclass
class AgentPlan:
    agent: str
    changes: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[FileChange]:
        return [c for c in self.changes if c.changed]


class PlanErrors(InstallError):
    """Several agents could not be planned; each message is one line."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def plan(agents: list[str], target: Target, install: bool) -> list[AgentPlan]:
    """Plan every agent before anything is written: one unparsable config stops the whole run."""
    common.check_project_scope(target)
    plans: list[AgentPlan] = []
    errors: list[str] = []
    for agent in agents:
        mod = module(agent)
        result = AgentPlan(agent)
        try:
            result.changes = mod.plan(target, install, result.notes)
        except InstallError as exc:
            errors.append(f"{agent}: {exc}")
            continue
        plans.append(result)
    if errors:
        raise PlanErrors(errors)
    return plans


def apply(plans: list[AgentPlan]) -> None:
    common.apply([c for p in plans for c in p.changes])
