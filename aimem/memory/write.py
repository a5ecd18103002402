"""Create or update a knowledge page (decision, gotcha, concept, rule): checked input, secrets
redacted, then one memory transaction (``memory/transaction.py``: the wiki lock, one commit with
``index.md`` and the log, then the index and the SessionStart brief), as every writer does.

Agents (``memory_write_page``) and people (``aimem write-page``) both land here. Creating never
overwrites: a title whose page already exists is an error naming the path to update instead, so two
agents recording the same insight do not silently replace each other's text. Superseding keeps the
chain: the old page stays, marked ``status: superseded`` with ``superseded_by``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field

from aimem.memory.transaction import transaction
from aimem.project import Project, ProjectPaths
from aimem.redact import redact
from aimem.wiki.catalog import iso
from aimem.wiki.pages import SPECIAL_PAGES, TYPE_DIRS, Page, parse, render, validate_page_path
from aimem.wiki.read import PageNotFound

WRITABLE_TYPES = ("decision", "gotcha", "concept", "rule")
# Pages an agent or a person chose to write outrank session logs (0.3) from the start.
DEFAULT_SALIENCE = {"rule": 0.9, "decision": 0.8, "gotcha": 0.8, "concept": 0.6}
MAX_TITLE = 200
MAX_BODY = 100_000
MAX_TAGS = 20
MAX_TAG = 48
MAX_SLUG = 80
LOCK_TIMEOUT = 60.0

_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
_TAG_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")


class WriteError(ValueError):
    """The page cannot be written as asked (bad input, wrong folder...)."""


class PageExists(WriteError):
    """Creating a page whose path is taken."""


@dataclass
class PageWrite:
    """What to write. ``path`` set: update that page; unset: create one from the title.
    ``None`` for ``tags``, ``salience`` or ``pinned`` keeps the current value on update."""

    type: str
    title: str
    body: str
    tags: list[str] | None = None
    path: str | None = None
    salience: float | None = None
    pinned: bool | None = None
    supersedes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass
class WriteResult:
    path: str
    action: str  # created | updated | unchanged
    commit: str | None
    title: str
    superseded: list[str] = field(default_factory=list)
    redacted: bool = False  # a secret was removed from the input


def slug_for(title: str) -> str:
    """A file name for a title: ASCII, lower case, dashes (``"Use WAL!"`` -> ``use-wal``)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _SLUG_CHARS.sub("-", ascii_title.lower()).strip("-")[:MAX_SLUG].strip("-")
    if not slug:
        from aimem._hash import short_hash

        slug = "page-" + short_hash(title)
    return slug


