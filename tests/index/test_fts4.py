"""The FTS4 fallback (``AIMEM_FTS=fts4``, or a SQLite without FTS5) behind the same interface."""

from __future__ import annotations

import pytest

from aimem.index import fts
from tests.index.test_fts import HOSTILE


@pytest.fixture
def conn(tmp_path, monkeypatch):
    monkeypatch.setenv(fts.FTS_ENV, "fts4")
    connection = fts.connect(str(tmp_path / "index.sqlite"))
    yield connection
    connection.close()


def add(conn, path, title, body, kind="concept", **extra):
    fts.upsert(conn, fts.IndexedPage(path=path, title=title, type=kind, body=body, **extra))


def filler(conn, n=8):
    for i in range(n):
        add(conn, f"concepts/filler{i}.md", f"Filler {i}", f"unrelated text number {i} about cats")


def test_fallback_schema_is_fts4(conn):
    assert fts.backend_of(conn) == "fts4"
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'pages_fts'").fetchone()[0]
    assert "fts4" in sql.lower()


def test_switching_backend_rebuilds(tmp_path, monkeypatch):
    db = str(tmp_path / "i.sqlite")
    conn = fts.connect(db, backend="fts5")
    add(conn, "concepts/a.md", "A", "alpha")
    fts.set_meta(conn, "last_commit", "abc")
    conn.close()
    monkeypatch.setenv(fts.FTS_ENV, "fts4")
    conn = fts.connect(db)
    try:
        assert fts.backend_of(conn) == "fts4"
        assert fts.page_count(conn) == 0 and fts.get_meta(conn, "last_commit") is None
        fts.clear(conn)
        assert fts.backend_of(conn) == "fts4"
    finally:
        conn.close()


def test_ranked_search_with_snippets(conn):
    filler(conn)
    add(conn, "sessions/s.md", "Queue work", "switched the queue to redis streams", kind="session")
    add(
        conn, "decisions/d.md", "Queue work", "switched the queue to redis streams", kind="decision"
    )
    add(conn, "concepts/c.md", "Other", "redis only")
    hits = fts.search(conn, "redis streams")
    assert [h.path for h in hits][:2] == ["decisions/d.md", "sessions/s.md"]
    assert hits[2].path == "concepts/c.md"  # any-term fill below the all-terms hits
    assert all(h.score > 0 for h in hits)
    assert "**redis**" in hits[0].snippet
    assert [h.path for h in fts.search(conn, "redis", type="session")] == ["sessions/s.md"]


@pytest.mark.parametrize("query", ["parse_config", "parseConfig", "parse config"])
def test_identifiers(conn, query):
    filler(conn)
    add(conn, "gotchas/a.md", "Crash", "bug in parseConfig()", kind="gotcha")
    add(conn, "gotchas/b.md", "Crash", "bug in parse_config()", kind="gotcha")
    assert {h.path for h in fts.search(conn, query)} == {"gotchas/a.md", "gotchas/b.md"}


def test_phrase_prefix_and_stop_words(conn):
    filler(conn)
    add(conn, "concepts/adjacent.md", "A", "the connection pool filled up")
    add(conn, "concepts/apart.md", "B", "pool of workers; each connection is new")
    assert [h.path for h in fts.search(conn, '"connection pool"')] == ["concepts/adjacent.md"]
    assert len(fts.search(conn, "conn*")) == 2
    assert len(fts.search(conn, "how do we size the pool")) == 2


@pytest.mark.parametrize("query", HOSTILE, ids=lambda q: repr(q)[:30])
def test_hostile_queries_never_raise(conn, query):
    add(conn, "concepts/a.md", "Alpha word", "foo val secret start wikilink nul inside")
    assert isinstance(fts.search(conn, query), list)
    assert fts.page_count(conn) == 1


def test_sync_and_eval_corpus_on_fts4(conn, tmp_path):
    from tests.eval.run_eval import evaluate

    res = evaluate()  # AIMEM_FTS=fts4 is set by the fixture
    assert res.hit5 >= 0.85, res
