"""Claude Code: hook payloads as captured from the real 2.1.197 binary.

A failed tool fires ``PostToolUseFailure`` *instead of* ``PostToolUse``; ``PostToolBatch`` repeats
the batch's tool results, so it is not recorded twice. Context is injected through
``hookSpecificOutput.additionalContext`` on SessionStart (delivered as a system reminder).
"""

from __future__ import annotations

from aimem.capture.adapters.common import hook_context_json, observe_claude_style
from aimem.capture.observation import Observed

AGENT = "claude-code"
EVENTS: dict[str, str | None] = {
    "SessionStart": "session_start",
    "UserPromptSubmit": "prompt",
    "PreToolUse": "tool_use",
    "PostToolUse": "tool_result",
    "PostToolUseFailure": "tool_error",
    "PreCompact": "compact",
    "PostCompact": "compact",
    "Stop": "stop",
    "SessionEnd": "session_end",
    # Known, nothing to remember: duplicates of the above, UI or permission plumbing.
    "PostToolBatch": None,
    "MessageDisplay": None,
    "SubagentStart": None,
    "SubagentStop": None,
    "Notification": None,
    "PermissionRequest": None,
    "PermissionDenied": None,
    "StopFailure": None,
    "UserPromptExpansion": None,
    "Setup": None,
    "InstructionsLoaded": None,
    "ConfigChange": None,
    "CwdChanged": None,
    "FileChanged": None,
    "TaskCreated": None,
    "TaskCompleted": None,
    "TeammateIdle": None,
    "Elicitation": None,
    "ElicitationResult": None,
    "WorktreeCreate": None,
    "WorktreeRemove": None,
    "DirectoryAdded": None,
}
CONTEXT_EVENTS = ("SessionStart",)


def observe(event: str, payload: dict) -> Observed | None:
    kind = EVENTS.get(event)
    return observe_claude_style(kind, event, payload) if kind else None


def context_output(event: str, text: str) -> str | None:
    return hook_context_json(event, text) if event in CONTEXT_EVENTS else None
