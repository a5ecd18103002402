"""What happened in one session, reduced from its journal records (zero-LLM).

Besides the prompts, calls and answers, the digest keeps what the session wrote down for later
(:mod:`aimem.consolidate.notes`): the open questions and next steps still open at its end, and
every decision and gotcha. An item is open until a later turn of the session takes it up (its
words occur in a later prompt, tool input or answer); one the user wrote in a prompt is checked
against that turn's work only. ``carried``, ``earlier`` and ``changed`` are filled at
consolidation by :func:`aimem.consolidate.handoff.prepare_handoff` (they need the wiki and the
project's repository).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field

from aimem._hash import short_session_id
from aimem.consolidate.notes import DECISION, GOTCHA, Note, addressed, extract, words

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
    answers: list[str] = field(default_factory=list)  # every turn's final answer, in order
    head_start: str = ""  # the commit the project's checkout was at when the session started
    head_end: str = ""  # ... and when it ended ("" when not recorded)
    open_notes: list[Note] = field(default_factory=list)  # questions and steps still open
    decisions: list[str] = field(default_factory=list)
    gotchas: list[str] = field(default_factory=list)
    words: set[str] = field(default_factory=set)  # content words of prompts, inputs, answers
    # Filled at consolidation (``handoff.prepare_handoff``), empty until then:
    carried: list[dict] = field(default_factory=list)  # open items of the previous offer
    earlier: list[str] = field(default_factory=list)  # earlier handoffs a thin session continues
    changed: list[str] | None = None  # files changed in the project's repo (None: unknown)

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


def relative(path: str, cwd: str) -> str:
    """``path`` relative to ``cwd`` when it is inside it, else as it is."""
    if cwd and os.path.isabs(path):
        try:
            rel = os.path.relpath(path, cwd)
        except ValueError:
            return path
        if not rel.startswith(".."):
            return rel
    return path


def files_changed(d: SessionDigest) -> list[str]:
    """Files changed in the project's repository during the session (any way: a tool, a shell
    command, a commit), then files the agent's tools named that the repository does not list
    (outside it, ignored, or no start commit recorded)."""
    changed = [relative(p, d.cwd) for p in d.changed or []]
    return changed + [f for f in d.files if f not in changed]


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
    turn = _Turn()
    for record in records:
        kind = record.get("kind")
        ts = _ts(record)
        result.started = min(result.started, ts)
        result.ended = max(result.ended, ts)
        if kind == "prompt" and isinstance(record.get("text"), str):
            turn.close(result)
            turn = _Turn()
            turn.prompt(record["text"])
            result.prompts.append(record["text"])
            result.answered_last_prompt = False
        elif kind in TOOL_KINDS:
            tool = str(record.get("tool") or "?")
            command = str(record.get("input") or "")
            turn.work(command)
            for path in record.get("files") or []:
                if isinstance(path, str):
                    files[relative(path, result.cwd)] = None
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
            result.answers.append(record["message"])
            result.answered_last_prompt = True
            turn.answer(record["message"])
            turn.close(result)
            turn = _Turn()
        elif kind == "compact" and isinstance(record.get("summary"), str):
            result.compactions.append(record["summary"])
        elif kind == "session_start":
            if isinstance(record.get("branch"), str):
                result.branch = record["branch"]
            if isinstance(record.get("head"), str) and not result.head_start:
                result.head_start = record["head"]  # a resumed session keeps its first start
        elif kind == "session_end":
            result.end_reason = str(record.get("reason") or "")
            if isinstance(record.get("head"), str):
                result.head_end = record["head"]
    turn.close(result)
    result.files = list(files)
    return result


class _Turn:
    """One prompt and the work and answer that follow it, for the items left open."""

    def __init__(self) -> None:
        self.asked: set[str] = set()  # words of the prompt
        self.done: set[str] = set()  # words of the tool inputs and the answer
        self.from_prompt: list[Note] = []
        self.from_answer: list[Note] = []

    def prompt(self, text: str) -> None:
        self.asked = words(text)
        self.from_prompt = extract(text)

    def work(self, command: str) -> None:
        self.done |= words(command)

    def answer(self, text: str) -> None:
        self.done |= words(text)
        self.from_answer = extract(text)

    def close(self, d: SessionDigest) -> None:
        """Fold the turn into ``d``: earlier items it takes up are closed; the prompt's items
        stay open unless the turn's own work takes them up; the answer's items are open."""
        if not (self.asked or self.done or self.from_prompt or self.from_answer):
            return
        everything = self.asked | self.done
        d.words |= everything
        kept = [n for n in d.open_notes if not addressed(n.text, everything)]
        for note in self.from_prompt:
            if note.kind in (DECISION, GOTCHA) or not addressed(note.text, self.done):
                kept.append(note)
        kept.extend(self.from_answer)
        d.open_notes = []
        for note in kept:
            if note.kind == DECISION:
                if note.text not in d.decisions:
                    d.decisions.append(note.text)
            elif note.kind == GOTCHA:
                if note.text not in d.gotchas:
                    d.gotchas.append(note.text)
            elif note not in d.open_notes:
                d.open_notes.append(note)


def _ts(record: dict) -> float:
    value = record.get("ts")
    return float(value) if isinstance(value, (int, float)) else 0.0
