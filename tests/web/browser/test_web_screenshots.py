"""A screenshot of each main view, light and dark, kept as test artefacts (``$AIMEM_ARTEFACTS/
browser`` or ``build/browser``) for people and CI to look at. The ``docs-*`` shots (the top of a
view) are what docs/web.md shows: ``for f in build/browser/docs-*.png; do cp "$f"
docs/img/"${f#build/browser/docs-}"; done`` after a run updates them."""

from __future__ import annotations

import struct

from browser_harness import World, console_errors, screenshot
from selenium.webdriver.common.by import By

from aimem.web import urls


def png_size(path) -> tuple[int, int]:  # noqa: ANN001 - a Path
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def views(world: World, web_url: str, driver) -> dict[str, str]:  # noqa: ANN001
    main = world.main
    wal, old = world.pages["wal"], world.pages["old"]
    driver.get(web_url + urls.history_route(main, old))  # written, then superseded
    diffs = [
        a.get_attribute("href")
        for a in driver.find_elements(By.CSS_SELECTOR, "main a[href*='/diff/']")
    ]
    assert diffs, "the history of a changed page links a diff"
    return {
        "web-projects": web_url + "/",
        "web-home": web_url + urls.project_route(main),
        "web-page": web_url + urls.page_route(main, wal),
        "web-superseded": web_url + urls.page_route(main, world.pages["old"]),
        "web-long-page": web_url + urls.page_route(main, world.pages["gotcha"]),
        "web-hostile": web_url + urls.page_route(main, world.pages["hostile"]),
        "web-history": web_url + urls.history_route(main, old),
        "web-diff": diffs[0],
        "web-sessions": web_url + urls.sessions_route(main),
        "web-folder": web_url + urls.folder_route(main, ""),
        "web-search": web_url + "/search?q=sqlite+index",
    }


def test_screenshots_of_each_main_view(page, web, world: World) -> None:
    shots = []
    for name, url in views(world, web.url, page).items():
        page.get(url)
        assert console_errors(page) == [], name
        shots.append(screenshot(page, name))
    page.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    for name in ("web-home", "web-page", "web-search"):
        page.get(views(world, web.url, page)[name])
        shots.append(screenshot(page, name + "-dark"))
    page.get(views(world, web.url, page)["web-page"])
    shots.append(screenshot(page, "docs-web-page-dark", full=False))
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    for name in ("web-home", "web-page", "web-history", "web-diff", "web-search"):
        page.get(views(world, web.url, page)[name])
        shots.append(screenshot(page, "docs-" + name, full=False))
    for shot in shots:
        width, height = png_size(shot)
        assert width >= 1000 and height >= 500, shot
        assert shot.stat().st_size > 10_000, f"{shot} looks blank"
