"""``[[wikilinks]]`` between pages: find them in a body and resolve them to page paths.

The wiki is meant to be browsable in Obsidian, so links follow its rules: ``[[target]]``,
``[[target|label]]``, ``[[target#heading]]``; the target is a wiki-relative path with or without
``.md``, or just a page's file name when that name is unique ("shortest path" links). Links inside
code (fenced blocks and inline spans) are text, not links: a session log quoting ``[[x]]`` from a
tool call must not show up as a broken link. Standard library only.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

_WIKILINK = re.compile(r"\[\[([^\[\]|#\n]+)(?:#[^\[\]|\n]*)?(?:\|[^\[\]\n]*)?\]\]")
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")


def link_targets(body: str) -> list[str]:
    """The distinct link targets in ``body``, in order of first appearance, as written."""
    text = _INLINE_CODE.sub("", _FENCE.sub("", body))
    seen: dict[str, None] = {}
    for match in _WIKILINK.finditer(text):
        target = match.group(1).strip()
        if target:
            seen.setdefault(target, None)
    return list(seen)


def normalise_target(target: str) -> str:
    """A link target as a wiki-relative ``.md`` path (``./a/b`` -> ``a/b.md``)."""
    path = target.strip().replace("\\", "/").lstrip("/")
    path = posixpath.normpath(path) if path else path
    if path in ("", "."):
        return ""
    return path if path.endswith(".md") else path + ".md"


def link_name(target: str) -> str:
    """The file name a target can only resolve to (case-folded): a cheap pre-filter."""
    return posixpath.basename(normalise_target(target)).casefold()


def choose(path: str, same_name: Iterable[str]) -> str | None:
    """Among pages with the target's file name, the one a non-exact target means: for a
    partial path the ones it ends, then the shortest path, as Obsidian does."""
    candidates = list(same_name)
    if "/" in path:  # a partial path: it must match the end of the real one
        suffix = "/" + path.casefold()
        candidates = [c for c in candidates if ("/" + c.casefold()).endswith(suffix)]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c.count("/"), len(c), c))


class LinkResolver:
    """Resolves targets against a fixed set of page paths (exact path first, then a unique
    file name, then the shortest of several)."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = set(paths)
        self._by_name: dict[str, list[str]] = {}
        for path in self.paths:
            self._by_name.setdefault(posixpath.basename(path).casefold(), []).append(path)

    def resolve(self, target: str) -> str | None:
        path = normalise_target(target)
        if not path or path.startswith("../"):
            return None
        if path in self.paths:
            return path
        return choose(path, self._by_name.get(posixpath.basename(path).casefold(), []))
