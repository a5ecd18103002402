"""The last check before a push: nothing that looks like a secret leaves the machine.

Every blob a push would add to the remote (what the outgoing commits changed) and every outgoing
commit message is read with the redaction patterns the hook uses (``aimem/redact.py``). A hit
refuses the push and names the page; the person edits it (for a knowledge remote, the next
knowledge commit no longer holds it) or removes it from history.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygit2

from aimem.redact import contains_secret
from aimem.wiki.merge import diff_trees


@dataclass(frozen=True)
class Leak:
    path: str  # the page (or "commit message")
    commit: str


def outgoing_leaks(repo: pygit2.Repository, new: str, known: list[str]) -> list[Leak]:
    """What looks like a secret in the commits reachable from ``new`` but from none of
    ``known`` (the remote's commits), one entry per page."""
    walker = repo.walk(new, pygit2.enums.SortMode.TOPOLOGICAL)
    for commit in known:
        try:
            walker.hide(commit)
        except (KeyError, ValueError, pygit2.GitError):
            continue
    seen: set[pygit2.Oid] = set()
    found: dict[str, Leak] = {}
    for commit in walker:
        sha = str(commit.id)
        if contains_secret(commit.message):
            found.setdefault(f"commit message of {sha[:10]}", Leak("commit message", sha))
        parent = commit.parents[0].tree if commit.parents else None
        for path, entry in diff_trees(repo, parent, commit.tree).items():
            if entry is None or entry[0] in seen:
                continue
            seen.add(entry[0])
            if path not in found and blob_leaks(repo, entry[0]):
                found[path] = Leak(path, sha)
    return list(found.values())


def tree_leaks(repo: pygit2.Repository, old: pygit2.Tree | None, new: pygit2.Tree) -> list[Leak]:
    """The same check for one tree against another (a knowledge commit against the remote's)."""
    return [
        Leak(path, "")
        for path, entry in diff_trees(repo, old, new).items()
        if entry is not None and blob_leaks(repo, entry[0])
    ]


def blob_leaks(repo: pygit2.Repository, oid: pygit2.Oid) -> bool:
    data = repo[oid].data
    return contains_secret(data.decode("utf-8", "replace"))
