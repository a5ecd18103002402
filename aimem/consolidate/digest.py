"""What happened in one session, reduced from its journal records (zero-LLM)."""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field

from aimem.capture.journal import short_session_id

TOOL_KINDS = ("tool_use", "tool_result", "tool_error")


@dataclass
class ToolCall:
    tool: str
    input: str
    ok: bool | None  # None: started, no result recorded
    detail: str = ""  # output or error excerpt


@dataclass
class SessionDigest:
    session: str
    agent: str
    project: str
    cwd: str
    started: float
    ended: float
    prompts: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    last_message: str = ""
    compactions: list[str] = field(default_factory=list)
    end_reason: str = ""
    branch: str = ""
    observations: int = 0
    answered_last_prompt: bool = False

    @property
    def empty(self) -> bool:
        """No prompt and no tool use: nothing worth a page."""
        return not self.prompts and not self.calls

    @property
    def failures(self) -> list[ToolCall]:
        return [c for c in self.calls if c.ok is False]

    @property
    def tool_counts(self) -> Counter:
        return Counter(c.tool for c in self.calls)

    @property
    def short_id(self) -> str:
        return short_session_id(self.session)

    @property
    def date(self) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self.started))

    @property
    def title(self) -> str:
        for prompt in self.prompts:
            line = next((ln.strip() for ln in prompt.splitlines() if ln.strip()), "")
            if line:
                return line if len(line) <= 80 else line[:77].rstrip() + "..."
        return f"{self.agent} session {self.short_id}"


def _relative(path: str, cwd: str) -> str:
    if cwd and os.path.isabs(path):
        try:
            rel = os.path.relpath(path, cwd)
        except ValueError:
            return path
        if not rel.startswith(".."):
            return rel
    return path


def digest(records: list[dict]) -> SessionDigest | None:
    """Reduce one session's records; ``None`` when there are none."""
    if not records:
        return None
    first = records[0]
    result = SessionDigest(
        session=str(first.get("session", "")),
        agent=str(first.get("agent", "?")),
        project=str(first.get("project", "")),
        cwd=str(first.get("cwd", "")),
        started=_ts(first),
        ended=_ts(records[-1]),
        observations=len(records),
    )
    # Started calls waiting for their result, oldest first per (tool, input): parallel identical
    # calls each get one result instead of the later start shadowing the earlier one.
    open_calls: dict[tuple[str, str], list[ToolCall]] = {}
    files: dict[str, None] = {}
    for record in records:
        kind = record.get("kind")
        ts = _ts(record)
        result.started = min(result.started, ts)
        result.ended = max(result.ended, ts)
        if kind == "prompt" and isinstance(record.get("text"), str):
            result.prompts.append(record["text"])
            result.answered_last_prompt = False
        elif kind in TOOL_KINDS:
            tool = str(record.get("tool") or "?")
            command = str(record.get("input") or "")
            for path in record.get("files") or []:
                if isinstance(path, str):
                    files[_relative(path, result.cwd)] = None
            key = (tool, command)
            if kind == "tool_use":
                call = ToolCall(tool, command, None)
                open_calls.setdefault(key, []).append(call)
                result.calls.append(call)
                continue
            ok = kind == "tool_result"
            detail = str((record.get("output") if ok else record.get("error")) or "")
            waiting = open_calls.get(key)
            call = waiting.pop(0) if waiting else None
            if call is None:
                call = ToolCall(tool, command, ok, detail)
                result.calls.append(call)
            else:
                call.ok, call.detail = ok, detail
        elif kind == "stop" and isinstance(record.get("message"), str):
            result.last_message = record["message"]
            result.answered_last_prompt = True
        elif kind == "compact" and isinstance(record.get("summary"), str):
            result.compactions.append(record["summary"])
        elif kind == "session_start" and isinstance(record.get("branch"), str):
            result.branch = record["branch"]
        elif kind == "session_end":
            result.end_reason = str(record.get("reason") or "")
    result.files = list(files)
    return result


def _ts(record: dict) -> float:
    value = record.get("ts")
    return float(value) if isinstance(value, (int, float)) else 0.0
