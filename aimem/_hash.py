"""One short, stable content hash for ids and slugs, cheap enough for the hook path."""

from __future__ import annotations

try:
    # ``hashlib`` loads OpenSSL (~4 ms on the hook path); CPython's built-in ``_sha1`` takes
    # ~0.3 ms and gives the same digest. Fall back where an interpreter lacks it.
    from _sha1 import sha1
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import sha1


def short_hash(text: str, length: int = 8) -> str:
    return sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]