def _utf8(text: str) -> str:
    """``text`` with each lone surrogate (a command-line argument that is not UTF-8, half an
    emoji in JSON) replaced by U+FFFD, as the journal does: git and YAML take only UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def _clean_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise WriteError("title must be a non-empty string")
    one_line = " ".join(_utf8(title).replace("\x00", "").split())
    if len(one_line) > MAX_TITLE:
        raise WriteError(f"title is {len(one_line)} characters; keep it under {MAX_TITLE}")
    return one_line


def _clean_body(body: object, title: str) -> str:
    if not isinstance(body, str) or not body.strip():
        raise WriteError("body must be a non-empty string (markdown)")
    text = _utf8(body).replace("\x00", "").strip("\n")
    if len(text) > MAX_BODY:
        raise WriteError(f"body is {len(text)} characters; the limit is {MAX_BODY}")
    if not text.lstrip().startswith("#"):
        text = f"# {title}\n\n{text}"  # readable as a plain file, in an editor or on GitHub
    return text + "\n"


def _clean_tags(tags: object) -> list[str]:
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise WriteError("tags must be a list of strings")
    out: list[str] = []
    for tag in tags:
        clean = _TAG_SPACE.sub("-", _utf8(tag).strip().strip(",")).replace(",", "-")
        if clean and clean not in out:
            if len(clean) > MAX_TAG:
                raise WriteError(f"tag {tag!r} is longer than {MAX_TAG} characters")
            out.append(clean)
    if len(out) > MAX_TAGS:
        raise WriteError(f"{len(out)} tags given; at most {MAX_TAGS}")
    return out


def _check(req: PageWrite) -> tuple[str, str, list[str] | None]:
    if req.type not in WRITABLE_TYPES:
        raise WriteError(
            f"type must be one of {', '.join(WRITABLE_TYPES)} (sessions and handoffs are "
            f"written by consolidation), not {req.type!r}"
        )
    title = _clean_title(req.title)
    body = _clean_body(req.body, title)
    tags = None if req.tags is None else _clean_tags(req.tags)
    if req.salience is not None and not (
        isinstance(req.salience, (int, float)) and 0.0 <= float(req.salience) <= 1.0
    ):
        raise WriteError("salience must be a number from 0 to 1")
    return title, body, tags


def _target_path(req: PageWrite, title: str) -> str:
    folder = TYPE_DIRS[req.type]
    if req.path is None:
        return f"{folder}/{slug_for(title)}.md"
    # The path is checked as text only: the page is read from git and written through the
    # commit path, which follows no symlink, so a symlink planted in the work tree can neither
    # redirect this write nor block it.
    rel = validate_page_path(req.path)
    if not rel.startswith(folder + "/"):
        raise WriteError(f"a {req.type} page lives under {folder}/, not at {rel!r}")
    return rel


def ensure_project_folder(paths: ProjectPaths, project: Project) -> None:
    """Create a project's data folder with the same ``project.json`` the first hook writes, so
    a page written before any hooked session (an agent with only the MCP server, a person with
    the CLI) starts a memory that every other command finds by name or slug."""
    from aimem.capture import state

    os.makedirs(paths.base, exist_ok=True)
    if not os.path.exists(paths.meta):
        state.write_json_atomic(paths.meta, {**project.as_dict(), "created": state.now_iso()})


def write_page(
    paths: ProjectPaths,
    project_name: str,
    req: PageWrite,
    now: float | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> WriteResult:
    """Write ``req`` and commit it; see the module docstring. Raises ``WriteError`` (bad input,
    ``PageExists``), ``PagePathError``, ``PageNotFound`` (updating or superseding a missing page)
    and ``filelock.Timeout`` when another writer holds the wiki for ``lock_timeout`` seconds."""
    title, body, tags = _check(req)
    red_title, red_body = redact(title), redact(body)
    red_tags = None if tags is None else [redact(t) for t in tags]
    redacted = (red_title, red_body, red_tags) != (title, body, tags)
    title, body, tags = red_title, red_body, red_tags
    sources = [redact(_utf8(str(s))) for s in req.sources if str(s).strip()]

    with transaction(paths, project_name, "write-page", now=now, lock_timeout=lock_timeout) as txn:
        stamp = iso(txn.now)
        rel = _target_path(req, title)
        stored = txn.read(rel)
        if req.path is None and stored is not None:
            existing = parse(stored.decode("utf-8", "replace"), rel).title
            raise PageExists(
                f"a {req.type} page already exists at {rel} ({existing!r}); pass path={rel!r} to "
                "update it, or choose another title"
            )
        if req.path is not None and stored is None:
            raise PageNotFound(rel)
        superseded = _superseded(req.supersedes, rel)

        old = parse(stored.decode("utf-8", "replace"), rel) if stored is not None else None
        meta = _meta(req, old, title, tags, sources, superseded, stamp)
        if old is not None and not superseded:
            meta["updated"] = old.meta.get("updated", stamp)
            if render(Page(rel, meta, body)).encode("utf-8") == stored:
                return WriteResult(rel, "unchanged", None, title, [], redacted)
            meta["updated"] = stamp
        action = "created" if old is None else "updated"

        txn.write(Page(rel, meta, body))
        for path in superseded:
            closed = txn.read_page(path)
            if closed is None:
                raise PageNotFound(path)
            closed.meta.update(status="superseded", superseded_by=rel, updated=stamp)
            txn.write(closed)
        line = f"write-page {action} {req.type} {rel}"
        if superseded:
            line += f", supersedes {', '.join(superseded)}"
        txn.log(line)
        done = txn.commit(f"write-page: {action} {req.type} {rel}\n\n{title}\n")
    return WriteResult(rel, action, done.commit, title, superseded, redacted)


def _superseded(requested: list[str], rel: str) -> list[str]:
    out: list[str] = []
    for path in requested:
        old = validate_page_path(path)  # read from git, written by the commit path: see above
        if old == rel:
            raise WriteError("a page cannot supersede itself")
        if old in SPECIAL_PAGES:
            raise WriteError(f"{old} is generated by aimem and cannot be superseded")
        if old not in out:
            out.append(old)
    return out


def _meta(
    req: PageWrite,
    old: Page | None,
    title: str,
    tags: list[str] | None,
    sources: list[str],
    superseded: list[str],
    stamp: str,
) -> dict:
    if old is None:
        return {
            "title": title,
            "type": req.type,
            "created": stamp,
            "updated": stamp,
            "tags": tags or [],
            "salience": DEFAULT_SALIENCE[req.type] if req.salience is None else req.salience,
            "pinned": bool(req.pinned),
            "sources": sources,
            "supersedes": superseded,
            "status": "active",
        }
    meta = dict(old.meta)
    meta.update(title=title, type=req.type, updated=stamp)
    meta.setdefault("created", stamp)
    if tags is not None:
        meta["tags"] = tags
    if req.salience is not None:
        meta["salience"] = req.salience
    if req.pinned is not None:
        meta["pinned"] = bool(req.pinned)
    for key, new in (("sources", sources), ("supersedes", superseded)):
        current = meta.get(key)
        current = list(current) if isinstance(current, list) else []
        meta[key] = current + [v for v in new if v not in current]
    return meta
