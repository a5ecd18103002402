"""Logs go to ``<data root>/logs/aimem.log``, never to stdout.

stdout belongs to the hook protocol and to MCP JSON-RPC. The hook path writes single lines with
``hook_log`` (no ``logging`` import: ~7 ms); long-running commands use ``setup_logging``.
"""

from __future__ import annotations

import os
import time


def log_path(home: str) -> str:
    return os.path.join(home, "logs", "aimem.log")


def hook_log(home: str, message: str) -> None:
    """Append one redacted line; never raises (a hook must not fail because logging did)."""
    try:
        from aimem.capture.redact import redact

        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        line = f"{stamp}Z pid={os.getpid()} hook: {redact(message)}".replace("\n", " ")[:2000]
        path = log_path(home)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001 - logging is best effort by design
        pass


def setup_logging(home: str, level: str = "INFO") -> None:
    """Route the ``aimem`` logger to the log file (idempotent)."""
    import logging

    logger = logging.getLogger("aimem")
    path = log_path(home)
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler) and handler.baseFilename == path:
            return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_redacting_formatter("%(asctime)s pid=%(process)d %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def _redacting_formatter(fmt: str):  # noqa: ANN202 - logging is imported lazily
    import logging

    from aimem.capture.redact import redact

    class RedactingFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    return RedactingFormatter(fmt)
