"""The wiki's git repository, through pygit2 (no git binary, no git config needed).

Every write is one commit with an explicit signature, built from HEAD's tree in memory; the work
tree and the index follow the commit, so plain ``git status`` in the wiki stays clean. A writer
killed anywhere is finished or undone by the next one (``recover``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pygit2

from aimem.wiki import gitindex
from aimem.wiki.killpoint import killpoint
from aimem.wiki.pack import maybe_pack

log = logging.getLogger("aimem.wiki")

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
    repo = pygit2.Repository(wiki_dir)
    _no_symlinks(repo)
    return repo


def head_commit(repo: pygit2.Repository) -> str | None:
    return None if repo.head_is_unborn else str(repo.head.target)


REGULAR_MODES = (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE)


def read_file(repo: pygit2.Repository, path: str, commit: str | None = None) -> bytes | None:
    """A regular file's bytes at ``commit`` (default HEAD), or ``None``. A symlink committed into
    the wiki (a synced wiki can carry one) is not a file aimem reads or writes through: its blob
    is the link's target, so treating it as a page would update, supersede or unarchive a link."""
    ref = commit or head_commit(repo)
    if ref is None:
        return None
    try:
        entry = repo[ref].peel(pygit2.Commit).tree[path]
    except KeyError:
        return None
    if entry.filemode not in REGULAR_MODES or not isinstance(entry, pygit2.Blob):
        return None
    return entry.data


def commit_files(
    repo: pygit2.Repository, changes: dict[str, bytes | None], message: str
) -> str | None:
    """Commit ``changes`` (path -> bytes, ``None`` deletes) on top of HEAD, then bring the work
    tree and the index to the new commit; ``None`` if the tree did not change (so re-running an
    operation adds no commit). The caller holds the wiki lock.

    The commit's tree is HEAD's tree plus ``changes``, built in memory: never whatever a killed
    writer (or a person) left staged in ``.git/index``. The branch moves in one atomic ref update;
    the work-tree files are written after it, and a journal names the commit until they all are,
    so a writer killed anywhere in between is finished by the next one (``recover``).
    """
    for rel in changes:
        check_rel(rel)
    recover(repo)
    _remove_legacy_temp(repo, changes)
    head = head_commit(repo)
    base = repo[head].peel(pygit2.Commit).tree if head is not None else None
    tree = _apply(repo, base, changes, root=True)
    if base is not None and tree == base.id:
        return None
    sig = pygit2.Signature(*SIGNATURE)
    ref = "HEAD" if head is not None else f"refs/heads/{BRANCH}"
    write_journal(repo, head)
    killpoint("commit.before-ref")
    commit = repo.create_commit(ref, sig, sig, message, tree, [head] if head else [])
    killpoint("commit.after-ref")
    _record_changes(repo, head, str(commit), base, repo[tree], changes)
    sync_worktree(repo, list(changes))
    clear_journal(repo)
    maybe_pack(repo)  # past ~1,000 loose objects, into a pack (see wiki/pack.py)
    return str(commit)


def recover(repo: pygit2.Repository) -> None:
    """Undo what a killed writer left, under the wiki lock (so no other aimem writer is running):
    stale git lock files (logged), temporary files, and a commit whose work-tree files were not
    all written. Also keeps ``core.symlinks`` off, so git never checks a symlink out."""
    for rel in _stale_lock_names(repo):
        full = os.path.join(repo.path, rel)
        try:
            os.remove(full)
        except FileNotFoundError:
            continue
        except IsADirectoryError:
            continue
        log.warning("removed a stale git lock left by a killed writer: .git/%s", rel)
    tmp = os.path.join(repo.path, TMP_DIR)
    try:
        for name in os.listdir(tmp):
            _remove(os.path.join(tmp, name))
    except FileNotFoundError:
        pass
    journal = os.path.join(repo.path, JOURNAL)
    try:
        with open(journal, "rb") as fh:
            started = json.loads(fh.read()).get("from")
    except FileNotFoundError:
        started = False
    except (OSError, ValueError, AttributeError):
        started = None  # unreadable: treat as a first commit, resync everything committed
    if started is not False:
        head = head_commit(repo)
        if head is not None and head != started:
            try:
                paths = [c.path for c in changed_paths(repo, started, head)]
            except (KeyError, ValueError, pygit2.GitError):
                paths = [c.path for c in changed_paths(repo, None, head)]
            log.warning(
                "finishing the work tree of commit %s, left unfinished by a killed writer",
                head[:10],
            )
            sync_worktree(repo, paths)
        _remove(journal)
    _no_symlinks(repo)


