"""What people write down for later, recognised without an LLM: phrasing variants, what is not
an item, and time linear in the input (hypothesis)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aimem.consolidate.notes import (
    DECISION,
    GOTCHA,
    MAX_ITEM_CHARS,
    QUESTION,
    STEP,
    Note,
    addressed,
    extract,
    words,
)

Q, S, D, G = QUESTION, STEP, DECISION, GOTCHA


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The issue's own example: two markers inline on one line.
        (
            "Open question: are partial refunds allowed below one cent? "
            "Next step: write the rounding tests",
            [(Q, "are partial refunds allowed below one cent?"), (S, "write the rounding tests")],
        ),
        ("Next step: ship it", [(S, "ship it")]),
        ("Next steps: ship it", [(S, "ship it")]),
        ("NEXT STEPS - ship it", [(S, "ship it")]),
        ("next step — ship it", [(S, "ship it")]),
        ("TODO: rename the module", [(S, "rename the module")]),
        ("TODO(ana): remove the shim", [(S, "remove the shim")]),
        ("To do: bump the version", [(S, "bump the version")]),
        ("Follow-up: profile the importer", [(S, "profile the importer")]),
        ("The next step is to write the rounding tests.", [(S, "write the rounding tests")]),
        ("Open question: partial refunds", [(Q, "partial refunds")]),
        ("Question: is the cache shared?", [(Q, "is the cache shared?")]),
        ("Unresolved: who owns the migration", [(Q, "who owns the migration")]),
        ("Decision: money is integer cents.", [(D, "money is integer cents")]),
        ("Decided: keep SQLite", [(D, "keep SQLite")]),
        ("Gotcha: pygit2 needs libgit2 1.9", [(G, "pygit2 needs libgit2 1.9")]),
        ("Pitfall: the hook must stay stdlib-only", [(G, "the hook must stay stdlib-only")]),
        ("> **Gotcha:** fsync before rename", [(G, "fsync before rename")]),
        ("- **Decision**: integer cents", [(D, "integer cents")]),
        ("1. Next step: tests", [(S, "tests")]),
        ("### TODO: docs", [(S, "docs")]),
        # Inline, after a sentence: the item is that sentence.
        (
            "Done. Decision: money is integer cents. I also updated the README.",
            [(D, "money is integer cents")],
        ),
        ("I fixed it; TODO: remove the flag. Thanks!", [(S, "remove the flag")]),
        ("All green. Gotcha: run make first.", [(G, "run make first")]),
    ],
)
def test_phrasing_variants(text: str, expected: list[tuple[str, str]]) -> None:
    assert extract(text) == [Note(k, t) for k, t in expected]


@pytest.mark.parametrize(
    "text",
    [
        "Done. Should I also migrate the old config files?",
        "Why? Because the tests pass. Do you want tests for YAML anchors?",
        "Anything else?",
        "Questions? Ask me.",
        "Decisions were hard here.",
        "We decided to keep it simple.",  # prose, not a marker
        "the todo list is in TODO.md",
        "see src/todo: it is fine",
        "Use `TODO: x` in code comments.",
        "```\n# TODO: not a step\nNext step: not this either\n```",
        "Next steps: none",
        "Open questions: None.",
        "TODO: n/a",
        "",
    ],
)
def test_not_items(text: str) -> None:
    assert extract(text) == []


def test_lists_under_a_heading() -> None:
    message = (
        "Changes:\n- rewrote the loader\n- kept the API\n\n"
        "**Next steps:**\n\n1. Add a test for anchors\n2) Update the docs\n"
        "* Release 1.2\n\nThat is all for now.\n- not a step any more\n"
        "## Open questions\n- partial refunds below one cent\n"
        "- who signs releases\n  (ask ops)\n\n"
        "Decisions:\n- integer cents\n- [x] done, not a decision\n"
    )
    assert extract(message) == [
        Note(S, "Add a test for anchors"),
        Note(S, "Update the docs"),
        Note(S, "Release 1.2"),
        Note(Q, "partial refunds below one cent"),
        Note(Q, "who signs releases (ask ops)"),
        Note(D, "integer cents"),
    ]


def test_a_paragraph_under_a_heading_is_one_item() -> None:
    text = "## Decision\n\nMoney is integer cents\nbecause floats lose pennies.\n\nOther text."
    assert extract(text) == [Note(D, "Money is integer cents because floats lose pennies")]
    assert extract("Next steps:\nWrite the tests.") == [Note(S, "Write the tests")]
    assert extract("Next steps:\n\nThat is all.") == []  # a colon heading takes no later prose


def test_a_marker_ending_a_line_starts_a_list() -> None:
    assert extract("Done. Next steps:\n- a\n- b\nProse.\n- c") == [Note(S, "a"), Note(S, "b")]


def test_boxes() -> None:
    message = (
        "Progress:\n- [x] parser fixed\n- [ ] write the changelog\n"
        "Some text.\n  - [ ] bump the version\n- [X] done too\n"
    )
    assert extract(message) == [Note(S, "write the changelog"), Note(S, "bump the version")]
    assert extract("Next steps:\n- [x] fix the parser\n- [ ] add tests\n- release") == [
        Note(S, "add tests"),
        Note(S, "release"),
    ]


def test_items_are_unique_and_capped() -> None:
    assert extract("Next steps:\n- add tests\n- [ ] add tests\n- add tests") == [
        Note(S, "add tests")
    ]
    long = extract("TODO: " + "x" * 5000)[0].text
    assert len(long) <= MAX_ITEM_CHARS and long.endswith("...")


def test_words_and_addressed() -> None:
    assert words("Write the rounding tests") == {"round", "test"}
    assert addressed("write the rounding tests", words("I added tests for rounding in money.py"))
    assert not addressed("write the rounding tests", words("thanks, that's all"))
    assert not addressed("release", words("release done"))  # one word: never by words alone
    question = "are partial refunds allowed below one cent?"
    assert not addressed(question, words("refunds are fine"))
    assert addressed(question, words("Partial refunds below one cent round to zero, allowed."))


MARKERS = [
    "Next step:",
    "TODO:",
    "Open question:",
    "Decision:",
    "Gotcha:",
    "## Next steps",
    "- ",
    "1. ",
    "[ ] ",
    "`",
    "```",
    "?",
    ". ",
    "\n",
    "(",
    "**",
    "#",
    "> ",
    " ",
    "todo(",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(MARKERS), st.text(max_size=12)), max_size=80))
@example(["Open question: x? Next step: y"])
def test_any_text_gives_clean_items(parts: list[str]) -> None:
    notes = extract("".join(parts))
    for note in notes:
        assert note.kind in (Q, S, D, G)
        assert note.text and note.text == note.text.strip()
        assert "\n" not in note.text and len(note.text) <= MAX_ITEM_CHARS
    assert len(notes) == len(set(notes))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(MARKERS), min_size=1, max_size=6), st.integers(1000, 4000))
def test_time_is_linear_in_the_input(unit: list[str], repeat: int) -> None:
    """No pattern backtracks: a repeated adversarial unit costs about the same per character
    whatever its length (bound: 20 µs per character, ~100x the typical cost)."""
    text = "".join(unit) * repeat
    started = time.perf_counter()
    extract(text)
    words(text)
    assert time.perf_counter() - started < 0.05 + len(text) * 20e-6


@pytest.mark.parametrize(
    "text",
    [
        "Question: " * 20000,
        "todo:" * 20000,
        "Next step" * 20000,
        "`" * 50000 + "TODO:",
        " " * 100000 + "TODO: x",
        "TODO(" * 30000,
        "Next steps:\n" + "- a\n" * 20000,
        "Decision (" + "x" * 100000,
    ],
)
def test_known_worst_cases_stay_fast(text: str) -> None:
    started = time.perf_counter()
    extract(text)
    assert time.perf_counter() - started < 1.0
