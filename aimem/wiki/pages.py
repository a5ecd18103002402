"""Pages: markdown with YAML front matter, and the rules for their paths.

Front matter keys: ``title, type, created, updated, tags, salience, pinned, sources, supersedes,
status`` (plus type-specific extras). A page path from any input is validated: relative, ``.md``,
inside the wiki, no ``..``, no symlink escape.
"""

from __future__ import annotations

import os
import re
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
_SAFE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._ -]*$")
MAX_NAME_BYTES = 255  # one path component (NAME_MAX on Linux, macOS and Windows)
MAX_PATH_BYTES = 1024  # a whole wiki-relative path, well under PATH_MAX with the data root


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
        if part in ("", ".", "..") or not _SAFE_PART.match(part):
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
