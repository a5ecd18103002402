"""Reading one page from the wiki's work tree (what people and agents edit), path checked."""

from __future__ import annotations

import os

from aimem.wiki.pages import Page, PagePathError, parse, validate_page_path


class PageNotFound(LookupError):
    """No page at a valid path; ``path`` is the normalised wiki-relative path."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class PageUnreadable(PagePathError):
    """A path naming something that cannot be read as a page (a symlink loop, no permission);
    a ``PagePathError`` so every caller that reports a bad path reports this in one line."""


def read_text(wiki_dir: str, path: str) -> tuple[str, str]:
    """``(normalised path, file text)`` of the page at ``path`` (``.md`` optional).

    Raises ``PagePathError`` for a path that is absolute, climbs out with ``..``, escapes
    through a symlink or is too long, ``PageNotFound`` when no such file exists and
    ``PageUnreadable`` when the file cannot be read."""
    rel = validate_page_path(path, wiki_dir)
    try:
        # utf-8-sig: an editor's byte-order mark must not hide the front matter.
        with open(os.path.join(wiki_dir, rel), encoding="utf-8-sig", errors="replace") as fh:
            return rel, fh.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise PageNotFound(rel) from None
    except OSError as exc:
        raise PageUnreadable(f"cannot read page {rel!r}: {exc.strerror or exc}") from None


def load_page(wiki_dir: str, path: str) -> Page:
    """The page at ``path``, front matter parsed (same errors as ``read_text``)."""
    rel, text = read_text(wiki_dir, path)
    return parse(text, rel)
