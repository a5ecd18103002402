"""Index reads on an agent's behalf: freshness, throttled reinforcement, recent pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimem.index import fts
from aimem.index.reads import counters, ensure_fresh, recent_pages, reinforce, titles
from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    paths = ProjectPaths(str(tmp_path / "proj"))
    write_page(paths, "proj", PageWrite("decision", "Use WAL", "Readers never block."), now=10.0)
    write_page(paths, "proj", PageWrite("gotcha", "Lock order", "Take A before B."), now=20.0)
    return paths


def test_reinforce_counts_once_per_interval(paths: ProjectPaths) -> None:
    conn = fts.connect(paths.index)
    try:
        path = "decisions/use-wal.md"
        assert counters(conn, path) == (0, None)
        assert reinforce(conn, path, now=1000.0)
        assert not reinforce(conn, path, now=1030.0)  # within a minute: throttled
        assert counters(conn, path) == (1, 1000.0)
        assert reinforce(conn, path, now=1060.0)
        assert counters(conn, path) == (2, 1060.0)
        assert not reinforce(conn, "decisions/none.md", now=2000.0)
    finally:
        conn.close()


def test_reinforcement_survives_a_full_rebuild(paths: ProjectPaths) -> None:
    from aimem.index.sync import sync_index

    conn = fts.connect(paths.index)
    reinforce(conn, "decisions/use-wal.md", now=5.0)
    conn.close()
    sync_index(paths.index, paths.wiki, full=True)
    conn = fts.connect(paths.index)
    try:
        assert counters(conn, "decisions/use-wal.md") == (1, 5.0)
    finally:
        conn.close()


def test_ensure_fresh_syncs_only_when_head_moved(paths: ProjectPaths) -> None:
    assert not ensure_fresh(paths.index, paths.wiki)
    repo = wikirepo.open_repo(paths.wiki)
    text = b"---\ntitle: Hand written\ntype: concept\n---\nA concept.\n"
    wikirepo.commit_files(repo, {"concepts/hand.md": text}, "by hand")
    assert ensure_fresh(paths.index, paths.wiki)
    assert not ensure_fresh(paths.index, paths.wiki)
    conn = fts.connect(paths.index)
    try:
        assert fts.get_page(conn, "concepts/hand.md") is not None
    finally:
        conn.close()


def test_ensure_fresh_without_a_wiki(tmp_path: Path) -> None:
    assert not ensure_fresh(str(tmp_path / "index.sqlite"), str(tmp_path / "wiki"))


def test_recent_pages_and_titles(paths: ProjectPaths) -> None:
    conn = fts.connect(paths.index)
    try:
        rows = recent_pages(conn, ("decision", "gotcha"), 5)
        assert [r.path for r in rows] == ["gotchas/lock-order.md", "decisions/use-wal.md"]
        assert recent_pages(conn, ("session",), 5) == []
        found = titles(conn, ["decisions/use-wal.md", "nope.md"])
        assert list(found) == ["decisions/use-wal.md"]
        assert found["decisions/use-wal.md"].title == "Use WAL"
    finally:
        conn.close()


def test_wiki_head_matches_pygit2_loose_packed_detached_unborn(
    paths: ProjectPaths, tmp_path: Path
) -> None:
    import subprocess

    from aimem.index.reads import wiki_head

    repo = wikirepo.open_repo(paths.wiki)
    head = wikirepo.head_commit(repo)
    assert wiki_head(paths.wiki) == head
    subprocess.run(["git", "-C", paths.wiki, "pack-refs", "--all"], check=True)
    assert not Path(paths.wiki, ".git", "refs", "heads", "main").exists()
    assert wiki_head(paths.wiki) == head
    Path(paths.wiki, ".git", "HEAD").write_text(head + "\n")  # detached
    assert wiki_head(paths.wiki) == head
    assert wiki_head(str(tmp_path / "none")) is None
    wikirepo.open_repo(str(tmp_path / "unborn"))
    assert wiki_head(str(tmp_path / "unborn")) is None
