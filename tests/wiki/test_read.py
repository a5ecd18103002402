"""Reading a page by path: every bad path is a clear, one-line error, never an ``OSError``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aimem.wiki.pages import MAX_NAME_BYTES, MAX_PATH_BYTES, PagePathError
from aimem.wiki.read import PageNotFound, PageUnreadable, read_text


@pytest.fixture
def wiki(tmp_path: Path) -> Path:
    root = tmp_path / "wiki"
    (root / "concepts").mkdir(parents=True)
    (root / "concepts" / "a.md").write_text("---\ntitle: A\n---\nbody\n")
    return root


@pytest.mark.parametrize(
    "path",
    [
        "a" * 300,
        "concepts/" + "b" * 300 + ".md",
        "concepts/" + "c" * (MAX_NAME_BYTES - 2),  # 256 bytes once ".md" is added
        "/".join(["d" * 200] * 6),
    ],
)
def test_names_too_long_for_a_file_system_are_path_errors(wiki: Path, path: str) -> None:
    with pytest.raises(PagePathError) as err:
        read_text(str(wiki), path)
    message = str(err.value)
    assert "longer than" in message and "\n" not in message and len(message) < 200


def test_the_longest_names_allowed_are_plain_misses(wiki: Path) -> None:
    name = "e" * (MAX_NAME_BYTES - 3)
    with pytest.raises(PageNotFound):
        read_text(str(wiki), f"concepts/{name}")
    deep = "/".join(["f" * 100] * ((MAX_PATH_BYTES - 3) // 101))
    with pytest.raises(PageNotFound):
        read_text(str(wiki), deep)


def test_a_symlink_loop_is_an_unreadable_page(wiki: Path) -> None:
    os.symlink("loop.md", wiki / "concepts" / "loop.md")
    with pytest.raises((PageUnreadable, PagePathError)) as err:
        read_text(str(wiki), "concepts/loop.md")
    assert "\n" not in str(err.value)
