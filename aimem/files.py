"""Files that must never be seen half written, and the lock that orders the writers of ``state/``.

Base layer, standard library only: the hook (``capture/``) writes state files through these, the
wiki lock takes ``state_lock`` to clear what a killed writer left, and the writers above replace
``state/brief.md`` and the agents' instruction files with ``write_atomic``.
"""

from __future__ import annotations

import fcntl
import os

from aimem.config import make_private_dirs


class state_lock:  # noqa: N801 - used like a function: ``with state_lock(dir):``
    """Exclusive project state lock (``fcntl.flock``; released by the kernel if we die).
    A class, not ``@contextmanager``: ``contextlib`` costs ~4 ms on the hook path."""

    def __init__(self, state_dir: str) -> None:
        self.path = os.path.join(state_dir, "state.lock")
        self.fd = -1

    def __enter__(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)  # closing releases the lock


def write_atomic(path: str, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never part of one.

    The bytes go to a temp file beside it; every ``os.write`` is checked (it may write less than
    asked, e.g. on a nearly full disk) and the file is fsynced before the rename. On any failure
    the temp file is removed, the old file stays as it was, and the ``OSError`` propagates.
    The new file gets ``mode`` whatever the umask."""
    folder = os.path.dirname(path)
    make_private_dirs(folder)
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            if mode != 0o600:
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                if written <= 0:  # never for a regular file; guards against a silent loop
                    raise OSError(28, "No space left on device", tmp)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 - no contextlib on the hook path (~4 ms)
            os.unlink(tmp)
        except OSError:
            pass
        raise
