"""Field extraction shared by the adapters; every helper tolerates wrong types."""

from __future__ import annotations

from aimem._hash import short_hash
from aimem.capture.jsonfast import dumps
from aimem.capture.observation import Observed

# apply_patch bodies name their files on these lines.
_PATCH_FILE = r"^\*\*\* (?:Add|Update|Delete) File: (.+)$"  # compiled on first use
_PATH_KEYS = ("file_path", "path", "notebook_path", "filePath", "absolute_path")


def text(payload: dict, key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) else None


def scalar(payload: dict, key: str) -> str | None:
    value = payload.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def as_text(value: object) -> str:
    """Any tool input/response as readable text (stdout/stderr objects, MCP content lists...)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "stdout" in value or "stderr" in value:
            out = value.get("stdout") if isinstance(value.get("stdout"), str) else ""
            err = value.get("stderr") if isinstance(value.get("stderr"), str) else ""
            return out + (("\n[stderr]\n" + err) if err else "")
        content = value.get("content")
        if isinstance(content, list):
            parts = [c.get("text") for c in content if isinstance(c, dict)]
            joined = "\n".join(p for p in parts if isinstance(p, str))
            if joined:
                return joined
    try:
        return dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def tool_input_summary(tool_input: object) -> str:
    """The part of a tool's input worth remembering: the command, else the path, else JSON."""
    if isinstance(tool_input, dict):
        for key in ("command", "cmd"):
            value = tool_input.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return " ".join(value)
    return as_text(tool_input)


def files_from_input(tool_input: object) -> list[str]:
    """Paths a tool call names explicitly (edits, reads, apply_patch headers)."""
    files: list[str] = []
    if isinstance(tool_input, dict):
        for key in _PATH_KEYS:
            value = tool_input.get(key)
            if isinstance(value, str) and value and len(value) < 1024:
                files.append(value)
        for key in ("command", "patch", "input"):
            value = tool_input.get(key)
            if isinstance(value, str) and "*** " in value:
                files.extend(_patch_files(value))
    elif isinstance(tool_input, str) and "*** " in tool_input:
        files.extend(_patch_files(tool_input))
    seen: set[str] = set()
    return [f for f in files if not (f in seen or seen.add(f))]


def _patch_files(text: str) -> list[str]:
    import re  # only for apply_patch bodies: ``re`` costs the hook ~10 ms of imports

    return [m.strip() for m in re.findall(_PATCH_FILE, text, re.M)]


def hook_context_json(event: str, text: str) -> str:
    """The ``hookSpecificOutput.additionalContext`` shape Claude Code, Codex and Gemini accept."""
    return dumps({"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}})


def observe_claude_style(kind: str, event: str, payload: dict) -> Observed | None:
    """Claude Code and Codex share one payload vocabulary (``session_id``, ``tool_name``,
    ``tool_input``, ``tool_response``, ``last_assistant_message``...); Gemini reuses most of it."""
    session = text(payload, "session_id")
    cwd = text(payload, "cwd")
    if session is None or cwd is None:
        return None
    turn = scalar(payload, "prompt_id") or scalar(payload, "turn_id") or ""
    fields: dict[str, object] = {}
    key = turn
    if kind == "session_start":
        fields = {"source": text(payload, "source"), "model": text(payload, "model")}
        key = f"{text(payload, 'source')}:{text(payload, 'transcript_path')}"
    elif kind == "prompt":
        prompt = text(payload, "prompt") or ""
        fields = {"text": prompt}
        key = f"{turn}:{short_hash(prompt)}"
    elif kind in ("tool_use", "tool_result", "tool_error"):
        tool_input = payload.get("tool_input")
        fields = {
            "tool": text(payload, "tool_name") or "?",
            "input": tool_input_summary(tool_input),
            "files": files_from_input(tool_input),
        }
        response = payload.get("tool_response")
        if kind == "tool_result" and isinstance(response, dict) and response.get("isError") is True:
            kind = "tool_error"  # an MCP result that reports failure
            fields["error"] = as_text(response)
        elif kind == "tool_result":
            fields["output"] = as_text(response)
        elif kind == "tool_error":
            fields["error"] = as_text(payload.get("error")) or "failed"
            if payload.get("is_interrupt") is True:
                fields["interrupted"] = True
        tool_use_id = scalar(payload, "tool_use_id")
        key = tool_use_id or f"{turn}:{short_hash(as_text(tool_input))}"
    elif kind == "stop":
        message = text(payload, "last_assistant_message") or ""
        fields = {"message": message}
        key = f"{turn}:{short_hash(message)}"
    elif kind == "compact":
        post = event.startswith("Post")
        fields = {
            "phase": "post" if post else "pre",
            "trigger": text(payload, "trigger"),
            "summary": text(payload, "compact_summary"),
        }
        key = f"{turn}:{text(payload, 'trigger')}"
    elif kind == "session_end":
        fields = {"reason": text(payload, "reason")}
        key = text(payload, "transcript_path") or ""
    return Observed(kind=kind, session=session, cwd=cwd, fields=fields, key=key)
