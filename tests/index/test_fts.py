"""The FTS5 index: schema, writes, ranking, hostile queries and snippets, on a real SQLite file."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from aimem.index import fts, rank, snippets
from aimem.wiki.pages import Page


@pytest.fixture
def conn(tmp_path):
    connection = fts.connect(str(tmp_path / "nested" / "index.sqlite"))
    yield connection
    connection.close()


def add(
    conn: sqlite3.Connection,
    path: str,
    title: str,
    body: str = "",
    kind: str = "concept",
    tags: tuple[str, ...] = (),
) -> None:
    fts.upsert(conn, fts.IndexedPage(path=path, title=title, type=kind, tags=list(tags), body=body))


def filler(conn: sqlite3.Connection, n: int = 8) -> None:
    """Unrelated pages, so that BM25's IDF is not clamped to ~0 in a tiny corpus."""
    for i in range(n):
        add(conn, f"concepts/filler-{i}.md", f"Filler {i}", f"unrelated words number {i} here")


# --- schema ---------------------------------------------------------------------------------


def test_connect_creates_schema_in_wal_mode(tmp_path):
    path = tmp_path / "a" / "b" / "index.sqlite"
    conn = fts.connect(str(path))
    try:
        assert path.exists()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"pages", "pages_fts", "meta"} <= names
        assert fts.get_meta(conn, "schema_version") == fts.SCHEMA_VERSION
        assert fts.page_count(conn) == 0
    finally:
        conn.close()


def test_reconnect_keeps_data(tmp_path):
    db = str(tmp_path / "index.sqlite")
    conn = fts.connect(db)
    add(conn, "concepts/a.md", "Alpha")
    fts.set_meta(conn, "last_commit", "abc")
    conn.close()
    conn = fts.connect(db)
    try:
        assert fts.page_count(conn) == 1
        assert fts.get_meta(conn, "last_commit") == "abc"
    finally:
        conn.close()


def test_other_schema_version_is_dropped_and_rebuilt(tmp_path):
    db = str(tmp_path / "index.sqlite")
    conn = fts.connect(db)
    add(conn, "concepts/a.md", "Alpha")
    fts.set_meta(conn, "last_commit", "abc")
    fts.set_meta(conn, "schema_version", "0")
    conn.close()
    conn = fts.connect(db)
    try:
        assert fts.page_count(conn) == 0
        assert fts.get_meta(conn, "last_commit") is None
        assert fts.get_meta(conn, "schema_version") == fts.SCHEMA_VERSION
    finally:
        conn.close()


def test_meta_set_get_and_remove(conn):
    assert fts.get_meta(conn, "k") is None
    fts.set_meta(conn, "k", "v1")
    fts.set_meta(conn, "k", "v2")
    assert fts.get_meta(conn, "k") == "v2"
    fts.set_meta(conn, "k", None)
    assert fts.get_meta(conn, "k") is None


# --- writes ---------------------------------------------------------------------------------


def test_upsert_reports_new_and_replaces_old_terms(conn):
    page = fts.IndexedPage("concepts/a.md", "Cache", "concept", ["perf"], "uses redis for caching")
    assert fts.upsert(conn, page) is True
    assert [h.path for h in fts.search(conn, "redis")] == ["concepts/a.md"]
    page.body = "uses memcached now"
    page.tags = ["speed"]
    assert fts.upsert(conn, page) is False
    assert fts.page_count(conn) == 1
    assert fts.search(conn, "redis") == []
    assert fts.search(conn, "perf") == []
    assert [h.path for h in fts.search(conn, "memcached")] == ["concepts/a.md"]
    assert [h.path for h in fts.search(conn, "speed")] == ["concepts/a.md"]
    stored = fts.get_page(conn, "concepts/a.md")
    assert stored is not None and stored.body == "uses memcached now" and stored.tags == ["speed"]


def test_update_keeps_row_id_and_counters(conn):
    add(conn, "concepts/a.md", "Alpha", "one")
    conn.execute("UPDATE pages SET hits = 7, last_access = 123.0 WHERE path = 'concepts/a.md'")
    before = conn.execute("SELECT id FROM pages").fetchone()[0]
    add(conn, "concepts/a.md", "Alpha", "two")
    assert conn.execute("SELECT id, hits, last_access FROM pages").fetchone() == (before, 7, 123.0)
    assert conn.execute("SELECT rowid FROM pages_fts").fetchall() == [(before,)]


