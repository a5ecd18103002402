"""Links are relative to the document they appear in, on the server and in the static export,
and always lead where they mean to."""

from __future__ import annotations

import posixpath
import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from aimem.web import urls
from aimem.web.urls import Links

BASE = "http://127.0.0.1:8377"


def lands(here: str, href: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(urllib.parse.urljoin(BASE + here, href)).path)


def test_server_links_are_relative() -> None:
    links = Links("/p/app-1/page/decisions/x.md")
    assert links.page("app-1", "decisions/y.md") == "y.md"
    assert links.page("app-1", "concepts/z.md") == "../concepts/z.md"
    assert links.project("app-1") == "../../"
    assert links.home() == "../../../../"
    assert links.asset("style.css") == "../../../../static/style.css"
    assert links.search({"q": "a b", "type": ""}) == "../../../../search?q=a+b"
    assert Links("/").project("app-1") == "p/app-1/"
    assert Links("/p/app-1/").sessions("app-1") == "sessions/"
    assert Links("/search").home() == "./"


def test_static_links_point_at_files() -> None:
    links = Links("/p/app-1/page/decisions/x.md", static=True)
    assert links.page("app-1", "decisions/y.md") == "y.md.html"
    assert links.project("app-1") == "../../index.html"
    assert links.home() == "../../../../index.html"
    assert links.search({"q": "x"}) == "../../../../search.html"
    assert links.asset("theme.js") == "../../../../static/theme.js"
    assert urls.route_file("/p/s/tree/") == "p/s/tree/index.html"


def test_names_that_look_like_schemes_stay_relative() -> None:
    assert Links("/p/s/page/x.md").page("s", "a:b.md") == "a%3Ab.md"
    assert Links("/p/s/page/a/b.md").page("s", "a") == "../a"  # a file, not the folder "."


SEGMENT = st.text(alphabet="abcXYZ019._- é", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)


@given(
    here=st.lists(SEGMENT, min_size=1, max_size=4).map("/".join),
    there=st.lists(SEGMENT, min_size=1, max_size=4).map("/".join),
)
def test_every_link_lands_on_its_route(here: str, there: str) -> None:
    for route_here in (urls.page_route("s", here), urls.project_route("s"), urls.SEARCH, "/"):
        links = Links(route_here)
        assert lands(route_here, links.page("s", there)) == urls.page_route("s", there)
        assert lands(route_here, links.history("s", there)) == urls.history_route("s", there)
        assert lands(route_here, links.folder("s", there)) == urls.folder_route("s", there)
        assert lands(route_here, links.home()) == "/"
        static = Links(route_here, static=True)
        target = "/" + urls.route_file(urls.page_route("s", there))
        here_file = "/" + urls.route_file(route_here)
        assert (
            posixpath.normpath(
                posixpath.join(
                    posixpath.dirname(here_file), urllib.parse.unquote(static.page("s", there))
                )
            )
            == target
        )
