"""Pages edited on two machines at once that a person has yet to reconcile.

A merge keeps both versions (``wiki/merge.py``): the newer at the page's path, the other beside
it as ``<name>.conflict-<hash>.md`` with ``conflict_of`` naming the page. The conflict stands
while that sibling exists; ``aimem status``, ``aimem lint`` and ``aimem sync`` report it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygit2

from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.merge import CONFLICT_INFIX, CONFLICT_OF
from aimem.wiki.pages import parse


@dataclass(frozen=True)
class Conflict:
    path: str  # the page at its path
    sibling: str  # the other version, to merge by hand and delete


def unresolved(paths: ProjectPaths) -> list[Conflict]:
    """Every conflict sibling at HEAD, with the page it belongs to (read from git: cheap, the
    sibling's name says where it is, and only folders are walked, never page bodies)."""
    try:
        repo = wikirepo.open_repo(paths.wiki, create=False)
    except FileNotFoundError:
        return []
    head = wikirepo.head_commit(repo)
    if head is None:
        return []
    out = []
    for path, oid in _siblings(repo, repo[head].peel(pygit2.Commit).tree):
        data = wikirepo.read_blob(repo, str(oid)) or b""
        owner = parse(data.decode("utf-8", "replace"), path).meta.get(CONFLICT_OF)
        if not isinstance(owner, str):
            stem, _, rest = path.rpartition(CONFLICT_INFIX)
            owner = stem + rest[rest.find(".") :] if "." in rest else stem
        out.append(Conflict(owner, path))
    return sorted(out, key=lambda c: (c.path, c.sibling))


def _siblings(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str = ""):  # noqa: ANN202
    for entry in tree:
        if entry.type_str == "tree":
            yield from _siblings(repo, repo[entry.id], prefix + entry.name + "/")
        elif CONFLICT_INFIX in entry.name:
            yield prefix + entry.name, entry.id
