"""The handoff page: where the session left off, for whichever agent starts next.

Zero-LLM: every section is derived from the journal, the project's git repository and the
handoff offered before it. Sections: Summary, Last request, Open questions, Next steps,
Decisions and Gotchas (when there are any), the Earlier handoff a short follow-up continues (when
there is one), Files changed, Failed attempts.

Open items carry forward: the open questions and next steps of the offered handoff (or of the
one this session claimed) stay in the new handoff, marked with the session they come from,
until a later session takes them up (its prompts, tool inputs or answers hold their words) or
they grow older than an offer lives. A low-signal session (no tool use, a short answer, nothing
written down, no file changed) also keeps the earlier handoff's summary and last request, so
"thanks, that's all" does not hide the session that had something to say.
"""

from __future__ import annotations

import calendar
import logging
import re
import time

from aimem.consolidate.digest import SessionDigest, files_changed
from aimem.consolidate.notes import QUESTION, STEP, addressed
from aimem.consolidate.session import duration, iso, one_line, quote_block, session_path
from aimem.wiki.pages import Page, parse

log = logging.getLogger("aimem.consolidate")

MID_TASK = "The last request got no final answer: the session stopped mid-task."
MAX_QUESTIONS = 10
MAX_STEPS = 12
MAX_FILES = 50
MAX_EARLIER = 2
# How long an open item is carried: as long as an offer lives by default
# (``handoff_max_age_days``); counted from the session that wrote it down.
CARRY_MAX_AGE_DAYS = 7.0
# A session whose last answer is shorter than this, with no tool use and nothing written down,
# adds to the handoff before it instead of replacing it.
LOW_SIGNAL_CHARS = 500
EARLIER_HEADING = "## Earlier handoff"
_EARLIER_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\)\s*$")


def handoff_path(d: SessionDigest, short: str | None = None) -> str:
    """``short``: the id ``session.page_ids`` chose when the default one is taken."""
    return f"handoffs/{d.date[:7]}/{d.date}-{short or d.short_id}.md"


def head_tail(text: str, limit: int, head: int) -> str:
    """``text`` within ``limit`` characters keeping its first ``head`` and its end: where an
    answer is cut, its conclusion stays."""
    if len(text) <= limit:
        return text
    marker = " … "
    tail = max(0, limit - head - len(marker))
    return text[:head].rstrip() + marker + text[len(text) - tail :].lstrip()


def low_signal(d: SessionDigest) -> bool:
    """A session with nothing of its own to hand over: no tool use, a short last answer, no item
    written down, no file changed."""
    return (
        not d.calls
        and len(d.last_message) < LOW_SIGNAL_CHARS
        and not d.open_notes
        and not d.decisions
        and not d.gotchas
        and not files_changed(d)
    )


def open_items(d: SessionDigest) -> list[dict]:
    """The questions and steps this handoff leaves open, its own first, then those carried from
    earlier handoffs: ``{kind, text, session, ended}``, stored in the page's front matter so
    the next consolidation can carry them on."""
    items = [
        {"kind": n.kind, "text": n.text, "session": d.session, "ended": iso(d.ended)}
        for n in d.open_notes
    ]
    seen = {(i["kind"], i["text"]) for i in items}
    for item in d.carried:
        if (item["kind"], item["text"]) not in seen:
            seen.add((item["kind"], item["text"]))
            items.append(item)
    questions = [i for i in items if i["kind"] == QUESTION][:MAX_QUESTIONS]
    steps = [i for i in items if i["kind"] == STEP][:MAX_STEPS]
    return questions + steps


def _shown(item: dict, d: SessionDigest) -> str:
    if item["session"] == d.session:
        return item["text"]
    short = one_line(str(item["session"]), 80)[-8:]
    return f"{item['text']} _(open since session {short}, {str(item['ended'])[:10]})_"


def open_questions(d: SessionDigest) -> list[str]:
    """Questions written down as open (``Open question: …``, a list under ``Open questions``),
    this session's and those carried; and a last request that got no answer. A sentence
    ending in ``?`` is not one by itself."""
    found = [_shown(i, d) for i in open_items(d) if i["kind"] == QUESTION]
    if d.prompts and not d.answered_last_prompt:
        found.append(MID_TASK)
    return found


