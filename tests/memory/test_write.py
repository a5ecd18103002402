"""Writing knowledge pages through the commit path: validation, redaction, one commit, index,
catalogue, log, brief, supersession, no silent overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimem.index import fts
from aimem.memory.write import PageExists, PageWrite, WriteError, slug_for, write_page
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import PagePathError, parse
from aimem.wiki.read import PageNotFound


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    return ProjectPaths(str(tmp_path / "data" / "projects" / "proj-12345678"))


def commits(paths: ProjectPaths) -> int:
    return wikirepo.commit_count(wikirepo.open_repo(paths.wiki, create=False))


def stored(paths: ProjectPaths, rel: str) -> str:
    data = wikirepo.read_file(wikirepo.open_repo(paths.wiki, create=False), rel)
    assert data is not None, rel
    return data.decode()


def indexed(paths: ProjectPaths, rel: str):
    conn = fts.connect(paths.index)
    try:
        return fts.get_page(conn, rel)
    finally:
        conn.close()


def test_slug_for() -> None:
    assert slug_for("Use WAL for the index!") == "use-wal-for-the-index"
    assert slug_for("Éviter les verrous") == "eviter-les-verrous"
    assert slug_for("日本語").startswith("page-")
    assert len(slug_for("x" * 300)) <= 80


def test_create_commits_once_with_index_catalogue_log_and_brief(paths: ProjectPaths) -> None:
    done = write_page(
        paths,
        "proj",
        PageWrite("decision", "Use WAL for the index", "Readers never block.", tags=["sqlite"]),
        now=1_700_000_000,
    )
    assert (done.action, done.path) == ("created", "decisions/use-wal-for-the-index.md")
    assert done.commit and commits(paths) == 1
    page = parse(stored(paths, done.path), done.path)
    assert page.meta["title"] == "Use WAL for the index"
    assert page.meta["type"] == "decision" and page.meta["status"] == "active"
    assert page.meta["created"] == page.meta["updated"] == "2023-11-14T22:13:20Z"
    assert page.meta["tags"] == ["sqlite"] and page.meta["salience"] == 0.8
    assert page.body.startswith("# Use WAL for the index\n\nReaders never block.")
    assert "[[decisions/use-wal-for-the-index|Use WAL for the index]]" in stored(paths, "index.md")
    assert "write-page created decision decisions/use-wal-for-the-index.md" in stored(
        paths, "log.md"
    )
    hit = indexed(paths, done.path)
    assert hit is not None and hit.title == "Use WAL for the index"
    brief = Path(paths.state, "brief.md").read_text()
    assert "Use WAL for the index" in brief
    # The work tree matches the commit: `git status` in the wiki stays clean.
    assert Path(paths.wiki, done.path).read_text() == stored(paths, done.path)


def test_secrets_are_redacted_before_the_commit(paths: ProjectPaths) -> None:
    key = "sk-ant-api03-" + "a1B2c3D4e5" * 4
    done = write_page(
        paths,
        "proj",
        PageWrite("gotcha", f"Token {key} leaks", f"Set password=hunter2 and {key}.", ["auth"]),
    )
    text = stored(paths, done.path)
    assert done.redacted
    assert "hunter2" not in text and key not in text and "[REDACTED]" in text


def test_same_title_is_an_error_naming_the_path(paths: ProjectPaths) -> None:
    write_page(paths, "proj", PageWrite("rule", "Run ruff before commits", "Always."))
    with pytest.raises(PageExists, match=r"path='_rules/run-ruff-before-commits.md'"):
        write_page(paths, "proj", PageWrite("rule", "Run ruff before commits", "Again."))
    assert commits(paths) == 1


def test_update_keeps_created_and_unchanged_adds_no_commit(paths: ProjectPaths) -> None:
    first = write_page(paths, "proj", PageWrite("concept", "Index", "v1", tags=["a"]), now=100.0)
    again = PageWrite("concept", "Index", "v1", path=first.path)
    assert write_page(paths, "proj", again, now=200.0).action == "unchanged"
    assert commits(paths) == 1
    second = write_page(
        paths, "proj", PageWrite("concept", "Index", "v2", path=first.path), now=300.0
    )
    assert second.action == "updated" and commits(paths) == 2
    page = parse(stored(paths, first.path), first.path)
    assert page.meta["created"] == "1970-01-01T00:01:40Z"
    assert page.meta["updated"] == "1970-01-01T00:05:00Z"
    assert page.meta["tags"] == ["a"]  # None keeps the tags
    assert "v2" in indexed(paths, first.path).body


def test_supersede_marks_the_old_page_in_the_same_commit(paths: ProjectPaths) -> None:
    old = write_page(paths, "proj", PageWrite("decision", "Use a journal file", "Old way."))
    new = write_page(
        paths,
        "proj",
        PageWrite("decision", "Use SQLite WAL", "New way.", supersedes=[old.path]),
    )
    assert new.superseded == [old.path] and commits(paths) == 2
    old_page = parse(stored(paths, old.path), old.path)
    assert old_page.meta["status"] == "superseded"
    assert old_page.meta["superseded_by"] == new.path
    assert parse(stored(paths, new.path), new.path).meta["supersedes"] == [old.path]


@pytest.mark.parametrize(
    ("request_", "error", "match"),
    [
        (PageWrite("session", "T", "B"), WriteError, "type must be one of"),
        (PageWrite("decision", "  ", "B"), WriteError, "title"),
        (PageWrite("decision", "T", ""), WriteError, "body"),
        (PageWrite("decision", "x" * 201, "B"), WriteError, "title is 201"),
        (PageWrite("decision", "T", "B", tags="a,b"), WriteError, "tags must be a list"),
        (PageWrite("decision", "T", "B", salience=2), WriteError, "salience"),
        (PageWrite("decision", "T", "B", path="gotchas/x.md"), WriteError, "under decisions/"),
        (PageWrite("decision", "T", "B", path="../x.md"), PagePathError, "unsafe"),
        (PageWrite("decision", "T", "B", path="decisions/none.md"), PageNotFound, "none"),
        (PageWrite("decision", "T", "B", supersedes=["decisions/gone.md"]), PageNotFound, "gone"),
        (PageWrite("decision", "T", "B", supersedes=["index.md"]), WriteError, "generated"),
    ],
)
def test_bad_requests_raise_and_commit_nothing(
    paths: ProjectPaths, request_: PageWrite, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        write_page(paths, "proj", request_)
    repo = wikirepo.open_repo(paths.wiki)
    assert wikirepo.commit_count(repo) == 0


def test_a_symlinked_type_folder_never_leads_a_write_outside_the_wiki(
    paths: ProjectPaths, tmp_path: Path
) -> None:
    """Issue 10, defect 9: ``gotchas/ -> elsewhere`` (planted by a push, or by hand)."""
    first = write_page(paths, "proj", PageWrite("gotcha", "Flaky clock", "Mock time."))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = Path(paths.wiki, "gotchas")
    for page in folder.iterdir():
        page.unlink()
    folder.rmdir()
    folder.symlink_to(elsewhere)

    updated = write_page(
        paths, "proj", PageWrite("gotcha", "Flaky clock", "Freeze time.", path=first.path)
    )
    created = write_page(paths, "proj", PageWrite("gotcha", "Stale cache", "Clear it."))
    assert (created.action, updated.action) == ("created", "updated")
    assert list(elsewhere.iterdir()) == []
    assert not folder.is_symlink()
    assert sorted(p.name for p in folder.iterdir()) == ["flaky-clock.md", "stale-cache.md"]
    assert "Freeze time." in (folder / "flaky-clock.md").read_text()


def test_lone_surrogates_are_replaced_not_a_crash(paths: ProjectPaths) -> None:
    """A non-UTF-8 command-line argument (Python's surrogate escape ``\\udcff``) or half an
    emoji in JSON (``\\ud83d``) is kept with U+FFFD in its place, like the journal does."""
    done = write_page(
        paths,
        "proj",
        PageWrite("gotcha", "Caf\udcff cut \ud83d", "Body \udcff here.", tags=["t\ud83d"],
                  sources=["sess-\udcff"]),
    )  # fmt: skip
    text = stored(paths, done.path)
    assert "Caf\ufffd cut \ufffd" in text and "Body \ufffd here." in text
    assert "t\ufffd" in text and "sess-\ufffd" in text
    assert done.title == "Caf\ufffd cut \ufffd"
