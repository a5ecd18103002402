"""Snippets: the line of context under each hit, with the query's words marked."""

from __future__ import annotations

from aimem.index import snippets
from aimem.index.query import parse_query


def snip(query: str, body: str, title: str = "Title", tags: str = "") -> str:
    return snippets.snippet(title, tags, body, snippets.highlighter(parse_query(query)))


def test_stems_cover_inflections_identifier_parts_and_prefixes():
    found = snippets.stems(parse_query('timezones parseConfig "retry loops" conf*'))
    assert {"timezon", "parseconfig", "pars", "config", "retr", "loop", "conf"} <= set(found)
    assert found == sorted(found, key=lambda s: (-len(s), s))  # longest first


def test_inflected_forms_are_marked():
    text = snip("timezones failed", "We store timezone names; the import fails on bad data.")
    assert "**timezone**" in text and "**fails**" in text


def test_identifier_parts_are_marked_inside_snake_case_and_whole_in_camel_case():
    assert "parse_**config**" in snip("config", "call parse_config early")
    assert "**parseConfig**" in snip("parse config", "then parseConfig returns None")
    assert "**parse_config**" in snip("parse_config", "we call parse_config first")


def test_prefix_and_phrase_words_are_marked():
    assert "**configuration**" in snip("conf*", "the configuration file")
    text = snip('"retry budget"', "a retry budget of three")
    assert "**retry** **budget**" in text


def test_window_goes_to_the_densest_hits():
    body = "alpha " + "filler " * 60 + "alpha beta gamma together here " + "filler " * 60
    text = snip("alpha beta gamma", body)
    assert "**alpha** **beta** **gamma**" in text
    assert text.startswith("…") and text.endswith("…")
    assert len(text.split()) <= snippets.SNIPPET_TOKENS


def test_short_body_has_no_ellipsis():
    assert snip("needle", "a needle here") == "a **needle** here"


def test_falls_back_to_title_then_tags_then_the_start_of_the_body():
    assert snip("deploy", "nothing", title="How we deploy") == "How we **deploy**"
    assert snip("k8s", "nothing", tags="infra k8s") == "infra **k8s**"
    long = " ".join(f"w{i}" for i in range(40))
    assert snip("absent", long) == " ".join(f"w{i}" for i in range(16)) + "…"
    assert snip("absent", "", title="Only a title") == "Only a title"


def test_regex_characters_in_a_query_are_literal():
    assert snip("c++ b.d (x)", "use b.d and x here") == "use **b**.**d** and **x** here"


def test_no_words_no_marks():
    assert snippets.highlighter(parse_query("*** ---")) is None
    assert snippets.snippet("T", "", "plain body", None) == "plain body"
