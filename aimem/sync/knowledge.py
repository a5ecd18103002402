"""What a ``--share knowledge`` remote gets: decisions, gotchas, concepts and rules, never
session pages, handoffs, prompts or the log.

Its branch has a history of its own: each commit's tree is the knowledge folders of the wiki
(live and archived) taken as they are, so the folder trees are the very ones of the wiki and
cost nothing to build, and its message names only counts, the person and the machine, never a
local commit message (those name sessions). A sync makes a commit only when the knowledge tree
differs from the remote's, so repeated syncs with nothing new add nothing and two machines
never diverge over the same content.
"""

from __future__ import annotations

import pygit2

from aimem.wiki import projectid
from aimem.wiki.pages import ARCHIVE_DIR, TYPE_DIRS

# What a team shares: the knowledge folders, and the project's id file (its id, the code's root
# commits and origin URLs: what a teammate's clone needs to find the same memory).
KNOWLEDGE_DIRS = tuple(TYPE_DIRS[t] for t in ("decision", "gotcha", "concept", "rule"))
KNOWLEDGE_FILES = (projectid.PATH,)
_ARCHIVE = ARCHIVE_DIR.rstrip("/")


def is_knowledge(path: str) -> bool:
    """Whether a wiki path belongs to what a knowledge remote shares."""
    if path in KNOWLEDGE_FILES:
        return True
    rest = path[len(ARCHIVE_DIR) :] if path.startswith(ARCHIVE_DIR) else path
    top, sep, _ = rest.partition("/")
    return bool(sep) and top in KNOWLEDGE_DIRS


def knowledge_tree(repo: pygit2.Repository, tree: pygit2.Tree | None) -> pygit2.Tree:
    """``tree`` with only the knowledge folders (and their archived copies)."""
    root = repo.TreeBuilder()
    if tree is not None:
        _copy_dirs(tree, root)
        _copy_files(repo, tree, root)
        try:
            archive = tree[_ARCHIVE]
        except KeyError:
            archive = None
        if archive is not None and archive.type_str == "tree":
            inner = repo.TreeBuilder()
            _copy_dirs(repo[archive.id], inner)
            if len(inner):
                root.insert(_ARCHIVE, inner.write(), pygit2.GIT_FILEMODE_TREE)
    return repo[root.write()]


def _copy_dirs(tree: pygit2.Tree, builder: pygit2.TreeBuilder) -> None:
    for name in KNOWLEDGE_DIRS:
        if name in tree and tree[name].type_str == "tree":
            builder.insert(name, tree[name].id, pygit2.GIT_FILEMODE_TREE)


def _copy_files(repo: pygit2.Repository, tree: pygit2.Tree, root: pygit2.TreeBuilder) -> None:
    """The single shared files, each in a folder holding only it."""
    for path in KNOWLEDGE_FILES:
        folder, _, name = path.rpartition("/")
        try:
            entry = tree[path]
        except KeyError:
            continue
        if entry.type_str != "blob" or not folder or "/" in folder:
            continue
        inner = repo.TreeBuilder()
        inner.insert(name, entry.id, pygit2.GIT_FILEMODE_BLOB)
        root.insert(folder, inner.write(), pygit2.GIT_FILEMODE_TREE)
