"""The wiki lock: one writer at a time per project (consolidation, page writes, sweeps)."""

from __future__ import annotations

import os

from filelock import FileLock


def wiki_lock(state_dir: str, timeout: float = 120.0) -> FileLock:
    """A ``FileLock`` on ``state/wiki.lock``; use as a context manager."""
    os.makedirs(state_dir, exist_ok=True)
    return FileLock(os.path.join(state_dir, "wiki.lock"), timeout=timeout)
