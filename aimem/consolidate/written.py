"""Decisions and gotchas a session wrote down as such become pages, without an LLM.

"Decision: money is integer cents" in a prompt or an answer (see :mod:`aimem.consolidate.notes`)
becomes ``decisions/money-is-integer-cents.md``; "Gotcha: …" a page under ``gotchas/``. The path
is the one ``aimem write-page`` gives the same title (``memory.write.slug_for``), and the pages
are written in the session's own consolidation transaction, linked to its session page.

- A re-run of the same journal writes the same bytes: no new commit, no duplicate.
- A later session that writes the same decision down again adds itself to the page's
  ``sources`` and its list of sessions.
- A page at that path that aimem did not create from a session (written with ``write-page``, by
  a person, by the LLM step or bootstrap), a pinned one, one marked ``author: human``, or one for
  a different text whose title cuts to the same name, is left exactly as it is.
"""

from __future__ import annotations

import logging

from aimem.consolidate.digest import SessionDigest
from aimem.consolidate.session import iso, session_path
from aimem.memory.write import DEFAULT_SALIENCE, slug_for
from aimem.redact import redact
from aimem.wiki.pages import TYPE_DIRS, Page

log = logging.getLogger("aimem.consolidate")

ORIGIN = "session"  # ``origin`` of a page made from a session's own words
MAX_TITLE = 120
SESSIONS_HEADING = "## Written down in"


def _title(text: str) -> str:
    flat = " ".join(text.split()).rstrip(".")
    if len(flat) <= MAX_TITLE:
        return flat
    cut = flat[: MAX_TITLE - 1].rsplit(" ", 1)[0]
    return (cut or flat[: MAX_TITLE - 1]) + "…"


def _session_line(d: SessionDigest, short: str | None) -> str:
    return f"- [[{session_path(d, short)[:-3]}]] ({d.agent}, {iso(d.ended)[:10]})"


def _new_page(kind: str, path: str, title: str, text: str, d: SessionDigest, short: str | None):  # noqa: ANN202
    stamp = iso(d.ended)
    meta = {
        "title": title,
        "type": kind,
        "created": stamp,
        "updated": stamp,
        "tags": [kind, "written-down"],
        "salience": DEFAULT_SALIENCE[kind],
        "pinned": False,
        "sources": [d.session],
        "supersedes": [],
        "status": "active",
        "origin": ORIGIN,
        "author": "aimem",
    }
    label = "Decision" if kind == "decision" else "Gotcha"
    body = [
        f"# {title}",
        "",
        f"{label}: {text}",
        "",
        "Recorded by aimem, without an LLM, because a session wrote it down as such. "
        "Edit it freely: once edited by hand (`author: human`) or pinned, aimem leaves it alone.",
        "",
        SESSIONS_HEADING,
        "",
        _session_line(d, short),
    ]
    return Page(path, meta, "\n".join(body) + "\n")


def _protected(page: Page, title: str) -> str | None:
    meta = page.meta
    if meta.get("origin") != ORIGIN:
        return "not made from a session"
    if meta.get("pinned") is True:
        return "pinned"
    if str(meta.get("author", "")).lower() == "human":
        return "written by a person"
    if str(meta.get("title", "")).casefold() != title.casefold():
        return "another text with the same name"
    return None


def _seen_again(page: Page, d: SessionDigest, short: str | None) -> Page | None:
    """The page with ``d`` added to its sessions, or ``None`` when it already names ``d``."""
    sources = page.meta.get("sources")
    sources = [s for s in sources if isinstance(s, str)] if isinstance(sources, list) else []
    if d.session in sources:
        return None
    meta = dict(page.meta, sources=[*sources, d.session], updated=iso(d.ended))
    body = page.body.rstrip("\n")
    if SESSIONS_HEADING not in body:
        body += f"\n\n{SESSIONS_HEADING}\n"
    return Page(page.path, meta, body + "\n" + _session_line(d, short) + "\n")


def written_pages(read_page, d: SessionDigest, short: str | None = None) -> list[Page]:  # noqa: ANN001
    """The decision and gotcha pages ``d``'s written-down items create or extend.
    ``read_page(path)`` gives the page at the wiki's HEAD (``Transaction.read_page``)."""
    out: dict[str, Page] = {}
    for kind, items in (("decision", d.decisions), ("gotcha", d.gotchas)):
        for item in items:
            text = redact(" ".join(item.split()))
            title = _title(text)
            if not title:
                continue
            path = f"{TYPE_DIRS[kind]}/{slug_for(title)}.md"
            if path in out:
                continue
            stored = read_page(path)
            if stored is None:
                out[path] = _new_page(kind, path, title, text, d, short)
                continue
            reason = _protected(stored, title)
            if reason is not None:
                log.info("%s %s not written from session %s: %s", kind, path, d.short_id, reason)
                continue
            again = _seen_again(stored, d, short)
            if again is not None:
                out[path] = again
    return list(out.values())
