"""The SessionStart brief: counts, recent sessions and durable pages, from the catalogue."""

from __future__ import annotations

import re

from aimem.memory.brief import render_brief
from aimem.wiki.catalog import Entry


def session(n: int, day: int = 1) -> Entry:
    return Entry(
        f"sessions/2026-01/2026-01-{day:02d}-codex-{n:08d}.md",
        f"Session {n}",
        "session",
        f"2026-01-{day:02d}T00:00:{n % 60:02d}Z",
    )


def test_brief_mentions_counts_recent_sessions_and_durable_pages() -> None:
    entries = [session(n, day=n) for n in range(1, 8)] + [
        Entry("decisions/use-sqlite.md", "Use SQLite", "decision", "2026-01-03"),
        Entry("gotchas/fts5-missing.md", "FTS5 may be missing", "gotcha", "2026-01-04"),
        Entry("handoffs/h.md", "Handoff: x", "handoff", "2026-01-07"),
    ]
    brief = render_brief("myapp", entries, max_recent=3)
    assert brief.startswith(
        "Project memory: 10 pages (1 decisions, 1 gotchas, 1 handoffs, 7 sessions)."
    )
    assert "Recent sessions:" in brief
    recent = re.findall(r"^- 2026-01-\d\d Session (\d+) ", brief, flags=re.M)
    assert recent == ["7", "6", "5"]
    assert "- [decision] Use SQLite (decisions/use-sqlite.md)" in brief
    assert "- [gotcha] FTS5 may be missing (gotchas/fts5-missing.md)" in brief
    assert "aimem search" in brief and "aimem show" in brief


def test_brief_of_an_empty_wiki() -> None:
    brief = render_brief("p", [])
    assert brief.startswith("Project memory: 0 pages (none yet).")
    assert "Recent sessions" not in brief and "Rules, decisions" not in brief


def test_a_proposed_rule_stays_out_of_the_brief_until_accepted(tmp_path) -> None:
    """An LLM's rule lands ``status: proposed``: index.md lists it marked as proposed, the
    brief (injected into every agent's context) leaves it out until a person accepts it."""
    from pathlib import Path

    from aimem.compile.rules import decide
    from aimem.memory.brief import BRIEF_FILE
    from aimem.memory.transaction import transaction
    from aimem.project import ProjectPaths
    from aimem.wiki.pages import Page

    paths = ProjectPaths(str(tmp_path / "proj"))
    rule = "_rules/run-the-rounding-tests.md"
    meta = {"title": "Run the rounding tests", "type": "rule", "status": "proposed"}
    with transaction(paths, "proj", "test") as txn:
        txn.write(Page(rule, dict(meta), "Before pushing.\n"))
        txn.write(Page("decisions/cents.md", {"title": "Integer cents", "type": "decision"}, "x"))
        txn.commit("two pages\n")
    brief = Path(paths.state, BRIEF_FILE).read_text()
    index_md = Path(paths.wiki, "index.md").read_text()
    assert "Integer cents" in brief
    assert "Run the rounding tests" not in brief
    assert "[[_rules/run-the-rounding-tests|Run the rounding tests]]" in index_md
    assert "(proposed)" in index_md

    decide(paths, "proj", rule, "accepted")

    assert "- [rule] Run the rounding tests" in Path(paths.state, BRIEF_FILE).read_text()
    assert "(proposed)" not in Path(paths.wiki, "index.md").read_text()


def test_superseded_and_rejected_pages_are_marked_in_the_catalogue() -> None:
    from aimem.wiki.catalog import render_index

    entries = [
        Entry("decisions/old.md", "Old way", "decision", "2026-01-01", "superseded"),
        Entry("_rules/no.md", "Never", "rule", "2026-01-02", "rejected"),
        Entry("decisions/new.md", "New way", "decision", "2026-01-03"),
    ]
    index_md = render_index("p", entries)
    assert "[[decisions/old|Old way]] — 2026-01-01 (superseded)" in index_md
    assert "[[_rules/no|Never]] — 2026-01-02 (rejected)" in index_md
    assert "[[decisions/new|New way]] — 2026-01-03\n" in index_md
    brief = render_brief("p", entries)
    assert "New way" in brief and "Old way" not in brief and "Never" not in brief
