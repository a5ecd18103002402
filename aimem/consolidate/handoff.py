"""The handoff page: where the session left off, for whichever agent starts next.

Zero-LLM: every section is derived from the journal and the agent's last message. Sections:
Summary, Last request, Open questions, Next steps, Files touched, Failed attempts.
"""

from __future__ import annotations

import re

from aimem.consolidate.digest import SessionDigest
from aimem.consolidate.session import duration, iso, one_line, quote_block, session_path
from aimem.wiki.pages import Page

_NEXT_HEADING = re.compile(
    r"^\s*(?:#+\s*|\*\*)?(next steps?|todo|to do|remaining|follow[- ]ups?|still to do)\b", re.I
)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[ \]\s*)?(.+)$")
_UNCHECKED = re.compile(r"^\s*[-*+]\s+\[ \]\s+(.+)$")
_CHECKED = re.compile(r"^\s*[-*+]\s+\[[xX]\]\s")  # done: not a next step
_SENTENCE = re.compile(r"[^.!?\n]*\?")


def handoff_path(d: SessionDigest, short: str | None = None) -> str:
    """``short``: the id ``session.page_ids`` chose when the default one is taken."""
    return f"handoffs/{d.date[:7]}/{d.date}-{short or d.short_id}.md"


def open_questions(d: SessionDigest) -> list[str]:
    """Questions the agent asked at the end, and a last request that got no answer."""
    found = []
    for match in _SENTENCE.findall(d.last_message):
        question = one_line(match.strip(" -*>"), 300)
        if len(question) > 8 and question not in found:
            found.append(question)
    if d.prompts and not d.answered_last_prompt:
        found.append("The last request got no final answer: the session stopped mid-task.")
    return found[:10]


def next_steps(d: SessionDigest) -> list[str]:
    """Steps the agent listed (a 'Next steps'/'TODO' list, unchecked boxes), else what the
    failures imply."""
    steps: list[str] = []
    in_list = False
    for line in d.last_message.splitlines():
        if _NEXT_HEADING.match(line):
            in_list = True
            rest = _NEXT_HEADING.sub("", line).strip(" :*")
            if rest:
                steps.append(one_line(rest, 300))
            continue
        unchecked = _UNCHECKED.match(line)
        if unchecked:
            steps.append(one_line(unchecked.group(1), 300))
            continue
        if in_list and not _CHECKED.match(line):
            bullet = _BULLET.match(line)
            if bullet:
                steps.append(one_line(bullet.group(1), 300))
            elif line.strip():
                in_list = False
    if not steps and d.calls and d.calls[-1].ok is False:
        last = d.calls[-1]
        steps.append(
            f"The last tool call failed: fix `{one_line(last.input, 160)}` "
            f"({one_line(last.detail, 160)})."
        )
    if not steps and d.prompts and not d.answered_last_prompt:
        steps.append("Finish the last request above.")
    unique: list[str] = []
    for step in steps:
        if step not in unique:
            unique.append(step)
    return unique[:12]


def failed_attempts(d: SessionDigest) -> list[str]:
    seen: list[str] = []
    for call in d.failures:
        line = f"{call.tool} `{one_line(call.input, 200)}` → {one_line(call.detail, 300)}"
        if line not in seen:
            seen.append(line)
    return seen[:20]


def summary(d: SessionDigest) -> str:
    calls = len(d.calls)
    failed = len(d.failures)
    tools = ", ".join(f"{t} × {n}" for t, n in d.tool_counts.most_common(6))
    parts = [
        f"{d.agent} worked for {duration(d)} ({iso(d.started)} → {iso(d.ended)}): "
        f"{len(d.prompts)} prompt(s), {calls} tool call(s)"
        + (f" ({tools})" if tools else "")
        + (f", {failed} failed" if failed else "")
        + f", {len(d.files)} file(s) touched.",
    ]
    if d.prompts:
        parts.append(f"First request: “{one_line(d.prompts[0], 240)}”.")
    if d.last_message:
        parts.append(f"Last answer: “{one_line(d.last_message, 400)}”.")
    if d.compactions:
        parts.append(f"Compaction summary: “{one_line(d.compactions[-1], 600)}”.")
    return " ".join(parts)


def _bullets(items: list[str], empty: str) -> list[str]:
    return [f"- {item}" for item in items] or [empty]


def handoff_page(d: SessionDigest, status: str = "offered", short: str | None = None) -> Page:
    meta = {
        "title": f"Handoff: {d.title}",
        "type": "handoff",
        "created": iso(d.ended),
        "updated": iso(d.ended),
        "tags": [d.agent, "handoff"],
        "salience": 0.5,
        "pinned": False,
        "sources": [d.session],
        "status": status,
        "from_agent": d.agent,
        "from_session": d.session,
        "session_page": session_path(d, short),
    }
    last_request = quote_block(d.prompts[-1], 3000) if d.prompts else "(no request recorded)"
    body = [
        f"# Handoff: {d.title}",
        "",
        "## Summary",
        "",
        summary(d),
        "",
        "## Last request",
        "",
        last_request,
        "",
        "## Open questions",
        "",
        *_bullets(open_questions(d), "None recorded."),
        "",
        "## Next steps",
        "",
        *_bullets(next_steps(d), "None recorded."),
        "",
        "## Files touched",
        "",
        *_bullets([f"`{f}`" for f in d.files[:50]], "None recorded."),
        "",
        "## Failed attempts",
        "",
        *_bullets(failed_attempts(d), "None recorded."),
        "",
        f"Full session log: [[{session_path(d, short)[:-3]}]]",
    ]
    return Page(path=handoff_path(d, short), meta=meta, body="\n".join(body) + "\n")
