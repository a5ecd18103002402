"""A page's neighbourhood from the index: links, backlinks, shared tags, shared sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimem.index import fts
from aimem.index.graph import explore
from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.read import PageNotFound

SESSION = "5f0c2a9e-1b7d-4c3e-9a8f-0123456789ab"


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    paths = ProjectPaths(str(tmp_path / "proj"))

    def page(kind: str, title: str, body: str, tags: list[str], sources=()) -> None:
        write_page(paths, "proj", PageWrite(kind, title, body, tags, sources=list(sources)))

    page("decision", "Use WAL", "Readers never block. See [[lock-order]].", ["sqlite", "index"])
    page("gotcha", "Lock order", "Take A before B.", ["locks"], [SESSION])
    page(
        "concept", "Index layout", "Built on [[decisions/use-wal|WAL]] and [[nowhere]].", ["index"]
    )
    page("rule", "Always WAL", "Links: [[use-wal]]", ["sqlite"])
    page("concept", "Unrelated", "Mentions use wal in prose only.", ["misc"])
    # A session page and a handoff sharing the gotcha's source session, committed as
    # consolidation would (paths carry the short session id).
    repo = wikirepo.open_repo(paths.wiki)
    short = "456789ab"
    session = (
        f"---\ntitle: A session\ntype: session\nsources: [{SESSION}]\n"
        f"updated: '2026-01-01T00:00:00Z'\n---\nsession `{SESSION}`\n"
    )
    handoff = f"---\ntitle: Handoff\ntype: handoff\nsources: ['{SESSION}']\n---\nSummary\n"
    wikirepo.commit_files(
        repo,
        {
            f"sessions/2026-01/2026-01-01-claude-code-{short}.md": session.encode(),
            f"handoffs/2026-01/2026-01-01-{short}.md": handoff.encode(),
        },
        "sessions",
    )
    from aimem.index.sync import sync_index

    sync_index(paths.index, paths.wiki)
    return paths


def hood(paths: ProjectPaths, path: str, limit: int = 10):
    conn = fts.connect(paths.index)
    try:
        return explore(conn, paths.wiki, path, limit)
    finally:
        conn.close()


def test_links_and_broken_links(paths: ProjectPaths) -> None:
    found = hood(paths, "concepts/index-layout")
    assert [n.path for n in found.links] == ["decisions/use-wal.md"]
    assert found.links[0].title == "Use WAL" and found.links[0].type == "decision"
    assert found.broken_links == ["nowhere"]


def test_backlinks_by_path_and_by_name_not_by_prose(paths: ProjectPaths) -> None:
    found = hood(paths, "decisions/use-wal.md")
    assert sorted(n.path for n in found.backlinks) == [
        "_rules/always-wal.md",
        "concepts/index-layout.md",
    ]
    assert [n.path for n in hood(paths, "gotchas/lock-order.md").backlinks] == [
        "decisions/use-wal.md"
    ]


def test_shared_tags_rank_by_overlap(paths: ProjectPaths) -> None:
    found = hood(paths, "decisions/use-wal.md")
    shared = {n.path: n.shared for n in found.shared_tags}
    assert shared == {"_rules/always-wal.md": ["sqlite"], "concepts/index-layout.md": ["index"]}
    assert hood(paths, "concepts/unrelated.md").shared_tags == []


def test_shared_sessions_from_front_matter(paths: ProjectPaths) -> None:
    found = hood(paths, "gotchas/lock-order.md")
    assert sorted(n.path for n in found.shared_sessions) == [
        "handoffs/2026-01/2026-01-01-456789ab.md",
        "sessions/2026-01/2026-01-01-claude-code-456789ab.md",
    ]
    assert all(n.shared == [SESSION] for n in found.shared_sessions)
    assert found.sources == [SESSION]
    back = hood(paths, "sessions/2026-01/2026-01-01-claude-code-456789ab.md")
    assert {n.path for n in back.shared_sessions} == {
        "gotchas/lock-order.md",
        "handoffs/2026-01/2026-01-01-456789ab.md",
    }


def test_limit_and_missing_page(paths: ProjectPaths) -> None:
    assert len(hood(paths, "decisions/use-wal.md", limit=1).backlinks) == 1
    with pytest.raises(PageNotFound):
        hood(paths, "decisions/none.md")


def test_index_resolver_matches_the_set_resolver(paths: ProjectPaths) -> None:
    from aimem.index.graph import IndexResolver
    from aimem.wiki.links import LinkResolver

    conn = fts.connect(paths.index)
    try:
        every = [row[0] for row in conn.execute("SELECT path FROM pages")]
        by_set = LinkResolver([*every, "index.md"])
        by_index = IndexResolver(conn, ["index.md"])
        targets = ["use-wal", "decisions/use-wal", "USE-WAL", "lock-order.md", "index", "x/use-wal"]
        targets += ["2026-01/2026-01-01-456789ab", "nowhere", "../etc/passwd", "_rules/always-wal"]
        for target in targets:
            assert by_index.resolve(target) == by_set.resolve(target), target
    finally:
        conn.close()
