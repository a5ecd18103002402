"""Rewrite a wiki's whole history without some paths or some bytes (``aimem purge``).

Every commit reachable from the branches is rebuilt, parents first: the same author and
committer (names, emails, times and offsets), the same parents (rewritten), a tree without the
dropped paths and with ``match`` replaced in every blob and entry name, and the message with
``match`` replaced. A commit none of that touches keeps its id. Then the object store is made
of the new history only: one pack of every reachable object, every other pack and loose object
deleted, reflogs and leftover refs files (``ORIG_HEAD``, ``FETCH_HEAD``) removed, the work tree
and git index reset to the new HEAD. Caller holds the wiki lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field

import pygit2

from aimem.wiki.pack import objects_dir

REPLACEMENT = b"[purged]"
_TREE = pygit2.enums.FileMode.TREE


@dataclass
class Rewritten:
    commits: int = 0  # commits in the history
    changed: int = 0  # commits whose id changed
    blobs: int = 0  # blobs that held the match
    dropped: int = 0  # tree entries dropped (the purged paths, once per tree holding them)
    messages: int = 0  # commit messages that held the match
    refs: dict[str, str] = field(default_factory=dict)  # ref -> new target
    removed_refs: list[str] = field(default_factory=list)


def _history(repo: pygit2.Repository, tips: list[pygit2.Oid]) -> list[pygit2.Commit]:
    walker = repo.walk(None, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    for tip in tips:
        walker.push(tip)
    return list(walker)


def branch_refs(repo: pygit2.Repository) -> dict[str, pygit2.Oid]:
    """The refs a purge keeps (rewritten): the branches and aimem's own refs other than what
    was fetched from a remote (those hold the remote's old history: dropped, re-fetched)."""
    out = {}
    for name in repo.references:
        ref = repo.references[name]
        if ref.type != pygit2.enums.ReferenceType.DIRECT:
            continue
        if name.startswith("refs/heads/") or (
            name.startswith("refs/aimem/") and not name.startswith("refs/aimem/remotes/")
        ):
            out[name] = ref.target
    return out


def scan(repo: pygit2.Repository, drop: set[str], match: bytes | None) -> Rewritten:
    """What ``rewrite`` would change, writing nothing (``--dry-run``)."""
    return _run(repo, drop, match, write=False)


def rewrite(repo: pygit2.Repository, drop: set[str], match: bytes | None) -> Rewritten:
    """Rewrite the history (see the module docstring)."""
    return _run(repo, drop, match, write=True)


def _run(repo: pygit2.Repository, drop: set[str], match: bytes | None, write: bool) -> Rewritten:
    refs = branch_refs(repo)
    result = Rewritten()
    commits = _history(repo, list(set(refs.values())))
    result.commits = len(commits)
    trees: dict[tuple[pygit2.Oid, str], pygit2.Oid] = {}
    blobs: dict[pygit2.Oid, pygit2.Oid] = {}
    mapped: dict[pygit2.Oid, pygit2.Oid] = {}
    text = match.decode("utf-8", "surrogateescape") if match else ""

    def new_blob(oid: pygit2.Oid) -> pygit2.Oid:
        if oid not in blobs:
            data = repo[oid].read_raw()
            if match and match in data:
                result.blobs += 1
                new = data.replace(match, REPLACEMENT)
                blobs[oid] = repo.create_blob(new) if write else pygit2.Oid(raw=b"\1" * 20)
            else:
                blobs[oid] = oid
        return blobs[oid]

    def new_tree(tree: pygit2.Tree, prefix: str) -> pygit2.Oid:
        key = (tree.id, prefix)
        if key in trees:
            return trees[key]
        builder = repo.TreeBuilder() if write else None
        changed = False
        for entry in tree:
            path = prefix + entry.name
            if path in drop:
                result.dropped += 1
                changed = True
                continue
            name = entry.name
            if match and match in name.encode("utf-8", "surrogateescape"):
                name = name.replace(text, REPLACEMENT.decode())
                changed = True
            if entry.filemode == _TREE:
                oid = new_tree(repo[entry.id], path + "/")
            elif entry.type_str == "blob":
                oid = new_blob(entry.id)
            else:
                oid = entry.id
            changed = changed or oid != entry.id
            if builder is not None:
                builder.insert(name, oid, entry.filemode)
        if not changed:
            trees[key] = tree.id
        elif builder is not None:
            trees[key] = builder.write()
        else:
            trees[key] = pygit2.Oid(raw=b"\2" * 20)  # a dry run's stand-in: "this tree changes"
        return trees[key]

    for commit in commits:
        tree = new_tree(commit.tree, "")
        message = commit.raw_message
        if match and match in message:
            result.messages += 1
            message = message.replace(match, REPLACEMENT)
        parents = [mapped.get(p, p) for p in commit.parent_ids]
        if (
            tree == commit.tree_id
            and message == commit.raw_message
            and parents == list(commit.parent_ids)
        ):
            mapped[commit.id] = commit.id
            continue
        result.changed += 1
        if not write:
            mapped[commit.id] = pygit2.Oid(raw=commit.id.raw[:-1] + bytes([commit.id.raw[-1] ^ 1]))
            continue
        mapped[commit.id] = repo.create_commit(
            None,
            commit.author,
            commit.committer,
            message.decode("utf-8", "surrogateescape"),
            tree,
            parents,
        )
    for name, target in refs.items():
        result.refs[name] = str(mapped.get(target, target))
    result.removed_refs = sorted(n for n in repo.references if n.startswith("refs/aimem/remotes/"))
    if write:
        _apply_refs(repo, result)
    return result


def _apply_refs(repo: pygit2.Repository, result: Rewritten) -> None:
    for name, target in result.refs.items():
        repo.references.create(name, target, force=True)
    for name in result.removed_refs:
        repo.references.delete(name)


def keep_only_reachable(repo: pygit2.Repository) -> int:
    """Replace the object store by one pack of what the refs reach; returns its object count.
    The old packs and loose objects (the purged text among them) are deleted, and so are the
    reflogs and the refs files git leaves behind."""
    base = objects_dir(repo)
    tips = {
        repo.references[n].resolve().target
        for n in repo.references
        if repo.references[n].type == pygit2.enums.ReferenceType.DIRECT
    }
    builder = pygit2.PackBuilder(repo)
    builder.set_threads(1)
    for commit in _history(repo, list(tips)):
        builder.add_recur(commit.id)
    pack_dir = os.path.join(base, "pack")
    os.makedirs(pack_dir, exist_ok=True)
    before = set(os.listdir(pack_dir))
    builder.write(pack_dir)
    new = set(os.listdir(pack_dir)) - before
    kept = {n for n in os.listdir(pack_dir) if n in new}
    if not kept:  # the same pack existed already: keep the files that hold it
        names = {n.rsplit(".", 1)[0] for n in before if n.endswith(".pack")}
        kept = _pack_holding(pack_dir, names, builder.written_objects_count)
    for name in os.listdir(pack_dir):
        if name not in kept:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(pack_dir, name))
    for name in os.listdir(base):
        if len(name) == 2 and all(c in "0123456789abcdef" for c in name):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
    git_dir = repo.path
    shutil.rmtree(os.path.join(git_dir, "logs"), ignore_errors=True)
    leftovers = ("ORIG_HEAD", "FETCH_HEAD", "MERGE_HEAD", "MERGE_MSG", "COMMIT_EDITMSG")
    # aimem-changes.json: the diffs of recent commits by id (wiki/repo.py), now stale.
    for name in (*leftovers, "aimem-changes.json"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(git_dir, name))
    return builder.written_objects_count


def _pack_holding(pack_dir: str, names: set[str], count: int) -> set[str]:
    from aimem.wiki.pack import idx_object_ids

    for stem in sorted(names):
        if len(idx_object_ids(os.path.join(pack_dir, stem + ".idx"))) == count:
            return {n for n in os.listdir(pack_dir) if n.startswith(stem + ".")}
    return {n for n in os.listdir(pack_dir) if n.rsplit(".", 1)[0] in names}


def reset_worktree(repo: pygit2.Repository, dropped: set[str]) -> None:
    """Work tree and git index as HEAD's tree: purged files gone, scrubbed files rewritten."""
    if repo.head_is_unborn:
        return
    repo.reset(repo.head.target, pygit2.enums.ResetMode.HARD)
    for rel in dropped:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            os.unlink(os.path.join(repo.workdir, rel))