def sync_worktree(repo: pygit2.Repository, paths: list[str]) -> None:
    """Make ``paths`` in the work tree and the index what HEAD has. Never follows a symlink:
    every folder on the way must be a real one (a symlink there is replaced by a folder), the
    file is written to a fresh temporary file under ``.git`` and renamed over whatever was at
    its name, and a symlink committed into the wiki arrives as a plain file holding its target
    (as git does with ``core.symlinks = false``). The index gets only these paths' entries,
    spliced in (``gitindex``): its cost follows the change, not the number of files."""
    head = head_commit(repo)
    tree = repo[head].peel(pygit2.Commit).tree if head is not None else None
    entries: dict[str, tuple[bytes, int] | None] = {}
    for rel in paths:
        entry = _entry(tree, rel)
        if entry is None or entry.filemode == pygit2.GIT_FILEMODE_TREE:
            _unlink_in(repo.workdir, rel)
            entries[rel] = None
            continue
        _write_in(repo, rel, repo[entry.id].data)
        killpoint("worktree.file")
        entries[rel] = (entry.id.raw, int(entry.filemode))
    killpoint("worktree.index")
    if not gitindex.update(repo.path, entries):
        _update_index_libgit2(repo, tree, entries)


def _update_index_libgit2(
    repo: pygit2.Repository, tree: pygit2.Tree | None, entries: dict[str, tuple[bytes, int] | None]
) -> None:
    """What ``gitindex`` leaves to libgit2: an index it does not edit, or none at all (read
    whole, changed, written whole)."""
    try:
        index = repo.index
        index.read(False)  # the file may have changed since this Repository loaded it
    except pygit2.GitError as exc:  # damaged: it only mirrors HEAD for aimem, so rebuild it
        log.warning("the wiki's .git/index was unreadable (%s); rebuilt from HEAD", exc)
        _remove(os.path.join(repo.path, "index"))
        index = repo.index
        index.read()
        if tree is not None:
            index.read_tree(tree)
    for rel, value in entries.items():
        if value is None:
            if rel in index:
                index.remove(rel)
        else:
            index.add(pygit2.IndexEntry(rel, pygit2.Oid(raw=value[0]), value[1]))
    index.write()


TMP_DIR = "aimem-tmp"  # under .git: temporary files never show in the work tree
JOURNAL = "aimem-commit.json"  # under .git: a commit whose work-tree sync is not finished
# Under .git: the paths aimem's last commit changed, for ``changed_paths`` (the index sync right
# after the commit asks for exactly these, and need not compare trees to find them).
CHANGES = "aimem-changes.json"
# Lock files git and libgit2 take around a commit; a killed writer leaves them behind.
_LOCKS = ("index.lock", "HEAD.lock", "config.lock", "packed-refs.lock")


def _stale_lock_names(repo: pygit2.Repository) -> list[str]:
    names = list(_LOCKS)
    with contextlib.suppress(FileNotFoundError):
        names += [
            f"refs/heads/{n}"
            for n in os.listdir(os.path.join(repo.path, "refs", "heads"))
            if n.endswith(".lock")
        ]
    return names


def check_rel(rel: str) -> None:
    """Raise ``ValueError`` unless ``rel`` is a plain path inside the wiki's tree."""
    parts = rel.split("/")
    if rel.startswith("/") or parts[0] == ".git" or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a wiki path: {rel!r}")


