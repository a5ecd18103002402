"""The handoff page: where a session left off, derived from its journal without an LLM."""

from __future__ import annotations

import re

from aimem.consolidate.digest import SessionDigest, digest
from aimem.consolidate.handoff import (
    failed_attempts,
    handoff_page,
    handoff_path,
    next_steps,
    open_questions,
)
from aimem.wiki.pages import parse, render

SESSION = "019a2057-655f-76b0-865f-3c2d1e0f9a8b"
CWD = "/work/proj"
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
SECTIONS = [
    "Summary",
    "Last request",
    "Open questions",
    "Next steps",
    "Files touched",
    "Failed attempts",
]
MID_TASK = "The last request got no final answer: the session stopped mid-task."


def rec(kind: str, t: float, **fields: object) -> dict:
    return {
        "v": 1,
        "ts": T0 + t,
        "agent": "codex",
        "event": kind,
        "kind": kind,
        "session": SESSION,
        "project": "proj",
        "cwd": CWD,
        "id": f"{kind}-{t}",
        **fields,
    }


def answered(message: str, *extra: dict) -> SessionDigest:
    return digest(
        [
            rec("session_start", 0),
            rec("prompt", 1, text="Refactor parse_config"),
            *extra,
            rec("stop", 100, message=message),
        ]
    )


def sections(body: str) -> dict[str, str]:
    body = body.split("\nFull session log:", 1)[0]
    parts = re.split(r"^## (.+)$", body, flags=re.M)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def test_every_section_is_present_in_order() -> None:
    d = answered(
        "Done. Should I also migrate the old config files?\n\nNext steps:\n- add tests",
        rec("tool_use", 2, tool="Edit", input="config.py", files=[f"{CWD}/src/config.py"]),
        rec("tool_error", 3, tool="Edit", input="config.py", error="old_string not found"),
    )
    page = handoff_page(d)
    headings = re.findall(r"^## (.+)$", page.body, flags=re.M)
    assert headings == SECTIONS
    found = sections(page.body)
    assert "1 prompt(s), 1 tool call(s) (Edit × 1), 1 failed, 1 file(s) touched" in found["Summary"]
    assert found["Last request"] == "> Refactor parse_config"
    assert found["Open questions"] == "- Should I also migrate the old config files?"
    assert found["Next steps"] == "- add tests"
    assert found["Files touched"] == "- `src/config.py`"
    assert found["Failed attempts"] == "- Edit `config.py` → old_string not found"
    assert page.body.rstrip().endswith(
        f"Full session log: [[sessions/2026-01/2026-01-01-codex-{d.short_id}]]"
    )


def test_front_matter_and_path() -> None:
    d = answered("ok")
    page = handoff_page(d)
    assert page.path == handoff_path(d) == f"handoffs/2026-01/2026-01-01-{d.short_id}.md"
    assert page.meta["status"] == "offered"
    assert page.meta["type"] == "handoff" and page.type == "handoff"
    assert page.meta["from_agent"] == "codex"
    assert page.meta["from_session"] == SESSION
    assert page.meta["sources"] == [SESSION]
    assert page.meta["title"] == "Handoff: Refactor parse_config"
    assert handoff_page(d, status="claimed").meta["status"] == "claimed"
    reparsed = parse(render(page), page.path)
    assert reparsed.meta == page.meta


def test_empty_sections_say_none_recorded() -> None:
    found = sections(handoff_page(answered("All done, tests pass.")).body)
    for name in ("Open questions", "Next steps", "Files touched", "Failed attempts"):
        assert found[name] == "None recorded.", name


def test_open_questions_are_the_question_sentences_of_the_last_message() -> None:
    d = answered(
        "I fixed the parser. Should I also update the docs? Why? "
        "The tests pass!\n> Do you want tests for YAML anchors?\n"
        "Should I also update the docs?"
    )
    assert open_questions(d) == [
        "Should I also update the docs?",
        "Do you want tests for YAML anchors?",
    ]


