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
3. makes one git commit of what differs from HEAD, signed with the user's identity and the
   machine as a ``Machine:`` trailer (``memory/identity.py``), or none when nothing differs, so
   a re-run adds no commit. A sync's merge passes the other side as a second parent
   (``commit(message, parents=[theirs])``: a merge commit even when the tree is HEAD's), and
   ``fast_forward`` moves the branch to a commit that already holds everything;
4. brings the index up to the new HEAD (``index/sync.py``) and rewrites the brief.

Leaving the block without ``commit`` (or by an exception) commits nothing. State outside the
wiki that a writer changes after its commit (the handoff offer, ``sessions.json``) stays the
writer's, still under the lock.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import pygit2

from aimem.index.catalog import entries_after
from aimem.index.sync import indexable, sync_index
from aimem.memory.brief import write_brief
from aimem.memory.identity import MACHINE_TRAILER, identity, with_trailers
from aimem.project import ProjectPaths
from aimem.wiki import catalog, merge
from aimem.wiki import repo as wikirepo
from aimem.wiki.killpoint import killpoint
from aimem.wiki.lock import wiki_lock
from aimem.wiki.pages import Page, parse, render

LOCK_TIMEOUT = 120.0
# ``commit_files`` takes the author once PERF's change lands (requests.md); until then commits
# keep the wiki's fixed signature and carry the person in an ``Author:`` trailer.
_COMMIT_TAKES_AUTHOR = "author" in inspect.signature(wikirepo.commit_files).parameters


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

    def put(self, path: str, data: bytes | None) -> None:
        """Stage a file's exact bytes (``None`` deletes): what a merge brings in, kept byte for
        byte; a page among them is read for the catalogue."""
        if data is None:
            self.delete(path)
            return
        self._files[path] = data
        if indexable(path):
            self._pages[path] = parse(data.decode("utf-8-sig", "replace"), path)
        else:
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

    def commit(self, message: str, *, parents: Sequence[str] = ()) -> Committed:
        """Commit the staged changes with their catalogue and log; see the module docstring.
        ``parents``: the other side of a merge (HEAD is the first parent); a merge commits even
        when nothing differs from HEAD, since it records that the other side is merged."""
        removed = {p for p, data in self._files.items() if data is None and indexable(p)}
        pages = [page for path, page in self._pages.items() if indexable(path)]
        entries = entries_after(self.paths.index, pages, removed)
        index_md = catalog.render_index(self.project_name, entries).encode("utf-8")
        files = {**self._files, catalog.INDEX_FILE: index_md}
        pending = {p: data for p, data in files.items() if self.read(p) != data}
        commit = None
        head = wikirepo.head_commit(self.repo)
        if pending or (parents and head is not None):
            pending.update(self._log_files())
            who = identity(self.repo)
            trailers = {MACHINE_TRAILER: who.machine}
            if parents and head is not None:
                message = with_trailers(message, trailers)
                commit = merge.commit_merge(
                    self.repo, pending, message, [head, *parents], who.signature(self.now)
                )
            elif _COMMIT_TAKES_AUTHOR:
                message = with_trailers(message, trailers)
                commit = wikirepo.commit_files(
                    self.repo, pending, message, author=who.signature(self.now)
                )
            else:
                trailers = {"Author": f"{who.name} <{who.email}>", **trailers}
                message = with_trailers(message, trailers)
                commit = wikirepo.commit_files(self.repo, pending, message)
            killpoint(f"{self.name}.committed")
            sync_index(self.paths.index, self.paths.wiki)
        write_brief(self.paths, self.project_name, entries)
        return Committed(commit, sorted(pending) if commit else [])

    def fast_forward(self, target: str) -> Committed:
        """Move the branch to ``target``, a commit that already holds HEAD (a sync where only
        the other side changed): no new commit, the work tree, index and brief follow."""
        changed = merge.advance(self.repo, target)
        killpoint(f"{self.name}.committed")
        sync_index(self.paths.index, self.paths.wiki)
        write_brief(self.paths, self.project_name, entries_after(self.paths.index, []))
        return Committed(target, sorted(changed))

    def _log_files(self) -> dict[str, bytes]:
        """The log with this transaction's lines: on top of HEAD's log, or of the log files a
        merge staged (already the union of both sides)."""
        if catalog.LOG_FILE not in self._files:
            return catalog.log_changes(self.repo, self._lines)
        out: dict[str, bytes] = {}
        recent = (self._files[catalog.LOG_FILE] or b"").decode("utf-8", "replace")
        for line in (" ".join(x.split()) for x in self._lines):
            day = catalog.log_day_path(line[:10])
            staged = self._files.get(day) if day in self._files else self.read(day)
            current = out.get(day, staged)
            text = current.decode("utf-8", "replace") if current else None
            header = (
                f"# Log {line[:10]}\n\n"
                f"Changes to this wiki on {line[:10]} (UTC), one line per change.\n\n"
            )
            out[day] = catalog.append_log(text, line, header).encode("utf-8")
            recent = catalog.append_log(recent, line)
        kept = [x for x in recent.splitlines() if x.startswith("- ")][-catalog.RECENT_LOG :]
        out[catalog.LOG_FILE] = (catalog.LOG_HEADER + "".join(x + "\n" for x in kept)).encode()
        return out


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
