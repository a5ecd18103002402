"""The web app end to end over ASGI: every view answers on a world built by the real hooks,
consolidation and page writes; the guard refuses foreign hosts and writes; hostile pages come
out inert; nothing is written while every view is requested."""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from replay import run_aimem
from web.conftest import PORT
from web_world import CANARY, HOSTILE_TITLE, WebWorld

from aimem.capture import state
from aimem.web.app import CSP

HREF = re.compile(r'(?:href|src|action)="([^"]*)"')


def view_urls(world: WebWorld) -> list[str]:
    s, pages = world.main, world.pages
    gotcha = pages["gotcha"]
    from aimem.web import history

    repo = history.open_repo(str(world.paths[s].wiki))
    assert repo is not None
    versions = history.page_history(repo, gotcha)
    return [
        "/",
        f"/p/{s}/",
        f"/p/{world.other}/",
        f"/p/{s}/tree/",
        f"/p/{s}/tree/decisions/",
        f"/p/{s}/sessions/",
        f"/p/{s}/sessions/?agent=claude-code",
        *(f"/p/{s}/page/{p}" for p in pages.values()),
        f"/p/{s}/page/index.md",
        f"/p/{s}/history/{gotcha}",
        f"/p/{s}/history/{gotcha}?a={versions[-1].sha}&b={versions[0].sha}",
        f"/p/{s}/diff/{versions[1].sha}/{versions[0].sha}/{gotcha}",
        "/search",
        "/search?q=sqlite+index",
        f"/search?q=jitter&project={s}&type=gotcha",
        "/search?q=index&status=superseded",
        "/static/style.css",
        "/static/theme.js",
        "/static/pygments.css",
    ]


def fingerprint(world: WebWorld) -> dict[str, str]:
    """What a read-only view must leave as it was: each project's wiki HEAD and the bytes of
    every file under the data root outside the wiki's work tree (index, state, journals)."""
    out: dict[str, str] = {}
    for top, dirs, files in os.walk(world.home):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(top, name)
            if name.endswith(("-shm", "-wal")) or name == "aimem.log":
                continue  # SQLite's shared-memory side files of a reader; the log
            with open(full, "rb") as fh:
                out[os.path.relpath(full, world.home)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def test_every_view_answers_200(client, world: WebWorld) -> None:
    for url in view_urls(world):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        if url.startswith("/static/"):
            continue
        assert response.headers["content-type"].startswith("text/html")
        assert "<script>" not in response.text  # only <script src=...> from our origin


def test_every_link_on_every_view_resolves(client, world: WebWorld) -> None:
    """A crawl of all same-origin links from / (what the browser suite does in Chromium)."""
    base = f"http://127.0.0.1:{PORT}"
    todo, seen, broken = [base + "/"], set(), []
    while todo and len(seen) < 400:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            broken.append((url, response.status_code))
            continue
        if not response.headers["content-type"].startswith("text/html"):
            continue
        assert CANARY not in response.text, url
        for href in HREF.findall(response.text):
            href = href.replace("&amp;", "&")
            assert not href.startswith(("/", "http:", "https:")) or href.startswith(
                ("https://example", "http://example")
            ), f"non-relative link {href!r} on {url}"
            target = urllib.parse.urldefrag(urllib.parse.urljoin(url, href)).url
            if target.startswith(base) and target not in seen:
                todo.append(target)
    assert not broken, broken
    assert len(seen) > 30


def test_one_project_served_redirects_to_its_home(world: WebWorld) -> None:
    from starlette.testclient import TestClient

    from aimem.web.app import allowed_hosts, create_app
    from aimem.web.store import Site

    app = create_app(Site(str(world.home), (world.main,)), allowed_hosts(PORT))
    with TestClient(app, base_url=f"http://127.0.0.1:{PORT}") as one:
        response = one.get("/", follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["location"] == f"p/{world.main}/"
        assert one.get(f"/p/{world.other}/").status_code == 404  # not served
        assert one.get(f"/p/{world.main}/").status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8765", "127.0.0.1:1", "localhost", "127.0.0.2:8765", ""]
)
def test_foreign_host_is_403(client, host: str) -> None:
    response = client.get("/", headers={"host": host})
    assert response.status_code == 403
    assert response.headers["content-security-policy"] == CSP


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "LOCALHOST:8765"])
def test_loopback_hosts_are_allowed(client, host: str) -> None:
    assert client.get("/", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
def test_anything_but_get_and_head_is_405(client, world: WebWorld, method: str) -> None:
    for url in ("/", f"/p/{world.main}/page/{world.pages['wal']}", "/search?q=x", "/nope"):
        response = client.request(method, url, content=b"x=1")
        assert response.status_code == 405, (method, url)
        assert response.headers["allow"] == "GET, HEAD"
    # even from a foreign host: the method is refused first, and nothing reaches a view
    assert client.post("/", headers={"host": "evil.example"}).status_code == 405


def test_head_is_answered_without_a_body(client, world: WebWorld) -> None:
    response = client.head(f"/p/{world.main}/")
    assert response.status_code == 200 and response.content == b""


def test_security_headers_on_every_response(client, world: WebWorld) -> None:
    for url in ("/", f"/p/{world.main}/page/{world.pages['hostile']}", "/static/style.css", "/x"):
        headers = client.get(url).headers
        assert headers["content-security-policy"] == CSP
        for part in (
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ):
            assert part in CSP
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "access-control-allow-origin" not in headers


def test_hostile_page_is_inert(client, world: WebWorld) -> None:
    html = client.get(f"/p/{world.main}/page/{world.pages['hostile']}").text
    # Only our own external script tag; the planted ones are text.
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="../../../../static/theme.js">']
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "onerror=" not in re.sub(r"&lt;.*?&gt;", "", html)  # only inside escaped text
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html, re.I)  # no event-handler attribute
    assert not re.search(
        r"""(?:href|src|action)\s*=\s*["']?\s*(?:javascript|data|vbscript):""", html, re.I
    )
    assert "<img" not in html and '<a href="javascript' not in html
    assert "&lt;/textarea&gt;&lt;/title&gt;" in html
    assert "Hostile &lt;script&gt;alert(" in html  # the title, escaped in <title> and <h1>
    assert "<title>Hostile &lt;script&gt;" in html
    assert HOSTILE_TITLE not in html


