"""The one observation schema every agent's payload is normalised into.

A journal line is ``{"v":1,"ts","agent","event","kind","session","project","cwd","id", ...}``
plus the fields of its ``kind``:

============== ==========================================================
kind           fields
============== ==========================================================
session_start  ``source``, ``model``
prompt         ``text``
tool_use       ``tool``, ``input``, ``files``
tool_result    ``tool``, ``input``, ``output``, ``files``
tool_error     ``tool``, ``input``, ``error``, ``files``
stop           ``message``
compact        ``phase`` (pre/post), ``trigger``, ``summary``
session_end    ``reason``
============== ==========================================================

Every string is redacted *before* it is truncated, so a cut never leaves half a secret behind.
Standard library only.
"""

from __future__ import annotations

import time

from aimem._hash import short_hash
from aimem.capture.jsonfast import dumps
from aimem.redact import redact

KINDS = (
    "session_start",
    "prompt",
    "tool_use",
    "tool_result",
    "tool_error",
    "stop",
    "compact",
    "session_end",
)
SCHEMA_VERSION = 1
PROMPT_CAP = 16 * 1024  # characters of prompt / last-message / summary text
EXCERPT_CAP = 2 * 1024  # characters of each tool input / output / error excerpt
LINE_CAP = 64 * 1024  # bytes of one whole journal line
_LONG_TEXT = ("text", "message", "summary")
_EXCERPTS = ("input", "output", "error")


class Observed:
    """What an adapter extracted from one payload, before redaction and caps (a plain class:
    ``dataclasses`` is too slow to import on the hook path)."""

    __slots__ = ("kind", "session", "cwd", "fields", "key")

    def __init__(
        self,
        kind: str,
        session: str,
        cwd: str,
        fields: dict[str, object] | None = None,
        key: str = "",
    ) -> None:
        self.kind = kind
        self.session = session
        self.cwd = cwd
        self.fields: dict[str, object] = fields if fields is not None else {}
        self.key = key  # what makes a replayed hook recognisable (tool-use id, prompt id...)

    def __repr__(self) -> str:
        return f"Observed({self.kind!r}, {self.session!r}, fields={self.fields!r})"


def excerpt(text: str, cap: int) -> str:
    """Keep the head and the tail of ``text`` within ``cap`` characters."""
    if len(text) <= cap:
        return text
    marker = f"\n…[{len(text) - cap} chars cut]…\n"
    keep = max(0, cap - len(marker))
    head = keep // 2
    return text[:head] + marker + text[len(text) - (keep - head) :]


def _capped(name: str, value: object) -> object:
    if isinstance(value, str):
        cap = PROMPT_CAP if name in _LONG_TEXT else EXCERPT_CAP
        return excerpt(redact(value), cap)
    if isinstance(value, list):
        return [excerpt(redact(v), 1024) for v in value[:200] if isinstance(v, str)]
    return value


def build(
    agent: str, event: str, observed: Observed, project: str, ts: float | None = None
) -> dict:
    """The journal record for ``observed``: redacted, capped, with its idempotency id."""
    ts = time.time() if ts is None else ts
    record: dict[str, object] = {
        "v": SCHEMA_VERSION,
        "ts": round(ts, 3),
        "agent": agent,
        "event": event,
        "kind": observed.kind,
        "session": observed.session,
        "project": project,
        "cwd": redact(observed.cwd),
        "id": short_hash(f"{agent}\0{observed.session}\0{event}\0{observed.key}", 16),
    }
    for name, value in observed.fields.items():
        if value is None or value == "" or value == []:
            continue
        record[name] = _capped(name, value)
    return record


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate (half an emoji cut by the agent: JSON ``"\\ud83d"``)
    replaced by U+FFFD rather than failing the whole line."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text).encode()


def encode(record: dict) -> bytes:
    """One JSON line within ``LINE_CAP``: oversized text fields shrink until the line fits."""
    line = _utf8(dumps(record, separators=(",", ":"))) + b"\n"
    cap = PROMPT_CAP
    while len(line) > LINE_CAP and cap > 64:
        cap //= 2
        for name in _LONG_TEXT + _EXCERPTS:
            value = record.get(name)
            if isinstance(value, str):
                record[name] = excerpt(value, min(cap, len(value)))
        if isinstance(record.get("files"), list):
            files = record["files"][:20]
            record["files"] = [excerpt(f, cap) if isinstance(f, str) else f for f in files]
        record["truncated"] = True
        line = _utf8(dumps(record, separators=(",", ":"))) + b"\n"
    return line
