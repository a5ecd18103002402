"""Gemini CLI: hook payloads as captured from the real 0.61.0 binary.

Gemini has no UserPromptSubmit/Stop: ``BeforeAgent`` is the prompt, ``AfterAgent`` the turn end
(``prompt_response``), ``AfterTool`` the tool result (``tool_response`` is
``{llmContent, returnDisplay, error?}``). Payloads carry no tool-use or turn id, but every one has
an ISO ``timestamp``, which is what tells a replayed hook from a second identical call.

``PreCompress`` fires before *every* model turn, compression or not (the service fires the hook
before its threshold check), so it is not evidence of compaction and records nothing.

Gemini passes only JSON stdout to the model (plain text is shown to the user and lost), so the
context goes out as ``hookSpecificOutput.additionalContext`` on SessionStart; headless mode
prepends it to the first prompt, interactive mode injects it as the first turn. BeforeAgent could
inject too, but it runs on every prompt: the handoff would be repeated each turn and saved again
into the transcript with every user message, so aimem injects once, at SessionStart.
"""

from __future__ import annotations

from aimem._hash import short_hash
from aimem.capture.adapters.common import (
    as_text,
    files_from_input,
    hook_context_json,
    text,
    tool_input_summary,
)
from aimem.capture.observation import Observed

AGENT = "gemini"
EVENTS: dict[str, str | None] = {
    "SessionStart": "session_start",
    "BeforeAgent": "prompt",
    "BeforeTool": "tool_use",
    "AfterTool": "tool_result",
    "AfterAgent": "stop",
    "SessionEnd": "session_end",
    # Known, nothing to remember: fires every turn (see above), model plumbing, UI.
    "PreCompress": None,
    "BeforeModel": None,
    "AfterModel": None,
    "BeforeToolSelection": None,
    "Notification": None,
}
CONTEXT_EVENTS = ("SessionStart",)
_HOOK_CONTEXT = r"<hook_context>.*?</hook_context>"  # compiled on first use
_EXIT_CODE = r"^Exit Code: (-?\d+)\s*$"


def strip_hook_context(prompt: str) -> str:
    """The user's own words: Gemini folds SessionStart/BeforeAgent context into the prompt as
    ``<hook_context>…</hook_context>``, and recording it would store our own handoff again."""
    if "<hook_context>" not in prompt:
        return prompt
    import re

    return re.sub(_HOOK_CONTEXT, "", prompt, flags=re.S).strip()


def response_text(response: object) -> str:
    """What a tool returned: ``returnDisplay`` when it is text (what the user saw), else the
    ``llmContent`` parts (what the model saw)."""
    if isinstance(response, dict):
        display = response.get("returnDisplay")
        if isinstance(display, str) and display:
            return display
        content = response.get("llmContent")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            parts = [p.get("text") if isinstance(p, dict) else p for p in content]
            joined = "\n".join(p for p in parts if isinstance(p, str))
            if joined:
                return joined
    return as_text(response)


def response_error(response: object) -> str | None:
    """The failure a tool reported: the ``error`` object, or a non-zero ``Exit Code:`` line in a
    shell result (the shell tool reports a failed command as output, not as an error)."""
    if not isinstance(response, dict):
        return None
    error = response.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        return message if isinstance(message, str) and message else as_text(error)
    if isinstance(error, str) and error:
        return error
    content = response.get("llmContent")
    if isinstance(content, str) and "Exit Code:" in content:
        import re

        match = re.search(_EXIT_CODE, content, re.M)
        if match and int(match.group(1)) != 0:
            return content
    return None


def observe(event: str, payload: dict) -> Observed | None:
    kind = EVENTS.get(event)
    session = text(payload, "session_id")
    cwd = text(payload, "cwd")
    if kind is None or session is None or cwd is None:
        return None
    stamp = text(payload, "timestamp") or ""
    fields: dict[str, object] = {}
    key = stamp
    if kind == "session_start":
        fields = {"source": text(payload, "source")}
        key = f"{text(payload, 'source')}:{stamp}"
    elif kind == "prompt":
        prompt = strip_hook_context(text(payload, "prompt") or "")
        fields = {"text": prompt}
        key = f"{stamp}:{short_hash(prompt)}"
    elif kind in ("tool_use", "tool_result"):
        tool_input = payload.get("tool_input")
        fields = {
            "tool": text(payload, "tool_name") or "?",
            "input": tool_input_summary(tool_input),
            "files": files_from_input(tool_input),
        }
        if kind == "tool_result":
            response = payload.get("tool_response")
            error = response_error(response)
            if error is not None:
                kind = "tool_error"
                fields["error"] = error
            else:
                fields["output"] = response_text(response)
        key = f"{stamp}:{fields['tool']}:{short_hash(as_text(tool_input))}"
    elif kind == "stop":
        message = text(payload, "prompt_response") or ""
        fields = {"message": message}
        key = f"{stamp}:{short_hash(message)}"
    elif kind == "session_end":
        fields = {"reason": text(payload, "reason")}
        key = f"{text(payload, 'reason')}:{stamp}"
    return Observed(kind=kind, session=session, cwd=cwd, fields=fields, key=key)


def context_output(event: str, text: str) -> str | None:
    return hook_context_json(event, text) if event in CONTEXT_EVENTS else None