def test_hostile_input_in_search_and_urls_is_escaped(client) -> None:
    html = client.get("/search", params={"q": '"><script>alert(1)</script>', "type": "<b>"}).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    missing = client.get("/p/<script>x</script>/")
    assert missing.status_code == 404 and "<script>x" not in missing.text


def test_page_view_content(client, world: WebWorld) -> None:
    s = world.main
    wal = client.get(f"/p/{s}/page/{world.pages['wal']}").text
    old_href = f'<a class="wikilink" href="{os.path.basename(world.pages["old"])}">'
    assert old_href in wal  # a working wikilink, relative to this page's folder
    assert 'class="wikilink broken"' in wal and "gotchas/does-not-exist" in wal
    assert '<pre class="highlight"><code class="language-python"><span class=' in wal
    assert 'type="checkbox" class="task" disabled checked' in wal
    assert "<table>" in wal and "<td>yes</td>" in wal
    assert "Linked from" in wal and "Run the migration tests before every commit" in wal  # backlink
    old = client.get(f"/p/{s}/page/{world.pages['old']}").text
    assert "This page is superseded" in old
    assert f'href="{os.path.basename(world.pages["wal"])}"' in old  # banner links the successor
    long = client.get(f"/p/{s}/page/{world.pages['long']}").text
    assert '<details class="fold"><summary><h2 id="long-part">Long part</h2>' in long
    assert '<h2 id="short-part">Short part</h2>\n<p>A few words.</p>' in long  # short: open
    assert '<summary><h2 id="short-part"' not in long


def test_history_lists_commits_with_authors_and_diff(client, world: WebWorld) -> None:
    s, gotcha = world.main, world.pages["gotcha"]
    html = client.get(f"/p/{s}/history/{gotcha}").text
    rows = re.findall(r"<td>(Alice|Bob|aimem)</td>", html)
    assert rows == ["Bob", "Alice", "aimem"]
    diff_link = re.search(r'href="(\.\./\.\./diff/[^"]+)"', html)
    assert diff_link is not None
    url = urllib.parse.urljoin(
        f"http://127.0.0.1:{PORT}/p/{s}/history/{gotcha}", diff_link.group(1)
    )
    diff = client.get(url).text
    assert '<span class="d-del">-Without jitter every client retries at the same moment.' in diff
    assert (
        '<span class="d-add">+Without jitter every client retries at the very same moment.' in diff
    )


def test_search_ranks_like_aimem_search(client, world: WebWorld) -> None:
    for query, extra in (("sqlite index", []), ("jitter", ["--type", "gotcha"]), ("session", [])):
        cli = run_aimem("search", query, "--json", "--all", *extra, env=world.env)
        assert cli.returncode == 0, cli.stderr
        expected = [(h["project"], h["path"]) for h in json.loads(cli.stdout)]
        params = {"q": query, "type": extra[1] if extra else ""}
        html = client.get("/search", params=params).text
        shown = re.findall(r'data-project="([^"]+)" data-path="([^"]+)"', html)
        assert shown == expected, query
        assert expected
    one = run_aimem("search", "index", "--json", "-p", world.main, env=world.env)
    html = client.get("/search", params={"q": "index", "project": world.main}).text
    assert re.findall(r'data-path="([^"]+)"', html) == [h["path"] for h in json.loads(one.stdout)]
    assert "<mark>" in html


