"""Identifiers by parts and whole, stop words, phrases and prefixes, retention and supersession."""

from __future__ import annotations

import time

import pytest

from aimem.index import fts


@pytest.fixture
def conn(tmp_path):
    connection = fts.connect(str(tmp_path / "index.sqlite"))
    yield connection
    connection.close()


def add(conn, path, title, body, kind="concept", **extra):
    fts.upsert(conn, fts.IndexedPage(path=path, title=title, type=kind, body=body, **extra))


def filler(conn, n=8):
    for i in range(n):
        add(conn, f"concepts/filler{i}.md", f"Filler {i}", f"unrelated text number {i} about cats")


@pytest.mark.parametrize(
    "body",
    ["bug in parse_config()", "bug in parseConfig()", "bug in ParseConfig", "bug in parse config"],
)
@pytest.mark.parametrize("query", ["parse_config", "parseConfig", "parse config", "ParseConfig"])
def test_identifier_spellings_find_each_other(conn, body, query):
    filler(conn)
    add(conn, "gotchas/a.md", "Startup crash", body, kind="gotcha")
    add(conn, "concepts/b.md", "Other", "we parse the yaml; config lives elsewhere")
    hits = fts.search(conn, query)
    assert hits and hits[0].path == "gotchas/a.md", (body, query)


def test_path_finds_file_name(conn):
    filler(conn)
    add(conn, "gotchas/a.md", "Config crash", "see src/app/config.py line 12")
    add(conn, "concepts/b.md", "App", "the app has a source folder")
    assert fts.search(conn, "src/app/config.py")[0].path == "gotchas/a.md"
    assert fts.search(conn, "config.py")[0].path == "gotchas/a.md"


def test_stop_words_do_not_drive_the_any_term_fill(conn):
    filler(conn)
    add(conn, "gotchas/tz.md", "Timezones", "store timezones as UTC", kind="gotcha")
    add(conn, "concepts/noise.md", "Noise", "how do we do what we do when we do it " * 5)
    hits = fts.search(conn, "how do we handle timezones")
    assert [h.path for h in hits] == ["gotchas/tz.md"]


def test_only_stop_words_are_still_searched(conn):
    add(conn, "concepts/a.md", "Flags", "this is NOT a drill")
    assert [h.path for h in fts.search(conn, "not")] == ["concepts/a.md"]


def test_quoted_phrase_is_honoured(conn):
    filler(conn)
    add(conn, "concepts/adjacent.md", "A", "the connection pool filled up")
    add(conn, "concepts/apart.md", "B", "pool of workers; each connection is new")
    assert [h.path for h in fts.search(conn, '"connection pool"')] == ["concepts/adjacent.md"]
    assert len(fts.search(conn, "connection pool")) == 2


def test_prefix_is_honoured(conn):
    filler(conn)
    add(conn, "concepts/a.md", "A", "kubernetes cluster")
    add(conn, "concepts/b.md", "B", "kubectl apply")
    assert {h.path for h in fts.search(conn, "kube*")} == {"concepts/a.md", "concepts/b.md"}
    assert fts.search(conn, "kube") == []


@pytest.mark.parametrize("query", ['"unbalanced phrase', 'a"b"c', "x*y*", "*kube", '""*', "a*"])
def test_stray_syntax_is_harmless(conn, query):
    add(conn, "concepts/a.md", "A", "unbalanced phrase kube x y a b c")
    assert isinstance(fts.search(conn, query), list)


def test_superseded_decision_ranks_below_its_replacement(conn):
    filler(conn)
    text = "background jobs run on a queue"
    add(conn, "decisions/old.md", "Jobs queue", text, kind="decision", status="superseded")
    add(conn, "decisions/new.md", "Jobs queue", text, kind="decision")
    assert [h.path for h in fts.search(conn, "jobs queue")] == [
        "decisions/new.md",
        "decisions/old.md",
    ]


def test_retention_prefers_fresh_salient_and_read_pages(conn):
    filler(conn)
    now = time.time()
    add(conn, "concepts/old.md", "Cache", "redis cache", updated="2020-01-01", salience=0.5)
    add(conn, "concepts/new.md", "Cache", "redis cache", updated="2099-01-01", salience=0.5)
    assert fts.search(conn, "redis", now=now)[0].path == "concepts/new.md"
    conn.execute(
        "UPDATE pages SET hits = 20, last_access = ? WHERE path = 'concepts/old.md'", (now,)
    )
    assert fts.search(conn, "redis", now=now)[0].path == "concepts/old.md"


def test_old_schema_is_rebuilt(tmp_path):
    db = str(tmp_path / "i.sqlite")
    conn = fts.connect(db)
    fts.set_meta(conn, "schema_version", "1")
    conn.close()
    conn = fts.connect(db)
    try:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(pages_fts)")]
        assert "idents" in cols
    finally:
        conn.close()
