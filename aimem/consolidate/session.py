"""The session page: ``sessions/<YYYY-MM>/<date>-<agent>-<short id>.md``.

Sessions are sharded by month so no tree in the wiki grows past a few hundred entries (a flat
10,000-entry tree makes every git commit rebuild it).
"""

from __future__ import annotations

from aimem._hash import short_hash, short_session_id
from aimem.consolidate.digest import SessionDigest, files_changed
from aimem.wiki.catalog import iso
from aimem.wiki.pages import Page

MAX_LISTED_CALLS = 40


def session_path(d: SessionDigest, short: str | None = None) -> str:
    """``short`` is the id chosen by ``page_ids`` when the default one is taken."""
    return f"sessions/{d.date[:7]}/{d.date}-{d.agent}-{short or d.short_id}.md"


def page_ids(session: str) -> list[str]:
    """The ids a session's pages may be named by, tried in order: the short id (the last eight
    alphanumerics), then longer ones that keep it as their tail (``edit-sess0001`` for
    ``edit-sess-0001``), then one with a hash of the whole id (two ids that differ only in
    case or punctuation). A session takes the first whose pages are free or its own, so two
    sessions never share a page and a session finds its own page again."""
    clean = "".join(c for c in session if c.isascii() and c.isalnum()).lower()
    short = short_session_id(session)
    out = [short]
    for n in [*range(12, len(clean), 4), len(clean)]:
        if n > len(short):
            longer = f"{clean[-n : -len(short)]}-{short}"
            if longer not in out:
                out.append(longer)
    out.append(f"{short_hash(session)}-{short}")
    return out


def one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def quote_block(text: str, limit: int = 4000) -> str:
    body = text.strip()
    if len(body) > limit:
        body = body[:limit].rstrip() + " …"
    return "\n".join("> " + line if line else ">" for line in body.splitlines()) or "> (empty)"


def duration(d: SessionDigest) -> str:
    minutes = max(0, int((d.ended - d.started) // 60))
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def session_page(d: SessionDigest, short: str | None = None) -> Page:
    branch = d.branch
    meta = {
        "title": d.title,
        "type": "session",
        "created": iso(d.started),
        "updated": iso(d.ended),
        "tags": [d.agent],
        "salience": 0.3,
        "pinned": False,
        "sources": [d.session],
        "status": "consolidated",
        "agent": d.agent,
        "session": d.session,
        "branch": branch or "",
    }
    lines = [
        f"# {d.title}",
        "",
        f"{d.agent} session `{d.session}`, {iso(d.started)} → {iso(d.ended)} ({duration(d)})"
        + (f", branch `{branch}`" if branch else "")
        + (f", ended: {d.end_reason}" if d.end_reason else "")
        + ".",
        "",
        "## Prompts",
        "",
    ]
    lines += [f"{i}. {one_line(p, 400)}" for i, p in enumerate(d.prompts, 1)] or ["(none)"]
    lines += ["", "## Tools used", ""]
    counts = d.tool_counts
    lines += [f"- {tool} × {n}" for tool, n in sorted(counts.items())] or ["(none)"]
    if d.calls:
        lines += ["", "## Tool calls", ""]
        for call in d.calls[-MAX_LISTED_CALLS:]:
            mark = {True: "ok", False: "FAILED", None: "no result"}[call.ok]
            lines.append(f"- {call.tool} `{one_line(call.input, 200)}` — {mark}")
        if len(d.calls) > MAX_LISTED_CALLS:
            lines.append(f"- … {len(d.calls) - MAX_LISTED_CALLS} earlier calls not listed")
    # Every file changed in the project's repository (Bash and commits too), not only the
    # ones an Edit/Write tool named.
    lines += ["", "## Files changed", ""]
    lines += [f"- `{f}`" for f in files_changed(d)] or ["(none recorded)"]
    lines += ["", "## Errors", ""]
    lines += [
        f"- {c.tool} `{one_line(c.input, 200)}`: {one_line(c.detail, 300)}" for c in d.failures
    ] or ["(none)"]
    if d.compactions:
        lines += ["", "## Compaction summaries", ""]
        for summary in d.compactions:
            lines += [quote_block(summary, 2000), ""]
    lines += [
        "",
        "## Last message",
        "",
        quote_block(d.last_message) if d.last_message else "(none)",
    ]
    return Page(path=session_path(d, short), meta=meta, body="\n".join(lines) + "\n")