def build_tree(
    repo: pygit2.Repository, tree: pygit2.Tree | None, changes: dict[str, bytes | None]
) -> pygit2.Oid:
    """``tree`` with ``changes`` applied, in memory (only the folders on the changed paths are
    rewritten): what a commit and a merge commit both record."""
    return _apply(repo, tree, changes, root=True)  # type: ignore[return-value]


def _apply(
    repo: pygit2.Repository,
    tree: pygit2.Tree | None,
    changes: dict[str, bytes | None],
    root: bool = False,
) -> pygit2.Oid | None:
    """The id of ``tree`` with ``changes`` applied (paths relative to it); ``None`` for a
    folder left empty (git keeps no empty folders)."""
    builder = repo.TreeBuilder(tree) if tree is not None else repo.TreeBuilder()
    below: dict[str, dict[str, bytes | None]] = {}
    for rel, data in changes.items():
        name, sep, rest = rel.partition("/")
        if sep:
            below.setdefault(name, {})[rest] = data
        elif data is None:
            if builder.get(name) is not None:
                builder.remove(name)
        else:
            builder.insert(name, repo.create_blob(data), pygit2.GIT_FILEMODE_BLOB)
    for name, inner in below.items():
        current = builder.get(name)
        subtree = current if isinstance(current, pygit2.Tree) else None
        if subtree is None and all(v is None for v in inner.values()):
            continue  # deleting below a folder that is not there
        new = _apply(repo, subtree, inner)
        if new is None:
            if current is not None:
                builder.remove(name)
        else:
            builder.insert(name, new, pygit2.GIT_FILEMODE_TREE)
    if not root and len(builder) == 0:
        return None
    return builder.write()


def _entry(tree: pygit2.Tree | None, rel: str) -> pygit2.Object | None:
    if tree is None:
        return None
    try:
        return tree[rel]
    except KeyError:
        return None


def write_journal(repo: pygit2.Repository, head: str | None) -> None:
    """Before the branch moves from ``head``: until ``clear_journal``, a writer killed in
    between is finished by the next one (``recover`` brings every path changed since ``head``).
    Commits, merge commits and fast-forwards all write it."""
    tmp = os.path.join(repo.path, TMP_DIR)
    os.makedirs(tmp, exist_ok=True)
    name = os.path.join(tmp, f"{JOURNAL}.{os.getpid()}")
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, json.dumps({"from": head}).encode())
    finally:
        os.close(fd)
    os.replace(name, os.path.join(repo.path, JOURNAL))


def clear_journal(repo: pygit2.Repository) -> None:
    """The work tree has every file of the new commit: nothing left to finish."""
    _remove(os.path.join(repo.path, JOURNAL))


