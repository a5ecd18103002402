"""Page bodies to HTML: raw HTML escaped, only safe link schemes, wikilinks resolved or marked,
code highlighted, long sections folded; fuzzed bodies never produce live markup."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimem.web.markdown import parser, render, safe_url

MD = parser()


def html_of(body: str, known: tuple[str, ...] = ("decisions/a",)) -> str:
    return render(MD, body, lambda t: f"page/{t}.md" if t in known else None).html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java%09script:alert(1)",
        "%6aavascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ],
)
def test_unsafe_schemes_are_refused(url: str) -> None:
    assert not safe_url(url)
    html = html_of(f"[x]({url}) ![y]({url}) <{url}>")
    assert "href=" not in html and "src=" not in html


@pytest.mark.parametrize(
    "url", ["https://example.org/a?b=c", "http://x", "mailto:a@b.c", "../x.md", "#top", "x.md"]
)
def test_safe_links_are_kept(url: str) -> None:
    assert safe_url(url)
    assert "<a href=" in html_of(f"[x]({url})")


def test_raw_html_is_text() -> None:
    html = html_of(
        '<script>window.__pwned=1</script>\n\n<img src=x onerror="alert(1)">\n\n'
        '<a href="javascript:alert(1)">x</a> </textarea><iframe src="//evil">'
    )
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_images_become_links_and_load_nothing() -> None:
    html = html_of("![diagram](img/arch.png) ![remote](https://tracker.example/p.gif)")
    assert "<img" not in html
    assert '<a class="image-link" href="img/arch.png">[image: diagram]</a>' in html


def test_wikilinks_resolve_or_are_marked_broken() -> None:
    out = render(
        MD,
        "See [[decisions/a]], [[decisions/a|the decision]], [[decisions/a#Why it matters]] and "
        "[[gone]]. In code: `[[decisions/a]]`.\n\n```\n[[gone-too]]\n```\n",
        lambda t: "page/a.md" if t == "decisions/a" else None,
    )
    assert '<a class="wikilink" href="page/a.md">decisions/a</a>' in out.html
    assert '<a class="wikilink" href="page/a.md">the decision</a>' in out.html
    assert 'href="page/a.md#why-it-matters"' in out.html
    assert '<span class="wikilink broken" title="no page matches [[gone]]">gone</span>' in out.html
    assert "<code>[[decisions/a]]</code>" in out.html and "[[gone-too]]" in out.html
    assert out.wikilinks == [("decisions/a", True)] * 3 + [("gone", False)]


def test_wikilink_label_and_target_are_escaped() -> None:
    html = html_of('[[<b>x"</b>|<script>alert(1)</script>]]')
    assert "<script" not in html and "<b>" not in html


def test_code_is_highlighted_and_unknown_languages_are_plain() -> None:
    html = html_of("```python\ndef f(): pass\n```\n\n```nosuchlang\n<b>x</b>\n```\n")
    assert '<pre class="highlight"><code class="language-python"><span class="k">def</span>' in html
    assert '<code class="language-nosuchlang">&lt;b&gt;x&lt;/b&gt;' in html
    hostile = html_of('```python" onmouseover="alert(1)\nx\n```\n')
    assert 'onmouseover="' not in hostile


def test_tables_tasks_and_heading_ids() -> None:
    out = render(
        MD, "# Top\n\n## Part\n\n## Part\n\n- [x] done\n- [ ] open\n\n|a|\n|-|\n|1|\n", str
    )
    assert [(h.level, h.anchor) for h in out.headings] == [(1, "top"), (2, "part"), (2, "part-1")]
    assert "disabled checked> done" in out.html and "disabled> open" in out.html
    assert "<td>1</td>" in out.html


def test_long_sections_fold() -> None:
    body = "Intro.\n\n## Small\n\nshort\n\n## Big\n\n" + "\n\n".join(["word " * 40] * 60)
    html = render(MD, body, str, fold=2000).html
    assert html.count("<details") == 1
    assert '<details class="fold"><summary><h2 id="big">Big</h2>' in html
    assert '<h2 id="small">Small</h2>' in html


LIVE_TAG = re.compile(r"<\s*(script|img|iframe|object|embed|svg|style|link|meta|base|form)\b", re.I)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
BAD_HREF = re.compile(r"""(href|src)\s*=\s*["']?\s*(javascript|data|vbscript|file):""", re.I)
PIECES = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "[a](",
        ")",
        "](",
        "[[",
        "]]",
        "|",
        "#",
        "<",
        ">",
        '"',
        "'",
        "`",
        "```",
        "\n",
        "![i](",
        "data:text/html,x",
        "&#58;",
        "&lt;",
        "<svg/onload=alert(1)>",
        "<a href=",
        "*",
        "_",
        "JaVaScRiPt:",
        " ",
        "x",
        "\t",
        "%0a",
        "<https://a.b>",
        "<javascript:x>",
        "- [x] ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=40).map("".join))
def test_fuzzed_bodies_never_produce_live_markup(body: str) -> None:
    html = html_of(body)
    assert not LIVE_TAG.search(html), html
    assert not HANDLER.search(html), html
    for tag in re.findall(r"<[a-zA-Z][^>]*>", html):  # real tags only: "&lt;" is text
        assert not BAD_HREF.search(tag), html
