"""Incremental index updates from the wiki's git history, on a real pygit2 repo and SQLite file."""

from __future__ import annotations

import os

import pytest

from aimem.index import fts
from aimem.index.sync import SyncResult, index_status, indexable, sync_index
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import Page, render

QUERIES = ["redis", "queue durability", "timezone", "deploy", "nothing-matches-this", "page"]


def page_bytes(path: str, title: str, body: str, kind: str, **meta: object) -> bytes:
    return render(Page(path=path, meta={"title": title, "type": kind, **meta}, body=body)).encode()


@pytest.fixture
def wiki(tmp_path):
    """A wiki repo plus helpers to commit pages and to open the index."""

    class Wiki:
        dir = str(tmp_path / "wiki")
        index = str(tmp_path / "index.sqlite")
        repo = wikirepo.open_repo(str(tmp_path / "wiki"))

        def commit(self, changes: dict[str, bytes | None], message: str = "change") -> str:
            sha = wikirepo.commit_files(self.repo, changes, message)
            assert sha is not None
            return sha

        def put(self, path: str, title: str, body: str, kind: str = "concept", **meta) -> str:
            return self.commit({path: page_bytes(path, title, body, kind, **meta)}, f"put {path}")

        def sync(self, index: str | None = None, full: bool = False) -> SyncResult:
            return sync_index(index or self.index, self.dir, full=full)

        def snapshot(self, index: str | None = None) -> dict:
            conn = fts.connect(index or self.index)
            try:
                return {
                    "pages": {e.path: fts.get_page(conn, e.path) for e in fts.list_entries(conn)},
                    "search": {q: fts.search(conn, q, limit=20) for q in QUERIES},
                    "last_commit": fts.get_meta(conn, "last_commit"),
                }
            finally:
                conn.close()

    return Wiki()


def seed(wiki) -> None:
    wiki.commit(
        {
            "decisions/queue.md": page_bytes(
                "decisions/queue.md",
                "Use redis streams",
                "We moved the queue to redis streams for durability.",
                "decision",
                tags=["queue", "redis"],
            ),
            "gotchas/tz.md": page_bytes(
                "gotchas/tz.md", "Timezone bug", "Store UTC; the timezone bit us.", "gotcha"
            ),
            "sessions/2024-05/s1.md": page_bytes(
                "sessions/2024-05/s1.md", "Session one", "Worked on the redis queue.", "session"
            ),
            "_rules/deploy.md": page_bytes(
                "_rules/deploy.md", "Deploy rule", "Never deploy on Fridays.", "rule"
            ),
            "index.md": b"# catalogue\n\nredis timezone deploy page\n",
            "log.md": b"# Log\n\n- redis timezone deploy page\n",
            "_archive/concepts/old.md": page_bytes(
                "_archive/concepts/old.md", "Old redis page", "archived redis page", "concept"
            ),
            ".obsidian/notes.md": b"redis page in a hidden folder\n",
            "README.txt": b"redis page but not markdown\n",
        },
        "seed",
    )


def indexed_paths(index: str) -> list[str]:
    conn = fts.connect(index)
    try:
        return [e.path for e in fts.list_entries(conn)]
    finally:
        conn.close()


EXPECTED = ["_rules/deploy.md", "decisions/queue.md", "gotchas/tz.md", "sessions/2024-05/s1.md"]


# --- no repository yet ----------------------------------------------------------------------


def test_no_repository_gives_zero_result_and_empty_index(tmp_path):
    index = str(tmp_path / "data" / "index.sqlite")
    result = sync_index(index, str(tmp_path / "missing-wiki"))
    assert result == SyncResult(0, 0, 0, None, False)
    assert os.path.exists(index)
    assert indexed_paths(index) == []
    assert not os.path.exists(tmp_path / "missing-wiki")  # sync never creates the wiki


def test_repository_without_commits(wiki):
    assert wiki.sync() == SyncResult(0, 0, 0, None, False)
    assert indexed_paths(wiki.index) == []


# --- first sync and what is indexed ---------------------------------------------------------


def test_first_sync_indexes_pages_only(wiki):
    seed(wiki)
    result = wiki.sync()
    assert result.full is True
    assert (result.added, result.updated, result.deleted) == (4, 0, 0)
    assert result.head == wikirepo.head_commit(wiki.repo)
    assert indexed_paths(wiki.index) == EXPECTED


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("decisions/a.md", True),
        ("sessions/2024-05/a b.md", True),
        ("notes.md", True),
        ("index.md", False),
        ("log.md", False),
        ("_archive/decisions/a.md", False),
        (".obsidian/a.md", False),
        ("decisions/a.txt", False),
        ("decisions/../a.md", False),
    ],
)
def test_indexable(path, expected):
    assert indexable(path) is expected


