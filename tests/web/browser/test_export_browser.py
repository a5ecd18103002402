"""``aimem export --html`` opened from disk in headless Chromium: every link from
``index.html`` works over ``file://``, no page logs a console error (the site's CSP included),
nothing planted runs, and the client-side search finds the pages ``aimem search`` finds."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from browser_harness import (
    Visit,
    World,
    broken,
    console_errors,
    crawl,
    screenshot,
    search_json,
    type_and_submit,
)
from selenium.webdriver.common.by import By

from aimem.web.export import export_html


@pytest.fixture(scope="module")
def site(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "site"
    result = export_html(str(world.home), str(out))
    assert result.missing == []
    return out


@pytest.fixture(scope="module")
def crawled(driver, site: Path) -> dict[str, Visit]:
    return crawl(driver, (site / "index.html").as_uri())


def test_export_crawled_over_file_urls(crawled: dict[str, Visit], site: Path) -> None:
    assert broken(crawled) == []
    assert {u: v.errors for u, v in crawled.items() if v.errors} == {}
    assert {u: v.unsafe for u, v in crawled.items() if v.unsafe} == {}
    assert {u: v.pwned for u, v in crawled.items() if v.pwned is not None} == {}
    written = {p.as_uri() for p in site.rglob("*.html")}
    unreached = sorted(written - set(crawled))
    # Which written files link to what the browser never reached, and whether it saw them.
    why = {
        u: [
            (f.as_uri(), f.as_uri() in crawled)
            for f in site.rglob("*.html")
            if u.rsplit("/site/", 1)[1].split("/diff/")[-1] in f.read_text()
        ]
        for u in unreached[:3]
    }
    assert unreached == [], why


def shown(driver) -> list[tuple[str, str]]:
    return [
        (li.get_attribute("data-project"), li.get_attribute("data-path"))
        for li in driver.find_elements(By.CSS_SELECTOR, "[data-hit]")
    ]


@pytest.mark.parametrize("query", ["sqlite", "webhook jitter", "yaml anchors", "ledger cents"])
def test_client_side_search_finds_what_aimem_search_finds(
    driver, site: Path, world: World, query: str
) -> None:
    """The export ranks on its own (no SQLite in a browser), so: its best hit is among the CLI's
    first three, and each page it shows holds every word (the CLI's all-words results)."""
    driver.get((site / "index.html").as_uri())
    type_and_submit(driver, driver.find_element(By.ID, "site-q"), query)
    hits = shown(driver)
    cli = [(h["project"], h["path"]) for h in search_json(world, query, "--all", "--limit", "50")]
    assert hits, query
    assert hits[0] in cli[:3], (hits, cli)
    assert set(hits) <= set(cli)
    assert driver.find_elements(By.CSS_SELECTOR, "[data-hit] .snippet mark")
    assert console_errors(driver) == []
    if query == "sqlite":
        screenshot(driver, "export-search")


def test_client_side_search_filters_and_escapes(driver, site: Path, world: World) -> None:
    url = (site / "search.html").as_uri()
    driver.get(f"{url}?q=index&type=decision&project={quote(world.main)}")
    hits = shown(driver)
    assert hits and all(p == world.main and path.startswith("decisions/") for p, path in hits)
    driver.get(f"{url}?q=scripts")
    assert (world.main, world.pages["hostile"]) in shown(driver)
    snippet = driver.find_element(By.CSS_SELECTOR, "[data-hit] .snippet").text
    assert "<script>" in snippet  # the text, shown as text
    assert driver.execute_script("return window.__pwned || null") is None
    driver.get(f"{url}?q=zzzznothing")
    assert shown(driver) == [] and "No results" in driver.find_element(By.TAG_NAME, "main").text
    assert console_errors(driver) == []
