"""The session digest: journal records (the observation schema) reduced to what happened."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aimem.consolidate.digest import digest
from aimem.consolidate.handoff import handoff_page

SESSION = "5f0c2a9e-1b7d-4c3e-9a8f-0123456789ab"
CWD = "/work/proj"
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def rec(kind: str, t: float, **fields: object) -> dict:
    return {
        "v": 1,
        "ts": T0 + t,
        "agent": "claude-code",
        "event": kind,
        "kind": kind,
        "session": SESSION,
        "project": "proj",
        "cwd": CWD,
        "id": f"{kind}-{t}",
        **fields,
    }


def test_no_records_is_none() -> None:
    assert digest([]) is None


def test_empty_session_is_empty() -> None:
    d = digest(
        [
            rec("session_start", 0, source="startup", branch="main"),
            rec("stop", 5, message="Hello, how can I help?"),
            rec("session_end", 9, reason="exit"),
        ]
    )
    assert d is not None and d.empty
    assert d.prompts == [] and d.calls == []
    assert d.branch == "main" and d.end_reason == "exit"
    assert d.started == T0 and d.ended == T0 + 9
    assert d.observations == 3


def test_identity_and_times_come_from_the_records() -> None:
    d = digest([rec("prompt", 30, text="later"), rec("prompt", 10, text="first by time")])
    assert d.session == SESSION and d.agent == "claude-code" and d.project == "proj"
    assert d.cwd == CWD
    assert d.started == T0 + 10 and d.ended == T0 + 30
    assert d.date == "2026-01-01"
    assert d.short_id == "456789ab"
    assert not d.empty


def test_tool_use_pairs_with_its_result_or_error() -> None:
    d = digest(
        [
            rec("prompt", 0, text="fix it"),
            rec("tool_use", 1, tool="Bash", input="pytest -q"),
            rec("tool_error", 2, tool="Bash", input="pytest -q", error="Exit code 1"),
            rec("tool_use", 3, tool="Read", input="src/a.py"),
            rec("tool_result", 4, tool="Read", input="src/a.py", output="print(1)"),
            rec("tool_use", 5, tool="Bash", input="pytest -q"),
            rec("tool_result", 6, tool="Bash", input="pytest -q", output="3 passed"),
            rec("tool_use", 7, tool="Edit", input="src/b.py"),  # never answered
            rec("tool_result", 8, tool="Grep", input="TODO", output="none"),  # no tool_use seen
        ]
    )
    calls = [(c.tool, c.input, c.ok, c.detail) for c in d.calls]
    assert calls == [
        ("Bash", "pytest -q", False, "Exit code 1"),
        ("Read", "src/a.py", True, "print(1)"),
        ("Bash", "pytest -q", True, "3 passed"),
        ("Edit", "src/b.py", None, ""),
        ("Grep", "TODO", True, "none"),
    ]
    assert d.tool_counts == {"Bash": 2, "Read": 1, "Edit": 1, "Grep": 1}
    assert [(c.tool, c.detail) for c in d.failures] == [("Bash", "Exit code 1")]


def test_parallel_identical_calls_each_get_one_result() -> None:
    d = digest(
        [
            rec("tool_use", 1, tool="Read", input="a.py"),
            rec("tool_use", 2, tool="Read", input="a.py"),
            rec("tool_result", 3, tool="Read", input="a.py", output="first"),
            rec("tool_error", 4, tool="Read", input="a.py", error="second failed"),
        ]
    )
    assert [(c.ok, c.detail) for c in d.calls] == [(True, "first"), (False, "second failed")]
    assert d.tool_counts == {"Read": 2}


def test_files_are_relative_to_cwd_and_deduplicated() -> None:
    d = digest(
        [
            rec("tool_use", 1, tool="Edit", input="x", files=[f"{CWD}/src/app/config.py"]),
            rec("tool_result", 2, tool="Edit", input="x", files=[f"{CWD}/src/app/config.py"]),
            rec("tool_use", 3, tool="Read", input="y", files=["/etc/hosts", "docs/readme.md"]),
            rec("tool_use", 4, tool="Read", input="z", files=[f"{CWD}-other/x.py", 7, None]),
        ]
    )
    assert d.files == ["src/app/config.py", "/etc/hosts", "docs/readme.md", f"{CWD}-other/x.py"]


def test_last_stop_message_wins_and_answers_the_prompt() -> None:
    d = digest(
        [
            rec("prompt", 0, text="one"),
            rec("stop", 1, message="first answer"),
            rec("prompt", 2, text="two"),
            rec("stop", 3, message="second answer"),
        ]
    )
    assert d.last_message == "second answer"
    assert d.prompts == ["one", "two"]
    assert d.answered_last_prompt


def test_a_prompt_after_the_last_stop_is_unanswered() -> None:
    d = digest(
        [
            rec("prompt", 0, text="one"),
            rec("stop", 1, message="first answer"),
            rec("prompt", 2, text="now do the second thing"),
            rec("tool_use", 3, tool="Bash", input="make"),
        ]
    )
    assert d.last_message == "first answer"
    assert not d.answered_last_prompt


def test_compactions_and_odd_records_are_tolerated() -> None:
    d = digest(
        [
            rec("prompt", 0, text="go"),
            rec("compact", 1, phase="post", summary="we did a lot"),
            rec("prompt", 2, text=None),  # not a string: ignored
            rec("stop", 3, message=42),  # not a string: ignored
            rec("mystery", 4),
            {"kind": "prompt", "text": "no ts"},
        ]
    )
    assert d.prompts == ["go", "no ts"]
    assert d.compactions == ["we did a lot"]
    assert d.last_message == ""


def test_title_is_the_first_prompt_line_shortened() -> None:
    long = "x" * 120
    assert digest([rec("prompt", 0, text="\n\n  Fix the parser  \nmore")]).title == "Fix the parser"
    title = digest([rec("prompt", 0, text=long)]).title
    assert len(title) == 80 and title.endswith("...")
    assert digest([rec("tool_use", 0, tool="Bash", input="ls")]).title == (
        "claude-code session 456789ab"
    )


# --- what the session wrote down, and the commits it started and ended at -------------------


def test_heads_come_from_the_start_and_end_records() -> None:
    d = digest(
        [
            rec("session_start", 0, branch="main", head="a" * 40),
            rec("prompt", 1, text="go"),
            rec("session_end", 5, head="b" * 40),
            rec("session_start", 9, branch="main", head="b" * 40),  # resumed
        ]
    )
    assert d.head_start == "a" * 40  # the first start: the resumed session's whole span
    assert d.head_end == "b" * 40


def test_items_of_an_earlier_turn_stay_open_through_a_thanks() -> None:
    d = digest(
        [
            rec("prompt", 1, text="Add refunds"),
            rec("tool_use", 2, tool="Edit", input="money.py"),
            rec(
                "stop",
                3,
                message="Done. Open question: are partial refunds allowed below one cent? "
                "Next step: write the rounding tests\nDecision: money is integer cents.",
            ),
            rec("prompt", 4, text="thanks, that's all"),
            rec("stop", 5, message="You're welcome!"),
        ]
    )
    assert [(n.kind, n.text) for n in d.open_notes] == [
        ("question", "are partial refunds allowed below one cent?"),
        ("step", "write the rounding tests"),
    ]
    assert d.decisions == ["money is integer cents"]
    assert d.answers == [d.answers[0], "You're welcome!"] and d.last_message == "You're welcome!"


def test_a_later_turn_that_takes_an_item_up_closes_it() -> None:
    d = digest(
        [
            rec("prompt", 1, text="Add refunds"),
            rec("stop", 2, message="Next steps:\n- write the rounding tests\n- update docs/api.md"),
            rec("prompt", 3, text="ok do the rounding tests"),
            rec("tool_use", 4, tool="Write", input="tests/test_rounding.py"),
            rec("stop", 5, message="Added them; all green."),
        ]
    )
    assert [n.text for n in d.open_notes] == ["update docs/api.md"]


def test_items_the_user_writes_in_a_prompt() -> None:
    d = digest(
        [
            rec("prompt", 1, text="Decision: we drop Python 3.9. TODO: bump the classifiers"),
            rec("stop", 2, message="Noted."),
            rec("prompt", 3, text="Gotcha: CI caches the venv. TODO: fix the README badge"),
            rec("tool_use", 4, tool="Edit", input="README.md badge"),
            rec("stop", 5, message="Fixed the README badge."),
        ]
    )
    assert d.decisions == ["we drop Python 3.9"]
    assert d.gotchas == ["CI caches the venv"]
    assert [n.text for n in d.open_notes] == ["bump the classifiers"]


def test_a_question_mark_alone_is_not_an_open_item() -> None:
    d = digest([rec("prompt", 1, text="x"), rec("stop", 2, message="Should I also do Y?")])
    assert d.open_notes == []


TEXTS = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "Open question: why? Next step: tests",
            "TODO: a\n- b\n- [ ] c",
            "## Decision\n\nx y z",
            "Gotcha: w",
            "thanks",
        ]
    ),
)
RECORDS = st.lists(
    st.tuples(
        st.sampled_from(
            ["prompt", "stop", "tool_use", "tool_result", "tool_error", "session_start", "x"]
        ),
        st.floats(0, 1e4, allow_nan=False),
        TEXTS,
        st.one_of(st.none(), st.text(max_size=64), st.integers()),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(RECORDS)
def test_any_journal_gives_a_digest_and_a_handoff_page(records) -> None:
    built = [
        rec(kind, t, text=text, message=text, input=text, tool="Bash", head=head)
        for kind, t, text, head in records
    ]
    d = digest(built)
    if not built:
        assert d is None
        return
    assert all(n.kind in ("question", "step") for n in d.open_notes)
    page = handoff_page(d)
    assert page.body.startswith("# Handoff: ")
    assert isinstance(page.meta["open_items"], list)
