"""The ASGI app for ``aimem web``: starlette routing over the views, behind a guard that makes
the server safe by construction.

- Only GET and HEAD: anything else is 405 before any view runs (no handler writes anything,
  and no other method reaches one).
- The Host header must be one this server answers to (``127.0.0.1:PORT``, ``localhost:PORT``,
  and the explicit ``--host`` address): anything else is 403, so a web page elsewhere cannot
  reach this one through DNS rebinding.
- Every response carries a strict Content-Security-Policy (scripts and styles from this origin
  only: the one theme script is a file, never inline), ``nosniff``, ``no-referrer`` and a
  frame ban. No CORS header is ever sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aimem.web import urls
from aimem.web.store import NotFound, Site
from aimem.web.views import SEARCH_LIMIT, Renderer

log = logging.getLogger("aimem.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
ALLOWED_METHODS = ("GET", "HEAD")


def allowed_hosts(port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host header values this server answers to, case-folded."""
    names = ["127.0.0.1", "localhost", *extra]
    out = set()
    for name in names:
        name = name.lower()
        shown = f"[{name}]" if ":" in name and not name.startswith("[") else name
        out.add(f"{shown}:{port}")
        if port == 80:
            out.add(shown)
    return frozenset(out)


class Guard:
    """ASGI middleware: method and Host checks first, security headers on every response."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return  # websockets: not served
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {name for name, _ in SECURITY_HEADERS}
                ]
                message = {**message, "headers": kept + SECURITY_HEADERS}
            await send(message)

        if scope["method"] not in ALLOWED_METHODS:
            response: Response = PlainTextResponse(
                "405 method not allowed: this view is read-only\n",
                status_code=405,
                headers={"Allow": ", ".join(ALLOWED_METHODS)},
            )
            await response(scope, receive, send_secured)
            return
        if host not in self.hosts:
            log.warning("refused a request for host %r", host[:100])
            response = PlainTextResponse("403 forbidden: unknown Host\n", status_code=403)
            await response(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)


def _html(renderer: Renderer, request: Request, render) -> Response:  # noqa: ANN001
    """Run a view; a ``NotFound`` is a 404 page, any other failure a 500 page (logged)."""
    try:
        return HTMLResponse(render())
    except NotFound as exc:
        body = renderer.error(request.url.path, 404, str(exc))
        return HTMLResponse(body, status_code=404)


def create_app(site: Site, hosts: frozenset[str]) -> ASGIApp:
    """The whole server for ``site``; ``hosts`` from ``allowed_hosts``."""
    renderer = Renderer(site)

    def projects(request: Request) -> Response:
        if site.only is not None and len(site.only) == 1:
            # One project served: its home is the start page (relative, so a prefix works).
            links = urls.Links(urls.HOME)
            return RedirectResponse(links.project(site.only[0]), status_code=302)
        return _html(renderer, request, renderer.projects)

    def project_home(request: Request) -> Response:
        slug = request.path_params["slug"]
        return _html(renderer, request, lambda: renderer.project_home(slug))

    def project_bare(request: Request) -> Response:
        return RedirectResponse(request.path_params["slug"] + "/", status_code=302)

    def folder(request: Request) -> Response:
        p = request.path_params
        return _html(renderer, request, lambda: renderer.folder(p["slug"], p.get("folder", "")))

    def page(request: Request) -> Response:
        p = request.path_params
        return _html(renderer, request, lambda: renderer.page(p["slug"], p["path"]))

    def history(request: Request) -> Response:
        p, q = request.path_params, request.query_params
        return _html(
            renderer,
            request,
            lambda: renderer.history(p["slug"], p["path"], q.get("a", ""), q.get("b", "")),
        )

    def diff(request: Request) -> Response:
        p = request.path_params
        return _html(
            renderer, request, lambda: renderer.diff(p["slug"], p["path"], p["old"], p["new"])
        )

    def sessions(request: Request) -> Response:
        p, q = request.path_params, request.query_params
        return _html(renderer, request, lambda: renderer.sessions(p["slug"], q.get("agent", "")))

    def search(request: Request) -> Response:
        q = request.query_params
        try:
            limit = int(q.get("limit", SEARCH_LIMIT))
        except ValueError:
            limit = SEARCH_LIMIT
        return _html(
            renderer,
            request,
            lambda: renderer.search(
                q.get("q", ""), q.get("type", ""), q.get("status", ""), q.get("project", ""), limit
            ),
        )

    def favicon(request: Request) -> Response:
        return RedirectResponse("static/favicon.svg", status_code=301)

    async def not_found(request: Request, exc: Exception) -> Response:
        return HTMLResponse(renderer.error(request.url.path, 404, "no such view"), status_code=404)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("web view failed on %s", request.url.path, exc_info=exc)
        return HTMLResponse(
            renderer.error(request.url.path, 500, "this view failed; the log file has why"),
            status_code=500,
        )

    routes = [
        Route("/", projects),
        Route("/search", search),
        Route("/favicon.ico", favicon),
        Route("/p/{slug}", project_bare),
        Route("/p/{slug}/", project_home),
        Route("/p/{slug}/tree/", folder),
        Route("/p/{slug}/tree/{folder:path}/", folder),
        Route("/p/{slug}/page/{path:path}", page),
        Route("/p/{slug}/history/{path:path}", history),
        Route("/p/{slug}/diff/{old}/{new}/{path:path}", diff),
        Route("/p/{slug}/sessions/", sessions),
        Mount("/static", StaticFiles(packages=[("aimem.web", "static")]), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 500: server_error})
    return Guard(app, hosts)
