"""Page paths are validated against escapes; pages round-trip through markdown + YAML."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aimem.wiki.pages import (
    KEY_ORDER,
    Page,
    PagePathError,
    parse,
    read_page,
    render,
    type_for_path,
    validate_page_path,
)


def test_valid_paths_are_normalised() -> None:
    assert validate_page_path("decisions/use-sqlite.md") == "decisions/use-sqlite.md"
    assert validate_page_path("decisions/use-sqlite") == "decisions/use-sqlite.md"
    assert validate_page_path("  gotchas/fts5  ") == "gotchas/fts5.md"
    # A backslash that stays inside the wiki is a folder separator.
    assert validate_page_path("decisions\\use-sqlite") == "decisions/use-sqlite.md"


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "../x.md",
        "/abs",
        "/etc/passwd",
        "a/../b",
        "a/./b",
        "a//b",
        ".git/config",
        ".git/HEAD.md",
        "C:\\x",
        "c:/x.md",
        "",
        "   ",
        "..\\x",
        "a\\..\\..\\b",
        "\\\\server\\share",
        "sessions/.hidden",
        "-rf",
        "a/\x00b",
    ],
)
def test_unsafe_paths_are_rejected(bad: str) -> None:
    with pytest.raises(PagePathError):
        validate_page_path(bad)


@pytest.mark.parametrize("bad", [None, 3, b"decisions/x.md", ["x.md"]])
def test_non_strings_are_rejected(bad: object) -> None:
    with pytest.raises(PagePathError):
        validate_page_path(bad)


def test_page_path_error_is_a_value_error() -> None:
    assert issubclass(PagePathError, ValueError)


def test_symlink_inside_the_wiki_pointing_outside_is_rejected(tmp_path: Path) -> None:
    wiki = tmp_path / "wiki"
    (wiki / "decisions").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("secret\n")
    os.symlink(outside, wiki / "linked")
    os.symlink(outside / "secret.md", wiki / "decisions" / "evil.md")

    with pytest.raises(PagePathError, match="escapes"):
        validate_page_path("linked/secret.md", str(wiki))
    with pytest.raises(PagePathError, match="escapes"):
        validate_page_path("decisions/evil", str(wiki))
    with pytest.raises(PagePathError):
        read_page(str(wiki), "decisions/evil.md")
    # Without the wiki folder only the text is checked; with it, a normal page is fine.
    assert validate_page_path("linked/secret.md") == "linked/secret.md"
    assert validate_page_path("decisions/ok", str(wiki)) == "decisions/ok.md"


def test_symlinked_wiki_root_itself_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real-wiki"
    (real / "concepts").mkdir(parents=True)
    (real / "concepts" / "x.md").write_text("---\ntitle: X\n---\nbody\n")
    link = tmp_path / "wiki"
    os.symlink(real, link)
    page = read_page(str(link), "concepts/x")
    assert page.path == "concepts/x.md" and page.title == "X"


def test_render_parse_round_trip_keeps_key_order_and_body() -> None:
    meta = {
        "status": "offered",
        "custom": {"nested": [1, 2]},
        "tags": ["db", "storage"],
        "type": "decision",
        "created": "2026-01-02T03:04:05Z",
        "salience": 0.7,
        "pinned": False,
        "title": "Use SQLite: FTS5 for search",
    }
    body = "# Use SQLite\n\nBecause it ships everywhere.\n\n- one\n- two\n"
    text = render(Page("decisions/use-sqlite.md", meta, body))
    assert text.startswith("---\ntitle: ")
    assert text.endswith("- two\n")
    parsed = parse(text, "decisions/use-sqlite.md")
    assert parsed.meta == meta
    expected_order = [k for k in KEY_ORDER if k in meta] + ["custom"]
    assert list(parsed.meta) == expected_order
    assert parsed.body.strip() == body.strip()
    # A timestamp-looking string stays a string, booleans stay booleans.
    assert parsed.meta["created"] == "2026-01-02T03:04:05Z"
    assert parsed.meta["pinned"] is False
    # Rendering again is stable.
    assert render(parsed) == text


def test_render_keeps_unicode_readable() -> None:
    text = render(Page("concepts/x.md", {"title": "Ünïcødé → ok"}, "héllo"))
    assert "Ünïcødé → ok" in text and "héllo" in text


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: [unclosed\n---\nbody text\n",
        "---\n: : :\n\t- bad indent\n---\nbody text\n",
        "---\n- a list\n- not a mapping\n---\nbody text\n",
    ],
)
def test_broken_front_matter_gives_empty_meta(text: str) -> None:
    page = parse(text, "concepts/broken.md")
    assert isinstance(page, Page)
    assert page.meta == {}
    assert "body text" in page.body
    assert page.title == "broken"
    assert page.type == "concept"


def test_no_front_matter_is_all_body() -> None:
    page = parse("# Just markdown\n\ntext\n", "gotchas/plain.md")
    assert page.meta == {}
    assert page.body.startswith("# Just markdown")
    assert page.type == "gotcha"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("_rules/x.md", "rule"),
        ("decisions/x.md", "decision"),
        ("gotchas/x.md", "gotcha"),
        ("concepts/x.md", "concept"),
        ("handoffs/2026-01/x.md", "handoff"),
        ("sessions/2026-01/x.md", "session"),
        ("elsewhere/x.md", "concept"),
        ("top.md", "concept"),
    ],
)
def test_type_falls_back_to_the_folder(path: str, kind: str) -> None:
    assert type_for_path(path) == kind
    assert Page(path, {}).type == kind
    assert Page(path, {"type": "not-a-type"}).type == kind
    assert Page(path, {"type": ["decision"]}).type == kind


def test_explicit_type_wins_over_the_folder() -> None:
    assert Page("concepts/x.md", {"type": "gotcha"}).type == "gotcha"


def test_tags_as_comma_string_list_or_missing() -> None:
    assert Page("x.md", {"tags": "db, storage ,, sqlite "}).tags == ["db", "storage", "sqlite"]
    assert Page("x.md", {"tags": ["a", 2, None]}).tags == ["a", "2"]
    assert Page("x.md", {}).tags == []
    assert Page("x.md", {"tags": 5}).tags == []


def test_title_falls_back_to_the_file_name() -> None:
    assert Page("decisions/use-sqlite.md", {}).title == "use-sqlite"
    assert Page("decisions/use-sqlite.md", {"title": ""}).title == "use-sqlite"
    assert Page("decisions/use-sqlite.md", {"title": 2026}).title == "2026"


def test_symlink_into_the_git_folder_is_rejected(tmp_path: Path) -> None:
    """Issue 10, defect 9: a page that is a symlink to ``.git/config`` must not be read."""
    wiki = tmp_path / "wiki"
    (wiki / ".git").mkdir(parents=True)
    (wiki / ".git" / "config").write_text("[remote]\nurl = https://user:token@example.com\n")
    (wiki / "decisions").mkdir()
    os.symlink("../.git/config", wiki / "decisions" / "config.md")
    os.symlink("../.git", wiki / "decisions" / "g")
    for bad in ("decisions/config.md", "decisions/g/config.md"):
        with pytest.raises(PagePathError, match="escapes"):
            validate_page_path(bad, str(wiki))
