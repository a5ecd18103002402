"""Every language searchable: words of scripts written without spaces (Chinese, Japanese, Thai,
Lao, Khmer, Myanmar; Korean with its particles) are found inside longer runs, through the
trigram table beside the word index, on real SQLite files and a real wiki repository; an index
built by the previous schema is rebuilt by the next sync."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimem.index import fts
from aimem.index.query import parse_query, unsegmented_runs, unsegmented_text
from aimem.index.sync import sync_index
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import Page, render

PAGES = {
    "concepts/title.md": ("日本語のタイトル", "本文です。設定ファイルの説明。", ()),
    "concepts/config.md": ("設定 config", "the config loader reads 東京 settings", ()),
    "concepts/english.md": ("English page", "about config files and loaders", ()),
    "concepts/thai.md": ("ภาษาไทยง่าย", "ข้อความภาษาไทยสำหรับทดสอบ", ()),
    "concepts/korean.md": ("한국어를 배우기", "문법 설명", ("언어",)),
    "concepts/chinese.md": ("数据库迁移", "我们决定使用数据库迁移工具", ("数据库",)),
    "gotchas/kana.md": ("カタカナ注意", "半角ｶﾀｶﾅは別の文字", ()),
}


def fill(conn: sqlite3.Connection) -> None:
    for path, (title, body, tags) in PAGES.items():
        kind = "gotcha" if path.startswith("gotchas/") else "concept"
        fts.upsert(conn, fts.IndexedPage(path, title, kind, list(tags), body))
    for i in range(6):  # unrelated pages, none with unsegmented text
        fts.upsert(conn, fts.IndexedPage(f"concepts/f{i}.md", f"Filler {i}", "concept", [], "x y"))


@pytest.fixture(params=["fts5", "fts4"])
def conn(request, tmp_path):
    connection = fts.connect(str(tmp_path / "index.sqlite"), backend=request.param)
    fill(connection)
    yield connection
    connection.close()


def paths(conn: sqlite3.Connection, query: str, **kw) -> list[str]:
    return [hit.path for hit in fts.search(conn, query, **kw)]


def test_the_trigram_table_is_used_where_sqlite_has_it(conn):
    expected = "trigram" if fts.backend_of(conn) == "fts5" else "plain"
    assert fts.tri_kind(conn) == expected
    rows = conn.execute("SELECT count(*) FROM pages_tri").fetchone()[0]
    assert rows == len(PAGES) - 1  # only pages that hold unsegmented text get a row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("日本語", ["concepts/title.md"]),  # a word inside a longer run
        ("タイトル", ["concepts/title.md"]),
        ("設定ファイル", ["concepts/title.md"]),  # 3+ characters: trigram MATCH
        ("語", ["concepts/title.md"]),  # one character: no trigram, still found
        ("東京", ["concepts/config.md"]),  # two characters
        ("ภาษาไทย", ["concepts/thai.md"]),
        ("ทดสอบ", ["concepts/thai.md"]),
        ("한국어", ["concepts/korean.md"]),  # Korean word without its particle
        ("迁移", ["concepts/chinese.md"]),
        ("カタカナ", ["gotchas/kana.md"]),
        ("存在しない", []),
    ],
)
def test_unsegmented_words_are_found_inside_runs(conn, query, expected):
    assert paths(conn, query) == expected


def test_title_and_tags_rank_above_the_body(conn):
    fts.upsert(conn, fts.IndexedPage("concepts/z.md", "Notes", "concept", [], "数据库 " * 3))
    hits = paths(conn, "数据库")
    assert hits[0] == "concepts/chinese.md"  # in its title and tags
    assert set(hits) == {"concepts/chinese.md", "concepts/z.md"}


def test_mixed_queries_want_every_part_then_any(conn):
    assert paths(conn, "設定 config")[0] == "concepts/config.md"  # holds both
    assert set(paths(conn, "設定 config")) == {
        "concepts/config.md",
        "concepts/title.md",
        "concepts/english.md",
    }
    assert paths(conn, "日本語", type="gotcha") == []
    assert paths(conn, "カタカナ", type="gotcha") == ["gotchas/kana.md"]


def test_snippets_mark_the_run_where_it_is(conn):
    (hit,) = fts.search(conn, "日本語")
    assert hit.snippet == "**日本語**のタイトル"
    (hit,) = fts.search(conn, "ทดสอบ")
    assert "**ทดสอบ**" in hit.snippet


def test_updates_and_deletes_keep_the_trigram_table_in_step(conn):
    fts.upsert(conn, fts.IndexedPage("concepts/title.md", "English now", "concept", [], "none"))
    assert paths(conn, "日本語") == []
    fts.upsert(conn, fts.IndexedPage("concepts/title.md", "また日本語", "concept", [], ""))
    assert paths(conn, "日本語") == ["concepts/title.md"]
    fts.delete(conn, "concepts/title.md")
    assert paths(conn, "日本語") == []
    fts.clear(conn)
    assert conn.execute("SELECT count(*) FROM pages_tri").fetchone()[0] == 0


def test_word_queries_do_not_touch_the_trigram_table(conn):
    assert paths(conn, "config")[:2] == ["concepts/config.md", "concepts/english.md"]


def test_query_parsing_of_unsegmented_runs():
    items = parse_query('日本語 config "東京 tower" 한국어를 ภาษาไทย')
    assert [(i.text, i.kind) for i in items] == [
        ("日本語", "substring"),
        ("東京", "substring"),
        ("한국어를", "substring"),
        ("ภาษาไทย", "substring"),
        ("config", "word"),
        ("tower", "word"),
    ]
    # Hangul typed as conjoining jamo (NFD) is the same word as the precomposed syllables.
    import unicodedata

    assert unsegmented_runs(unicodedata.normalize("NFD", "한국어")) == ["한국어"]
    assert unsegmented_text("abc 東京Tower大阪", "") == "東京\n大阪"
    assert unsegmented_text("plain ascii") == ""


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_any_query_is_safe(text):
    connection = fts.connect(":memory:")
    fill(connection)
    hits = fts.search(connection, text)
    assert all(hit.score > 0 for hit in hits)
    connection.close()


@given(
    st.text(alphabet="日本語のタイトル設定東京数据库迁移ภาษาไทย한국어 ab", min_size=1, max_size=12)
)
@settings(max_examples=200)
def test_every_substring_of_a_title_finds_its_page(text):
    connection = fts.connect(":memory:")
    fts.upsert(connection, fts.IndexedPage("concepts/p.md", text, "concept", [], ""))
    for run in unsegmented_runs(text):
        for start in range(len(run)):
            for end in range(start + 1, min(len(run), start + 5) + 1):
                assert [h.path for h in fts.search(connection, run[start:end])] == [
                    "concepts/p.md"
                ], run[start:end]
    connection.close()


def test_an_index_built_by_the_previous_schema_is_rebuilt_by_sync(tmp_path):
    wiki = str(tmp_path / "wiki")
    index = str(tmp_path / "index.sqlite")
    repo = wikirepo.open_repo(wiki)
    path = "concepts/日本語のメモ.md"
    page = Page(path=path, meta={"title": "日本語のメモ", "type": "concept"}, body="設定の話")
    wikirepo.commit_files(repo, {path: render(page).encode()}, "add")
    sync_index(index, wiki)
    # What schema 4 left on disk: no pages_tri, version "4", and an up-to-date last_commit.
    conn = sqlite3.connect(index)
    conn.execute("DROP TABLE pages_tri")
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    result = sync_index(index, wiki)
    assert result.full
    conn = fts.connect(index)
    assert fts.get_meta(conn, "schema_version") == fts.SCHEMA_VERSION == "5"
    assert [h.path for h in fts.search(conn, "メモ")] == [path]
    assert [h.path for h in fts.search(conn, "設定")] == [path]
    conn.close()