def test_an_unanswered_prompt_is_an_open_question_and_a_next_step() -> None:
    d = digest(
        [
            rec("prompt", 1, text="first"),
            rec("stop", 2, message="Done. Anything else to change?"),
            rec("prompt", 3, text="now make the CLI faster"),
            rec("tool_use", 4, tool="Bash", input="python -X importtime"),
            rec("tool_result", 5, tool="Bash", input="python -X importtime", output="..."),
        ]
    )
    assert open_questions(d) == ["Anything else to change?", MID_TASK]
    assert next_steps(d) == ["Finish the last request above."]
    found = sections(handoff_page(d).body)
    assert found["Last request"] == "> now make the CLI faster"
    assert MID_TASK in found["Open questions"]


def test_an_answered_prompt_is_not_mid_task() -> None:
    assert MID_TASK not in open_questions(answered("Done."))


def test_next_steps_from_a_next_steps_list() -> None:
    message = (
        "Changes:\n- rewrote the loader\n- kept the API\n\n"
        "**Next steps:**\n\n1. Add a test for anchors\n2) Update the docs\n"
        "* Release 1.2\n\nThat is all for now.\n- not a step any more\n"
    )
    assert next_steps(answered(message)) == [
        "Add a test for anchors",
        "Update the docs",
        "Release 1.2",
    ]


def test_next_steps_heading_variants() -> None:
    assert next_steps(answered("## Next steps\n- a thing")) == ["a thing"]
    assert next_steps(answered("TODO: rename the module\n- and its tests")) == [
        "rename the module",
        "and its tests",
    ]
    assert next_steps(answered("Next step: ship it")) == ["ship it"]


def test_next_steps_from_unchecked_boxes_anywhere() -> None:
    message = (
        "Progress:\n- [x] parser fixed\n- [ ] write the changelog\n"
        "Some text.\n  - [ ] bump the version\n- [X] done too\n"
    )
    assert next_steps(answered(message)) == ["write the changelog", "bump the version"]


def test_checked_boxes_in_a_next_steps_list_are_not_steps() -> None:
    message = "Next steps:\n- [x] fix the parser\n- [ ] add tests\n- [X] update docs\n- release"
    assert next_steps(answered(message)) == ["add tests", "release"]


def test_next_steps_are_unique() -> None:
    message = "Next steps:\n- add tests\n- [ ] add tests\n- add tests"
    assert next_steps(answered(message)) == ["add tests"]


def test_a_failing_last_call_suggests_a_fix_when_no_steps_were_listed() -> None:
    d = answered(
        "I could not finish.",
        rec("tool_use", 2, tool="Bash", input="pytest -q"),
        rec("tool_error", 3, tool="Bash", input="pytest -q", error="Exit code 1"),
    )
    assert next_steps(d) == ["The last tool call failed: fix `pytest -q` (Exit code 1)."]


def test_failed_attempts_list_each_failure_once() -> None:
    d = answered(
        "stuck",
        rec("tool_use", 2, tool="Bash", input="pytest -q"),
        rec("tool_error", 3, tool="Bash", input="pytest -q", error="Exit code 1"),
        rec("tool_use", 4, tool="Bash", input="pytest -q"),
        rec("tool_error", 5, tool="Bash", input="pytest -q", error="Exit code 1"),
        rec("tool_use", 6, tool="Edit", input="a.py"),
        rec("tool_error", 7, tool="Edit", input="a.py", error="not found"),
        rec("tool_use", 8, tool="Bash", input="pytest -q"),
        rec("tool_error", 9, tool="Bash", input="pytest -q", error="Exit code 2"),
        rec("tool_use", 10, tool="Bash", input="ls"),
        rec("tool_result", 11, tool="Bash", input="ls", output="a.py"),
    )
    assert failed_attempts(d) == [
        "Bash `pytest -q` → Exit code 1",
        "Edit `a.py` → not found",
        "Bash `pytest -q` → Exit code 2",
    ]
    found = sections(handoff_page(d).body)
    assert found["Failed attempts"].count("Exit code 1") == 1
    assert "4 tool call(s)" not in found["Summary"] and "5 tool call(s)" in found["Summary"]
    assert "4 failed" in found["Summary"]
