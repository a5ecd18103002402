"""What people write down for later, recognised in prompts and answers without an LLM.

Recognised, in any case, at the start of a line (after any ``#``, ``>``, bullet, number,
checkbox or bold markup) or inline after a sentence::

    Next step: …   Next steps: …   TODO: …   TODO(ana): …   Follow-up: …   Remaining: …
    Open question: …   Open questions: …   Question: …   Unresolved: …
    Decision: …   Decisions: …   Decided: …
    Gotcha: …   Gotchas: …   Pitfall: …   Caveat: …   Watch out: …
    The next step is to …

A marker alone on its line (``## Next steps``, ``**Open questions:**``, ``TODO``) starts a list:
the bullets and numbered items under it are items of that kind, across blank lines, until a line
of prose. Under a ``#`` heading, a paragraph is one item too. Unchecked boxes (``- [ ] …``) are
next steps anywhere; checked ones are done. Code blocks and inline code are skipped. A sentence
ending in ``?`` is not an open question unless it is marked as one.

Every pattern is a bounded alternation of words, applied line by line, so the time is linear in
the input (fuzzed with hypothesis).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QUESTION = "question"
STEP = "step"
DECISION = "decision"
GOTCHA = "gotcha"
KINDS = (QUESTION, STEP, DECISION, GOTCHA)

MAX_ITEM_CHARS = 400
MAX_ITEMS = 60  # per text: a pasted TODO file is not sixty next steps of a session

_WORDS = {
    STEP: r"next\s{1,3}steps?|todos?|to[- ]?dos?|follow[- ]?ups?"
    r"|remaining(?:\s{1,3}(?:work|steps|tasks))?|still\s{1,3}to\s{1,3}do|left\s{1,3}to\s{1,3}do|action\s{1,3}items?",
    QUESTION: r"(?:open|unresolved|outstanding|pending)\s{1,3}questions?|questions?|unresolved",
    DECISION: r"(?:key\s{1,3}|design\s{1,3})?decisions?|decided",
    GOTCHA: r"gotchas?|pitfalls?|caveats?|watch\s{1,3}out|beware",
}
_MARKER = "|".join(f"(?P<{kind}>{words})" for kind, words in _WORDS.items())
_TAG = r"(?:\s{0,3}\([^()\n]{0,40}\))?"  # TODO(ana):
_ARTICLE = r"(?:(?:the|one|an?|my|our|another|final|last|some)\s{1,3})?"
# A marker at the start of a line: its item follows a colon or a dash, or the line is a heading.
_LEAD = re.compile(
    rf"{_ARTICLE}(?:{_MARKER}){_TAG}[ \t]{{0,3}}(?:\*\*|__)?[ \t]{{0,3}}"
    r"(?P<sep>:|[-\u2013\u2014](?=\s)|$)"
    r"|(?P<prose>(?:the\s{1,3})?next\s{1,3}step\s{1,3}(?:is|would\s{1,3}be|will\s{1,3}be)"
    r"(?:\s{1,3}to)?\s)",
    re.I,
)
# A marker inside a line: always with a colon.
_INLINE = re.compile(rf"(?<![\w/.-])(?:{_MARKER}){_TAG}[ \t]{{0,3}}(?:\*\*|__)?[ \t]{{0,3}}:", re.I)
_PREFIX = re.compile(r"(?:>\s{0,3})*(?:#{1,6}\s{1,3})?")
_BULLET = re.compile(r"(?:[-*+\u2022]|\d{1,3}[.)])\s{1,8}")
_BOX = re.compile(r"\[([ xX])\]\s{0,3}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s{1,8}(?=[A-Z\"'(\[*_`])")
_NONE = frozenset(
    {"", "none", "n/a", "na", "nothing", "no", "nope", "-", "tbd", "none yet", "none so far"}
)
_TOKEN = re.compile(r"[a-z0-9]+")
_STOP_WORDS = """the and for with this that these those are was were will would should could can may
    might must has have had been being not but all any some each into onto from about after
    before then than them they their there here what when where which who why how its it's
    our your you yes also just only very more most much many such same other another one two
    add adds added adding make made makes making write wrote written writes writing fix fixed
    fixes fixing update updated updates updating check checked checks need needs needed use
    used uses using get got run ran runs running let now later next step steps todo done
    still open question questions decision gotcha please thanks thank okay yeah sure"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Note:
    kind: str  # QUESTION | STEP | DECISION | GOTCHA
    text: str


