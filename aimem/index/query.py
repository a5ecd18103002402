"""What a search query means: words, "phrases", prefixes*, code identifiers, stop words.

A user query never reaches SQLite as FTS syntax. It is reduced to word tokens, each quoted as an
FTS string, so quotes, ``*``, ``-``, ``:``, ``NEAR(`` or ``OR`` typed by accident are plain text,
while a balanced ``"quoted phrase"`` and a ``prefix*`` typed on purpose keep their meaning.

Scripts written without spaces between words (Chinese, Japanese, Korean, Thai, Lao, Khmer,
Myanmar, Tibetan) have no word tokens a tokenizer could find: ``unicode61`` keeps 日本語のタイトル
as one token, so 日本語 would never match it. Runs of those scripts become ``substring`` items,
matched anywhere inside the text (a trigram index beside the word index, see ``fts``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_TERMS = 32  # a pasted paragraph should not become a 500-phrase query
_WORD = re.compile(r"\w+")


def query_terms(query: str) -> list[str]:
    """The word tokens of a user query, de-duplicated (case-insensitively), at most ``MAX_TERMS``.
    Tokens with no letter or digit (``___``) are dropped: as FTS5 phrases they would be empty and
    an empty phrase matches nothing, which would sink the all-terms query."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a string, not {type(query).__name__}")
    terms: list[str] = []
    seen: set[str] = set()
    for token in _WORD.findall(query):
        key = token.casefold()
        if key in seen or not any(ch.isalnum() for ch in token):
            continue
        seen.add(key)
        terms.append(token)
        if len(terms) >= MAX_TERMS:
            break
    return terms


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


# --- identifiers ------------------------------------------------------------------------------

# ``parseConfig`` -> parse, Config; ``HTTPServer2`` -> HTTP, Server, 2; ``parse_config`` -> parse,
# config. unicode61 already splits ``parse_config`` and ``src/app/config.py`` at punctuation, but
# keeps ``parseConfig`` whole and never joins ``parse_config`` into ``parseconfig``: the hidden
# ``idents`` column holds both forms of every compound identifier: each spelling finds the others.
_HUMPS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W\d_]+")
_COMPOUND = re.compile(r"[a-z][A-Z]|[A-Za-z0-9]_[A-Za-z0-9]")  # searched within one \w+ token


def identifier_parts(token: str) -> list[str]:
    """The words of a code identifier, lower-cased (``parseConfig`` -> ``[parse, config]``)."""
    return [part.lower() for part in _HUMPS.findall(token)]


def identifier_text(*texts: str) -> str:
    """The split and the joined form of every compound identifier in ``texts``, once each."""
    out: list[str] = []
    tokens = dict.fromkeys(token for text in texts for token in _WORD.findall(text))
    for token in tokens:
        # Cheap string tests first: most words are all lower case and have no "_".
        plain = token.islower() or token.isupper()
        if (plain and "_" not in token) or len(token) > 200 or not _COMPOUND.search(token):
            continue
        parts = identifier_parts(token)
        if len(parts) > 1:
            out.append(" ".join(parts) + " " + "".join(parts))
    return "\n".join(out)


# --- scripts without spaces between words --------------------------------------------------------

# Thai, Lao, Tibetan, Myanmar, Hangul Jamo, Khmer, Hangul compatibility Jamo and syllables,
# CJK radicals, kana, Bopomofo, CJK ideographs (with extensions and compatibility forms), half-width
# katakana and Hangul. Korean separates words with spaces, but particles stick to them (한국어를):
# substring search finds the word inside. The marks these scripts use (Thai vowels, Tibetan
# vowel signs) are not letters to ``\w``, so runs are cut by script ranges, not by ``\w``.
UNSEGMENTED = (
    "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u2e80-\u2fdf"
    "\u3005\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3040-\u30ff\u3100-\u312f"
    "\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
    "\uac00-\ud7ff\uf900-\ufaff\uff66-\uffdc\U00020000-\U0003134f"
)
_RUN = re.compile(f"[{UNSEGMENTED}]+")
MAX_RUN = 64  # a pasted paragraph of Chinese is not one substring to find


