"""``aimem sweep``: memories nobody uses fade out of the way (DESIGN.md section 7).

A page whose retention (``aimem.index.rank.retention``: salience decaying with age, reinforced by
reads) falls below ``ARCHIVE_BELOW`` moves to ``_archive/<its path>``, with the day it was
archived in its front matter: out of search, the catalogue and the brief, still in the wiki for
grep and in git. An archived page is deleted ``DROP_AFTER_DAYS`` after it was archived; git
history keeps it. Never archived: pinned pages, rules, and the handoff currently on offer.
``unarchive`` brings a page back with a fresh ``updated`` date, so the next sweep leaves it be.

Each sweep is one memory transaction (``memory/transaction.py``, as every writer): one commit
under the wiki lock, then the index and the brief are brought up to it. A sweep with nothing to
do commits nothing. It also packs the wiki's loose git objects (``aimem.wiki.pack.keep_packed``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import pygit2

from aimem.capture import state
from aimem.index import fts, rank
from aimem.memory.transaction import transaction
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.catalog import iso
from aimem.wiki.pack import keep_packed
from aimem.wiki.pages import ARCHIVE_DIR, Page, PagePathError, parse, validate_page_path
from aimem.wiki.read import PageNotFound

ARCHIVE_BELOW = 0.20
DROP_AFTER_DAYS = 180
LOCK_TIMEOUT = 120.0
EXEMPT_TYPES = ("rule",)
EXEMPT_DIRS = ("_rules/",)


@dataclass
class Fading:
    """A page the sweep archives, and why."""

    path: str
    retention: float


@dataclass
class SweepResult:
    archived: list[Fading] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # paths under _archive/
    commit: str | None = None
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "archived": [
                {"path": f.path, "retention": round(f.retention, 4)} for f in self.archived
            ],
            "dropped": self.dropped,
            "commit": self.commit,
            "dry_run": self.dry_run,
        }


def sweep(
    paths: ProjectPaths,
    project_name: str,
    *,
    now: float | None = None,
    dry_run: bool = False,
    lock_timeout: float = LOCK_TIMEOUT,
) -> SweepResult:
    """Archive the pages whose retention fell below ``ARCHIVE_BELOW`` and drop archived pages
    older than ``DROP_AFTER_DAYS``, in one commit; ``dry_run`` only reports what it would do.
    A project without a wiki has nothing to sweep."""
    now = time.time() if now is None else now
    result = SweepResult(dry_run=dry_run)
    if not os.path.isdir(os.path.join(paths.wiki, ".git")):
        return result  # no wiki yet (sweep must not create one)
    with transaction(
        paths, project_name, "sweep", now=now, lock_timeout=lock_timeout, create=False
    ) as txn:
        if not dry_run:
            keep_packed(txn.repo)  # what commits left loose since the last packing
        if wikirepo.head_commit(txn.repo) is None:
            return result
        result.archived = fading_pages(paths, now)
        result.dropped = expired_archive(txn.repo, now)
        if dry_run or not (result.archived or result.dropped):
            return result
        for fading in result.archived:
            page = txn.read_page(fading.path)
            if page is None:  # the index said so, git disagrees: leave it to the next sync
                continue
            page.meta["archived"] = iso(now)
            txn.move(fading.path, Page(ARCHIVE_DIR + fading.path, page.meta, page.body))
        for path in result.dropped:
            txn.delete(path)
        lines = [
            f"sweep archived {f.path} (retention {f.retention:.3f})" for f in result.archived
        ] + [f"sweep dropped {path}" for path in result.dropped]
        for line in lines:
            txn.log(line)
        message = f"sweep: archive {len(result.archived)}, drop {len(result.dropped)}\n\n"
        result.commit = txn.commit(message + "".join(line + "\n" for line in lines)).commit
    return result


def fading_pages(paths: ProjectPaths, now: float) -> list[Fading]:
    """Indexed pages below the archive threshold, lowest retention first (the index must be at
    HEAD: it holds the reads that reinforce a page)."""
    offered = state.read_json(state.handoff_path(paths.state)).get("path")
    conn = fts.connect(paths.index)
    try:
        rows = conn.execute(
            "SELECT path, type, salience, coalesce(updated, created), hits, last_access, pinned,"
            " status FROM pages"
        ).fetchall()
    finally:
        conn.close()
    out = []
    for path, kind, salience, updated, hits, last_access, pinned, status in rows:
        if pinned or kind in EXEMPT_TYPES or path.startswith(EXEMPT_DIRS) or path == offered:
            continue
        if kind == "handoff" and status == state.OFFERED:
            continue  # the offer per the wiki, should state/handoff.json have lost its write

        value = rank.retention(salience, updated, hits, last_access, now)
        if value < ARCHIVE_BELOW:
            out.append(Fading(path, value))
    out.sort(key=lambda f: (f.retention, f.path))
    return out


def expired_archive(repo: pygit2.Repository, now: float) -> list[str]:
    """Archived pages whose ``archived`` date is more than ``DROP_AFTER_DAYS`` old. A page
    moved into the archive by hand, without a readable date, is never dropped."""
    head = wikirepo.head_commit(repo)
    tree = repo[head].peel(pygit2.Commit).tree
    try:
        archive = repo[tree[ARCHIVE_DIR.rstrip("/")].id]
    except KeyError:
        return []
    if not isinstance(archive, pygit2.Tree):
        return []
    out = []
    for rel, blob in wikirepo.iter_tree(repo, archive, ARCHIVE_DIR):
        data = wikirepo.read_blob(repo, str(blob))
        if data is None or not rel.endswith(".md"):
            continue
        day = rank.day_of(str(parse(data.decode("utf-8-sig", "replace"), rel).meta.get("archived")))
        if day is not None and now / rank.DAY - day > DROP_AFTER_DAYS:
            out.append(rel)
    return sorted(out)


def unarchive(
    paths: ProjectPaths,
    project_name: str,
    path: str,
    *,
    now: float | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> str:
    """Move an archived page back to where it was, dated today so it has a fresh lease; returns
    its path. ``path`` may name the page with or without ``_archive/`` and ``.md``. Raises
    ``PageNotFound`` when no such page is archived and ``FileExistsError`` when a page with
    that path has been written since (the archived copy is then left alone)."""
    now = time.time() if now is None else now
    # Checked as text: the page is read from git and written through the commit path, which
    # follows no symlink in the work tree.
    rel = validate_page_path(path.removeprefix(ARCHIVE_DIR))
    if rel.startswith(ARCHIVE_DIR):
        raise PagePathError(f"not a page path: {path!r}")
    with transaction(
        paths, project_name, "unarchive", now=now, lock_timeout=lock_timeout, create=False
    ) as txn:
        page = txn.read_page(ARCHIVE_DIR + rel)
        if page is None:
            raise PageNotFound(ARCHIVE_DIR + rel)
        if txn.read(rel) is not None:
            raise FileExistsError(
                f"{rel} exists again; the archived copy stays at {ARCHIVE_DIR}{rel}"
            )
        page.meta.pop("archived", None)
        page.meta["updated"] = iso(txn.now)
        txn.move(ARCHIVE_DIR + rel, Page(rel, page.meta, page.body))
        txn.log(f"unarchived {rel}")
        txn.commit(f"unarchive: {rel}\n")
    return rel
