"""The branch and commit a project's checkout is at, by reading git's files (hook path).

SessionStart records the commit so consolidation can list every file changed during the session,
however it was changed (an Edit tool, a shell command, a commit); SessionEnd records it again.
No git process and no pygit2: a few small file reads, about 0.1 ms. Handles a ``.git`` folder, a
``.git`` file pointing elsewhere (linked worktrees, submodules), loose refs, ``packed-refs`` in
the common directory, a detached HEAD and an unborn branch. Standard library only.
"""

from __future__ import annotations

import os

_HEX = frozenset("0123456789abcdef")


def _read_line(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.readline(4096).strip()
    except (OSError, UnicodeDecodeError):
        return None


def _is_oid(text: str) -> bool:
    return len(text) in (40, 64) and set(text) <= _HEX


def git_dirs(cwd: str) -> tuple[str, str] | None:
    """``(git_dir, common_dir)`` of the checkout holding ``cwd``; ``None`` outside one. A linked
    worktree's own folder holds its HEAD; branches and ``packed-refs`` live in the common one."""
    directory = os.path.realpath(cwd)
    while True:
        dot_git = os.path.join(directory, ".git")
        if os.path.exists(dot_git):
            break
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
    git_dir = dot_git
    if os.path.isfile(dot_git):
        first = _read_line(dot_git)
        if not first or not first.startswith("gitdir:"):
            return None
        git_dir = os.path.join(directory, first[len("gitdir:") :].strip())
    common = _read_line(os.path.join(git_dir, "commondir"))
    common_dir = os.path.normpath(os.path.join(git_dir, common)) if common else git_dir
    return git_dir, common_dir


def _packed_ref(common_dir: str, ref: str) -> str | None:
    try:
        with open(os.path.join(common_dir, "packed-refs"), encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(("#", "^")):
                    continue
                oid, _, name = line.rstrip("\n").partition(" ")
                if name == ref:
                    return oid if _is_oid(oid) else None
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _resolve(git_dir: str, common_dir: str, ref: str) -> str | None:
    """The commit ``ref`` (``refs/heads/main``) names: its loose file (per-worktree refs first),
    else ``packed-refs``; a symbolic ref is followed a few levels; ``None`` if unborn."""
    for _ in range(5):
        if not ref.startswith("refs/") or ".." in ref:
            return None
        value = None
        for base in (git_dir, common_dir):
            value = _read_line(os.path.join(base, ref))
            if value:
                break
        if not value:
            return _packed_ref(common_dir, ref)
        if value.startswith("ref:"):
            ref = value[4:].strip()
            continue
        return value if _is_oid(value) else None
    return None


def read_head(cwd: str) -> tuple[str | None, str | None]:
    """``(branch, commit)`` checked out at ``cwd``: branch ``None`` when detached or outside a
    checkout, commit ``None`` on an unborn branch or outside a checkout. Never raises."""
    dirs = git_dirs(cwd)
    if dirs is None:
        return None, None
    git_dir, common_dir = dirs
    head = _read_line(os.path.join(git_dir, "HEAD"))
    if not head:
        return None, None
    if head.startswith("ref:"):
        ref = head[4:].strip()
        branch = ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else None
        return branch, _resolve(git_dir, common_dir, ref)
    return None, head if _is_oid(head) else None