def next_steps(d: SessionDigest) -> list[str]:
    """Steps written down (``Next step: …``, ``TODO: …``, a list under such a heading, unchecked
    boxes), this session's and those carried; without any of its own, what a failed last call
    or an unanswered request implies."""
    steps = [_shown(i, d) for i in open_items(d) if i["kind"] == STEP]
    own = any(n.kind == STEP for n in d.open_notes)
    if not own and d.calls and d.calls[-1].ok is False:
        last = d.calls[-1]
        steps.insert(
            0,
            f"The last tool call failed: fix `{one_line(last.input, 160)}` "
            f"({head_tail(_flat(last.detail), 200, 60)}).",
        )
    if not own and d.prompts and not d.answered_last_prompt:
        steps.insert(0, "Finish the last request above.")
    return steps


def failed_attempts(d: SessionDigest) -> list[str]:
    seen: list[str] = []
    for call in d.failures:
        # An error's last line (the exception, the failing assertion) is its point.
        detail = head_tail(_flat(call.detail), 300, 80)
        line = f"{call.tool} `{one_line(call.input, 200)}` → {detail}"
        if line not in seen:
            seen.append(line)
    return seen[:20]


def _flat(text: str) -> str:
    return " ".join(text.split())


def summary(d: SessionDigest) -> str:
    calls = len(d.calls)
    failed = len(d.failures)
    tools = ", ".join(f"{t} × {n}" for t, n in d.tool_counts.most_common(6))
    parts = [
        f"{d.agent} worked for {duration(d)} ({iso(d.started)} → {iso(d.ended)}): "
        f"{len(d.prompts)} prompt(s), {calls} tool call(s)"
        + (f" ({tools})" if tools else "")
        + (f", {failed} failed" if failed else "")
        + f", {len(files_changed(d))} file(s) changed.",
    ]
    if d.prompts:
        parts.append(f"First request: “{head_tail(_flat(d.prompts[0]), 240, 160)}”.")
    if d.last_message:
        # The end of an answer is where its conclusion is.
        parts.append(f"Last answer: “{head_tail(_flat(d.last_message), 500, 120)}”.")
    if d.compactions:
        compaction = head_tail(_flat(d.compactions[-1]), 600, 200)
        parts.append(f"Compaction summary: “{compaction}”.")
    if d.earlier:
        parts.append(
            "A short follow-up with no work of its own: the handoff it continues is kept below."
        )
    return " ".join(parts)


def _bullets(items: list[str], empty: str) -> list[str]:
    return [f"- {item}" for item in items] or [empty]


def _section(title: str, items: list[str]) -> list[str]:
    return ["", f"## {title}", "", *_bullets(items, "")] if items else []


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
        "open_items": open_items(d),
        "low_signal": low_signal(d),
    }
    last_request = (
        quote_block(head_tail(d.prompts[-1].strip(), 3000, 1000), 3100)
        if d.prompts
        else "(no request recorded)"
    )
    files = [f"`{f}`" for f in files_changed(d)]
    if len(files) > MAX_FILES:
        files = files[:MAX_FILES] + [f"… and {len(files) - MAX_FILES} more"]
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
        *_section("Decisions", d.decisions),
        *_section("Gotchas", d.gotchas),
        *[line for block in d.earlier for line in ("", block.strip())],
        "",
        "## Files changed",
        "",
        *_bullets(files, "None recorded."),
        "",
        "## Failed attempts",
        "",
        *_bullets(failed_attempts(d), "None recorded."),
        "",
        f"Full session log: [[{session_path(d, short)[:-3]}]]",
    ]
    return Page(path=handoff_path(d, short), meta=meta, body="\n".join(body) + "\n")


# --- at consolidation: what the previous offer and the project's repository add ---------------


def prepare_handoff(
    d: SessionDigest, repo, previous: dict, max_age_days: float = CARRY_MAX_AGE_DAYS
) -> None:  # noqa: ANN001 - repo: the wiki's pygit2.Repository
    """Fill ``d.changed`` (files changed in the project's repository since the commit the
    SessionStart hook recorded) and ``d.carried``/``d.earlier`` (what the previous offer hands
    on), before the handoff page is built. Reads only; never raises: the handoff is built
    without what could not be read, and the reason is logged."""
    from aimem.consolidate.changes import session_changes

    if d.head_start:
        d.changed = session_changes(d.cwd, d.head_start, d.head_end, d.started, d.ended)
    try:
        d.carried, d.earlier = carry_forward(repo, previous, d, max_age_days)
    except Exception as exc:  # noqa: BLE001 - a hand-broken old page never blocks consolidation
        log.warning("handoff carry-forward from %s skipped: %s", previous.get("path"), exc)
        d.carried, d.earlier = [], []


