"""Concrete identifiers in a page's text, and the check that each one has a source.

A model that invents a commit hash, a file path, a version, a URL or an error code writes
something a reader will trust and act on (claude-mem #2574 fabricated a commit hash). Each such
identifier in a page must occur in the evidence the page cites or in the page it changes; one
that does not rejects the page. Found by shape, not by meaning:

- hex strings of 7 to 40 characters with a digit and a letter (commit hashes)
- paths: a token with a ``/`` between word characters, or a file name with a known extension
- versions: ``1.2.3``, ``v2.0`` and longer dotted numbers
- URLs: ``http(s)://...``
- error codes: ``E1101``, ``TS2345``, ``HTTP-404``-like tokens and ``ENOENT``-like errno names
"""

from __future__ import annotations

import re

_HASH = re.compile(r"(?<![\w/.-])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}(?![\w-])")
_URL = re.compile(r"https?://[^\s<>()\[\]`'\"]+")
_PATH = re.compile(
    r"(?<![\w:/.-])(?:[\w.-]+/)+[\w.-]+|(?<![\w/.-])[\w-]+(?:\.[\w-]+)*\.(?:py|pyi|js|mjs|cjs|ts|tsx|jsx|rs|go|java|kt|rb|php|c|h|cc|cpp|hpp|cs|swift|md|rst|txt|toml|yaml|yml|json|jsonl|ini|cfg|sql|sh|bash|zsh|lock|env|html|css|scss|vue|svelte)(?![\w])"
)
_VERSION = re.compile(
    r"(?<![\w.])v?\d+\.\d+(?:\.\d+)+(?:[-+][\w.]+)?(?![\w])|(?<![\w.])v\d+\.\d+(?![\w.])"
)
_ERROR_CODE = re.compile(r"(?<![\w-])(?:[A-Z]{1,4}-?\d{3,5}|E[A-Z]{3,9})(?![\w-])")
_TRAILING = ".,;:!?)]}'\""


def identifiers(text: str) -> list[str]:
    """Every concrete identifier in ``text``, in order of first appearance, once each."""
    found: dict[str, None] = {}
    for match in _URL.finditer(text):
        found[match.group().rstrip(_TRAILING)] = None
    without_urls = _URL.sub(" ", text)
    for pattern in (_HASH, _PATH, _VERSION, _ERROR_CODE):
        for match in pattern.finditer(without_urls):
            token = match.group().rstrip(_TRAILING)
            if pattern is _PATH and token.count("/") and not re.search(r"[A-Za-z]", token):
                continue  # 1/2, 10/12/2026: fractions and dates, not paths
            if token:
                found[token] = None
    return list(found)


def unsupported(text: str, evidence: str) -> list[str]:
    """The identifiers of ``text`` that occur nowhere in ``evidence`` (case-sensitive, since a
    hash or a path differing in case names something else). A path also counts as supported
    when the evidence holds it as the tail of a longer path (``src/app.py`` in
    ``/work/proj/src/app.py``), being a substring of it: agents record absolute paths, pages
    use relative ones."""
    return [ident for ident in identifiers(text) if ident not in evidence]
