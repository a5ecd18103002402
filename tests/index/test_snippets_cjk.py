"""Snippets for runs of unsegmented scripts: the run is marked where it is, inside a longer run,
and a body without spaces is cut by characters, not returned whole."""

from __future__ import annotations

from aimem.index import snippets
from aimem.index.query import parse_query


def snip(query: str, body: str, title: str = "T", tags: str = "") -> str:
    return snippets.snippet(title, tags, body, snippets.highlighter(parse_query(query)))


def test_a_run_is_marked_inside_a_longer_run():
    assert snip("日本語", "これは日本語のタイトルです") == "これは**日本語**のタイトルです"
    assert snip("語", "", title="日本語のタイトル") == "日本**語**のタイトル"


def test_mixed_queries_mark_words_and_runs():
    text = snip("設定 config", "the config file 設定ファイル here")
    assert "**config**" in text and "**設定**" in text


def test_a_long_body_without_spaces_gets_a_window_of_characters():
    body = "前置き" * 100 + "目的の語句" + "後書き" * 100
    text = snip("目的", body)
    assert "**目的**" in text
    assert text.startswith("…") and text.endswith("…")
    assert len(text) <= snippets.CHARS_BEFORE + snippets.CHARS_AFTER + 6


def test_words_of_spaced_scripts_are_unchanged():
    assert snip("timezones", "we store timezone data in UTC") == "we store **timezone** data in UTC"
