"""The one transaction every change to a project's memory goes through.

A writer says *what* changes; the transaction says *how*::

    with transaction(paths, project_name, "unarchive") as txn:
        page = txn.read_page("_archive/decisions/use-wal.md")
        txn.move("_archive/decisions/use-wal.md", Page("decisions/use-wal.md", ...))
        txn.log("unarchived decisions/use-wal.md")
        txn.commit("unarchive: decisions/use-wal.md\\n")

Entering takes the wiki lock (one writer at a time; it also finishes or undoes what a killed
writer left) and brings the index up to the wiki's HEAD, so everything read inside sees the
committed wiki. ``commit`` then, in this order:

1. regenerates ``index.md`` from the index with this change applied (``index/catalog.py``);
2. appends the log lines, stamped, to ``log.md`` and the day file (``wiki/catalog.py``);
3. makes one git commit of what differs from HEAD, signed as the wiki's identity
   (``wiki/repo.py``), or none when nothing differs, so a re-run adds no commit;
4. brings the index up to the new HEAD (``index/sync.py``) and rewrites the brief.

Leaving the block without ``commit`` (or by an exception) commits nothing. State outside the
wiki that a writer changes after its commit (the handoff offer, ``sessions.json``) stays the
writer's, still under the lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pygit2

from aimem.index.catalog import entries_after
from aimem.index.sync import indexable, sync_index
from aimem.memory.brief import write_brief
from aimem.project import ProjectPaths
from aimem.wiki import catalog
from aimem.wiki import repo as wikirepo
from aimem.wiki.killpoint import killpoint
from aimem.wiki.lock import wiki_lock
from aimem.wiki.pages import Page, parse, render

LOCK_TIMEOUT = 120.0


@dataclass
class Committed:
    """What ``commit`` did: the new commit (``None``: nothing differed from HEAD) and every
    path it changed, the catalogue files included."""

    commit: str | None
    paths: list[str] = field(default_factory=list)


@dataclass
class Transaction:
    """The changes one writer makes, staged until ``commit``. Reads see HEAD, never the
    staged changes: a writer decides from the committed wiki."""

    paths: ProjectPaths
    project_name: str
    name: str  # the writer: consolidate, write-page, sweep, unarchive...
    repo: pygit2.Repository
    now: float
    _files: dict[str, bytes | None] = field(default_factory=dict)  # path -> bytes, None deletes
    _pages: dict[str, Page] = field(default_factory=dict)
    _lines: list[str] = field(default_factory=list)

    def read(self, path: str) -> bytes | None:
        """A file's bytes at HEAD (``None``: no such regular file)."""
        return wikirepo.read_file(self.repo, path)

    def read_page(self, path: str) -> Page | None:
        data = self.read(path)
        return None if data is None else parse(data.decode("utf-8-sig", "replace"), path)

    def write(self, page: Page) -> None:
        """Create or replace the page at ``page.path``."""
        self._files[page.path] = render(page).encode("utf-8")
        self._pages[page.path] = page

    def delete(self, path: str) -> None:
        self._files[path] = None
        self._pages.pop(path, None)

    def move(self, old: str, page: Page) -> None:
        """The page at ``old`` now lives at ``page.path``, as ``page``."""
        self.delete(old)
        self.write(page)

    def log(self, line: str) -> None:
        """A line for the log, stamped with the transaction's time."""
        self._lines.append(f"{catalog.iso(self.now)} {line}")

    def changed(self) -> list[str]:
        """The staged paths whose content differs from HEAD, sorted."""
        return sorted(p for p, data in self._files.items() if self.read(p) != data)

    def commit(self, message: str) -> Committed:
        """Commit the staged changes with their catalogue and log; see the module docstring."""
        removed = {p for p, data in self._files.items() if data is None and indexable(p)}
        pages = [page for path, page in self._pages.items() if indexable(path)]
        entries = entries_after(self.paths.index, pages, removed)
        index_md = catalog.render_index(self.project_name, entries).encode("utf-8")
        files = {**self._files, catalog.INDEX_FILE: index_md}
        pending = {p: data for p, data in files.items() if self.read(p) != data}
        commit = None
        if pending:
            pending.update(catalog.log_changes(self.repo, self._lines))
            commit = wikirepo.commit_files(self.repo, pending, message)
            killpoint(f"{self.name}.committed")
            sync_index(self.paths.index, self.paths.wiki)
        write_brief(self.paths, self.project_name, entries)
        return Committed(commit, sorted(pending) if commit else [])


@contextmanager
def transaction(
    paths: ProjectPaths,
    project_name: str,
    name: str,
    *,
    now: float | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
    create: bool = True,
) -> Iterator[Transaction]:
    """A ``Transaction`` under the wiki lock, the index synced to HEAD. Raises
    ``FileNotFoundError`` when the wiki does not exist and ``create`` is false, and
    ``filelock.Timeout`` when another writer holds the wiki for ``lock_timeout`` seconds."""
    repo = wikirepo.open_repo(paths.wiki, create=create)
    with wiki_lock(paths.state, timeout=lock_timeout):
        sync_index(paths.index, paths.wiki)
        yield Transaction(paths, project_name, name, repo, time.time() if now is None else now)
