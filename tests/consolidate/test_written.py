"""Decisions and gotchas written down in a session become pages in its consolidation commit,
without an LLM: real journals, real git (pygit2), real SQLite, in-process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aimem.capture.journal import append_line
from aimem.capture.observation import Observed, build, encode
from aimem.consolidate.run import consolidate_session
from aimem.index import fts
from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import parse, render

CWD = "/work/proj"
FIRST = "5f0c2a9e-1b7d-4c3e-9a8f-0123456789ab"
SECOND = "019a2057-655f-76b0-865f-3c2d1e0f9a8b"
DECISION = "decisions/money-is-integer-cents.md"
GOTCHA = "gotchas/decimal-0-1-is-not-0-1.md"


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    return ProjectPaths(str(tmp_path / "data" / "projects" / "proj-12345678"))


def add(paths: ProjectPaths, session: str, kind: str, **fields: object) -> None:
    key = f"{kind}-{time.monotonic_ns()}"
    record = build("claude-code", kind, Observed(kind, session, CWD, fields, key=key), "proj")
    assert append_line(paths.journal(session), encode(record), record["id"])


def session(paths: ProjectPaths, sid: str, prompt: str, answer: str) -> None:
    add(paths, sid, "session_start", source="startup")
    add(paths, sid, "prompt", text=prompt)
    add(paths, sid, "tool_use", tool="Edit", input="money.py")
    add(paths, sid, "tool_result", tool="Edit", input="money.py", output="ok")
    add(paths, sid, "stop", message=answer)
    add(paths, sid, "session_end", reason="exit")


def read(paths: ProjectPaths, rel: str):  # noqa: ANN201
    data = wikirepo.read_file(wikirepo.open_repo(paths.wiki, create=False), rel)
    return None if data is None else parse(data.decode(), rel)


def test_written_down_items_become_pages_in_the_session_commit(paths: ProjectPaths) -> None:
    session(
        paths,
        FIRST,
        "Add refunds. Gotcha: Decimal 0.1 is not 0.1",
        "Refunds work.\n\nDecision: money is integer cents.\nNext step: rounding tests",
    )
    result = consolidate_session(paths, "proj", FIRST)
    assert result.status == "committed"
    assert DECISION in result.pages and GOTCHA in result.pages  # the same commit
    decision = read(paths, DECISION)
    assert decision.meta["type"] == "decision" and decision.meta["status"] == "active"
    assert decision.meta["title"] == "money is integer cents"
    assert decision.meta["sources"] == [FIRST]
    assert decision.meta["origin"] == "session" and decision.meta["salience"] == 0.8
    session_page = next(p for p in result.pages if p.startswith("sessions/"))
    assert f"[[{session_page[:-3]}]]" in decision.body  # linked to its session
    assert "Decision: money is integer cents" in decision.body
    assert read(paths, GOTCHA).meta["type"] == "gotcha"
    # Indexed like any page: search finds it by its words.
    conn = fts.connect(paths.index)
    try:
        rows = conn.execute("SELECT path FROM pages WHERE type = 'decision'").fetchall()
    finally:
        conn.close()
    assert rows == [(DECISION,)]


def test_a_rerun_creates_no_duplicate_and_no_commit(paths: ProjectPaths) -> None:
    session(paths, FIRST, "go", "Decision: money is integer cents.")
    first = consolidate_session(paths, "proj", FIRST)
    before = wikirepo.commit_count(wikirepo.open_repo(paths.wiki, create=False))
    again = consolidate_session(paths, "proj", FIRST)
    assert again.status == "unchanged" and again.commit is None
    assert wikirepo.commit_count(wikirepo.open_repo(paths.wiki, create=False)) == before
    assert first.commit is not None
    assert sorted(Path(paths.wiki, "decisions").iterdir()) == [Path(paths.wiki, DECISION)]


def test_a_later_session_writing_it_again_is_added_to_the_page(paths: ProjectPaths) -> None:
    session(paths, FIRST, "go", "Decision: money is integer cents.")
    consolidate_session(paths, "proj", FIRST)
    session(paths, SECOND, "Decision: Money is integer cents", "ok")
    consolidate_session(paths, "proj", SECOND)
    page = read(paths, DECISION)
    assert page.meta["sources"] == [FIRST, SECOND]
    assert page.body.count("- [[sessions/") == 2
    assert len(list(Path(paths.wiki, "decisions").iterdir())) == 1


@pytest.mark.parametrize(
    "protect",
    [
        {"pinned": True},
        {"author": "human"},
        {"origin": "llm"},
        {"title": "money is integer cents, except in tests"},
    ],
)
def test_a_protected_page_is_left_as_it_is(paths: ProjectPaths, protect: dict) -> None:
    session(paths, FIRST, "go", "Decision: money is integer cents.")
    consolidate_session(paths, "proj", FIRST)
    page = read(paths, DECISION)
    page.meta.update(protect)
    repo = wikirepo.open_repo(paths.wiki, create=False)
    wikirepo.commit_files(repo, {DECISION: render(page).encode()}, "by hand")
    stored = wikirepo.read_file(repo, DECISION)
    session(paths, SECOND, "Decision: money is integer cents", "ok")
    consolidate_session(paths, "proj", SECOND)
    assert wikirepo.read_file(wikirepo.open_repo(paths.wiki, create=False), DECISION) == stored


def test_a_page_written_with_write_page_is_never_overwritten(paths: ProjectPaths) -> None:
    made = write_page(
        paths,
        "proj",
        PageWrite(type="decision", title="Money is integer cents", body="Because floats lie."),
    )
    assert made.path == DECISION
    stored = wikirepo.read_file(wikirepo.open_repo(paths.wiki, create=False), DECISION)
    session(paths, FIRST, "go", "Decision: money is integer cents.")
    result = consolidate_session(paths, "proj", FIRST)
    assert result.status == "committed" and DECISION not in result.pages
    assert wikirepo.read_file(wikirepo.open_repo(paths.wiki, create=False), DECISION) == stored


def test_a_long_decision_gets_a_short_title_and_keeps_its_text(paths: ProjectPaths) -> None:
    text = "we keep " + "every amount in integer cents and " * 10 + "round half to even"
    session(paths, FIRST, "go", f"Decision: {text}")
    result = consolidate_session(paths, "proj", FIRST)
    (path,) = [p for p in result.pages if p.startswith("decisions/")]
    page = read(paths, path)
    assert len(page.meta["title"]) <= 120 and page.meta["title"].endswith("…")
    assert "round half to even" in page.body
