"""Planted ``<script>``, ``onerror=`` and ``javascript:`` content never runs in ``aimem web``:
it is shown as text, its links are not links, and the Content-Security-Policy would stop inline
script even if some markup slipped through (checked by injecting one)."""

from __future__ import annotations

import time
import urllib.request
from urllib.parse import urldefrag

from browser_harness import SCRIPT, World, click_and_wait, console_errors, pwned, unsafe_dom
from selenium.webdriver.common.by import By

from aimem.web import urls


def _open(driver, web, route: str) -> None:
    driver.get(web.url + route)
    assert pwned(driver) is None


def test_hostile_page_shows_the_markup_as_text(page, web, world: World) -> None:
    _open(page, web, urls.page_route(world.main, world.pages["hostile"]))
    body = page.find_element(By.CSS_SELECTOR, "article").text
    assert SCRIPT in body  # escaped: the reader sees what was pasted
    assert "onerror=" in body
    assert unsafe_dom(page) == []
    assert console_errors(page) == []


def test_clicking_every_link_on_hostile_pages_runs_nothing(page, web, world: World) -> None:
    for label in ("hostile", "hostile_title"):
        route = urls.page_route(world.main, world.pages[label])
        _open(page, web, route)
        count = len(page.find_elements(By.CSS_SELECTOR, "article a[href]"))
        for i in range(count):
            _open(page, web, route)
            link = page.find_elements(By.CSS_SELECTOR, "article a[href]")[i]
            href = link.get_attribute("href")
            if not href.startswith(web.url):
                continue  # an external link (https): not followed, the machine is offline
            if urldefrag(href).url == urldefrag(page.current_url).url:
                link.click()  # an anchor on this page: no navigation to wait for
            else:
                click_and_wait(page, link)
            assert pwned(page) is None, href
        assert console_errors(page) == []


def test_hostile_title_and_prompt_in_every_list(page, web, world: World) -> None:
    """Titles and prompts reach the project list, the project home, the sessions timeline and
    search results: each shows them as text."""
    for route in (
        "/",
        urls.project_route(world.main),
        urls.sessions_route(world.main),
        "/search?q=summarise+page",
        "/search?q=markup",
    ):
        _open(page, web, route)
        assert unsafe_dom(page) == [], route
        assert console_errors(page) == [], route
    # The session whose prompt carried the payload shows it as text on its page.
    _open(page, web, urls.sessions_route(world.main))
    sessions = page.find_elements(By.CSS_SELECTOR, "main a[href*='/page/sessions/']")
    hrefs = [a.get_attribute("href") for a in sessions]
    texts = []
    for href in hrefs:
        page.get(href)
        assert pwned(page) is None
        texts.append(page.find_element(By.CSS_SELECTOR, "article").text)
    assert any("<script>window.__pwned" in t for t in texts)


def test_csp_blocks_inline_script_even_when_injected(page, web, world: World) -> None:
    route = urls.page_route(world.main, world.pages["wal"])
    with urllib.request.urlopen(web.url + route) as resp:
        csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    _open(page, web, route)
    page.execute_script(
        "const s = document.createElement('script');"
        "s.textContent = 'window.__pwned = \"injected\"';"
        "document.body.appendChild(s);"
        "const i = document.createElement('img');"
        "i.setAttribute('onerror', 'window.__pwned = \"handler\"');"
        "i.src = 'data:,x';"
        "document.body.appendChild(i);"
    )
    time.sleep(0.3)  # let the image fail (or not) to load
    assert pwned(page) is None
    errors = console_errors(page)
    assert any("Content Security Policy" in e for e in errors), errors
