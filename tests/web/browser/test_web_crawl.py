"""``aimem web`` in headless Chromium: every same-origin link from ``/`` works, no page logs a
console error (a CSP violation included), no page holds anything that could run script, nothing
planted ran, and looking changed nothing stored."""

from __future__ import annotations

import subprocess

import pytest
from browser_harness import Visit, World, broken, crawl


@pytest.fixture(scope="module")
def crawled(driver, web, world: World) -> dict[str, Visit]:
    before = world.wiki_fingerprint()
    visits = crawl(driver, web.url + "/")
    # Read-only by construction: the crawl went through every view, history and diff included.
    assert world.wiki_fingerprint() == before
    return visits


def test_no_broken_link_and_no_console_error(crawled: dict[str, Visit]) -> None:
    assert broken(crawled) == []
    errors = {url: v.errors for url, v in crawled.items() if v.errors}
    assert errors == {}


def test_nothing_could_run_and_nothing_ran(crawled: dict[str, Visit]) -> None:
    assert {url: v.unsafe for url, v in crawled.items() if v.unsafe} == {}
    assert {url: v.pwned for url, v in crawled.items() if v.pwned is not None} == {}


def test_every_page_of_every_project_is_reachable(crawled: dict[str, Visit], world: World) -> None:
    """From ``/`` a person reaches every page of every project by clicking (the log's day files
    and the generated catalogue aside, which the project home and page list replace)."""
    urls = "\n".join(crawled)
    for slug, paths in world.paths.items():
        files = subprocess.run(
            ["git", "-C", paths.wiki, "ls-files", "*.md"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        pages = [f for f in files if not f.startswith("log") and f != "index.md"]
        assert len(pages) >= 3
        missing = [p for p in pages if p.removesuffix(".md") not in urls]
        assert missing == [], f"{slug}: no view reached {missing}"