def _kind(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if groups.get("prose"):
        return STEP
    return next(kind for kind in KINDS if groups.get(kind))


def _clean(text: str) -> str:
    flat = " ".join(text.split())
    flat = flat.strip(" \t*_:;,\u2013\u2014-")
    if flat.endswith(".") and not flat.endswith(".."):
        flat = flat[:-1].rstrip()
    if not any(c.isalnum() for c in flat):
        return ""  # punctuation alone ("Next step: . .") is no item
    if len(flat) > MAX_ITEM_CHARS:
        flat = flat[: MAX_ITEM_CHARS - 3].rstrip() + "..."
    return flat


def _first_sentence(text: str, kind: str) -> str:
    """An item that started mid-line runs to the end of its sentence (a question to its ``?``)."""
    if kind == QUESTION:
        mark = text.find("?")
        if mark >= 0:
            return text[: mark + 1]
    end = _SENTENCE_END.search(text)
    return text[: end.start()] if end else text


def _inline_markers(line: str) -> list[re.Match[str]]:
    """Markers inside ``line`` that begin an item: after a sentence, or capitalised after a
    space (not glued to markup such as ``<local-command-caveat>Caveat:``), and not in
    inline code (an odd number of backticks before them). Linear: the backticks are counted
    once, and the look back for the sentence end stops at the previous marker."""
    found = []
    ticks = counted = 0
    for match in _INLINE.finditer(line):
        at = match.start()
        ticks += line.count("`", counted, at)
        counted = at
        if ticks % 2:
            continue
        before = at - 1
        while before >= 0 and line[before] in " \t*_":
            before -= 1
        spaced = at > 0 and line[at - 1] in " \t"
        if before < 0 or line[before] in ".!?;:)\u2013\u2014-" or (spaced and line[at].isupper()):
            found.append(match)
    return found


class _Collector:
    def __init__(self) -> None:
        self.notes: list[Note] = []

    def add(self, kind: str, text: str, midline: bool) -> int | None:
        if midline:
            text = _first_sentence(text, kind)
        clean = _clean(text)
        if not clean or clean.lower().rstrip(".!") in _NONE or len(self.notes) >= MAX_ITEMS:
            return None
        note = Note(kind, clean)
        if note in self.notes:
            return None
        self.notes.append(note)
        return len(self.notes) - 1

    def extend(self, index: int, more: str) -> None:
        note = self.notes[index]
        self.notes[index] = Note(note.kind, _clean(note.text + " " + more))

    def segments(self, kind: str | None, text: str, midline: bool) -> tuple[str | None, int | None]:
        """``text`` split at inline markers: the part before the first one is of ``kind`` (prose
        when ``None``), each later part of its marker's kind. Returns the kind a list on the next
        lines would continue (the last marker's, when nothing follows it, or ``kind`` for a line
        that began with its marker) and the last item added (a continuation line extends it)."""
        pos, last, follows = 0, None, kind
        for match in _inline_markers(text):
            if kind is not None:
                self.add(kind, text[pos : match.start()], midline)
            kind, pos, midline = _kind(match), match.end(), True
        if kind is not None:
            last = self.add(kind, text[pos:], midline)
            if not text[pos:].strip(" *_:"):
                follows = kind
        return follows, last


def extract(text: str) -> list[Note]:
    """The items ``text`` marks, in order, each once."""
    out = _Collector()
    mode: str | None = None  # the kind of the list being read
    heading = False  # the list's marker was a ``#`` heading: a paragraph under it is an item
    fresh = False  # the previous line was a marker alone: the next line may be its item
    item: int | None = None  # the item a continuation line extends
    blank = False
    fence = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence, mode, item = stripped[:3], None, None
            continue
        if not stripped:
            blank = True
            continue
        after_blank, blank = blank, False
        just_marked, fresh = fresh, False
        indented = raw[:1] in (" ", "\t")
        prefix = _PREFIX.match(stripped)
        is_heading = "#" in stripped[: prefix.end()]
        body = stripped[prefix.end() :]
        bullet = _BULLET.match(body)
        if bullet:
            body = body[bullet.end() :]
        box = _BOX.match(body)
        if box:
            body = body[box.end() :]
        body = body.lstrip()
        if body.startswith(("**", "__")):
            body = body[2:]
        done = box is not None and box.group(1) in "xX"
        lead = None if done else _LEAD.match(body)
        if lead is not None:
            kind = _kind(lead)
            rest = body[lead.end() :]
            if rest.strip(" *_:"):
                _, item = out.segments(kind, rest, False)
                mode, heading = kind, False
            else:
                mode, heading, fresh, item = kind, is_heading, True, None
        elif done:
            item = None
        elif box is not None:
            _, item = out.segments(mode or STEP, body, False)
        elif mode is not None and bullet:
            _, item = out.segments(mode, body, False)
        elif mode is not None and item is not None and not after_blank and (indented or heading):
            out.extend(item, body)
        elif mode is not None and item is None and (heading or (just_marked and not after_blank)):
            _, item = out.segments(mode, body, False)
        else:
            mode, item = out.segments(None, body, True)
            heading = False
    return out.notes


def words(text: str) -> set[str]:
    """The content words of ``text``, crudely stemmed, to tell whether a later text takes up an
    item: lower case, no stop words, ``tests``/``testing``/``tested`` -> ``test``."""
    found = set()
    for token in _TOKEN.findall(text.lower()):
        if len(token) < 3 or token in _STOP:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if token.endswith(suffix) and len(token) - len(suffix) >= 3:
                token = token[: -len(suffix)]
                break
        found.add(token)
    return found


def addressed(item: str, later: set[str]) -> bool:
    """Whether a later text (its ``words``) takes up ``item``: at least 80% of the item's
    content words, and at least two, occur in it. An item of one content word is never taken
    as addressed by words alone: it stays until it expires."""
    need = words(item)
    if len(need) < 2:
        return False
    hits = len(need & later)
    return hits >= 2 and hits * 5 >= len(need) * 4
