"""Logs go to ``<data root>/logs/aimem.log``, never to stdout.

stdout belongs to the hook protocol and to MCP JSON-RPC. The hook path writes single lines with
``hook_log`` (no ``logging`` import: ~7 ms); long-running commands use ``setup_logging``.
"""

from __future__ import annotations

import os
import time

from aimem.config import make_private_dirs


def log_path(home: str) -> str:
    return os.path.join(home, "logs", "aimem.log")


def hook_log(home: str, message: str) -> None:
    """Append one redacted line; never raises (a hook must not fail because logging did)."""
    try:
        from aimem.redact import redact

        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        line = f"{stamp}Z pid={os.getpid()} hook: {redact(message)}".replace("\n", " ")[:2000]
        path = log_path(home)
        make_private_dirs(os.path.dirname(path))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001 - logging is best effort by design
        pass


def hook_log_once(home: str, message: str) -> None:
    """``hook_log`` a warning only the first time it is seen: a bad config would otherwise log the
    same line at every hook event. The seen lines are kept in ``logs/warned``; never raises."""
    try:
        path = os.path.join(home, "logs", "warned")
        key = message.replace("\n", " ")[:500]
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                seen = fh.read().splitlines()
        except FileNotFoundError:
            seen = []
        if key in seen:
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, "\n".join([*seen[-49:], key, ""]).encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001 - best effort: logging it twice is harmless
        pass
    hook_log(home, message)


def setup_logging(home: str, level: str = "INFO") -> bool:
    """Route the ``aimem`` logger to the log file (idempotent). ``False`` when the file cannot be
    opened (a read-only or missing data root): then nothing is logged, and the command goes on,
    because reading memory must work without writing and logging is never a reason to fail."""
    import logging

    logger = logging.getLogger("aimem")
    path = log_path(home)
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler) and handler.baseFilename == path:
            return True
    logger.setLevel(level.upper())
    logger.propagate = False
    try:
        make_private_dirs(os.path.dirname(path))
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))  # created 0600
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())  # not Python's last-resort stderr handler
        return False
    handler.setFormatter(_redacting_formatter("%(asctime)s pid=%(process)d %(name)s: %(message)s"))
    logger.addHandler(handler)
    return True


def _redacting_formatter(fmt: str):  # noqa: ANN202 - logging is imported lazily
    import logging

    from aimem.redact import redact

    class RedactingFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    return RedactingFormatter(fmt)
