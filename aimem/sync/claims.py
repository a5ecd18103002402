"""Handoff claims across machines: offered < claimed < expired, and one claim wins everywhere.

A claim is made in this machine's ``state/handoff.json`` (the hook path cannot commit). Before a
sync merges, ``publish`` writes the local claim (or expiry) into the handoff page's front matter,
so it travels; the merge keeps the highest status and the earliest ``claimed_by``
(``wiki/merge.py``); after it, ``adopt`` brings the local offer in line with the merged page,
so a handoff claimed on another machine is not offered here again.
"""

from __future__ import annotations

from aimem.capture import state
from aimem.memory.identity import machine_name
from aimem.memory.transaction import transaction
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.merge import HANDOFF_RANK
from aimem.wiki.pages import parse

FINAL = (state.CLAIMED, state.EXPIRED)


def publish(paths: ProjectPaths, project_name: str) -> str | None:
    """Commit the local claim or expiry of the offered handoff into its page; the commit."""
    offer = state.read_json(state.handoff_path(paths.state))
    status, path = offer.get("status"), offer.get("path")
    if status not in FINAL or not isinstance(path, str):
        return None
    with transaction(paths, project_name, "sync-claim", create=False) as txn:
        page = txn.read_page(path)
        if page is None:
            return None
        current = page.meta.get("status")
        if current in HANDOFF_RANK and HANDOFF_RANK[current] >= HANDOFF_RANK[status]:
            return None
        page.meta["status"] = status
        claimed = offer.get("claimed_by")
        if status == state.CLAIMED and isinstance(claimed, dict):
            page.meta["claimed_by"] = {
                "session": str(claimed.get("session", "")),
                "agent": str(claimed.get("agent", "")),
                "at": str(claimed.get("at", "")),
                "machine": machine_name(),
            }
        txn.write(page)
        txn.log(f"sync: handoff {path} {status} on {machine_name()}")
        return txn.commit(f"sync: handoff {status}\n\n{path}\n").commit


def adopt(paths: ProjectPaths) -> bool:
    """After a merge: the local offer takes the status (and winning claim) of its page."""
    repo = wikirepo.open_repo(paths.wiki, create=False)
    with state.state_lock(paths.state):
        offer = state.read_json(state.handoff_path(paths.state))
        path = offer.get("path")
        if not isinstance(path, str):
            return False
        data = wikirepo.read_file(repo, path)
        if data is None:
            return False
        meta = parse(data.decode("utf-8", "replace"), path).meta
        status = meta.get("status")
        local = offer.get("status")
        if status not in HANDOFF_RANK or local not in HANDOFF_RANK:
            return False
        changed = False
        if HANDOFF_RANK[status] > HANDOFF_RANK[local]:
            offer["status"] = status
            changed = True
        winner = meta.get("claimed_by")
        if isinstance(winner, dict) and offer.get("status") == state.CLAIMED:
            mine = offer.get("claimed_by")
            if not isinstance(mine, dict) or mine.get("session") != winner.get("session"):
                offer["claimed_by"] = dict(winner)
                changed = True
        if changed:
            state.write_json_atomic(state.handoff_path(paths.state), offer)
        return changed
