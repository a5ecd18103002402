"""A page's history read from the wiki's git repository: commits with their authors, and the
difference between any two versions."""

from __future__ import annotations

import subprocess
from pathlib import Path

from web_world import WebWorld

from aimem.web import history


def test_page_history_lists_each_change_with_its_author(world: WebWorld) -> None:
    repo = history.open_repo(world.paths[world.main].wiki)
    assert repo is not None
    versions = history.page_history(repo, world.pages["gotcha"])
    assert [v.author for v in versions] == ["Bob", "Alice", "aimem"]
    assert versions[0].message == f"Bob: edit {world.pages['gotcha']}"
    assert versions[-1].message.startswith("write-page: created gotcha")
    # a page written once, then superseded (its status changed): two versions
    assert len(history.page_history(repo, world.pages["old"])) == 2
    assert history.page_history(repo, "decisions/never-existed.md") == []


def test_diff_between_two_versions(world: WebWorld) -> None:
    repo = history.open_repo(world.paths[world.main].wiki)
    versions = history.page_history(repo, world.pages["gotcha"])
    old = history.resolve(repo, versions[-1].sha)
    new = history.resolve(repo, versions[0].short)  # a unique prefix names it too
    lines = history.diff(
        history.text_at(repo, old, world.pages["gotcha"]),
        history.text_at(repo, new, world.pages["gotcha"]),
    )
    assert (
        "del",
        "Without jitter every client retries at once. Related: "
        "[[decisions/use-sqlite-wal-mode-for-the-index]].",
    ) in [(x.kind, x.text) for x in lines]
    added = [x.text for x in lines if x.kind == "add"]
    assert any("retries at the very same moment" in t for t in added)
    assert lines[0].kind == "hunk"


def test_only_commit_ids_resolve(world: WebWorld) -> None:
    repo = history.open_repo(world.paths[world.main].wiki)
    for rev in ("HEAD", "HEAD~1", "main", "@{-1}", "", "zz", "abc", "a" * 41, "0000000"):
        assert history.resolve(repo, rev) is None, rev


def test_a_folder_without_git_is_no_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "wiki").mkdir()
    assert history.open_repo(str(tmp_path / "wiki")) is None  # the parent's repo is not used


def test_recent_changes_name_pages_and_authors(world: WebWorld) -> None:
    repo = history.open_repo(world.paths[world.main].wiki)
    changes = history.recent_changes(repo, 3)
    assert [c.version.author for c in changes] == ["Bob", "Alice", "aimem"]
    assert changes[0].pages == [world.pages["gotcha"]]
    assert all("index.md" not in c.pages and "log.md" not in c.pages for c in changes)
    assert history.sync_state(repo) == []  # no remote