def test_delete(conn):
    add(conn, "concepts/a.md", "Alpha", "zebra")
    add(conn, "concepts/b.md", "Beta", "zebra")
    assert fts.delete(conn, "concepts/a.md") is True
    assert fts.delete(conn, "concepts/a.md") is False
    assert [h.path for h in fts.search(conn, "zebra")] == ["concepts/b.md"]
    assert conn.execute("SELECT count(*) FROM pages_fts").fetchone()[0] == 1


def test_clear_drops_pages_and_last_commit(conn):
    add(conn, "concepts/a.md", "Alpha", "zebra")
    fts.set_meta(conn, "last_commit", "abc")
    fts.clear(conn)
    assert fts.page_count(conn) == 0
    assert fts.search(conn, "zebra") == []
    assert fts.get_meta(conn, "last_commit") is None
    assert fts.get_meta(conn, "schema_version") == fts.SCHEMA_VERSION


def test_nested_transaction_failure_rolls_back_only_inner(conn):
    with fts.transaction(conn):
        add(conn, "concepts/a.md", "Alpha")
        with pytest.raises(RuntimeError), fts.transaction(conn):
            add(conn, "concepts/b.md", "Beta")
            raise RuntimeError("boom")
    assert [e.path for e in fts.list_entries(conn)] == ["concepts/a.md"]


def test_page_to_indexed_normalises_front_matter():
    page = Page(
        path="decisions/use-wal.md",
        meta={
            "title": "Use WAL",
            "type": "decision",
            "created": dt.date(2024, 5, 1),
            "updated": dt.datetime(2024, 5, 2, 10, 0, tzinfo=dt.UTC),
            "tags": "sqlite, storage, sqlite",
            "salience": "not a number",
            "pinned": "yes",
            "status": "active",
        },
        body="Body text.",
    )
    got = fts.page_to_indexed(page)
    assert got == fts.IndexedPage(
        path="decisions/use-wal.md",
        title="Use WAL",
        type="decision",
        tags=["sqlite", "storage"],
        body="Body text.",
        created="2024-05-01",
        updated="2024-05-02T10:00:00Z",
        salience=rank.DEFAULT_SALIENCE,
        pinned=True,
        status="active",
    )


def test_page_to_indexed_defaults_from_path():
    got = fts.page_to_indexed(Page(path="gotchas/tz-bug.md", meta={}, body="x"))
    assert (got.title, got.type, got.tags, got.pinned, got.status) == (
        "tz-bug",
        "gotcha",
        [],
        False,
        None,
    )
    assert got.salience == rank.DEFAULT_SALIENCE


def test_list_entries(conn):
    fts.upsert(conn, fts.IndexedPage("sessions/s.md", "S", "session", updated="2024-01-02"))
    fts.upsert(conn, fts.IndexedPage("concepts/c.md", "C", "concept"))
    assert fts.list_entries(conn) == [
        fts.PageEntry("concepts/c.md", "C", "concept", ""),
        fts.PageEntry("sessions/s.md", "S", "session", "2024-01-02"),
    ]


# --- ranking --------------------------------------------------------------------------------


def test_title_hit_beats_body_only_hit(conn):
    filler(conn)
    add(conn, "concepts/body.md", "Something else", "we talk about migrations somewhere in here")
    add(conn, "concepts/title.md", "Migrations", "nothing relevant in the body at all")
    hits = fts.search(conn, "migrations")
    assert [h.path for h in hits] == ["concepts/title.md", "concepts/body.md"]
    assert hits[0].score > hits[1].score > 0


def test_tag_hit_beats_body_only_hit(conn):
    filler(conn)
    add(conn, "concepts/body.md", "One", "a note that mentions postgres once in a longer body")
    add(conn, "concepts/tag.md", "Two", "a note about something different", tags=("postgres",))
    assert [h.path for h in fts.search(conn, "postgres")] == ["concepts/tag.md", "concepts/body.md"]


