"""Validated actions -> page changes: the exact pages to write, every path derived by aimem.

- ``create``: ``<type folder>/<slug of the title>.md`` (``-2``, ``-3``... when another title
  holds the name; dropped when a page with the same title exists: it should have been a target).
  LLM rules land ``status: proposed``; other pages ``status: active``.
- ``update``: the target page gains a dated section with the new text and its evidence; nothing
  it had is removed (the model saw only its first 800 characters).
- ``supersede``: a new page with ``supersedes: [target]``; the target becomes
  ``status: superseded`` with ``superseded_by``.
- ``contradict``: a new page with ``contradicts: [target]``; the target gains
  ``contradicts: [new page]`` unless it is protected (pinned, written by a person).

Every page written here says where it came from: ``origin: llm``, ``author: aimem``, the model,
the prompt version, the session in ``sources``, and an Evidence section quoting the journal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aimem.compile.candidates import Candidate
from aimem.compile.validate import Action, Claim
from aimem.memory.write import DEFAULT_SALIENCE
from aimem.wiki.pages import TYPE_DIRS, Page, new_page_path, render


@dataclass
class PageEdit:
    """One page to write: its new content and the bytes it had at HEAD when planned (``None``
    for a new page). ``apply`` writes it only if HEAD still has ``before``."""

    path: str
    page: Page
    before: bytes | None
    note: str  # for the log: "created decision decisions/x.md"
    group: int = 0  # the action it comes from: its edits land together or not at all

    def data(self) -> bytes:
        return render(self.page).encode("utf-8")


def _stamp(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def _evidence_lines(claims: list[Claim], session: str) -> list[str]:
    lines = []
    for claim in claims:
        quotes = "; ".join(f"{e.obs}: “{' '.join(e.quote.split())}”" for e in claim.evidence)
        lines.append(f"- {claim.text} (session `{session}`, {quotes})")
    return lines


def _strip_heading(body: str) -> str:
    lines = body.strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines).strip()


def _new_page(
    path: str, action: Action, session: str, model: str, prompt_version: str, stamp: str
) -> Page:
    meta = {
        "title": action.title,
        "type": action.type,
        "created": stamp,
        "updated": stamp,
        "tags": action.tags,
        "salience": DEFAULT_SALIENCE[action.type],
        "pinned": False,
        "sources": [session],
        "supersedes": [],
        "status": "proposed" if action.type == "rule" else "active",
        "origin": "llm",
        "author": "aimem",
        "model": model,
        "prompt_version": prompt_version,
    }
    body = [f"# {action.title}", "", _strip_heading(action.body), "", "## Evidence", ""]
    body += _evidence_lines(action.claims, session)
    if action.type == "rule":
        body += ["", "Proposed by aimem from the user's words above; agents are not told this "
                 "rule until a person accepts it (`aimem rules accept`)."]  # fmt: skip
    return Page(path, meta, "\n".join(body) + "\n")


def plan(
    actions: list[Action],
    *,
    session: str,
    short: str,
    model: str,
    prompt_version: str,
    now: float,
    stored: Callable[[str], bytes | None],
) -> tuple[list[PageEdit], list[str]]:
    """The edits for ``actions`` and the reasons for any action that could not be placed.
    ``stored(path)`` reads a page's bytes at HEAD (``None`` if there is none)."""
    from aimem.wiki.pages import parse

    stamp = _stamp(now)
    edits: dict[str, PageEdit] = {}
    problems: list[str] = []

    def current(path: str) -> tuple[Page | None, bytes | None]:
        if path in edits:
            return edits[path].page, edits[path].before
        data = stored(path)
        return (parse(data.decode("utf-8", "replace"), path) if data is not None else None), data

    def seen(target: Candidate) -> tuple[Page, bytes]:
        """The target as the model saw it: a change since then makes ``apply`` drop the edit."""
        if target.path in edits:
            edit = edits[target.path]
            return edit.page, edit.before or target.stored
        return parse(target.stored.decode("utf-8", "replace"), target.path), target.stored

    def title_at(path: str) -> str | None:
        page, _ = current(path)
        return None if page is None else page.title

    def free_path(action: Action) -> str | None:
        """The new page's path; ``None`` when a page with the same title is already there
        (the model should have named it as a target: a second copy would be a duplicate)."""
        path = new_page_path(TYPE_DIRS[action.type], action.title, title_at)
        return None if title_at(path) is not None else path

    for group, action in enumerate(actions):
        if action.op == "update":
            target = action.target
            assert target is not None
            page, before = seen(target)
            section = [
                "",
                f"## Update {stamp[:10]} (session {short})",
                "",
                _strip_heading(action.body),
                "",
                "### Evidence",
                "",
                *_evidence_lines(action.claims, session),
            ]
            meta = dict(page.meta)
            sources = (
                list(meta.get("sources") or []) if isinstance(meta.get("sources"), list) else []
            )
            meta.update(
                updated=stamp, sources=sources + ([session] if session not in sources else [])
            )
            new = Page(page.path, meta, page.body.rstrip("\n") + "\n" + "\n".join(section) + "\n")
            edits[page.path] = PageEdit(
                page.path, new, before, f"updated {action.type} {page.path}", group
            )
            continue

        path = free_path(action)
        if path is None:
            problems.append(
                f"{action.op} {action.title!r}: its page path and the fallback are taken"
            )
            continue
        page = _new_page(path, action, session, model, prompt_version, stamp)
        note = f"created {action.type} {path}"
        target = action.target
        if target is not None:
            old, before = seen(target)
            meta = dict(old.meta)
            if action.op == "supersede":
                page.meta["supersedes"] = [target.path]
                meta.update(status="superseded", superseded_by=path, updated=stamp)
                note += f", supersedes {target.path}"
            else:
                page.meta["contradicts"] = [target.path]
                listed = (
                    meta.get("contradicts") if isinstance(meta.get("contradicts"), list) else []
                )
                meta.update(contradicts=[*listed, path], updated=stamp)
                note += f", contradicts {target.path}"
            if action.reason:
                page.body += (
                    f"\n{action.op.capitalize()}s [[{target.path[:-3]}]]: {action.reason}\n"
                )
            if action.touch_target:
                edits[target.path] = PageEdit(
                    target.path,
                    Page(target.path, meta, old.body),
                    before,
                    f"marked {target.path}",
                    group,
                )
        edits[path] = PageEdit(path, page, None, note, group)
    return list(edits.values()), problems