def test_sync_is_idempotent(wiki):
    seed(wiki)
    wiki.sync()
    before = wiki.snapshot()
    again = wiki.sync()
    assert again == SyncResult(0, 0, 0, wikirepo.head_commit(wiki.repo), False)
    assert wiki.snapshot() == before


# --- incremental ----------------------------------------------------------------------------


def test_incremental_touches_only_changed_pages(wiki, monkeypatch):
    seed(wiki)
    wiki.sync()
    conn = fts.connect(wiki.index)
    untouched_before = conn.execute("SELECT * FROM pages WHERE path = 'gotchas/tz.md'").fetchone()
    conn.close()

    wiki.put("decisions/queue.md", "Use redis streams", "Now with consumer groups.", "decision")
    wiki.put("concepts/new.md", "New page", "A brand new page about caching.")

    touched: list[str] = []
    real_upsert = fts.upsert

    def spy(conn, page):
        touched.append(page.path)
        return real_upsert(conn, page)

    monkeypatch.setattr(fts, "upsert", spy)
    result = wiki.sync()
    assert (result.added, result.updated, result.deleted, result.full) == (1, 1, 0, False)
    assert sorted(touched) == ["concepts/new.md", "decisions/queue.md"]

    conn = fts.connect(wiki.index)
    try:
        after = conn.execute("SELECT * FROM pages WHERE path = 'gotchas/tz.md'").fetchone()
        assert after == untouched_before
        assert [h.path for h in fts.search(conn, "consumer groups")] == ["decisions/queue.md"]
        assert fts.search(conn, "durability") == []
    finally:
        conn.close()


def test_changes_to_skipped_files_touch_nothing(wiki, monkeypatch):
    seed(wiki)
    wiki.sync()
    wiki.commit({"index.md": b"# new catalogue\n", "log.md": b"# Log\n\n- more\n"})
    monkeypatch.setattr(fts, "upsert", lambda conn, page: pytest.fail(f"upserted {page.path}"))
    result = wiki.sync()
    assert (result.added, result.updated, result.deleted, result.full) == (0, 0, 0, False)
    assert indexed_paths(wiki.index) == EXPECTED


def test_delete_propagates(wiki):
    seed(wiki)
    wiki.sync()
    wiki.commit({"gotchas/tz.md": None}, "remove")
    result = wiki.sync()
    assert (result.added, result.updated, result.deleted) == (0, 0, 1)
    assert "gotchas/tz.md" not in indexed_paths(wiki.index)
    conn = fts.connect(wiki.index)
    try:
        assert fts.search(conn, "timezone") == []
    finally:
        conn.close()


def test_archiving_a_page_removes_it_from_search(wiki):
    seed(wiki)
    wiki.sync()
    data = wikirepo.read_file(wiki.repo, "gotchas/tz.md")
    wiki.commit({"gotchas/tz.md": None, "_archive/gotchas/tz.md": data}, "archive")
    result = wiki.sync()
    assert (result.added, result.updated, result.deleted) == (0, 0, 1)
    assert indexed_paths(wiki.index) == [p for p in EXPECTED if p != "gotchas/tz.md"]


def test_reads_committed_blobs_not_the_work_tree(wiki):
    seed(wiki)
    wiki.sync()
    # An uncommitted edit in the work tree is invisible to the index ...
    with open(os.path.join(wiki.dir, "gotchas/tz.md"), "w", encoding="utf-8") as fh:
        fh.write("---\ntitle: Edited\n---\nuncommitted platypus\n")
    wiki.put("decisions/queue.md", "Use redis streams", "Another committed change.", "decision")
    wiki.sync()
    conn = fts.connect(wiki.index)
    try:
        assert fts.search(conn, "platypus") == []
        assert [h.path for h in fts.search(conn, "timezone")] == ["gotchas/tz.md"]
    finally:
        conn.close()


def test_several_commits_between_syncs(wiki):
    seed(wiki)
    wiki.sync()
    wiki.put("concepts/a.md", "A", "first version")
    wiki.put("concepts/a.md", "A", "second version")
    wiki.put("concepts/b.md", "B", "temporary")
    wiki.commit({"concepts/b.md": None})
    result = wiki.sync()
    assert (result.added, result.updated, result.deleted) == (1, 0, 0)
    conn = fts.connect(wiki.index)
    try:
        page = fts.get_page(conn, "concepts/a.md")
        assert page is not None and page.body.strip() == "second version"
        assert fts.get_page(conn, "concepts/b.md") is None
    finally:
        conn.close()


