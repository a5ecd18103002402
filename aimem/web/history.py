"""A page's history from the wiki's git repository, read-only: the commits that changed it and
the difference between any two of its versions.

The repository is opened without searching upward (a wiki folder without ``.git`` must not
show its parent's repository) and only read: walking commits, looking up tree entries, reading
blobs. Nothing here takes the wiki lock, because nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from dataclasses import dataclass

import pygit2
from pygit2.enums import RepositoryOpenFlag, SortMode

_REV = re.compile(r"[0-9a-f]{4,40}")
WALK_LIMIT = 20_000  # commits examined for one page's history (a year of use is ~3,000)
GENERATED = ("index.md", "log.md")


@dataclass(frozen=True)
class Version:
    """One commit, as the views show it."""

    sha: str
    author: str
    email: str
    when: str  # ISO 8601 in the author's offset
    message: str  # the first line

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass
class Change:
    version: Version
    pages: list[str]  # the pages it touched (generated catalogue files left out)


@dataclass
class DiffLine:
    kind: str  # "add", "del", "ctx" or "hunk"
    text: str


def open_repo(wiki_dir: str) -> pygit2.Repository | None:
    """The wiki's repository, or ``None`` when there is none."""
    if not os.path.isdir(os.path.join(wiki_dir, ".git")):
        return None
    try:
        return pygit2.Repository(wiki_dir, RepositoryOpenFlag.NO_SEARCH)
    except pygit2.GitError:
        return None


def _version(commit: pygit2.Commit) -> Version:
    author = commit.author
    zone = dt.timezone(dt.timedelta(minutes=author.offset))
    when = dt.datetime.fromtimestamp(author.time, zone).isoformat(timespec="seconds")
    message = (commit.message or "").strip().splitlines()
    return Version(str(commit.id), author.name, author.email, when, message[0] if message else "")


def _head(repo: pygit2.Repository) -> pygit2.Commit | None:
    try:
        if repo.head_is_unborn:
            return None
        commit = repo.head.peel(pygit2.Commit)
    except (pygit2.GitError, KeyError):
        return None
    return commit


def _blob_id(tree: pygit2.Tree, path: str) -> pygit2.Oid | None:
    try:
        entry = tree[path]
    except KeyError:
        return None
    return entry.id if entry.type_str == "blob" else None


def page_history(repo: pygit2.Repository, path: str, limit: int = 200) -> list[Version]:
    """The commits whose tree changed ``path`` (created, edited or deleted it), newest first."""
    head = _head(repo)
    if head is None:
        return []
    out: list[Version] = []
    walker = repo.walk(head.id, SortMode.TOPOLOGICAL | SortMode.TIME)
    for seen, commit in enumerate(walker):
        if seen >= WALK_LIMIT or len(out) >= limit:
            break
        mine = _blob_id(commit.tree, path)
        parents = commit.parents
        if not parents:
            changed = mine is not None
        else:
            # A merge changed the page only if it differs from every parent.
            changed = all(_blob_id(p.tree, path) != mine for p in parents)
        if changed:
            out.append(_version(commit))
    return out


def resolve(repo: pygit2.Repository, rev: str) -> pygit2.Commit | None:
    """The commit a hex id (or a unique prefix of one) names; anything else is ``None``."""
    if not isinstance(rev, str) or not _REV.fullmatch(rev):
        return None
    try:
        obj = repo.revparse_single(rev)
    except (KeyError, ValueError, pygit2.GitError):
        return None
    return obj if isinstance(obj, pygit2.Commit) else None


def text_at(repo: pygit2.Repository, commit: pygit2.Commit, path: str) -> str | None:
    """The page's text in ``commit``, ``None`` where it did not exist."""
    blob_id = _blob_id(commit.tree, path)
    if blob_id is None:
        return None
    return repo[blob_id].data.decode("utf-8", "replace")


def version_of(commit: pygit2.Commit) -> Version:
    return _version(commit)


def diff(old: str | None, new: str | None, context: int = 3) -> list[DiffLine]:
    """The unified difference between two texts, line by line."""
    lines = difflib.unified_diff(
        (old or "").splitlines(), (new or "").splitlines(), lineterm="", n=context
    )
    out: list[DiffLine] = []
    for line in lines:
        if line.startswith(("---", "+++")) and not out:
            continue  # the file header: the view says which versions these are
        if line.startswith("@@"):
            out.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            out.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            out.append(DiffLine("del", line[1:]))
        else:
            out.append(DiffLine("ctx", line[1:]))
    return out


def recent_changes(repo: pygit2.Repository, limit: int = 15) -> list[Change]:
    """The newest commits with the pages each touched."""
    head = _head(repo)
    if head is None:
        return []
    out: list[Change] = []
    for commit in repo.walk(head.id, SortMode.TOPOLOGICAL | SortMode.TIME):
        if len(out) >= limit:
            break
        parent = commit.parents[0].tree if commit.parents else None
        if parent is None:
            delta_paths = [p for p in _tree_paths(commit.tree)]
        else:
            delta_paths = [d.new_file.path for d in repo.diff(parent, commit.tree).deltas]
        pages = [
            p
            for p in delta_paths
            if p.endswith(".md") and p not in GENERATED and not p.startswith("log/")
        ]
        out.append(Change(_version(commit), pages[:20]))
    return out


def _tree_paths(tree: pygit2.Tree, prefix: str = "") -> list[str]:
    out: list[str] = []
    for entry in tree:
        name = prefix + entry.name
        if entry.type_str == "tree":
            out += _tree_paths(entry, name + "/")  # type: ignore[arg-type]
        else:
            out.append(name)
    return out


def last_activity(repo: pygit2.Repository) -> str:
    head = _head(repo)
    return _version(head).when if head is not None else ""


@dataclass
class RemoteState:
    name: str
    ahead: int
    behind: int


def sync_state(repo: pygit2.Repository) -> list[RemoteState]:
    """For each remote with a tracking ref of the current branch: commits ahead and behind (as
    of the last fetch; nothing is fetched here)."""
    head = _head(repo)
    if head is None:
        return []
    try:
        branch = repo.head.shorthand
        names = list(repo.remotes.names())
    except pygit2.GitError:
        return []
    out = []
    for name in names:
        ref = repo.references.get(f"refs/remotes/{name}/{branch}")
        if ref is None:
            continue
        try:
            ahead, behind = repo.ahead_behind(head.id, ref.peel(pygit2.Commit).id)
        except (pygit2.GitError, KeyError):
            continue
        out.append(RemoteState(name, ahead, behind))
    return out
