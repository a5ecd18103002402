"""The wiki lock: one writer at a time per project (consolidation, page writes, sweeps, reindex).

Whoever takes it also clears what a killed writer left: ``state/*.tmp`` files, and in the wiki
(sibling of ``state/``) stale git locks, temporary files and an unfinished work-tree sync.
"""

from __future__ import annotations

import logging
import os

from filelock import FileLock

log = logging.getLogger("aimem.wiki")


class wiki_lock:  # noqa: N801 - used like a function: ``with wiki_lock(state_dir):``
    """A ``FileLock`` on ``state/wiki.lock`` (``filelock.Timeout`` after ``timeout`` seconds)."""

    def __init__(self, state_dir: str, timeout: float = 120.0) -> None:
        os.makedirs(state_dir, exist_ok=True)
        self.state_dir = state_dir
        self.lock = FileLock(os.path.join(state_dir, "wiki.lock"), timeout=timeout)

    def __enter__(self) -> wiki_lock:
        self.lock.acquire()
        try:
            remove_stale_temp(self.state_dir)
        except OSError as exc:  # a leftover must never stop the writer
            log.warning("could not clear temporary files in %s: %s", self.state_dir, exc)
        self._recover_wiki()
        return self

    def _recover_wiki(self) -> None:
        """Finish or undo what a writer killed mid-commit left in the wiki (``repo.recover``),
        before anything reads it: a writer with nothing to commit must find it whole too."""
        from aimem.project import ProjectPaths

        wiki = ProjectPaths(os.path.dirname(os.path.abspath(self.state_dir))).wiki
        if not os.path.isdir(os.path.join(wiki, ".git")):
            return
        from aimem.wiki import repo as wikirepo

        try:
            wikirepo.recover(wikirepo.open_repo(wiki, create=False))
        except Exception as exc:  # noqa: BLE001 - the commit path tries again and reports
            log.warning("could not recover the wiki at %s: %s", wiki, exc)

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def remove_stale_temp(state_dir: str) -> list[str]:
    """Remove ``state/*.tmp`` files whose writer is gone; returns their names. Every writer in
    ``state/`` renames its temp file in before letting go of the state lock or the wiki lock,
    and both are held here, so a temp file of a live writer can only be a hook's that is not
    using the lock: its process id, in the name (``<file>.<pid>.tmp``), keeps it."""
    from aimem.files import state_lock

    names = [n for n in os.listdir(state_dir) if n.endswith(".tmp")]
    if not names:
        return []
    removed = []
    with state_lock(state_dir):
        for name in names:
            pid = name[:-4].rpartition(".")[2]
            if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
                continue
            try:
                os.remove(os.path.join(state_dir, name))
            except (FileNotFoundError, IsADirectoryError):
                continue
            removed.append(name)
    if removed:
        log.warning("removed temporary files left by a killed writer: %s", ", ".join(removed))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
