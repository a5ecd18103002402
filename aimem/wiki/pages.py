"""Pages: markdown with YAML front matter, and the rules for their paths.

Front matter keys: ``title, type, created, updated, tags, salience, pinned, sources, supersedes,
status`` (plus type-specific extras). A page path from any input is validated: relative, ``.md``,
inside the wiki, no ``..``, no symlink escape. Names may be in any script (letters, marks and
digits of every language), never control, format (bidi overrides) or path-special characters.

A new page's file name comes from its title (``page_slug``): the title's letters in its own script,
NFC, lower case, other characters as dashes, so ``日本語のメモ`` is ``日本語のメモ.md`` and
``Café au lait`` is ``café-au-lait.md``. ``new_page_path`` picks ``-2``, ``-3``… when the name is
taken by a page with another title (``Café`` beside an older ``cafe.md`` for ``Cafe``), so two
titles never share a file silently.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import frontmatter

PAGE_TYPES = ("rule", "decision", "gotcha", "concept", "handoff", "session")
TYPE_DIRS = {
    "rule": "_rules",
    "decision": "decisions",
    "gotcha": "gotchas",
    "concept": "concepts",
    "handoff": "handoffs",
    "session": "sessions",
}
# Pages the catalogue and the index skip: they are about the wiki, not memories.
SPECIAL_PAGES = ("index.md", "log.md")
# Where ``aimem sweep`` moves pages that faded: in the wiki and in git, out of search.
ARCHIVE_DIR = "_archive/"
# The log's day files (``log/YYYY-MM/YYYY-MM-DD.md``): about the wiki, not memories, like log.md.
LOG_DIR = "log/"
KEY_ORDER = (
    "title",
    "type",
    "created",
    "updated",
    "tags",
    "salience",
    "pinned",
    "sources",
    "supersedes",
    "status",
)
_PUNCT_OK = frozenset("._ -")  # the only non-letters allowed in a path component
MAX_NAME_BYTES = 255  # one path component (NAME_MAX on Linux, macOS and Windows)
MAX_PATH_BYTES = 1024  # a whole wiki-relative path, well under PATH_MAX with the data root
MAX_SLUG = 80  # characters of a title kept in its file name
MAX_SLUG_BYTES = 200  # and UTF-8 bytes (CJK: 3 a character), leaving room for "-NN.md"
# Names Windows will not create whatever the extension (a wiki cloned there must check out).
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{n}" for d in ("com", "lpt") for n in range(1, 10)]
)


def _safe_part(part: str) -> bool:
    """A path component: starts with a letter, digit or ``_``; then letters, marks, digits and
    ``._ -`` only. Letters of any script count; controls, bidi overrides, zero-width characters,
    slashes, colons and every other symbol do not."""
    if not part:
        return False
    first = unicodedata.category(part[0])
    if not (first[0] in "LN" or part[0] == "_"):
        return False
    return all(ch in _PUNCT_OK or unicodedata.category(ch)[0] in "LMN" for ch in part)


class PagePathError(ValueError):
    """A page path that is not a safe, relative ``.md`` path inside the wiki."""


@dataclass
class Page:
    path: str  # wiki-relative, forward slashes
    meta: dict = field(default_factory=dict)
    body: str = ""

    @property
    def title(self) -> str:
        title = self.meta.get("title")
        return str(title) if title else os.path.splitext(os.path.basename(self.path))[0]

    @property
    def type(self) -> str:
        kind = self.meta.get("type")
        if isinstance(kind, str) and kind in PAGE_TYPES:
            return kind
        return type_for_path(self.path)

    @property
    def tags(self) -> list[str]:
        tags = self.meta.get("tags")
        if isinstance(tags, str):
            return [t.strip() for t in tags.split(",") if t.strip()]
        if isinstance(tags, list):
            return [str(t) for t in tags if t is not None]
        return []


def type_for_path(path: str) -> str:
    top = path.split("/", 1)[0]
    for kind, folder in TYPE_DIRS.items():
        if top == folder:
            return kind
    return "concept"


def validate_page_path(path: object, wiki_dir: str | None = None) -> str:
    """Return the normalised wiki-relative path or raise ``PagePathError``."""
    if not isinstance(path, str) or not path.strip():
        raise PagePathError("page path must be a non-empty string")
    rel = path.strip().replace("\\", "/")
    if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        raise PagePathError(f"page path must be relative to the wiki: {path!r}")
    if not rel.endswith(".md"):
        rel += ".md"
    if len(rel.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise PagePathError(f"page path longer than {MAX_PATH_BYTES} bytes: {path[:60]!r}…")
    parts = rel.split("/")
    for part in parts:
        if part in ("", ".", "..") or not _safe_part(part):
            raise PagePathError(f"unsafe page path: {path!r}")
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            raise PagePathError(
                f"page path has a name longer than {MAX_NAME_BYTES} bytes: {part[:60]!r}…"
            )
    if parts[0] == ".git":
        raise PagePathError(f"unsafe page path: {path!r}")
    if wiki_dir is not None:
        root = os.path.realpath(wiki_dir)
        full = os.path.realpath(os.path.join(root, rel))
        git_dir = os.path.join(root, ".git")
        if (
            not full.startswith(root + os.sep)
            or full == git_dir
            or full.startswith(git_dir + os.sep)
        ):
            # A symlink into .git would read the repository's config (remote URLs, tokens).
            raise PagePathError(f"page path escapes the wiki: {path!r}")
    return rel


def page_slug(title: str) -> str:
    """A readable file name (without ``.md``) for a title in any script: NFC, lower case,
    letters, marks and digits kept, every other run of characters one dash (``"Use WAL!"`` ->
    ``use-wal``, ``"日本語のメモ"`` -> ``日本語のメモ``). At most ``MAX_SLUG`` characters and
    ``MAX_SLUG_BYTES`` bytes; a title with nothing to keep gets ``page-<hash>``."""
    text = unicodedata.normalize("NFC", title).lower()
    out: list[str] = []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN" and (out or unicodedata.category(ch)[0] != "M"):
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    slug = "".join(out)[:MAX_SLUG].strip("-")
    while len(slug.encode("utf-8")) > MAX_SLUG_BYTES:
        slug = slug[:-1]
    slug = unicodedata.normalize("NFC", slug).strip("-")
    if not slug or not _safe_part(slug):
        from aimem._hash import short_hash

        return "page-" + short_hash(title)
    if slug.split(".")[0] in _WINDOWS_RESERVED:
        slug += "-page"
    return slug


def same_title(a: str, b: str) -> bool:
    """Whether two titles name the same page: equal once NFC, case-folded and with spaces
    collapsed. Accents count: ``Café`` and ``Cafe`` are two pages."""

    def key(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return key(a) == key(b)


def new_page_path(folder: str, title: str, title_at: Callable[[str], str | None]) -> str:
    """The path for a new page titled ``title`` in ``folder``: ``<folder>/<slug>.md``, or
    ``<slug>-2.md``, ``-3``… while the name is held by a page with another title.
    ``title_at(path)`` is the title of the page at ``path``, ``None`` when there is none. The
    path returned may hold a page with the same title: the caller decides (update or refuse)."""
    slug = page_slug(title)
    for n in range(1, 1000):
        rel = f"{folder}/{slug}.md" if n == 1 else f"{folder}/{slug}-{n}.md"
        existing = title_at(rel)
        if existing is None or same_title(existing, title):
            return rel
    from aimem._hash import short_hash

    return f"{folder}/{slug}-{short_hash(title)}.md"


def parse(text: str, path: str) -> Page:
    """A page from its file text; bad or missing front matter gives an empty ``meta``."""
    try:
        post = frontmatter.loads(text)
        meta = dict(post.metadata) if isinstance(post.metadata, dict) else {}
        body = post.content
    except Exception:  # noqa: BLE001 - a hand-edited page with broken YAML is still a page
        meta, body = {}, text
    return Page(path=path, meta=meta, body=body)


def render(page: Page) -> str:
    """The file text: front matter in a stable key order, then the body."""
    ordered = {k: page.meta[k] for k in KEY_ORDER if k in page.meta}
    ordered.update({k: v for k, v in page.meta.items() if k not in ordered})
    post = frontmatter.Post(page.body.rstrip("\n") + "\n", **ordered)
    return frontmatter.dumps(post, sort_keys=False, allow_unicode=True, width=1000) + "\n"


def read_page(wiki_dir: str, path: str) -> Page:
    rel = validate_page_path(path, wiki_dir)
    with open(os.path.join(wiki_dir, rel), encoding="utf-8") as fh:
        return parse(fh.read(), rel)
