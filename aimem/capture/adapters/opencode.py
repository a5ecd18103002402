"""opencode: no shell hooks, an in-process plugin (``hook_scripts/opencode/aimem.js``) that runs
``aimem hook opencode <event>`` with a payload *it builds*, so the payload shape is ours: the
Claude Code vocabulary, keyed by opencode's own event and hook names.

=============================== ============== ==============================================
event (argv)                    kind           payload fields besides session_id, cwd
=============================== ============== ==============================================
session.created                 session_start  source (startup, or resume for a session first
                                               seen mid-way), title
chat.message                    prompt         prompt, prompt_id, turn_id (the user message id)
tool.execute.after              tool_result    tool_name, tool_input, tool_response, tool_use_id,
                                               exit_code (bash), turn_id
experimental.session.compacting compact        (pre)
session.compacted               compact        (post)
session.idle                    stop           last_assistant_message, turn_id
session.deleted, plugin.exit    session_end    reason (``deleted``, ``exit``)
=============================== ============== ==============================================

opencode has no end event: the plugin reports its own process exit as ``plugin.exit`` for the
sessions it saw, and stale-session recovery (``aimem consolidate --pending``) covers a crash.
Context reaches the model through the plugin's ``experimental.chat.system.transform`` hook, which
pushes the SessionStart output (the same ``hookSpecificOutput`` JSON as Claude Code's) into the
system prompt.
"""

from __future__ import annotations

from aimem.capture.adapters.common import as_text, hook_context_json, observe_claude_style, scalar
from aimem.capture.observation import Observed

AGENT = "opencode"
EVENTS: dict[str, str | None] = {
    "session.created": "session_start",
    "chat.message": "prompt",
    "tool.execute.after": "tool_result",
    "experimental.session.compacting": "compact",
    "session.compacted": "compact",
    "session.idle": "stop",
    "session.deleted": "session_end",
    "plugin.exit": "session_end",
    # Known, nothing to remember.
    "tool.execute.before": None,
    "session.updated": None,
    "session.error": None,
    "session.status": None,
    "session.diff": None,
    "message.updated": None,
    "message.part.updated": None,
}
CONTEXT_EVENTS = ("session.created",)


def observe(event: str, payload: dict) -> Observed | None:
    kind = EVENTS.get(event)
    if kind is None:
        return None
    observed = observe_claude_style(kind, event, payload)
    if observed is None:
        return None
    if observed.kind == "compact":
        observed.fields["phase"] = "post" if event == "session.compacted" else "pre"
    elif observed.kind == "tool_result":
        exit_code = scalar(payload, "exit_code")
        if exit_code not in (None, "0"):
            observed.kind = "tool_error"
            output = observed.fields.pop("output", "")
            observed.fields["error"] = f"exit code {exit_code}\n{as_text(output)}".strip()
    elif observed.kind == "session_end":
        observed.key = f"{event}:{observed.fields.get('reason')}"
    return observed


def context_output(event: str, text: str) -> str | None:
    return hook_context_json(event, text) if event in CONTEXT_EVENTS else None
