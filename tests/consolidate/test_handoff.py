"""The handoff page: where a session left off, derived from its journal without an LLM."""

from __future__ import annotations

import calendar
import re
import subprocess
import time
from pathlib import Path

import pytest

from aimem.capture.githead import read_head
from aimem.consolidate.digest import SessionDigest, digest
from aimem.consolidate.handoff import (
    MID_TASK,
    failed_attempts,
    handoff_page,
    handoff_path,
    next_steps,
    open_questions,
    prepare_handoff,
)
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import parse, render

SESSION = "019a2057-655f-76b0-865f-3c2d1e0f9a8b"
CWD = "/work/proj"
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
SECTIONS = [
    "Summary",
    "Last request",
    "Open questions",
    "Next steps",
    "Files changed",
    "Failed attempts",
]


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
        "Done. Open question: migrate the old config files too?\n\nNext steps:\n- add tests",
        rec("tool_use", 2, tool="Edit", input="config.py", files=[f"{CWD}/src/config.py"]),
        rec("tool_error", 3, tool="Edit", input="config.py", error="old_string not found"),
    )
    page = handoff_page(d)
    headings = re.findall(r"^## (.+)$", page.body, flags=re.M)
    assert headings == SECTIONS
    found = sections(page.body)
    assert "1 prompt(s), 1 tool call(s) (Edit × 1), 1 failed, 1 file(s) changed" in found["Summary"]
    assert found["Last request"] == "> Refactor parse_config"
    assert found["Open questions"] == "- migrate the old config files too?"
    assert found["Next steps"] == "- add tests"
    assert found["Files changed"] == "- `src/config.py`"
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
    for name in ("Open questions", "Next steps", "Files changed", "Failed attempts"):
        assert found[name] == "None recorded.", name


def test_a_question_mark_alone_is_not_an_open_question() -> None:
    d = answered(
        "I fixed the parser. Should I also update the docs? Why? "
        "The tests pass!\n> Do you want tests for YAML anchors?\n"
        "Open question: do YAML anchors survive a merge key?"
    )
    assert open_questions(d) == ["do YAML anchors survive a merge key?"]


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
    assert open_questions(d) == [MID_TASK]
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


# --- long answers keep their conclusion ------------------------------------------------------


def test_the_summary_keeps_the_end_of_a_long_last_answer() -> None:
    conclusion = "Conclusion: the leak was the retry loop holding the connection."
    d = answered("I looked at many things. " + "Details of the search. " * 200 + conclusion)
    found = sections(handoff_page(d).body)
    assert conclusion in found["Summary"]
    assert "I looked at many things." in found["Summary"]  # and its start
    assert " … " in found["Summary"]


def test_a_long_last_request_keeps_its_head_and_tail() -> None:
    prompt = "Context first. " + "filler " * 1000 + "Finally: only touch src/money.py."
    d = digest([rec("prompt", 1, text=prompt), rec("stop", 2, message="ok")])
    found = sections(handoff_page(d).body)["Last request"]
    assert found.startswith("> Context first.")
    assert found.endswith("Finally: only touch src/money.py.") and " … " in found
    assert len(found) < 3200


def test_decisions_and_gotchas_have_their_sections() -> None:
    d = answered("Decision: money is integer cents.\nGotcha: Decimal('0.1') != 0.1")
    assert d.decisions == ["money is integer cents"]
    assert d.gotchas == ["Decimal('0.1') != 0.1"]
    found = sections(handoff_page(d).body)
    assert found["Decisions"] == "- money is integer cents"
    assert found["Gotchas"] == "- Decimal('0.1') != 0.1"
    headings = re.findall(r"^## (.+)$", handoff_page(d).body, flags=re.M)
    assert headings == [*SECTIONS[:4], "Decisions", "Gotchas", *SECTIONS[4:]]


# --- carry-forward from the previous offer (a real wiki repository) --------------------------

RICH = "019a2057-655f-76b0-865f-00000000aaaa"
THANKS = "019a2057-655f-76b0-865f-00000000bbbb"
LATER = "019a2057-655f-76b0-865f-00000000cccc"
QUESTION = "are partial refunds allowed below one cent?"
STEP = "write the rounding tests"


def session_of(session: str, t0: float, *records: tuple) -> SessionDigest:
    out = []
    for kind, t, fields in records:
        out.append({**rec(kind, t0 + t, **fields), "session": session, "agent": "claude-code"})
    return digest(out)


