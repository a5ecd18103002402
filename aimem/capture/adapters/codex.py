"""Codex CLI: hook payloads as captured from the real 0.169.0 binary.

Codex reports shell calls as ``tool_name: "Bash"`` with ``tool_response`` a plain string, and has
no separate failure event. ``Stop`` must never print plain text (Codex rejects it), so only
SessionStart emits output, always the complete ``hookSpecificOutput`` object (Codex's output
structs reject unknown fields).
"""

from __future__ import annotations

from aimem.capture.adapters.common import hook_context_json, observe_claude_style
from aimem.capture.observation import Observed

AGENT = "codex"
EVENTS: dict[str, str | None] = {
    "SessionStart": "session_start",
    "UserPromptSubmit": "prompt",
    "PreToolUse": "tool_use",
    "PostToolUse": "tool_result",
    "PreCompact": "compact",
    "PostCompact": "compact",
    "Stop": "stop",
    "SessionEnd": "session_end",
    "PermissionRequest": None,
    "SubagentStart": None,
    "SubagentStop": None,
    "Interrupt": None,
    "PreModelRequest": None,
}
CONTEXT_EVENTS = ("SessionStart",)


def observe(event: str, payload: dict) -> Observed | None:
    kind = EVENTS.get(event)
    return observe_claude_style(kind, event, payload) if kind else None


def context_output(event: str, text: str) -> str | None:
    return hook_context_json(event, text) if event in CONTEXT_EVENTS else None