def test_decision_beats_session_with_same_text(conn):
    filler(conn)
    text = "switched the queue to redis streams for durability"
    add(conn, "sessions/s.md", "Queue work", text, kind="session")
    add(conn, "decisions/d.md", "Queue work", text, kind="decision")
    hits = fts.search(conn, "redis streams")
    assert [h.type for h in hits] == ["decision", "session"]
    assert hits[0].score == pytest.approx(hits[1].score * 1.4 / 0.8)


@pytest.mark.parametrize(
    ("better", "worse"),
    [("rule", "decision"), ("gotcha", "concept"), ("concept", "handoff"), ("handoff", "session")],
)
def test_type_boost_order(conn, better, worse):
    filler(conn)
    add(conn, f"x/{worse}.md", "Same", "identical words here", kind=worse)
    add(conn, f"x/{better}.md", "Same", "identical words here", kind=better)
    assert [h.type for h in fts.search(conn, "identical")] == [better, worse]


def test_all_terms_first_then_any_term_fill(conn):
    filler(conn)
    add(conn, "concepts/both.md", "Both", "alpha beta")
    add(conn, "concepts/alpha.md", "Alpha", "alpha alpha alpha")  # strong on one term only
    add(conn, "concepts/beta.md", "Beta", "beta")
    hits = fts.search(conn, "alpha beta")
    paths = [h.path for h in hits]
    assert paths[0] == "concepts/both.md"
    assert sorted(paths[1:]) == ["concepts/alpha.md", "concepts/beta.md"]
    assert len(paths) == len(set(paths))
    assert [h.path for h in fts.search(conn, "alpha beta", limit=1)] == ["concepts/both.md"]


def test_results_sorted_best_first_with_positive_scores(conn):
    filler(conn)
    for i in range(6):
        add(conn, f"concepts/p{i}.md", f"Page {i}", "kiwi " * (i + 1) + "and more text")
    hits = fts.search(conn, "kiwi")
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)


def test_stemming_and_case(conn):
    add(conn, "concepts/a.md", "Runner", "The tests were RUNNING slowly")
    assert [h.path for h in fts.search(conn, "run")] == ["concepts/a.md"]
    assert [h.path for h in fts.search(conn, "Runs")] == ["concepts/a.md"]


def test_unicode_text(conn):
    add(conn, "concepts/cafe.md", "Café notes", "naïve résumé handling in Zürich")
    assert [h.path for h in fts.search(conn, "zürich")] == ["concepts/cafe.md"]
    assert [h.path for h in fts.search(conn, "CAFÉ 🚀")] == ["concepts/cafe.md"]


def test_operator_words_are_searched_as_words(conn):
    add(conn, "concepts/a.md", "Flags", "this is NOT a drill, near the end OR beginning")
    add(conn, "concepts/b.md", "Other", "nothing to see")
    for text in ("NOT", "NEAR", "OR", "AND NOT OR"):
        assert [h.path for h in fts.search(conn, text)] == ["concepts/a.md"], text


def test_snake_case_identifier(conn):
    add(conn, "concepts/a.md", "Config", "set max_retries in the client")
    add(conn, "concepts/b.md", "Other", "retries max")
    hits = fts.search(conn, "max_retries")
    assert hits[0].path == "concepts/a.md"


def test_type_filter(conn):
    add(conn, "decisions/d.md", "Queue", "redis", kind="decision")
    add(conn, "sessions/s.md", "Queue", "redis", kind="session")
    assert [h.path for h in fts.search(conn, "redis", type="session")] == ["sessions/s.md"]
    assert [h.path for h in fts.search(conn, "redis", type="decision")] == ["decisions/d.md"]
    assert fts.search(conn, "redis", type="rule") == []


@pytest.mark.parametrize("bad", ["", "decisions", "Rule", "x; DROP TABLE pages"])
def test_type_filter_rejects_unknown_types(conn, bad):
    with pytest.raises(ValueError, match="unknown page type"):
        fts.search(conn, "anything", type=bad)


def test_limit_is_clamped(conn):
    for i in range(105):
        add(conn, f"concepts/p{i:03}.md", f"Page {i}", "common word")
    assert len(fts.search(conn, "common", limit=0)) == 1
    assert len(fts.search(conn, "common", limit=-5)) == 1
    assert len(fts.search(conn, "common", limit=1000)) == fts.MAX_LIMIT
    assert len(fts.search(conn, "common")) == 10


