"""One small adapter module per agent: its event names -> observation kinds, its payload fields,
and the output shape it accepts for injected context.

Each adapter module defines ``AGENT``, ``EVENTS`` (event name -> kind, or ``None`` for an event
that carries nothing to remember), ``observe(event, payload) -> Observed | None`` and
``context_output(event, text) -> str | None``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES = {
    "claude-code": "aimem.capture.adapters.claude_code",
    "codex": "aimem.capture.adapters.codex",
}
AGENTS = tuple(MODULES)


def load(agent: str) -> ModuleType | None:
    """The adapter module for an agent id, or ``None`` for an unknown agent."""
    name = MODULES.get(agent)
    return importlib.import_module(name) if name else None
