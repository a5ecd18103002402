"""One line of context for each search hit, with the query's words in ``**bold**``.

Built in Python from the stored text of the final hits only, not with FTS5's ``snippet()``: that
re-tokenises every column of every hit (~40 µs a page, the largest fixed cost of a search), while
one regular expression over the body finds the query's words in a few µs. The price is that the
marks approximate the porter stemmer with stem prefixes ("timezones" marks "timezone", "run"
also marks "runtime"): only the bold can be off, never which pages match or how they rank.

A run of an unsegmented script (日本語) is marked exactly where it occurs, inside a longer run
too, and a body without spaces is cut by characters around it rather than by words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from aimem.index.query import Item, identifier_parts

SNIPPET_TOKENS = 16  # words in a body snippet
WORDS_BEFORE = 4  # of them, words of context before the best hit
WINDOW_CHARS = 120  # about SNIPPET_TOKENS words: the span in which hits are counted together
MAX_HITS = 64  # hits looked at in one body
PER_WORD = 8  # of them, from one query word (a common word must not crowd out the others)
# Crude English suffixes, longest first: enough for "failed"/"fails"/"failing" to mark "fail".
_SUFFIXES = ("ations", "ation", "ings", "edly", "ing", "ers", "ed", "es", "er", "ly", "s", "e", "y")
_SPACE = re.compile(r"\s+")
# Control characters (an escape sequence in a page, say) must not reach a terminal through a hit.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def stems(items: list[Item]) -> list[str]:
    """What to mark for a parsed query: the stem of every word, phrase word and identifier part
    (lower-cased), prefixes as typed; longest first, so ``parse_config`` wins over ``parse``."""
    found: set[str] = set()
    for item in items:
        if item.kind == "substring":
            continue
        if item.kind == "prefix":
            found.add(item.text.casefold())
            continue
        words = item.text.split() if item.kind == "phrase" else [item.text]
        for word in words:
            found.add(stem(word.casefold()))
            found.update(stem(part) for part in identifier_parts(word))
    found.discard("")
    return sorted(found, key=lambda s: (-len(s), s))


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class Highlighter:
    """The stems of one query, and a pattern that marks them in a short text."""

    stems: list[str]
    pattern: re.Pattern[str]
    substrings: tuple[str, ...] = ()  # unsegmented runs: marked wherever they occur


def highlighter(items: list[Item]) -> Highlighter | None:
    """What marks a query's words: a stem at the start of a word or after ``_`` (``parse_config``
    is two words to the index), running to the end of that word, and each unsegmented run as it
    is; ``None`` without either."""
    found = stems(items)
    runs = tuple(sorted({i.text for i in items if i.kind == "substring"}, key=lambda s: -len(s)))
    if not found and not runs:
        return None
    patterns = []
    if found:
        alternatives = "|".join(re.escape(s) for s in found)
        patterns.append(rf"(?<![^\W_])(?:{alternatives})[^\W_]*")
    if runs:
        patterns.append("|".join(re.escape(r) for r in runs))
    return Highlighter(found, re.compile("|".join(patterns), re.IGNORECASE), runs)


def snippet(title: str, tags: str, body: str, marks: Highlighter | None) -> str:
    """The body around its best hit, else the marked title, else the marked tags, else the
    start of the body (else the title). One line, no control characters."""
    return _CONTROL.sub("", _snippet(title, tags, body, marks))


def _snippet(title: str, tags: str, body: str, marks: Highlighter | None) -> str:
    if marks is not None:
        hits = _hits(body, marks)
        if hits:
            return _around(body, _best(hits), marks.pattern)
        for text in (title, tags):
            if marks.pattern.search(text):
                return mark(_one_line(text), marks.pattern)
    return _lead(body) or _one_line(title)


def mark(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: f"**{m.group(0)}**", text)


def _hits(body: str, marks: Highlighter) -> list[tuple[int, str]]:
    """``(offset, stem)`` of the query's words in ``body``, in order. ``str.find`` on the
    lower-cased body, not the pattern: a regular expression with many alternatives tries each
    at every offset of the text, ten times slower on a page of text."""
    low = body.lower()
    if len(low) != len(body):  # a few characters change length when lower-cased: use the pattern
        found = islice(marks.pattern.finditer(body), MAX_HITS)
        return [(m.start(), m.group(0).lower()) for m in found]
    hits: list[tuple[int, str]] = []
    for stem_ in marks.stems[: MAX_HITS // PER_WORD]:
        at, kept = low.find(stem_), 0
        while at != -1 and kept < PER_WORD:
            if not at or not low[at - 1].isalnum():
                hits.append((at, stem_))
                kept += 1
            at = low.find(stem_, at + len(stem_))
    for run in marks.substrings[: MAX_HITS // PER_WORD]:
        at, kept = body.find(run), 0
        while at != -1 and kept < PER_WORD:
            hits.append((at, run))
            kept += 1
            at = body.find(run, at + len(run))
    hits.sort()
    return hits


def _best(hits: list[tuple[int, str]]) -> int:
    """Where the window with the most different query words starts (the earliest of equals):
    one pass, the window's end running ahead of its start."""
    counts: dict[str, int] = {}
    best, best_count, end = hits[0][0], 0, 0
    for start, word in hits:
        while end < len(hits) and hits[end][0] - start < WINDOW_CHARS:
            counts[hits[end][1]] = counts.get(hits[end][1], 0) + 1
            end += 1
        if len(counts) > best_count:
            best, best_count = start, len(counts)
        counts[word] -= 1
        if not counts[word]:
            del counts[word]
    return best


MAX_SNIPPET_CHARS = 240  # longer means the body has few spaces (CJK, Thai): cut by characters
CHARS_BEFORE = 20  # of a character window, before the hit
CHARS_AFTER = 60


def _around(body: str, start: int, pattern: re.Pattern[str]) -> str:
    """``SNIPPET_TOKENS`` words: ``WORDS_BEFORE`` before the hit at ``start``, the rest from it;
    ``…`` where the body goes on. Text without spaces between words gets a window of
    characters instead."""
    text = _around_words(body, start, pattern)
    if len(text) <= MAX_SNIPPET_CHARS:
        return text
    left, right = max(0, start - CHARS_BEFORE), start + CHARS_AFTER
    text = mark(_one_line(body[left:right]), pattern)
    return ("…" if left else "") + text + ("…" if right < len(body) else "")


def _around_words(body: str, start: int, pattern: re.Pattern[str]) -> str:
    head = body[max(0, start - 40 * WORDS_BEFORE) : start]
    before = head.split()
    # A hit inside a word (``parse_|config``) keeps its word whole.
    stub = before.pop() if head and not head[-1].isspace() and before else ""
    kept_before = before[-WORDS_BEFORE:]
    wanted = SNIPPET_TOKENS - len(kept_before)
    tail_end = start + 40 * SNIPPET_TOKENS
    after = (stub + body[start:tail_end]).split(None, wanted)  # stops splitting when it has enough
    text = mark(" ".join(kept_before + after[:wanted]), pattern)
    if len(before) > len(kept_before) or start - len(head) > 0:
        text = "…" + text
    if len(after) > wanted or tail_end < len(body):
        text += "…"
    return text


def _lead(body: str) -> str:
    words = body[: 40 * SNIPPET_TOKENS].split()
    text = " ".join(words[:SNIPPET_TOKENS])
    more = len(words) > SNIPPET_TOKENS or len(body) > 40 * SNIPPET_TOKENS
    return text + "…" if text and more else text


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
