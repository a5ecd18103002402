"""Cursor agent hooks, from Cursor's documentation (no Cursor binary runs here; the payloads in
``tests/fixtures/payloads/cursor/`` are written from the documented shapes).

Cursor names events in camelCase and keys a session by ``conversation_id`` (``sessionStart`` also
sends ``session_id``). ``cwd`` is sent on some events only and may be empty, so the first of
``workspace_roots`` stands in. Tool results come through several events with different shapes:
``afterShellExecution`` (``command``, ``output``), ``afterMCPExecution`` (``tool_input`` and
``result_json`` as JSON *strings*), ``afterFileEdit`` (``file_path``, ``edits``) and the newer
generic ``postToolUse``/``postToolUseFailure``, whose result field name is not confirmed, so
several spellings are accepted. The turn's final text arrives in ``afterAgentResponse``; ``stop``
only says how the loop ended.

Context goes out as ``{"additional_context": ...}`` on ``sessionStart``. That injection has been
reported unreliable, so the installer also writes an always-apply rule (``.cursor/rules/aimem.mdc``)
that points the agent at the aimem MCP tools.
"""

from __future__ import annotations

from aimem._hash import short_hash
from aimem.capture import jsonfast
from aimem.capture.adapters.common import (
    as_text,
    files_from_input,
    scalar,
    text,
    tool_input_summary,
)
from aimem.capture.observation import Observed

AGENT = "cursor"
EVENTS: dict[str, str | None] = {
    "sessionStart": "session_start",
    "beforeSubmitPrompt": "prompt",
    "preToolUse": "tool_use",
    "postToolUse": "tool_result",
    "postToolUseFailure": "tool_error",
    "afterShellExecution": "tool_result",
    "afterMCPExecution": "tool_result",
    "afterFileEdit": "tool_result",
    "afterAgentResponse": "stop",
    "stop": "stop",
    "preCompact": "compact",
    "sessionEnd": "session_end",
    # Known, nothing to remember: permission gates before the fact, thoughts, Tab completions.
    "beforeShellExecution": None,
    "beforeMCPExecution": None,
    "beforeReadFile": None,
    "subagentStart": None,
    "subagentStop": None,
    "afterAgentThought": None,
    "beforeTabFileRead": None,
    "afterTabFileEdit": None,
}
CONTEXT_EVENTS = ("sessionStart",)
_RESULT_KEYS = ("tool_output", "tool_response", "result", "output", "result_json")
_ERROR_KEYS = ("error_message", "error", "tool_error", "message")


def session_of(payload: dict) -> str | None:
    return text(payload, "conversation_id") or text(payload, "session_id")


def cwd_of(payload: dict) -> str | None:
    cwd = text(payload, "cwd")
    if cwd:
        return cwd
    roots = payload.get("workspace_roots")
    if isinstance(roots, list):
        for root in roots:
            if isinstance(root, str) and root:
                return root
    return None


def maybe_json(value: object) -> object:
    """Cursor sends MCP arguments and results as JSON *strings*; decode them when they are."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return jsonfast.loads(value)
        except ValueError:
            return value
    return value


def _first(payload: dict, keys: tuple[str, ...]) -> object:
    for key in keys:
        if payload.get(key) not in (None, ""):
            return payload[key]
    return None


def _tool_fields(event: str, payload: dict) -> tuple[str, object, object]:
    """``(tool, input, result)`` for each of Cursor's tool events."""
    if event == "afterShellExecution":
        command = payload.get("command")
        return "Shell", {"command": command}, payload.get("output")
    if event == "afterFileEdit":
        path = payload.get("file_path")
        edits = payload.get("edits")
        count = len(edits) if isinstance(edits, list) else 0
        return "Edit", {"file_path": path}, f"{count} edit(s)"
    tool = text(payload, "tool_name") or ("MCP" if event == "afterMCPExecution" else "?")
    return tool, maybe_json(payload.get("tool_input")), maybe_json(_first(payload, _RESULT_KEYS))


def observe(event: str, payload: dict) -> Observed | None:
    kind = EVENTS.get(event)
    session = session_of(payload)
    cwd = cwd_of(payload)
    if kind is None or session is None or cwd is None:
        return None
    generation = scalar(payload, "generation_id") or ""
    fields: dict[str, object] = {}
    key = generation
    if kind == "session_start":
        fields = {"source": text(payload, "source") or "startup", "model": text(payload, "model")}
        key = f"{text(payload, 'session_id')}:{generation}"
    elif kind == "prompt":
        prompt = text(payload, "prompt") or ""
        fields = {"text": prompt}
        key = f"{generation}:{short_hash(prompt)}"
    elif kind in ("tool_use", "tool_result", "tool_error"):
        tool, tool_input, result = _tool_fields(event, payload)
        fields = {
            "tool": tool,
            "input": tool_input_summary(tool_input),
            "files": files_from_input(tool_input),
        }
        exit_code = scalar(payload, "exit_code")
        if kind == "tool_error":
            fields["error"] = as_text(_first(payload, _ERROR_KEYS)) or "failed"
        elif kind == "tool_result" and isinstance(result, dict) and result.get("isError") is True:
            kind = "tool_error"  # an MCP result that reports failure
            fields["error"] = as_text(result)
        elif kind == "tool_result" and exit_code not in (None, "0"):
            kind = "tool_error"
            fields["error"] = f"exit code {exit_code}\n{as_text(result)}".strip()
        elif kind == "tool_result":
            fields["output"] = as_text(result)
        call_id = scalar(payload, "tool_use_id") or scalar(payload, "tool_call_id")
        key = call_id or ":".join(
            (
                generation,
                event,
                tool,
                short_hash(as_text(tool_input)),
                short_hash(as_text(result)),
                scalar(payload, "duration") or "",
            )
        )
    elif kind == "stop":
        message = text(payload, "text") or ""  # afterAgentResponse; ``stop`` carries no text
        fields = {"message": message}
        key = ":".join(
            (generation, event, short_hash(message), scalar(payload, "loop_count") or "")
        )
    elif kind == "compact":
        fields = {"phase": "pre", "trigger": text(payload, "trigger")}
        key = f"{generation}:{text(payload, 'trigger')}"
    elif kind == "session_end":
        fields = {"reason": text(payload, "reason") or text(payload, "status")}
        key = generation or "end"
    return Observed(kind=kind, session=session, cwd=cwd, fields=fields, key=key)


def context_output(event: str, text: str) -> str | None:
    if event not in CONTEXT_EVENTS:
        return None
    return jsonfast.dumps({"additional_context": text})