def rich_session() -> SessionDigest:
    return session_of(
        RICH,
        0,
        ("prompt", 1, {"text": "Add partial refunds to the billing module"}),
        ("tool_use", 2, {"tool": "Edit", "input": "billing/refund.py"}),
        ("tool_result", 3, {"tool": "Edit", "input": "billing/refund.py", "output": "ok"}),
        ("stop", 60, {"message": f"Refunds work. Open question: {QUESTION} Next step: {STEP}"}),
    )


def thanks_session(session: str = THANKS, t0: float = 600) -> SessionDigest:
    return session_of(
        session,
        t0,
        ("prompt", 1, {"text": "thanks, that's all"}),
        ("stop", 2, {"message": "You're welcome!"}),
    )


def offer_of(page, status: str = "offered", **extra: object) -> dict:  # noqa: ANN001
    return {
        "path": page.path,
        "from_session": page.meta["from_session"],
        "from_agent": page.meta["from_agent"],
        "created": page.meta["created"],
        "created_ts": _ts(page.meta["created"]),
        "status": status,
        **extra,
    }


def _ts(stamp: str) -> float:
    return float(calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")))


@pytest.fixture
def wiki(tmp_path: Path):  # noqa: ANN201 - a pygit2.Repository
    return wikirepo.open_repo(str(tmp_path / "wiki"))


def committed(wiki, d: SessionDigest):  # noqa: ANN001, ANN201
    page = handoff_page(d)
    wikirepo.commit_files(wiki, {page.path: render(page).encode()}, f"handoff {d.short_id}")
    return page


def test_thanks_keeps_the_open_items_and_the_earlier_summary(wiki) -> None:  # noqa: ANN001
    previous = committed(wiki, rich_session())
    thin = thanks_session()
    claimed = offer_of(previous, "claimed", claimed_by={"session": THANKS, "agent": "codex"})
    prepare_handoff(thin, wiki, claimed)
    assert [(i["kind"], i["text"], i["session"]) for i in thin.carried] == [
        ("question", QUESTION, RICH),
        ("step", STEP, RICH),
    ]
    page = handoff_page(thin)
    found = sections(page.body)
    assert found["Open questions"] == f"- {QUESTION} _(open since session 0000aaaa, 2026-01-01)_"
    assert found["Next steps"] == f"- {STEP} _(open since session 0000aaaa, 2026-01-01)_"
    assert page.meta["low_signal"] is True
    assert [i["text"] for i in page.meta["open_items"]] == [QUESTION, STEP]
    earlier = next(v for k, v in found.items() if k.startswith("Earlier handoff"))
    assert "Add partial refunds to the billing module" in earlier  # its summary and request
    assert "Refunds work." in earlier
    assert f"[[{previous.path[:-3]}]]" in earlier
    assert "short follow-up" in found["Summary"]


def test_a_session_that_takes_up_an_item_closes_it_and_replaces_the_summary(wiki) -> None:  # noqa: ANN001
    previous = committed(wiki, rich_session())
    later = session_of(
        LATER,
        600,
        ("prompt", 1, {"text": "Do the rounding tests from the handoff"}),
        ("tool_use", 2, {"tool": "Write", "input": "tests/test_rounding.py"}),
        ("tool_result", 3, {"tool": "Write", "input": "tests/test_rounding.py", "output": "ok"}),
        ("stop", 9, {"message": "Rounding tests written and passing."}),
    )
    prepare_handoff(later, wiki, offer_of(previous, "claimed", claimed_by={"session": LATER}))
    assert [i["text"] for i in later.carried] == [QUESTION]
    assert later.earlier == []  # it did work of its own: no earlier summary
    assert not any(k.startswith("Earlier handoff") for k in sections(handoff_page(later).body))


@pytest.mark.parametrize(
    "status",
    [
        {"status": "claimed", "claimed_by": {"session": LATER}},  # claimed by another session
        {"status": "expired"},
        {"status": "superseded"},
    ],
)
def test_only_an_offer_still_offered_or_claimed_by_this_session_hands_on(wiki, status) -> None:  # noqa: ANN001
    previous = committed(wiki, rich_session())
    thin = thanks_session()
    prepare_handoff(thin, wiki, {**offer_of(previous), **status})
    assert thin.carried == [] and thin.earlier == []


def test_an_offer_newer_than_the_session_hands_on_nothing(wiki) -> None:  # noqa: ANN001
    previous = committed(wiki, rich_session())
    thin = thanks_session(t0=-600)  # ended before the offer was made: consolidated late
    prepare_handoff(thin, wiki, offer_of(previous))
    assert thin.carried == [] and thin.earlier == []


def test_items_expire_like_an_offer(wiki) -> None:  # noqa: ANN001
    previous = committed(wiki, rich_session())
    thin = thanks_session(t0=8 * 86400)
    prepare_handoff(thin, wiki, offer_of(previous), max_age_days=7)
    assert thin.carried == [] and thin.earlier == []
    thin = thanks_session(t0=6 * 86400)
    prepare_handoff(thin, wiki, offer_of(previous), max_age_days=7)
    assert len(thin.carried) == 2 and len(thin.earlier) == 1


def test_a_second_thanks_keeps_the_rich_handoff_not_the_thin_one(wiki) -> None:  # noqa: ANN001
    rich = committed(wiki, rich_session())
    first = thanks_session()
    prepare_handoff(first, wiki, offer_of(rich))
    first_page = committed(wiki, first)
    second = thanks_session(LATER, 1200)
    prepare_handoff(second, wiki, offer_of(first_page))
    assert [i["text"] for i in second.carried] == [QUESTION, STEP]
    assert len(second.earlier) == 1
    assert "Add partial refunds" in second.earlier[0]
    assert "thanks, that's all" not in second.earlier[0]


def test_re_consolidating_the_same_journal_gives_the_same_page(wiki) -> None:  # noqa: ANN001
    rich = committed(wiki, rich_session())
    thin = thanks_session()
    prepare_handoff(thin, wiki, offer_of(rich))
    own = committed(wiki, thin)
    again = thanks_session()
    prepare_handoff(again, wiki, offer_of(own, "claimed", claimed_by={"session": LATER}))
    assert render(handoff_page(again)) == render(own)


@pytest.mark.parametrize(
    "text",
    [
        "---\nopen_items: [[[\n---\nbroken yaml\n",
        "---\nopen_items: 7\nlow_signal: maybe\n---\n# x\n",
        "---\nopen_items:\n- {kind: step, text: 5}\n- {kind: rule, text: x, session: s,"
        " ended: '2026-01-01T00:00:00Z'}\n- nonsense\n---\n## Earlier handoff\n",
        "",
    ],
)
def test_a_broken_previous_page_hands_on_nothing_and_never_raises(wiki, text: str) -> None:  # noqa: ANN001
    path = "handoffs/2026-01/2026-01-01-broken.md"
    wikirepo.commit_files(wiki, {path: text.encode()}, "broken")
    thin = thanks_session()
    prepare_handoff(thin, wiki, {"path": path, "status": "offered", "from_session": RICH})
    assert thin.carried == []
    handoff_page(thin)  # renders


# --- files changed: the project's repository, not only Edit/Write calls ----------------------


def test_a_shell_made_file_is_listed_in_files_changed(wiki, project: Path) -> None:  # noqa: ANN001
    _, start = read_head(str(project))
    t0 = time.time()
    subprocess.run("echo 'cents = 1' > src/app/money.py", shell=True, cwd=project, check=True)
    d = digest(
        [
            {**rec("session_start", 0, head=start), "cwd": str(project), "ts": t0},
            {**rec("prompt", 1, text="add money"), "cwd": str(project), "ts": t0 + 1},
            {
                **rec("tool_use", 2, tool="Bash", input="echo 'cents = 1' > src/app/money.py"),
                "cwd": str(project),
                "ts": t0 + 2,
            },
            {**rec("stop", 3, message="done"), "cwd": str(project), "ts": t0 + 3},
        ]
    )
    assert d.files == []  # no Edit/Write tool named it
    prepare_handoff(d, wiki, {})
    found = sections(handoff_page(d).body)
    assert found["Files changed"] == "- `src/app/money.py`"
    assert "1 file(s) changed" in found["Summary"]


def test_a_long_error_keeps_its_last_line() -> None:
    error = "Exit code 1\n" + "  File x.py, line 3, in f\n" * 100 + "ValueError: cents must be int"
    d = answered(
        "stuck",
        rec("tool_use", 2, tool="Bash", input="pytest -q"),
        rec("tool_error", 3, tool="Bash", input="pytest -q", error=error),
    )
    (attempt,) = failed_attempts(d)
    assert attempt.startswith("Bash `pytest -q` → Exit code 1")
    assert attempt.endswith("ValueError: cents must be int")
    assert next_steps(d)[0].endswith("ValueError: cents must be int).")
