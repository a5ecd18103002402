"""Titles in any script get readable file names; two titles that differ only in accents never
share a file silently; path validation accepts letters of every script and still refuses
controls, bidi overrides and path tricks."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimem.wiki.pages import (
    MAX_NAME_BYTES,
    PagePathError,
    new_page_path,
    page_slug,
    same_title,
    validate_page_path,
)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Use WAL for the index!", "use-wal-for-the-index"),
        ("日本語のメモ", "日本語のメモ"),
        ("Café au lait", "café-au-lait"),
        ("Cafe\u0301 au lait", "café-au-lait"),  # NFD input, NFC name
        ("ภาษาไทย ที่นี่", "ภาษาไทย-ที่นี่"),  # Thai vowel marks kept
        ("한국어를 배우기", "한국어를-배우기"),
        ("Привет, мир", "привет-мир"),
        ("مرحبا بالعالم", "مرحبا-بالعالم"),
        ("Straße", "straße"),
        ("parse_config()", "parse-config"),
        ("CON", "con-page"),  # a name Windows reserves
        ("a\u202eb\u200bc", "a-b-c"),  # bidi override and zero-width space are not kept
    ],
)
def test_readable_slugs_in_any_script(title: str, slug: str):
    assert page_slug(title) == slug
    assert validate_page_path(f"concepts/{slug}") == f"concepts/{slug}.md"


def test_a_title_with_nothing_to_keep_gets_a_hash_name():
    assert page_slug("!!! ???").startswith("page-")
    assert page_slug("!!! ???") != page_slug("*** ...")


def test_long_titles_fit_a_file_name():
    assert len(page_slug("x" * 500)) == 80
    cjk = page_slug("日" * 500)
    assert len(cjk.encode()) <= 200


@pytest.mark.parametrize(
    "bad",
    [
        "concepts/a\u202eb.md",  # right-to-left override
        "concepts/a\u200bb.md",  # zero-width space
        "concepts/a\x1bb.md",
        "concepts/\u0301x.md",  # a name starting with a combining mark
        "concepts/日本:語.md",
        "concepts/-日本.md",
    ],
)
def test_unsafe_unicode_names_are_rejected(bad: str):
    with pytest.raises(PagePathError):
        validate_page_path(bad)


def test_titles_that_differ_only_in_accents_get_their_own_files():
    existing = {"concepts/cafe.md": "Cafe"}  # written before slugs kept accents, say
    assert new_page_path("concepts", "Café", existing.get) == "concepts/café.md"
    existing["concepts/café.md"] = "CAFÉ"
    assert new_page_path("concepts", "café", existing.get) == "concepts/café.md"  # same title
    # An older wiki whose ASCII slug for "Résumé" is resume.md: "Resume" must not land there.
    old = {"decisions/resume.md": "Résumé"}
    assert page_slug("Resume") == "resume"
    assert new_page_path("decisions", "Resume", old.get) == "decisions/resume-2.md"
    old["decisions/resume-2.md"] = "Resumé"
    assert new_page_path("decisions", "Resume", old.get) == "decisions/resume-3.md"
    assert new_page_path("decisions", "résumé", old.get) == "decisions/résumé.md"


def test_same_title_is_case_and_normalisation_blind_but_not_accent_blind():
    assert same_title("Café", "CAFE\u0301")
    assert same_title("use  WAL", "Use WAL")
    assert not same_title("Café", "Cafe")


@given(st.text(max_size=120))
@settings(max_examples=500)
def test_every_title_gives_a_valid_stable_name(title: str):
    slug = page_slug(title)
    rel = validate_page_path(f"concepts/{slug}")
    assert len((slug + "-999.md").encode()) <= MAX_NAME_BYTES
    assert unicodedata.normalize("NFC", slug) == slug
    assert page_slug(unicodedata.normalize("NFD", title)) == slug or slug.startswith("page-")
    assert rel == f"concepts/{slug}.md"


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8))
@settings(max_examples=200)
def test_distinct_titles_never_share_a_path(titles: list[str]):
    taken: dict[str, str] = {}
    for title in titles:
        rel = new_page_path("concepts", title, taken.get)
        if rel in taken:
            assert same_title(taken[rel], title)
        taken.setdefault(rel, title)