def _stamp(value: object) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return None


def _valid_item(item: object) -> dict | None:
    if not isinstance(item, dict):
        return None
    kind, text = item.get("kind"), item.get("text")
    session, ended = item.get("session"), item.get("ended")
    if kind not in (QUESTION, STEP) or not isinstance(text, str) or not text.strip():
        return None
    if not isinstance(session, str) or _stamp(ended) is None:
        return None
    return {"kind": kind, "text": one_line(text, 400), "session": session, "ended": str(ended)}


def carry_forward(
    repo, previous: dict, d: SessionDigest, max_age_days: float = CARRY_MAX_AGE_DAYS
) -> tuple[list[dict], list[str]]:  # noqa: ANN001 - repo: the wiki's pygit2.Repository
    """What the previous offer (``state/handoff.json``) hands to ``d``'s handoff: its open items
    that ``d`` did not take up and that are not too old, and, for a low-signal ``d``, its
    summary as an "Earlier handoff" section. Only an offer still offered, or claimed by ``d``
    itself, hands anything on; ``d``'s own earlier page (``d`` resumed) hands on what it had
    carried; an offer newer than ``d`` (``d`` consolidated late) hands on nothing."""
    from aimem.capture import state
    from aimem.wiki import repo as wikirepo

    path = previous.get("path")
    if not isinstance(path, str) or not path.startswith("handoffs/"):
        return [], []
    own = previous.get("from_session") == d.session
    if not own:
        created = previous.get("created_ts")
        if isinstance(created, (int, float)) and created > d.ended:
            return [], []
        claimed = previous.get("claimed_by")
        claimer = claimed.get("session") if isinstance(claimed, dict) else None
        status = previous.get("status")
        if not (status == state.OFFERED or (status == state.CLAIMED and claimer == d.session)):
            return [], []
    data = wikirepo.read_file(repo, path)
    if data is None:
        return [], []
    page = parse(data.decode("utf-8", "replace"), path)
    stored = page.meta.get("open_items")
    carried = []
    for raw in stored if isinstance(stored, list) else []:
        item = _valid_item(raw)
        if item is None or (own and item["session"] == d.session):
            continue  # d's own items come from its journal again
        if d.ended - (_stamp(item["ended"]) or 0.0) > max_age_days * 86400:
            continue
        if addressed(item["text"], d.words):
            continue
        carried.append(item)
    earlier: list[str] = []
    if low_signal(d):
        if not own and not page.meta.get("low_signal"):
            earlier.append(_earlier_block(page))
        earlier += _earlier_sections(page.body)
        earlier = [b for b in earlier if _block_fresh(b, d.ended, max_age_days)][:MAX_EARLIER]
    return carried, earlier


def _sections(body: str) -> dict[str, str]:
    """A page body's ``## `` sections by title (the first of each)."""
    found: dict[str, str] = {}
    for part in ("\n" + body).split("\n## ")[1:]:
        title, _, text = part.partition("\n")
        found.setdefault(title.strip(), text.strip())
    return found


def _earlier_block(page: Page) -> str:
    """The previous handoff's summary and last request, as one section of the new page."""
    meta = page.meta
    sections = _sections(page.body.split(EARLIER_HEADING, 1)[0])
    title = str(meta.get("title", "")).removeprefix("Handoff: ")
    short = one_line(str(meta.get("from_session", "?")), 80)[-8:]
    agent = one_line(str(meta.get("from_agent", "?")), 40)
    created = one_line(str(meta.get("created", "?")), 40)
    lines = [
        f"{EARLIER_HEADING}: {one_line(title, 120)} ({agent}, session {short}, {created})",
        "",
        sections.get("Summary", "(no summary)"),
        "",
        "Its last request:",
        "",
        sections.get("Last request", "(no request recorded)"),
        "",
        f"Page: [[{page.path[:-3]}]]",
    ]
    return "\n".join(lines)


def _earlier_sections(body: str) -> list[str]:
    """The "Earlier handoff" sections a page already carries, verbatim."""
    blocks = []
    for part in body.split("\n" + EARLIER_HEADING)[1:]:
        text = part.split("\n## ", 1)[0]
        blocks.append((EARLIER_HEADING + text).strip())
    return blocks


def _block_fresh(block: str, now: float, max_age_days: float) -> bool:
    match = _EARLIER_STAMP.search(block.split("\n", 1)[0])
    stamp = _stamp(match.group(1)) if match else None
    return stamp is not None and now - stamp <= max_age_days * 86400
