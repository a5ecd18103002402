"""Query parsing: words, phrases, prefixes, identifiers and stop words; never FTS syntax."""

from __future__ import annotations

from aimem.index import query
from aimem.index.query import Item, parse_query


def test_query_terms():
    assert query.query_terms('NEAR(foo "bar" -baz:qux*') == ["NEAR", "foo", "bar", "baz", "qux"]
    assert query.query_terms("Foo foo FOO ___ bar") == ["Foo", "bar"]
    assert len(query.query_terms(" ".join(f"w{i}" for i in range(500)))) == query.MAX_TERMS


def test_identifier_parts():
    assert query.identifier_parts("parseConfig") == ["parse", "config"]
    assert query.identifier_parts("parse_config") == ["parse", "config"]
    assert query.identifier_parts("HTTPServer2") == ["http", "server", "2"]
    text = query.identifier_text("call parseConfig and max_retries, not plain words")
    assert "parse config parseconfig" in text and "max retries maxretries" in text
    assert "plain" not in text


def test_parse_query_words_phrases_prefixes_and_stop_words():
    # "a*" is too short to be a prefix: it is the word "a", a stop word, so it goes.
    assert parse_query('how do we handle "retry budget" conf* a*') == [
        Item("handle", "word"),
        Item("retry budget", "phrase"),
        Item("conf", "prefix"),
    ]


def test_only_stop_words_are_kept_when_nothing_else_is_left():
    assert [i.text for i in parse_query("how do we")] == ["how", "do", "we"]


def test_unbalanced_quotes_and_operators_are_words():
    items = parse_query('"unclosed NEAR(x) OR -y')
    assert all(i.kind == "word" for i in items)
    assert [i.text for i in items] == ["unclosed", "NEAR", "x", "y"]


def test_expressions_quote_every_term_and_join_identifier_variants():
    assert Item("x", "word").expression() == '"x"'
    assert Item("retry budget", "phrase").expression() == '"retry budget"'
    assert Item("conf", "prefix").expression() == '"conf"*'
    assert Item("conf", "prefix").expression("fts4") == '"conf*"'
    # "parseconfig" is the word itself to a case-insensitive index, so it is not repeated.
    assert Item("parseConfig", "word").expression() == '("parseConfig" OR "parse config")'
    assert Item("parse_config", "word").expression() == (
        '("parse_config" OR "parse config" OR "parseconfig")'
    )
    assert Item('say"hi', "phrase").expression() == '"say""hi"'  # quotes doubled
