"""Dark mode follows the system (``prefers-color-scheme``, emulated through the DevTools
protocol) and the toggle overrides it, across pages, until "follow the system" is chosen."""

from __future__ import annotations

from browser_harness import World, console_errors
from selenium.webdriver.common.by import By

from aimem.web import urls


def scheme(driver, value: str) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": value}]},
    )


def luminance(driver) -> float:
    """The body's computed background, 0 (black) to 1 (white)."""
    rgb = driver.execute_script(
        "const c = getComputedStyle(document.body).backgroundColor.match(/\\d+/g);"
        "return c.slice(0, 3).map(Number);"
    )
    r, g, b = (v / 255 for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_follows_the_system(page, web, world: World) -> None:
    page.get(web.url + urls.page_route(world.main, world.pages["wal"]))
    scheme(page, "light")
    assert luminance(page) > 0.8
    scheme(page, "dark")  # the page follows a change while it is open
    assert luminance(page) < 0.2
    page.refresh()
    assert luminance(page) < 0.2
    assert console_errors(page) == []


def test_toggle_overrides_the_system_across_pages(page, web, world: World) -> None:
    scheme(page, "light")
    page.get(web.url + urls.project_route(world.main))
    page.find_element(By.ID, "theme-toggle").click()
    assert page.find_element(By.TAG_NAME, "html").get_attribute("data-theme") == "dark"
    assert luminance(page) < 0.2
    page.get(web.url + urls.page_route(world.main, world.pages["rule"]))  # kept when moving on
    assert luminance(page) < 0.2
    scheme(page, "dark")
    page.find_element(By.ID, "theme-toggle").click()  # light, although the system is dark
    assert luminance(page) > 0.8
    page.find_element(By.ID, "theme-system").click()  # back to the system: dark
    assert page.find_element(By.TAG_NAME, "html").get_attribute("data-theme") is None
    assert luminance(page) < 0.2
    assert console_errors(page) == []