def unsegmented_runs(text: str) -> list[str]:
    """The runs of unsegmented scripts in ``text``, NFC-normalised (Hangul typed as jamo and as
    syllables compare equal), in order."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        return _RUN.findall(text)
    return []


def unsegmented_text(*texts: str) -> str:
    """What the substring index holds for a page: its unsegmented runs, one a line (so no match
    spans two runs the page keeps apart). Empty for a page without any, the common case."""
    return "\n".join(run for text in texts for run in unsegmented_runs(text))


# --- query parsing ----------------------------------------------------------------------------

# Words that carry no topic: dropped from a query unless nothing else is left ("how do we handle
# timezones" searches for "handle timezones"). Operator words (and, or, not) are in the list, so a
# query made only of them still searches them as words.
STOP_WORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each else ever
    few for from further get gets got had has have having he her here hers him his how i if
    in into is it its itself just let like me might more most must my no nor not now of off
    on once only or other our ours out over own please same she should so some such than
    that the their theirs them then there these they this those through to too under until
    up us very was we were what when where which while who whom why will with would you your
    yours""".split()  # noqa: SIM905
)
_PHRASE = re.compile(r'"([^"]*)"')
_PREFIX = re.compile(r"(\w+)(\*?)")  # no backtracking: a word, then maybe a star
MIN_PREFIX = 2  # ``a*`` would expand to most of the vocabulary


@dataclass(frozen=True)
class Item:
    """One part of a parsed query: a word, a "quoted phrase" or a prefix*."""

    text: str
    kind: str  # "word", "phrase", "prefix" or "substring" (a run of an unsegmented script)

    def expression(self, backend: str = "fts5") -> str:
        if self.kind in ("phrase", "substring"):
            return _phrase(self.text)
        if self.kind == "prefix":
            return _phrase(self.text + "*") if backend == "fts4" else _phrase(self.text) + "*"
        variants = [_phrase(self.text)]
        parts = identifier_parts(self.text)
        if len(parts) > 1 and any(ch.isalpha() for ch in self.text):
            for variant in (" ".join(parts), "".join(parts)):
                if variant != self.text.lower():
                    variants.append(_phrase(variant))
        if len(variants) == 1:
            return variants[0]
        # FTS4's standard syntax has no parentheses, but OR binds tighter than the implicit AND.
        return " OR ".join(variants) if backend == "fts4" else "(" + " OR ".join(variants) + ")"


def parse_query(query: str) -> list[Item]:
    """The parts of a user query. ``"..."`` (balanced) is a phrase, ``word*`` a prefix, anything
    else is words; every other character is a separator, so no input is an FTS syntax error. Stop
    words are dropped unless the query holds nothing else."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a string, not {type(query).__name__}")
    items: list[Item] = []
    seen: set[tuple[str, str]] = set()

    def add(text: str, kind: str) -> None:
        key = (text.casefold(), kind)
        if key not in seen and len(items) < MAX_TERMS:
            seen.add(key)
            items.append(Item(text, kind))

    def words(text: str) -> None:
        for match in _PREFIX.finditer(text):
            word, star = match.groups()
            if not any(ch.isalnum() for ch in word):
                continue
            if star and len(word) >= MIN_PREFIX:
                add(word, "prefix")
            else:
                for w in query_terms(word):
                    add(w, "word")
            if len(items) >= MAX_TERMS:
                break

    for run in unsegmented_runs(query):
        add(run[:MAX_RUN], "substring")
    if items:
        query = _RUN.sub(" ", unicodedata.normalize("NFC", query))
    last = 0
    for match in _PHRASE.finditer(query):
        words(query[last : match.start()])
        inner = query_terms(match.group(1))
        if len(inner) > 1:
            add(" ".join(inner), "phrase")
        elif inner:
            add(inner[0], "word")
        last = match.end()
    words(query[last:].replace('"', " "))
    kept = [i for i in items if i.kind != "word" or i.text.casefold() not in STOP_WORDS]
    return kept or items
