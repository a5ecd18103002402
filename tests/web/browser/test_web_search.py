"""Search in the browser, through the forms a person uses, ranks pages exactly as
``aimem search --json`` does: across all projects, within one project, and by type."""

from __future__ import annotations

import pytest
from browser_harness import World, click_and_wait, console_errors, search_json, type_and_submit
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from aimem.web import urls

QUERIES = ["sqlite", "webhook jitter", "index", "yaml anchors", "migration test", "ledger cents"]


def shown_hits(driver) -> list[tuple[str, str]]:
    return [
        (li.get_attribute("data-project"), li.get_attribute("data-path"))
        for li in driver.find_elements(By.CSS_SELECTOR, "[data-hit]")
    ]


def cli_hits(world: World, query: str, *extra: str) -> list[tuple[str, str]]:
    return [(h["project"], h["path"]) for h in search_json(world, query, *extra)]


def header_search(driver, query: str) -> None:
    type_and_submit(driver, driver.find_element(By.ID, "site-q"), query)


@pytest.mark.parametrize("query", QUERIES)
def test_all_projects_same_order_as_cli(page, web, world: World, query: str) -> None:
    header_search(page, query)
    expected = cli_hits(world, query, "--all")
    assert expected, f"the fixture should answer {query!r}"
    assert shown_hits(page) == expected
    assert page.find_elements(By.CSS_SELECTOR, "[data-hit] .snippet mark")  # highlighted
    assert console_errors(page) == []


@pytest.mark.parametrize("query", ["sqlite", "webhook", "parse_config"])
def test_one_project_same_order_as_cli(page, web, world: World, query: str) -> None:
    page.get(web.url + urls.project_route(world.main))
    header_search(page, query)  # the header form carries the project
    assert shown_hits(page) == cli_hits(world, query, "--project", world.main)
    assert {p for p, _ in shown_hits(page)} == {world.main}


def test_type_filter_same_as_cli(page, web, world: World) -> None:
    page.get(web.url + "/search")
    form = page.find_element(By.CSS_SELECTOR, "form.search-full")
    form.find_element(By.NAME, "q").send_keys("sqlite index")
    Select(form.find_element(By.NAME, "type")).select_by_value("decision")
    click_and_wait(page, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    shown = shown_hits(page)
    assert shown and shown == cli_hits(world, "sqlite index", "--all", "--type", "decision")
    assert all(path.startswith("decisions/") for _, path in shown)


def test_search_result_opens_the_page(page, web, world: World) -> None:
    header_search(page, "webhook jitter")
    first = page.find_element(By.CSS_SELECTOR, "[data-hit] a.hit-title")
    title = first.text
    click_and_wait(page, first)
    assert page.find_element(By.CSS_SELECTOR, "article h1").text == title
    assert console_errors(page) == []
