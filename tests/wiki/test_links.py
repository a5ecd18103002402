"""Wikilinks: extraction (code is not a link) and Obsidian-style resolution."""

from __future__ import annotations

from aimem.wiki.links import LinkResolver, link_targets, normalise_target


def test_targets_in_order_without_labels_headings_or_duplicates() -> None:
    body = "[[decisions/use-wal|WAL]], [[use-wal#Why]], [[ concepts/index ]] [[decisions/use-wal]]"
    assert link_targets(body) == ["decisions/use-wal", "use-wal", "concepts/index"]


def test_links_inside_code_are_text() -> None:
    body = (
        "Real [[a]].\n\n```\n[[not-a-link]]\n```\n\n"
        "Inline `[[nor-this]]` but [[b]].\n~~~md\n[[c]]\n~~~\n"
    )
    assert link_targets(body) == ["a", "b"]


def test_normalise_target() -> None:
    assert normalise_target("./decisions/x") == "decisions/x.md"
    assert normalise_target("/decisions/x.md") == "decisions/x.md"
    assert normalise_target("a\\b") == "a/b.md"
    assert normalise_target("  ") == ""


def test_resolution_exact_then_unique_name_then_shortest() -> None:
    resolver = LinkResolver(
        ["decisions/use-wal.md", "concepts/index.md", "archive/old/index.md", "gotchas/Lock.md"]
    )
    assert resolver.resolve("decisions/use-wal") == "decisions/use-wal.md"
    assert resolver.resolve("use-wal") == "decisions/use-wal.md"
    assert resolver.resolve("index") == "concepts/index.md"  # the shortest of two
    assert resolver.resolve("old/index") == "archive/old/index.md"  # a partial path
    assert resolver.resolve("lock") == "gotchas/Lock.md"  # case-insensitive name
    assert resolver.resolve("missing") is None
    assert resolver.resolve("other/use-wal") is None  # the folder must match
    assert resolver.resolve("../outside") is None
