"""Start an ``aimem`` command fully detached: its own session, no stdin, output to the log file.

The SessionEnd hook starts consolidation this way (agents give SessionEnd about a second), and
consolidation starts the opt-in sync after a session the same way. Standard library only, and
``subprocess`` is imported on call, because the hook path imports this module.
"""

from __future__ import annotations

import os
import sys

from aimem.logfile import log_path


def spawn_aimem(home: str, *args: str) -> int:
    """``aimem ARGS...`` with ``AIMEM_HOME=home``, detached; returns its pid."""
    import subprocess

    try:
        out = open(log_path(home), "ab")  # noqa: SIM115 - handed to the child, closed below
    except OSError:  # logging is never the reason the work is not done
        out = open(os.devnull, "ab")  # noqa: SIM115
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "aimem", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, "AIMEM_HOME": home},
        )
    finally:
        out.close()
    return child.pid
