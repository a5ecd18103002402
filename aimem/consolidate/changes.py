"""Files a session changed in its project's git repository, whatever changed them.

The SessionStart hook records the commit the checkout was at (``head`` of the ``session_start``
record) and SessionEnd records it again. At consolidation this lists, through pygit2 on the
project's repository (read only, nothing is written to it):

- files changed by the commits made during the session (start commit -> end commit), and
- files that differ from the end commit in the working tree (modified, staged, new untracked,
  deleted), if they were last modified during the session: a file already dirty before the
  session started, and left alone, is not this session's change.

So a file written by a shell command, a formatter or ``git mv`` counts, not only Edit/Write calls.
"""

from __future__ import annotations

import logging
import os

import pygit2
from pygit2.enums import DiffOption

log = logging.getLogger("aimem.consolidate")

# Seconds around the session during which a working-tree change is taken as the session's. The
# journal's clock and the file system's are the same machine's; before the start, the slack only
# covers a coarse file-system clock (a change made by the session before it is not possible:
# SessionStart runs first), so a file the previous session left dirty a moment earlier is not
# taken. After the end, it covers an agent's last write racing its SessionEnd.
BEFORE_SLACK = 1.0
AFTER_SLACK = 60.0
_UNTRACKED = DiffOption.INCLUDE_UNTRACKED | DiffOption.RECURSE_UNTRACKED_DIRS


def _tree(repo: pygit2.Repository, oid: str) -> pygit2.Tree | None:
    """The tree of commit ``oid``; only a full hex object id is looked up (the journal is
    input: a revision expression such as ``HEAD~3`` in it is not followed)."""
    if len(oid) not in (40, 64) or any(c not in "0123456789abcdef" for c in oid):
        return None
    try:
        return repo[oid].peel(pygit2.Tree)
    except (KeyError, ValueError, pygit2.GitError):
        return None


def _diff_paths(diff: pygit2.Diff) -> list[str]:
    paths: list[str] = []
    for delta in diff.deltas:
        for path in (delta.old_file.path, delta.new_file.path):
            if path and path not in paths:
                paths.append(path)
    return paths


def files_changed(cwd: str, start: str, end: str, started: float, ended: float) -> list[str] | None:
    """Absolute paths of the files changed in the repository holding ``cwd`` between commit
    ``start`` (the session's first HEAD) and the session's end; ``None`` when that cannot be
    told (no repository, no start commit recorded, or the start commit is gone)."""
    if not cwd or not start:
        return None
    try:
        found = pygit2.discover_repository(cwd)
    except (pygit2.GitError, OSError):
        return None
    if found is None:
        return None
    repo = pygit2.Repository(found)
    if repo.is_bare or not repo.workdir:
        return None
    start_tree = _tree(repo, start)
    if start_tree is None:
        return None
    end_tree = _tree(repo, end) if end else None
    if end_tree is None and not repo.head_is_unborn:
        end_tree = repo.head.peel(pygit2.Tree)  # no end commit recorded: where it is now
    if end_tree is None:
        return None
    paths = _diff_paths(start_tree.diff_to_tree(end_tree))
    for path in _diff_paths(end_tree.diff_to_workdir(_UNTRACKED)):
        if path in paths:
            continue
        full = os.path.join(repo.workdir, path)
        try:
            mtime = os.lstat(full).st_mtime
        except FileNotFoundError:
            paths.append(path)  # deleted: no time to check
            continue
        except OSError:
            continue
        if started - BEFORE_SLACK <= mtime <= ended + AFTER_SLACK:
            paths.append(path)
    return [os.path.join(repo.workdir, p) for p in sorted(paths)]


def session_changes(cwd: str, start: str, end: str, started: float, ended: float) -> list[str]:
    """``files_changed``, or ``[]`` with one log line when the repository cannot be read
    (consolidation never fails over this list)."""
    try:
        return files_changed(cwd, start, end, started, ended) or []
    except (pygit2.GitError, OSError, ValueError) as exc:
        log.warning("files changed since %s in %s: %s", start[:12], cwd, exc)
        return []
