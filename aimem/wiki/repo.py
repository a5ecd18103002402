"""The wiki's git repository, through pygit2 (no git binary, no git config needed).

Every write is one commit with an explicit signature. Files are written to the work tree and
staged in the index, so plain ``git status`` in the wiki stays clean.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pygit2

SIGNATURE = ("aimem", "aimem@localhost")
BRANCH = "main"


@dataclass(frozen=True)
class Change:
    status: str  # A (added), M (modified), D (deleted)
    path: str
    blob: str | None = None  # the new content's blob id (A and M), so readers skip a path lookup


def open_repo(wiki_dir: str, create: bool = True) -> pygit2.Repository:
    """Open the wiki repository, creating it (branch ``main``) when asked."""
    if os.path.isdir(os.path.join(wiki_dir, ".git")):
        return pygit2.Repository(wiki_dir)
    if not create:
        raise FileNotFoundError(f"no wiki repository at {wiki_dir}")
    return _create(wiki_dir)


def _create(wiki_dir: str) -> pygit2.Repository:
    """Initialise the repository beside its place and rename it in: a reader (``aimem status``
    while the first consolidation runs) that sees ``.git`` must find a whole repository, and
    ``git init`` in place shows the folder before its contents."""
    parent = os.path.dirname(os.path.abspath(wiki_dir))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".wiki-init-", dir=parent)
    try:
        pygit2.init_repository(staging, initial_head=BRANCH)
        try:
            os.rename(staging, wiki_dir)  # the usual case: no wiki folder yet
            staging = ""
        except OSError:  # the folder exists (pages put there by hand): move only .git in
            try:
                os.rename(os.path.join(staging, ".git"), os.path.join(wiki_dir, ".git"))
            except OSError:
                if not os.path.isdir(os.path.join(wiki_dir, ".git")):
                    raise  # not a concurrent creator: a real failure
    finally:
        if staging:
            shutil.rmtree(staging, ignore_errors=True)
    return pygit2.Repository(wiki_dir)


def head_commit(repo: pygit2.Repository) -> str | None:
    return None if repo.head_is_unborn else str(repo.head.target)


def read_file(repo: pygit2.Repository, path: str, commit: str | None = None) -> bytes | None:
    """A file's bytes at ``commit`` (default HEAD), or ``None``."""
    ref = commit or head_commit(repo)
    if ref is None:
        return None
    try:
        blob = repo[ref].peel(pygit2.Commit).tree[path]
    except KeyError:
        return None
    return blob.data if isinstance(blob, pygit2.Blob) else None


def commit_files(
    repo: pygit2.Repository, changes: dict[str, bytes | None], message: str
) -> str | None:
    """Write ``changes`` (path -> bytes, ``None`` deletes) and commit them; ``None`` if the tree
    did not change (so re-running an operation adds no commit)."""
    workdir = repo.workdir
    index = repo.index
    index.read()
    for rel, data in changes.items():
        full = os.path.join(workdir, rel)
        if data is None:
            if os.path.exists(full):
                os.remove(full)
            if rel in index:
                index.remove(rel)
            continue
        os.makedirs(os.path.dirname(full), exist_ok=True)
        tmp = full + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, full)
        index.add(rel)
    tree = index.write_tree()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    if parents and repo[parents[0]].peel(pygit2.Commit).tree_id == tree:
        index.write()
        return None
    index.write()
    sig = pygit2.Signature(*SIGNATURE)
    ref = "HEAD" if not repo.head_is_unborn else f"refs/heads/{BRANCH}"
    return str(repo.create_commit(ref, sig, sig, message, tree, parents))


# Tree pairs ``changed_paths`` compares itself before handing a wide change to libgit2.
WALK_BUDGET = 16


def changed_paths(repo: pygit2.Repository, old: str | None, new: str | None) -> list[Change]:
    """Paths that differ between two commits (``old=None``: everything in ``new``).

    A small change (the usual commit: a session, a handoff, a page or two) is found by opening
    only the subtrees whose ids differ, so its cost follows the folders it touches, not the size
    of the wiki: one page in a 100,000-page wiki takes ~2 ms this way, ~90 ms through libgit2's
    tree diff, which reads every folder. A change spread over more than ``WALK_BUDGET`` folders
    goes to libgit2, which compares wide trees faster than Python can. A path that turned from
    a file into a folder (or back) is a delete plus adds.
    """
    if new is None:
        return []
    new_tree = repo[new].peel(pygit2.Commit).tree
    if old is None:
        return [Change("A", path, str(oid)) for path, oid in iter_tree(repo, new_tree)]
    old_tree = repo[old].peel(pygit2.Commit).tree
    out: list[Change] = []
    try:
        _walk(repo, old_tree, new_tree, "", out, [WALK_BUDGET])
    except _WideChange:
        return _libgit2_diff(repo, old_tree, new_tree)
    return out


class _WideChange(Exception):
    """More folders changed than are worth comparing in Python."""


def _walk(
    repo: pygit2.Repository,
    old: pygit2.Tree | None,
    new: pygit2.Tree | None,
    prefix: str,
    out: list[Change],
    budget: list[int],
) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise _WideChange
    before = {entry.name: entry for entry in old} if old is not None else {}
    after = {entry.name: entry for entry in new} if new is not None else {}
    for name in sorted(before.keys() | after.keys()):
        was, now = before.get(name), after.get(name)
        unchanged = was is not None and now is not None and was.id == now.id
        if unchanged and was.filemode == now.filemode:
            continue  # the same subtree or blob: nothing below it changed
        was_tree = was is not None and was.type_str == "tree"
        now_tree = now is not None and now.type_str == "tree"
        path = prefix + name
        if was is not None and not was_tree and (now is None or now_tree):
            out.append(Change("D", path))
        if was_tree or now_tree:
            _walk(
                repo,
                repo[was.id] if was_tree else None,
                repo[now.id] if now_tree else None,
                path + "/",
                out,
                budget,
            )
        if now is not None and not now_tree:
            status = "M" if was is not None and not was_tree else "A"
            out.append(Change(status, path, str(now.id)))


def _libgit2_diff(repo: pygit2.Repository, old: pygit2.Tree, new: pygit2.Tree) -> list[Change]:
    out = []
    for delta in repo.diff(old, new).deltas:
        status = delta.status_char()
        if status == "D":
            out.append(Change("D", delta.old_file.path))
        elif status == "R":
            out.append(Change("D", delta.old_file.path))
            out.append(Change("A", delta.new_file.path, str(delta.new_file.id)))
        else:
            kind = "A" if status == "A" else "M"
            out.append(Change(kind, delta.new_file.path, str(delta.new_file.id)))
    return out


def iter_tree(
    repo: pygit2.Repository, tree: pygit2.Tree, prefix: str = ""
) -> Iterator[tuple[str, pygit2.Oid]]:
    """``(path, blob id)`` of every file under ``tree``."""
    for entry in tree:
        path = prefix + entry.name
        if entry.type_str == "tree":
            yield from iter_tree(repo, repo[entry.id], path + "/")
        else:
            yield path, entry.id


def read_blob(repo: pygit2.Repository, blob_id: str) -> bytes | None:
    """A blob's bytes by id, or ``None`` if it is not one."""
    try:
        obj = repo[blob_id]
    except (KeyError, ValueError):
        return None
    return obj.data if isinstance(obj, pygit2.Blob) else None


def commit_count(repo: pygit2.Repository) -> int:
    head = head_commit(repo)
    if head is None:
        return 0
    return sum(1 for _ in repo.walk(head))
