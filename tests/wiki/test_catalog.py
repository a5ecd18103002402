"""The wiki's catalogue files: ``index.md`` and ``log.md``."""

from __future__ import annotations

import re

from aimem.wiki.catalog import (
    LOG_HEADER,
    PER_TYPE,
    Entry,
    append_log,
    render_index,
)


def session(n: int, day: int = 1) -> Entry:
    return Entry(
        f"sessions/2026-01/2026-01-{day:02d}-codex-{n:08d}.md",
        f"Session {n}",
        "session",
        f"2026-01-{day:02d}T00:00:{n % 60:02d}Z",
    )


def links(text: str, heading: str) -> list[str]:
    block = re.search(rf"^## {heading}.*?\n\n(.*?)(?:\n\n|\Z)", text, flags=re.M | re.S)
    assert block, f"no {heading} section in:\n{text}"
    return re.findall(r"\[\[([^|\]]+)\|", block.group(1))


def test_index_lists_types_in_order_newest_first() -> None:
    entries = [
        Entry("decisions/old.md", "Old decision", "decision", "2026-01-01T00:00:00Z"),
        Entry("decisions/new.md", "New decision", "decision", "2026-03-01T00:00:00Z"),
        Entry("decisions/mid.md", "Mid decision", "decision", "2026-02-01T00:00:00Z"),
        Entry("_rules/r.md", "A rule", "rule", "2025-01-01T00:00:00Z"),
        session(1, day=5),
        session(2, day=9),
    ]
    text = render_index("myapp", entries)
    assert text.startswith("# myapp: memory index\n")
    assert "6 pages: 1 rules, 3 decisions, 0 gotchas, 0 concepts, 0 handoffs, 2 sessions." in text
    headings = re.findall(r"^## (\w+)", text, flags=re.M)
    assert headings == ["Rules", "Decisions", "Sessions"]  # empty types get no heading
    assert links(text, "Decisions") == ["decisions/new", "decisions/mid", "decisions/old"]
    assert links(text, "Sessions") == [session(2, 9).path[:-3], session(1, 5).path[:-3]]
    assert "- [[decisions/new|New decision]] — 2026-03-01" in text
    assert "(newest" not in text


def test_index_caps_each_type_and_says_so() -> None:
    many = [session(n, day=1 + n % 28) for n in range(PER_TYPE + 7)]
    text = render_index("p", many + [Entry("gotchas/g.md", "G", "gotcha", "2026-01-01")])
    assert f"## Sessions (newest {PER_TYPE} of {PER_TYPE + 7})" in text
    assert "## Gotchas\n" in text  # under the cap: no note
    shown = links(text, "Sessions")
    assert len(shown) == PER_TYPE
    newest = sorted(many, key=lambda e: (e.updated, e.path), reverse=True)
    assert shown == [e.path[:-3] for e in newest[:PER_TYPE]]


def test_index_is_deterministic_for_ties() -> None:
    a = Entry("concepts/a.md", "A", "concept", "2026-01-01")
    b = Entry("concepts/b.md", "B", "concept", "2026-01-01")
    assert render_index("p", [a, b]) == render_index("p", [b, a])


def test_empty_index() -> None:
    text = render_index("p", [])
    assert "0 pages" in text and "## " not in text


def test_append_log_starts_with_a_header_and_keeps_previous_lines() -> None:
    first = append_log(None, "2026-01-01T00:00:00Z consolidate a")
    assert first == LOG_HEADER + "- 2026-01-01T00:00:00Z consolidate a\n"
    second = append_log(first, "2026-01-02T00:00:00Z consolidate b")
    assert second.startswith(first)
    assert second.endswith("- 2026-01-02T00:00:00Z consolidate b\n")
    # A hand-edited log without a final newline still gets whole lines.
    edited = append_log("# Log\n\n- kept by hand", "next")
    assert edited == "# Log\n\n- kept by hand\n- next\n"
    assert append_log("", "x") == LOG_HEADER + "- x\n"
