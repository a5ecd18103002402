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
