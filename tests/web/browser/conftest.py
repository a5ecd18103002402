"""Fixtures for the real-browser suite: one world, one ``aimem web --all`` and one headless
Chromium per test session (starting each costs seconds; the tests only read).

Chromium missing is a failure, not a skip: a suite that quietly skips would hide a view nobody
has tested. The failure is one line saying how to install it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import (
    WebServer,
    World,
    build_world,
    chromium_problem,
    fresh_profile,
    remove_profile,
    start_browser,
)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("web-world"))


@pytest.fixture(scope="session")
def web(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    log = tmp_path_factory.mktemp("web-log") / "web.log"
    with WebServer(world.env, str(world.root), ["--all"], log) as server:
        yield server


@pytest.fixture(scope="session")
def driver() -> Iterator[object]:
    problem = chromium_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    profile: Path = fresh_profile()
    browser = start_browser(profile)
    try:
        yield browser
    finally:
        browser.quit()
        remove_profile(profile)


@pytest.fixture
def page(driver, web: WebServer):
    """The browser with a clean console log and the light colour scheme, at the server's root."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    driver.get(web.url + "/")
    driver.execute_script("try { localStorage.clear() } catch (e) {}")
    driver.get_log("browser")
    return driver
