"""``aimem sync``: fetch, merge, push, for each remote of a project.

One remote at a time, under ``state/sync.lock`` (two syncs of a project never interleave);
the network is used outside the wiki lock, the merge inside it, through the memory transaction:

1. fetch the remote branch into ``refs/aimem/remotes/<name>/tip`` (an unreachable remote stops
   here, with nothing changed);
2. ``all``: publish local handoff claims, then bring the wiki to what both sides hold: nothing
   (the remote is behind), a fast-forward (only the remote moved) or a merge commit with two
   parents (``wiki/merge.py``); the local handoff offer adopts the merged claims.
   ``knowledge``: merge the remote's knowledge into the wiki's knowledge folders (a one-parent
   commit: the remote's history holds knowledge only), then make the next knowledge commit;
3. scan what would leave with the redaction patterns (a hit refuses, naming the page);
4. push; a rejected push (someone pushed in between) goes back to 1 after a short random pause,
   at most ``MAX_ATTEMPTS`` times.

``force`` (after a purge rewrote history): no merge, the remote branch is set to this side.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pygit2
from filelock import FileLock, Timeout

from aimem.memory.identity import MACHINE_TRAILER, identity, with_trailers
from aimem.memory.transaction import transaction
from aimem.project import ProjectPaths
from aimem.sync import claims, config, scan
from aimem.sync.config import Remote
from aimem.sync.conflicts import Conflict, unresolved
from aimem.sync.knowledge import is_knowledge, knowledge_tree
from aimem.wiki import remote as transport
from aimem.wiki import repo as wikirepo
from aimem.wiki.merge import diff_trees, merge_trees

log = logging.getLogger("aimem.sync")

MAX_ATTEMPTS = 6
SYNC_LOCK_TIMEOUT = 300.0
# Top-level names an aimem wiki holds; a remote branch with anything else and no history in
# common is someone's code, never merged into memory.
WIKI_NAMES = {
    "index.md",
    "log.md",
    "log",
    "sessions",
    "handoffs",
    "decisions",
    "gotchas",
    "concepts",
    "_rules",
    "_archive",
}


class SyncError(Exception):
    """A sync that could not finish, with a one-line reason."""


@dataclass
class Outcome:
    remote: str
    share: str
    status: str  # up-to-date | pushed | pulled | merged | forced
    pulled: list[str] = field(default_factory=list)  # paths the remote changed here
    pushed: str | None = None  # the commit the remote branch now points at, if it moved
    commit: str | None = None  # the local merge commit, if one was made
    attempts: int = 1
    conflicts: list[Conflict] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{self.remote} ({self.share}): {self.status}"]
        if self.pulled:
            parts.append(f"{len(self.pulled)} files from there")
        if self.pushed:
            parts.append(f"pushed {self.pushed[:10]}")
        if self.attempts > 1:
            parts.append(f"after {self.attempts} attempts")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} pages to reconcile by hand")
        return ", ".join(parts)


@dataclass
class _Step:
    force: bool
    attempts: int
    pause: Callable[[float], None]
    fetched: Callable[[int], None]


def jitter(attempt: int) -> float:
    """Seconds to wait before retrying a rejected push: growing, random so racing machines
    do not keep colliding."""
    return random.uniform(0.05, 0.25) * attempt


def sync_remote(
    paths: ProjectPaths,
    project_name: str,
    remote: Remote,
    *,
    force: bool = False,
    attempts: int = MAX_ATTEMPTS,
    pause: Callable[[float], None] = time.sleep,
    on_fetched: Callable[[int], None] | None = None,
) -> Outcome:
    """Sync one remote (see the module docstring). Raises ``SyncError`` with one line.
    ``on_fetched(attempt)`` is called after each fetch (progress for the CLI)."""
    os.makedirs(paths.state, exist_ok=True)
    purged = config.force_needed(paths).get(remote.name)
    if purged and not force:
        raise SyncError(
            f"{remote.name} still holds history purged here on {purged}: "
            f"run `aimem sync --force --remote {remote.name}` to replace it"
        )
    try:
        with FileLock(os.path.join(paths.state, "sync.lock"), timeout=SYNC_LOCK_TIMEOUT):
            repo = wikirepo.open_repo(paths.wiki, create=True)
            run = _sync_knowledge if remote.share == "knowledge" else _sync_all
            step = _Step(force, attempts, pause, on_fetched or (lambda attempt: None))
            outcome = run(paths, project_name, repo, remote, step)
    except Timeout:
        raise SyncError(f"another sync of this project is still running ({paths.state})") from None
    except transport.RemoteError as exc:
        raise SyncError(f"{remote.name}: {exc}") from None
    if force:
        config.forced(paths, remote.name)
    outcome.conflicts = unresolved(paths)
    return outcome


def _sync_all(
    paths: ProjectPaths, name: str, repo: pygit2.Repository, remote: Remote, step: _Step
) -> Outcome:
    outcome = Outcome(remote.name, remote.share, "up-to-date")
    force, attempts, pause = step.force, step.attempts, step.pause
    for attempt in range(1, attempts + 1):
        outcome.attempts = attempt
        theirs = transport.fetch(repo, remote.url, remote.branch, remote.tracking_ref)
        step.fetched(attempt)
        if not force:
            if wikirepo.head_commit(repo) is not None:
                claims.publish(paths, name)
            _merge_all(paths, name, repo, remote, theirs, outcome)
            claims.adopt(paths)
        head = wikirepo.head_commit(repo)
        if head is None or head == theirs:
            return outcome
        _refuse_leaks(remote, scan.outgoing_leaks(repo, head, [theirs] if theirs else []))
        try:
            transport.push(repo, remote.url, head, remote.branch, force=force)
        except transport.Rejected:
            if attempt == attempts:
                raise
            log.info("push to %s rejected (attempt %d); fetching again", remote.name, attempt)
            pause(jitter(attempt))
            continue
        repo.references.create(remote.tracking_ref, head, force=True)
        outcome.pushed = head
        if force:
            outcome.status = "forced"
        elif outcome.status == "up-to-date":
            outcome.status = "pushed"
        return outcome
    raise AssertionError("unreachable")  # pragma: no cover


def _merge_all(
    paths: ProjectPaths,
    name: str,
    repo: pygit2.Repository,
    remote: Remote,
    theirs: str | None,
    outcome: Outcome,
) -> None:
    """Bring the wiki to hold ``theirs`` too: nothing, a fast-forward or a merge commit."""
    if theirs is None:
        return
    with transaction(paths, name, "sync") as txn:
        head = wikirepo.head_commit(txn.repo)
        if head == theirs or (head is not None and txn.repo.descendant_of(head, theirs)):
            return
        if head is None or txn.repo.descendant_of(theirs, head):
            done = txn.fast_forward(theirs)
            outcome.pulled += done.paths
            outcome.status = "pulled"
            return
        base_id = txn.repo.merge_base(head, theirs)
        theirs_tree = txn.repo[theirs].peel(pygit2.Commit).tree
        if base_id is None:
            _check_is_wiki(remote, theirs_tree)
        base = txn.repo[base_id].peel(pygit2.Commit).tree if base_id is not None else None
        ours = txn.repo[head].peel(pygit2.Commit).tree
        merged = merge_trees(txn.repo, base, ours, theirs_tree)
        for path, data in merged.changes.items():
            txn.put(path, data)
        note = f", {len(merged.conflicts)} edited on both sides" if merged.conflicts else ""
        txn.log(f"sync: merged {remote.name} ({merged.incoming} changes from there{note})")
        message = f"sync: merge {remote.name} ({remote.branch})\n"
        if merged.conflicts:
            message += "\nEdited on both sides (both versions kept):\n" + "".join(
                f"- {c.path} / {c.sibling}\n" for c in merged.conflicts
            )
        done = txn.commit(message, parents=[theirs])
        outcome.commit = done.commit
        outcome.pulled += [p for p in merged.changes if p in done.paths]
        outcome.status = "merged"


def _check_is_wiki(remote: Remote, tree: pygit2.Tree) -> None:
    strange = sorted(
        e.name
        for e in tree
        if e.name not in WIKI_NAMES and not e.name.startswith(".") and not e.name.endswith(".md")
    )
    if strange:
        raise SyncError(
            f"{remote.name}: branch {remote.branch} is not an aimem wiki (it holds "
            f"{', '.join(strange[:3])}); pick another --branch"
        )


def _sync_knowledge(
    paths: ProjectPaths, name: str, repo: pygit2.Repository, remote: Remote, step: _Step
) -> Outcome:
    outcome = Outcome(remote.name, remote.share, "up-to-date")
    force, attempts, pause = step.force, step.attempts, step.pause
    for attempt in range(1, attempts + 1):
        outcome.attempts = attempt
        theirs = transport.fetch(repo, remote.url, remote.branch, remote.tracking_ref)
        step.fetched(attempt)
        shared = _target(repo, remote.shared_ref)
        if not force and theirs is not None:
            _merge_knowledge(paths, name, repo, remote, theirs, shared, outcome)
        head = wikirepo.head_commit(repo)
        tree = repo[head].peel(pygit2.Commit).tree if head is not None else None
        mine = knowledge_tree(repo, tree)
        their_tree = repo[theirs].peel(pygit2.Commit).tree if theirs is not None else None
        if their_tree is not None and mine.id == their_tree.id and not force:
            repo.references.create(remote.shared_ref, theirs, force=True)
            return outcome
        if their_tree is None and len(mine) == 0:
            return outcome  # nothing learned yet, nothing there
        _refuse_leaks(remote, scan.tree_leaks(repo, their_tree, mine))
        parent = shared if force else theirs
        commit = _knowledge_commit(repo, mine, their_tree, [parent] if parent else [])
        try:
            transport.push(repo, remote.url, commit, remote.branch, force=force)
        except transport.Rejected:
            if attempt == attempts:
                raise
            pause(jitter(attempt))
            continue
        repo.references.create(remote.shared_ref, commit, force=True)
        repo.references.create(remote.tracking_ref, commit, force=True)
        outcome.pushed = commit
        outcome.status = "forced" if force else "pushed"
        return outcome
    raise AssertionError("unreachable")  # pragma: no cover


def _merge_knowledge(
    paths: ProjectPaths,
    name: str,
    repo: pygit2.Repository,
    remote: Remote,
    theirs: str,
    shared: str | None,
    outcome: Outcome,
) -> None:
    """The remote's knowledge into the wiki's knowledge folders; nothing else is read from it."""
    with transaction(paths, name, "sync") as txn:
        r = txn.repo
        head = wikirepo.head_commit(r)
        ours = knowledge_tree(r, r[head].peel(pygit2.Commit).tree if head is not None else None)
        theirs_k = knowledge_tree(r, r[theirs].peel(pygit2.Commit).tree)
        base_id = r.merge_base(shared, theirs) if shared is not None else None
        base = knowledge_tree(r, r[base_id].peel(pygit2.Commit).tree) if base_id else None
        merged = merge_trees(r, base, ours, theirs_k, keep=is_knowledge)
        if not merged.changes:
            return
        for path, data in merged.changes.items():
            txn.put(path, data)
        txn.log(f"sync: knowledge from {remote.name} ({merged.incoming} changes)")
        done = txn.commit(
            f"sync: knowledge from {remote.name} ({remote.branch})\n\nKnowledge-From: {theirs}\n"
        )
        if done.commit:
            outcome.commit = done.commit
            outcome.pulled += [p for p in merged.changes if p in done.paths]
            outcome.status = "merged" if merged.conflicts else "pulled"


def _knowledge_commit(
    repo: pygit2.Repository, tree: pygit2.Tree, before: pygit2.Tree | None, parents: list[str]
) -> str:
    """A commit on the knowledge branch: its message names counts, the person and the machine
    only (never a local commit message, which can name sessions)."""
    who = identity(repo)
    changed = len(diff_trees(repo, before, tree))
    message = with_trailers(
        f"aimem knowledge: {changed} files changed\n", {MACHINE_TRAILER: who.machine}
    )
    sig = who.signature()
    return str(repo.create_commit(None, sig, sig, message, tree.id, parents))


def _target(repo: pygit2.Repository, ref: str) -> str | None:
    try:
        return str(repo.references[ref].target)
    except KeyError:
        return None


def _refuse_leaks(remote: Remote, leaks: list[scan.Leak]) -> None:
    if leaks:
        more = f" (and {len(leaks) - 1} more)" if len(leaks) > 1 else ""
        raise SyncError(
            f"not pushing to {remote.name}: {leaks[0].path} looks like it holds a secret{more}; "
            "edit it out (aimem show / your editor), then sync again"
        )
