"""Page bodies to HTML with markdown-it-py, safe for a page anyone (or any agent) wrote.

- Raw HTML is off, so ``<script>`` or ``<img onerror=...>`` in a page come out as text.
- Links and images keep only ``http``, ``https``, ``mailto`` and relative targets; any other
  scheme (``javascript:``, ``data:``, ``vbscript:``, ``file:``) is not a link and stays text.
  Images become links: the view loads nothing from elsewhere (offline, and the CSP forbids it).
- ``[[wikilinks]]`` go through a resolver the caller passes (Obsidian's rules, the same as
  ``aimem lint`` and ``memory_explore``); one that resolves to nothing is marked broken.
- Fenced code is highlighted on the server with pygments (no script in the browser).
- Headings get ids (a table of contents links to them) and long ``##`` sections are folded
  into ``<details>`` so a 1 MB session log opens at its summary.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

ALLOWED_SCHEMES = ("http", "https", "mailto")
FOLD_CHARS = 6000  # a ## section rendering longer than this is folded
HIGHLIGHT_MAX = 50_000  # longer code blocks are shown plain: highlighting them costs seconds
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")  # what browsers drop or trim around a scheme
_WIKILINK = re.compile(r"\[\[([^\[\]|#\n]+)(?:#([^\[\]|\n]*))?(?:\|([^\[\]\n]*))?\]\]")
_TASK = re.compile(r"^\[([ xX])\]\s+")

# ``resolve(target) -> href or None``: None marks the link broken.
Resolver = Callable[[str], "str | None"]


@dataclass
class Heading:
    level: int
    text: str
    anchor: str


@dataclass
class Rendered:
    html: str
    headings: list[Heading] = field(default_factory=list)
    wikilinks: list[tuple[str, bool]] = field(default_factory=list)  # (target, resolved)


def safe_url(url: str) -> bool:
    """Whether ``url`` may be a link target: an allowed scheme or none at all (relative)."""
    for candidate in (url, unquote(url)):
        cleaned = _INVISIBLE.sub("", candidate)
        match = _SCHEME.match(cleaned)
        if match and match.group(1).lower() not in ALLOWED_SCHEMES:
            return False
    return True


def anchor_for(text: str, seen: dict[str, int]) -> str:
    base = re.sub(r"[^\w\- ]", "", text.lower()).strip().replace(" ", "-") or "section"
    count = seen.get(base, 0)
    seen[base] = count + 1
    return base if count == 0 else f"{base}-{count}"


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[[", state.pos):
        return False
    match = _WIKILINK.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        token = state.push("wikilink", "", 0)
        target = match.group(1).strip()
        token.meta = {
            "target": target,
            "heading": (match.group(2) or "").strip(),
            "label": (match.group(3) or "").strip() or target,
        }
    state.pos = match.end()
    return True


def _render_wikilink(self, tokens: list[Token], idx: int, options, env: dict) -> str:  # noqa: ANN001
    meta = tokens[idx].meta
    resolve: Resolver = env["resolve"]
    href = resolve(meta["target"])
    env["wikilinks"].append((meta["target"], href is not None))
    label = html.escape(meta["label"])
    if href is None:
        why = f"no page matches [[{html.escape(meta['target'])}]]"
        return f'<span class="wikilink broken" title="{why}">{label}</span>'
    if meta["heading"]:
        href += "#" + anchor_for(meta["heading"], {})
    return f'<a class="wikilink" href="{html.escape(href)}">{label}</a>'


def _render_image(self, tokens: list[Token], idx: int, options, env: dict) -> str:  # noqa: ANN001
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = html.escape(self.renderInlineAsText(token.children or [], options, env) or "image")
    if not src:
        return alt
    return f'<a class="image-link" href="{html.escape(str(src))}">[image: {alt}]</a>'


def _highlight(code: str, lang: str, _attrs: str) -> str:
    if not lang or len(code) > HIGHLIGHT_MAX:
        return ""
    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""
    body = highlight(code, lexer, HtmlFormatter(nowrap=True))
    return f'<pre class="highlight"><code class="language-{html.escape(lang)}">{body}</code></pre>'


def _tasks_and_headings(state) -> None:  # noqa: ANN001 - a markdown-it StateCore
    """Task-list boxes (``- [x] done``) and heading ids, in one pass over the tokens."""
    tokens = state.tokens
    seen: dict[str, int] = state.env.setdefault("anchors", {})
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            text = tokens[i + 1].content
            anchor = anchor_for(text, seen)
            token.attrSet("id", anchor)
            state.env["headings"].append(Heading(int(token.tag[1]), text, anchor))
        if (
            token.type == "inline"
            and i >= 2
            and tokens[i - 1].type == "paragraph_open"
            and tokens[i - 2].type == "list_item_open"
            and token.children
            and token.children[0].type == "text"
        ):
            first = token.children[0]
            match = _TASK.match(first.content)
            if match:
                first.content = first.content[match.end() :]
                box = Token("html_inline", "", 0)
                checked = " checked" if match.group(1) in "xX" else ""
                box.content = f'<input type="checkbox" class="task" disabled{checked}> '
                token.children.insert(0, box)


def parser() -> MarkdownIt:
    """A markdown-it parser with this module's rules (build once, reuse for every page)."""
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.validateLink = safe_url
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.core.ruler.push("tasks_and_headings", _tasks_and_headings)
    md.add_render_rule("wikilink", _render_wikilink)
    md.add_render_rule("image", _render_image)
    return md


def render(md: MarkdownIt, body: str, resolve: Resolver, fold: int = FOLD_CHARS) -> Rendered:
    """``body`` as HTML; ``resolve`` maps a wikilink target to an href (``None``: broken)."""
    env: dict = {"resolve": resolve, "wikilinks": [], "headings": []}
    tokens = md.parse(body, env)
    # Sections start at each top-level ## heading; each is rendered on its own so a long one
    # can be wrapped in <details> without re-parsing HTML.
    starts = [
        i
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == "h2" and t.level == 0
    ]
    bounds = [0, *starts, len(tokens)]
    parts: list[str] = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        if lo == hi:
            continue
        section = md.renderer.render(tokens[lo:hi], md.options, env)
        if lo in starts and len(section) > fold and hi - lo > 3:
            heading = md.renderer.render(tokens[lo : lo + 3], md.options, env)
            rest = md.renderer.render(tokens[lo + 3 : hi], md.options, env)
            section = f'<details class="fold"><summary>{heading}</summary>\n{rest}</details>\n'
        parts.append(section)
    return Rendered("".join(parts), env["headings"], env["wikilinks"])
