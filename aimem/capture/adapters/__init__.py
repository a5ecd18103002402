"""One small adapter module per agent: its event names -> observation kinds, its payload fields,
and the output shape it accepts for injected context.

Each adapter module defines ``AGENT``, ``EVENTS`` (event name -> kind, or ``None`` for an event
that carries nothing to remember), ``observe(event, payload) -> Observed | None`` and
``context_output(event, text) -> str | None``.
"""

from __future__ import annotations

from types import ModuleType

AGENTS = ("claude-code", "codex", "gemini", "cursor", "opencode")


def load(agent: str) -> ModuleType | None:
    """The adapter module for an agent id, or ``None`` for an unknown agent. Explicit imports:
    only the one adapter a hook needs is loaded (and ``importlib`` itself is not)."""
    if agent == "claude-code":
        from aimem.capture.adapters import claude_code

        return claude_code
    if agent == "codex":
        from aimem.capture.adapters import codex

        return codex
    if agent == "gemini":
        from aimem.capture.adapters import gemini

        return gemini
    if agent == "cursor":
        from aimem.capture.adapters import cursor

        return cursor
    if agent == "opencode":
        from aimem.capture.adapters import opencode

        return opencode
    return None