def test_project_and_fields_are_filled(conn):
    add(conn, "gotchas/g.md", "Timezones bite", "store UTC", kind="gotcha")
    (hit,) = fts.search(conn, "utc", project="myapp-1234")
    assert (hit.path, hit.title, hit.type, hit.project) == (
        "gotchas/g.md",
        "Timezones bite",
        "gotcha",
        "myapp-1234",
    )


# --- hostile queries ------------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    '"',
    '""',
    '"unbalanced',
    "'",
    "it's",
    "*",
    "foo*",
    "NEAR(",
    "NEAR(a b, 2)",
    "a OR",
    "OR",
    "AND",
    "NOT",
    "a AND NOT b",
    "-foo",
    "col:val",
    "title:secret",
    "{title tags}: x",
    "^",
    "^start",
    "(((",
    ")))",
    "a + b",
    "\x00",
    "nul\x00inside",
    "\ud800 lone surrogate",
    "🚀🔥💥",
    "___",
    "a" * 100_000,
    "word " * 5_000,
    "; DROP TABLE pages; --",
    "%_%",
    "\\",
    "\n\t\r",
    "ünïcödé 日本語 ✓",
    "[[wikilink]]",
    "$(rm -rf /)",
]


@pytest.mark.parametrize("query", HOSTILE, ids=lambda q: repr(q)[:30])
def test_hostile_queries_never_raise(conn, query):
    add(conn, "concepts/a.md", "Alpha word", "foo val secret start wikilink 日本語 nul inside")
    hits = fts.search(conn, query)
    assert isinstance(hits, list)
    fts.search(conn, query, type="concept", limit=3)
    assert fts.page_count(conn) == 1  # and nothing was dropped


@pytest.mark.parametrize("query", ["", "   ", '"', "*", "(((", "🚀🔥", "___", "\x00", "-:^"])
def test_queries_without_words_find_nothing(conn, query):
    add(conn, "concepts/a.md", "Alpha", "anything")
    assert fts.search(conn, query) == []


# --- snippets -------------------------------------------------------------------------------


def test_snippet_highlights_body_hit(conn):
    body = " ".join(["lorem"] * 40) + " the flux capacitor needs care " + " ".join(["ipsum"] * 40)
    add(conn, "concepts/a.md", "Time travel", body)
    (hit,) = fts.search(conn, "capacitor")
    assert "**capacitor**" in hit.snippet
    assert "…" in hit.snippet
    assert len(hit.snippet.split()) <= snippets.SNIPPET_TOKENS + 2


def test_snippet_is_one_line(conn):
    add(conn, "concepts/a.md", "Lines", "first line\n\nsecond\tline with needle\n- bullet")
    (hit,) = fts.search(conn, "needle")
    assert "\n" not in hit.snippet and "\t" not in hit.snippet
    assert "**needle**" in hit.snippet


def test_snippet_falls_back_to_title(conn):
    add(conn, "concepts/a.md", "Deployment checklist", "**Bold** text that says nothing")
    (hit,) = fts.search(conn, "checklist")
    assert hit.snippet == "Deployment **checklist**"


def test_snippet_body_markdown_bold_is_not_a_hit(conn):
    add(conn, "concepts/a.md", "Marker", "**Bold** text here\n\nand later a unicorn appears")
    (hit,) = fts.search(conn, "unicorn")
    assert "**unicorn**" in hit.snippet


def test_snippet_for_tag_only_hit(conn):
    add(conn, "concepts/a.md", "Title", "body words", tags=("kubernetes",))
    (hit,) = fts.search(conn, "kubernetes")
    assert hit.snippet == "**kubernetes**"


def test_control_characters_never_reach_a_snippet(conn):
    add(conn, "concepts/a.md", "T\x02itle", "odd \x02control\x03 \x1b[31mchars and target")
    (hit,) = fts.search(conn, "target")
    assert not any(ch in hit.snippet for ch in "\x02\x03\x1b")
    assert "**target**" in hit.snippet