def test_unknown_last_commit_triggers_full_rebuild(wiki):
    seed(wiki)
    wiki.sync()
    conn = fts.connect(wiki.index)
    fts.set_meta(conn, "last_commit", "0" * 40)
    conn.close()
    result = wiki.sync()
    assert result.full is True
    assert (result.added, result.updated, result.deleted) == (0, 4, 0)
    assert indexed_paths(wiki.index) == EXPECTED


@pytest.mark.parametrize("garbage", ["not-a-sha", "", "abc"])
def test_garbage_last_commit_triggers_full_rebuild(wiki, garbage):
    seed(wiki)
    wiki.sync()
    conn = fts.connect(wiki.index)
    fts.set_meta(conn, "last_commit", garbage)
    conn.close()
    assert wiki.sync().full is True
    assert indexed_paths(wiki.index) == EXPECTED


def test_full_rebuild_keeps_access_counters(wiki):
    seed(wiki)
    wiki.sync()
    conn = fts.connect(wiki.index)
    conn.execute("UPDATE pages SET hits = 5, last_access = 99.5 WHERE path = 'gotchas/tz.md'")
    conn.close()
    wiki.sync(full=True)
    conn = fts.connect(wiki.index)
    try:
        row = conn.execute("SELECT hits, last_access FROM pages WHERE path = 'gotchas/tz.md'")
        assert row.fetchone() == (5, 99.5)
    finally:
        conn.close()


def test_repository_losing_its_history_empties_the_index(wiki, tmp_path):
    seed(wiki)
    wiki.sync()
    empty = tmp_path / "empty-wiki"
    wikirepo.open_repo(str(empty))
    result = sync_index(wiki.index, str(empty))
    assert (result.deleted, result.head) == (4, None)
    assert indexed_paths(wiki.index) == []
    assert index_status(wiki.index, str(empty))["up_to_date"] is True


# --- derived and re-runnable ----------------------------------------------------------------


def evolve(wiki, index: str) -> None:
    """A history of adds, edits, deletes and archiving, synced after every step into ``index``."""
    seed(wiki)
    sync_index(index, wiki.dir)
    steps = [
        {
            "concepts/page-1.md": page_bytes(
                "concepts/page-1.md", "Page one", "redis page", "concept"
            )
        },
        {"gotchas/tz.md": page_bytes("gotchas/tz.md", "Timezone", "DST and timezone", "gotcha")},
        {"sessions/2024-05/s1.md": None},
        {
            "handoffs/h1.md": page_bytes(
                "handoffs/h1.md", "Handoff", "deploy the queue durability fix", "handoff"
            ),
            "concepts/page-2.md": page_bytes("concepts/page-2.md", "Page two", "page", "concept"),
        },
        {
            "_rules/deploy.md": None,
            "_archive/_rules/deploy.md": page_bytes(
                "_archive/_rules/deploy.md", "Deploy rule", "Never deploy on Fridays.", "rule"
            ),
        },
    ]
    for changes in steps:
        wiki.commit(changes)
        sync_index(index, wiki.dir)


def test_full_reindex_equals_incremental_result(wiki, tmp_path):
    evolve(wiki, wiki.index)
    incremental = wiki.snapshot()
    rebuilt = str(tmp_path / "rebuilt.sqlite")
    assert sync_index(rebuilt, wiki.dir, full=True).full is True
    assert wiki.snapshot(rebuilt) == incremental
    # And forcing a full rebuild of the incremental index itself changes nothing either.
    wiki.sync(full=True)
    assert wiki.snapshot() == incremental


def test_deleting_the_index_and_resyncing_gives_identical_search(wiki):
    evolve(wiki, wiki.index)
    before = wiki.snapshot()
    assert any(before["search"][q] for q in QUERIES)  # the comparison is not vacuous
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(wiki.index + suffix):
            os.remove(wiki.index + suffix)
    result = wiki.sync()
    assert result.full is True
    assert wiki.snapshot() == before


# --- status ---------------------------------------------------------------------------------


def test_index_status(wiki):
    status = index_status(wiki.index, wiki.dir)
    assert status == {"pages": 0, "last_commit": None, "head": None, "up_to_date": True}
    assert not os.path.exists(wiki.index)  # status creates nothing

    seed(wiki)
    head = wikirepo.head_commit(wiki.repo)
    assert index_status(wiki.index, wiki.dir)["up_to_date"] is False
    wiki.sync()
    status = index_status(wiki.index, wiki.dir)
    assert status == {"pages": 4, "last_commit": head, "head": head, "up_to_date": True}

    wiki.put("concepts/x.md", "X", "x")
    status = index_status(wiki.index, wiki.dir)
    assert (status["up_to_date"], status["last_commit"]) == (False, head)