def _open_parent(workdir: str, rel: str, create: bool) -> int | None:
    """A descriptor of ``rel``'s folder, reached without following any symlink (``None`` when
    it is not there and ``create`` is off). A symlink or a file where a folder belongs is
    replaced by a real folder when creating."""
    fd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
    for name in rel.split("/")[:-1]:
        try:
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                os.close(fd)
                raise
            if not create:
                os.close(fd)
                return None
            if exc.errno != errno.ENOENT:
                log.warning("replacing %r in the wiki (not a real folder) by a folder", name)
                os.unlink(name, dir_fd=fd)
            os.mkdir(name, 0o700, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = child
    return fd


def _write_in(repo: pygit2.Repository, rel: str, data: bytes) -> None:
    tmp_dir = os.path.join(repo.path, TMP_DIR)
    os.makedirs(tmp_dir, exist_ok=True)
    tmp_name = f"{os.getpid()}.{os.urandom(6).hex()}.tmp"
    tmp = os.path.join(tmp_dir, tmp_name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    parent = _open_parent(repo.workdir, rel, create=True)
    try:
        # rename() replaces a symlink at the name itself; it never writes through it.
        os.rename(tmp, rel.rsplit("/", 1)[-1], dst_dir_fd=parent)
    except BaseException:
        _remove(tmp)
        raise
    finally:
        os.close(parent)


def _unlink_in(workdir: str, rel: str) -> None:
    parent = _open_parent(workdir, rel, create=False)
    if parent is None:
        return
    try:
        os.unlink(rel.rsplit("/", 1)[-1], dir_fd=parent)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        pass
    finally:
        os.close(parent)


def _remove_legacy_temp(repo: pygit2.Repository, changes: dict[str, bytes | None]) -> None:
    """``<path>.tmp`` files an older aimem, killed mid-write, left beside the files it wrote."""
    for rel in {*changes, "index.md", "log.md"}:
        _unlink_in(repo.workdir, rel + ".tmp")


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
        os.remove(path)


def _no_symlinks(repo: pygit2.Repository) -> None:
    """``core.symlinks = false`` in the wiki's config: git itself (a pull, a checkout) then
    writes a committed symlink as a plain file, never as a link out of the wiki."""
    config = repo.config
    try:
        if "core.symlinks" in config and not config.get_bool("core.symlinks"):
            return
    except (pygit2.GitError, ValueError):
        pass
    config["core.symlinks"] = False


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
    if old is not None:
        recorded = _recorded_changes(repo, old, new)
        if recorded is not None:
            return recorded
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


def _record_changes(
    repo: pygit2.Repository,
    parent: str | None,
    commit: str,
    base: pygit2.Tree | None,
    tree: pygit2.Tree,
    changes: dict[str, bytes | None],
) -> None:
    """Write down what ``commit`` changed against ``parent``, when the written paths say it all:
    each one a file (or nothing) before and after, below folders that were folders. A commit
    that turns a file into a folder or back (its files below change too) records nothing, and
    ``changed_paths`` compares its trees. The record is a cache: keyed by both commits, never
    trusted for any other pair, and a missing or torn one only costs the tree walk."""
    _remove(os.path.join(repo.path, CHANGES))
    if parent is None:
        return
    found = []
    for rel in sorted(changes):
        was, now = _file_entry(base, rel), _file_entry(tree, rel)
        if was is False or now is False:
            return
        if was is None and now is None:
            continue
        if was is not None and now is not None:
            if was.id == now.id and was.filemode == now.filemode:
                continue
            found.append(("M", rel, str(now.id)))
        elif now is not None:
            found.append(("A", rel, str(now.id)))
        else:
            found.append(("D", rel, None))
    tmp = os.path.join(repo.path, TMP_DIR)
    os.makedirs(tmp, exist_ok=True)
    name = os.path.join(tmp, f"{CHANGES}.{os.getpid()}")
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, json.dumps({"from": parent, "to": commit, "changes": found}).encode())
    finally:
        os.close(fd)
    os.replace(name, os.path.join(repo.path, CHANGES))


def _file_entry(tree: pygit2.Tree | None, rel: str) -> pygit2.Object | None | bool:
    """The entry of a file at ``rel``; ``None`` if nothing is there, ``False`` if a folder is,
    or a file stands where one of its folders would be."""
    if tree is None:
        return None
    try:
        entry = tree[rel]
    except KeyError:
        parts = rel.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            try:
                folder = tree["/".join(parts[:depth])]
            except KeyError:
                return None
            if folder.type_str != "tree":
                return False
        return None
    return False if entry.type_str == "tree" else entry


def _recorded_changes(repo: pygit2.Repository, old: str, new: str) -> list[Change] | None:
    try:
        with open(os.path.join(repo.path, CHANGES), "rb") as fh:
            record = json.loads(fh.read())
        if record["from"] != str(old) or record["to"] != str(new):
            return None
        return [Change(status, path, blob) for status, path, blob in record["changes"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
    """``(path, blob id)`` of every regular file under ``tree``. A symlink is left out: its blob
    is the link's target, never a page (see ``read_file``)."""
    for entry in tree:
        path = prefix + entry.name
        if entry.type_str == "tree":
            yield from iter_tree(repo, repo[entry.id], path + "/")
        elif entry.filemode in REGULAR_MODES:
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
