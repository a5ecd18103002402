"""Every link the web view emits, relative to the document it appears in.

Relative links keep the view working behind any prefix and as files (the static export opens
pages over ``file://``). A *route* is the server path of a view (``/p/<slug>/page/<path>``);
``Links`` turns it into an ``href`` relative to the route being rendered. With ``static=True``
each route maps to a file instead (``/`` -> ``index.html``, ``/p/s/`` -> ``p/s/index.html``,
``/p/s/page/a/b.md`` -> ``p/s/page/a/b.md.html``, ``/search`` -> ``search.html``); query strings
are dropped there, since files cannot answer them.
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote, urlencode

# Routes (server form); the app's routing table uses the same shapes.
HOME = "/"
SEARCH = "/search"


def project_route(slug: str) -> str:
    return f"/p/{slug}/"


def page_route(slug: str, path: str) -> str:
    return f"/p/{slug}/page/{path}"


def history_route(slug: str, path: str) -> str:
    return f"/p/{slug}/history/{path}"


def diff_route(slug: str, path: str, old: str, new: str) -> str:
    return f"/p/{slug}/diff/{old}/{new}/{path}"


def sessions_route(slug: str) -> str:
    return f"/p/{slug}/sessions/"


def folder_route(slug: str, folder: str) -> str:
    return f"/p/{slug}/tree/{folder.strip('/') + '/' if folder.strip('/') else ''}"


def asset_route(name: str) -> str:
    return f"/static/{name}"


def route_file(route: str) -> str:
    """The file a route is written to in the static export (relative to the export's root)."""
    rel = route.lstrip("/")
    if rel == "" or rel.endswith("/"):
        return rel + "index.html"
    if rel.startswith("static/"):
        return rel
    return rel + ".html"


class Links:
    """Builds hrefs relative to ``here`` (the route being rendered)."""

    def __init__(self, here: str, static: bool = False) -> None:
        self.here = here
        self.static = static

    def href(self, route: str, query: dict[str, str] | None = None) -> str:
        if self.static:
            target, base = "/" + route_file(route), "/" + route_file(self.here)
            query = None
        else:
            target, base = route, self.here
        start = posixpath.dirname(base) or "/"
        if target.endswith("/"):
            rel = posixpath.relpath(target.rstrip("/") or "/", start)
            rel = "./" if rel == "." else rel + "/"
        else:
            # The folder, then the name: relpath alone turns a file that is an ancestor of
            # here ("/p/s/page/a" from "/p/s/page/a/b.md") into a folder link ("." or "..").
            folder = posixpath.relpath(posixpath.dirname(target) or "/", start)
            name = posixpath.basename(target)
            rel = name if folder == "." else f"{folder}/{name}"
        # ":" is quoted too, so a first segment never reads as a URL scheme.
        rel = quote(rel, safe="/.-_~")
        if query:
            clean = {k: v for k, v in query.items() if v not in (None, "")}
            if clean:
                rel += "?" + urlencode(clean)
        return rel

    # One method per view, so a template never spells a route itself.
    def home(self) -> str:
        return self.href(HOME)

    def project(self, slug: str) -> str:
        return self.href(project_route(slug))

    def page(self, slug: str, path: str, anchor: str = "") -> str:
        return self.href(page_route(slug, path)) + (f"#{quote(anchor)}" if anchor else "")

    def history(self, slug: str, path: str, query: dict[str, str] | None = None) -> str:
        return self.href(history_route(slug, path), query)

    def diff(self, slug: str, path: str, old: str, new: str) -> str:
        return self.href(diff_route(slug, path, old, new))

    def sessions(self, slug: str, query: dict[str, str] | None = None) -> str:
        return self.href(sessions_route(slug), query)

    def folder(self, slug: str, folder: str) -> str:
        return self.href(folder_route(slug, folder))

    def search(self, query: dict[str, str] | None = None) -> str:
        return self.href(SEARCH, query)

    def asset(self, name: str) -> str:
        return self.href(asset_route(name))
