"""Short, stable names for ids and slugs, cheap enough for the hook path: a content hash, and a
session's short id (base layer: the hook, the pages and the index all name sessions by it)."""

from __future__ import annotations

try:
    # ``hashlib`` loads OpenSSL (~4 ms on the hook path); CPython's built-in ``_sha1`` takes
    # ~0.3 ms and gives the same digest. Fall back where an interpreter lacks it.
    from _sha1 import sha1
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import sha1


def short_hash(text: str, length: int = 8) -> str:
    return sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def short_session_id(session: str) -> str:
    """Eight characters that name a session in file names and messages. UUIDv7 ids (Codex) share
    their leading timestamp digits, so the tail (the random part) is used."""
    clean = "".join(c for c in session if c.isascii() and c.isalnum())
    return (clean[-8:] or "session").lower()
