"""The harness's own detectors, on pages known to be unsafe or broken: if they missed what they
look for, every "0 broken, nothing ran" below would pass vacuously."""

from __future__ import annotations

from pathlib import Path

from browser_harness import HOSTILE_BODY, ONERROR, SCRIPT, broken, crawl


def test_detectors_see_hostile_markup_run_and_broken_links(driver, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    # The hostile text pasted raw into HTML, the way a view that forgot to escape would.
    (site / "index.html").write_text(
        f"<!doctype html><title>t</title><body>{SCRIPT}{ONERROR}{HOSTILE_BODY}"
        '<a href="b.html">b</a> <a href="missing.html">gone</a>'
        "<img src=x onerror='console.error(1)'></body>"
    )
    (site / "b.html").write_text('<!doctype html><title>b</title><a href="index.html#x">back</a>')
    visits = crawl(driver, (site / "index.html").as_uri())

    start = visits[(site / "index.html").as_uri()]
    assert start.pwned is not None  # the first payload to run wins
    assert "inline SCRIPT" in start.unsafe
    assert any("[onerror]" in u for u in start.unsafe)
    assert any("javascript:" in u for u in start.unsafe)
    assert "IFRAME" in start.unsafe and "inline STYLE" in start.unsafe
    assert start.errors, "the failing image load must reach the console log"
    # A missing link target and a missing image (``<img src=x>``) both count as broken.
    assert sorted(broken(visits)) == [
        f"404 {(site / 'missing.html').as_uri()}",
        f"404 {(site / 'x').as_uri()}",
    ]
    # b.html links back with a fragment: one visit per page, not one per fragment.
    assert len(visits) == 4
    assert visits[(site / "b.html").as_uri()].unsafe == []
    assert visits[(site / "b.html").as_uri()].pwned is None
