"""What runs after a consolidation: the identity migration and the opt-in detached sync.

Consolidation is itself started detached by the SessionEnd hook, so nothing here ever runs in
a hook's own time; the sync is started detached again (its own session, no stdio) so a slow
or unreachable remote never holds the consolidation either. Opt in with
``sync_after_session = true`` in config.toml (or ``AIMEM_SYNC_AFTER_SESSION=1``).
"""

from __future__ import annotations

import logging
import os

from aimem.admin.identity import ensure_identity
from aimem.config import load_settings
from aimem.project import ProjectPaths
from aimem.spawn import spawn_aimem

log = logging.getLogger("aimem.admin")
_TRUE = ("1", "true", "yes", "on")


def sync_after_session(env: dict[str, str] | os._Environ | None = None) -> bool:
    """Whether the user opted in to a sync after each session."""
    env = os.environ if env is None else env
    value = getattr(load_settings(env), "sync_after_session", None)
    if isinstance(value, bool):
        return value
    return (env.get("AIMEM_SYNC_AFTER_SESSION") or "").strip().lower() in _TRUE


def after_consolidation(paths: ProjectPaths, project_name: str) -> int | None:
    """Migrate the project's identity (once), then start ``aimem sync`` detached when the
    user opted in and the project has a remote. Returns the sync's pid, if one was started.
    Never raises: both are extras to a consolidation that already succeeded."""
    home = os.path.dirname(os.path.dirname(paths.base))
    ensure_identity(home, paths, project_name)
    try:
        if not sync_after_session() or not _has_remote(paths):
            return None
        return spawn_sync(home, os.path.basename(paths.base))
    except Exception as exc:  # noqa: BLE001 - never fail the consolidation
        log.warning("sync after session not started: %s", exc)
        return None


def _has_remote(paths: ProjectPaths) -> bool:
    return os.path.exists(os.path.join(paths.state, "remotes.json"))


def spawn_sync(home: str, slug: str) -> int:
    """``aimem sync --project SLUG`` fully detached; its output goes to the log file."""
    pid = spawn_aimem(home, "sync", "--project", slug)
    log.info("sync after session started for %s (pid %d)", slug, pid)
    return pid