def test_search_filters_by_status_and_type(client, world: WebWorld) -> None:
    html = client.get("/search", params={"q": "index", "status": "superseded"}).text
    assert re.findall(r'data-path="([^"]+)"', html) == [world.pages["old"]]
    html = client.get("/search", params={"q": "index", "type": "rule"}).text
    assert re.findall(r'data-path="([^"]+)"', html) == [world.pages["rule"]]
    assert "unknown page type" in client.get("/search", params={"q": "x", "type": "bogus"}).text


def test_missing_things_are_404(client, world: WebWorld) -> None:
    s = world.main
    for url in (
        "/p/nope/",
        f"/p/{s}/page/decisions/none.md",
        f"/p/{s}/page/../../state/handoff.json",
        f"/p/{s}/page/%2e%2e/%2e%2e/state/handoff.json",
        f"/p/{s}/page/.git/config",
        f"/p/{s}/page/.git/canary.md",
        f"/p/{s}/page/escape.md",
        f"/p/{s}/history/../outside.md",
        f"/p/{s}/page/%2e%2e/outside.md",
        f"/p/{s}/history/decisions/none.md",
        f"/p/{s}/history/{world.pages['wal']}?a=zz&b=HEAD",
        f"/p/{s}/diff/HEAD~1/HEAD/{world.pages['wal']}",
        f"/p/{s}/tree/nope/",
        f"/p/{s}/sessions/?agent=bogus",
        "/static/../views.py",
        "/nothing",
    ):
        response = client.get(url)
        assert response.status_code == 404, url


def test_nothing_is_written_by_any_view(client, world: WebWorld) -> None:
    from aimem.index.reads import wiki_head

    heads = {slug: wiki_head(p.wiki) for slug, p in world.paths.items()}
    before = fingerprint(world)
    offer = state.read_json(state.handoff_path(world.paths[world.main].state))
    for url in view_urls(world):
        assert client.get(url).status_code == 200
    for url in ("/", f"/p/{world.main}/"):  # again: caches and second reads write nothing either
        client.get(url)
    assert fingerprint(world) == before
    assert {slug: wiki_head(p.wiki) for slug, p in world.paths.items()} == heads
    assert state.read_json(state.handoff_path(world.paths[world.main].state)) == offer
    index = Path(world.paths[world.main].index)
    assert index.is_file()


PATH_CHARS = st.sampled_from(list("abz./\\%~-_ :?#&=") + ["..", "%2e", "%2f", ".git", "\x00", "é"])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from(["page/", "history/", "tree/", "diff/a/b/", "sessions/", ""]),
    tail=st.lists(PATH_CHARS, max_size=12).map("".join),
)
def test_fuzzed_paths_never_fail_or_escape(client, world: WebWorld, prefix: str, tail: str) -> None:
    url = f"/p/{world.main}/{prefix}" + urllib.parse.quote(tail, safe="/%?#&=:~")
    response = client.get(url)
    assert response.status_code in (200, 302, 404), (url, response.status_code)
    if response.status_code == 200 and prefix == "page/":
        # whatever was served is a page of this wiki: its title is one the wiki holds
        title = re.search(r"<h1>(.*?)</h1>", response.text)
        assert title is not None
    assert CANARY not in response.text and "[core]" not in response.text


QUERY_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ['"', "*", "AND OR NOT", "NEAR(a b)", "title:x", "\x00", "-1", "1e9", "999999"]
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=QUERY_TEXT,
    kind=st.sampled_from(["", "rule", "session", "bogus", "<x>"]),
    status=QUERY_TEXT,
    project=st.sampled_from(["", "nope", "webshop"]),
    limit=QUERY_TEXT,
)
def test_fuzzed_search_parameters_never_fail(
    client, world: WebWorld, q: str, kind: str, status: str, project: str, limit: str
) -> None:
    project = world.main if project == "webshop" else project
    params = {"q": q, "type": kind, "status": status, "project": project, "limit": limit}
    response = client.get("/search", params=params)
    assert response.status_code in (200, 404), (params, response.status_code)
    assert "<script>" not in response.text


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(PATH_CHARS, max_size=16).map("".join))
@example("/")  # "//": CI's clean clone found the client refusing it
def test_fuzzed_top_level_paths_never_fail(client, tail: str) -> None:
    url = "/" + urllib.parse.quote(tail, safe="/%?#&=:~")
    # Absolute, so a path starting "//" reaches the server (httpx refuses it as a relative
    # URL, which a browser would read as another host).
    response = client.get(f"{client.base_url}{url}", follow_redirects=False)
    assert response.status_code in (200, 301, 302, 404), (url, response.status_code)
    assert CANARY not in response.text
