"""Write planned page edits through the one write transaction (issue 11): one additive commit.

The only module of this package that writes the wiki. Each edit lands only if its page still
has, at HEAD, the bytes it was planned against: a person or another writer who changed it
while the model was thinking wins, and that edit is dropped with a log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aimem.compile.changes import PageEdit
from aimem.project import ProjectPaths

log = logging.getLogger("aimem.compile")


@dataclass
class Applied:
    commit: str | None
    pages: list[str] = field(default_factory=list)  # the edited pages (catalogue files not listed)
    stale: list[str] = field(default_factory=list)  # pages changed by someone else meanwhile


def apply_edits(
    paths: ProjectPaths,
    project_name: str,
    edits: list[PageEdit],
    message: str,
    *,
    now: float | None = None,
    lock_timeout: float = 120.0,
) -> Applied:
    """Commit ``edits`` in one transaction; nothing is committed when none is left to write."""
    from aimem.memory.transaction import transaction

    with transaction(paths, project_name, "compile", now=now, lock_timeout=lock_timeout) as txn:
        stale = [e.path for e in edits if txn.read(e.path) != e.before]
        lost = {e.group for e in edits if e.path in stale}
        for path in stale:
            log.warning("compile: %s changed while the model answered; its action dropped", path)
        written = []
        for edit in edits:
            if edit.group in lost:
                continue
            txn.write(edit.page)
            txn.log(f"compile {edit.note}")
            written.append(edit.path)
        if not written:
            return Applied(None, [], stale)
        done = txn.commit(message)
    return Applied(done.commit, sorted(written) if done.commit else [], stale)
