"""``aimem export --html DIR``: the web view's own templates written out as a static site.

The export renders the views the live server renders, through the same ``Renderer`` with
``static=True`` (every link is then relative and ends in a file name, so the site works from
``file://`` and from any web server or folder it is copied to). Which views to write is found
the way a person finds them: starting from the project list and the search page, every link a
written view holds is followed and its target written too, so the export holds exactly what is
reachable, and a link to a view that does not exist is counted (``missing``) instead of left
dead. Search runs in the browser, from an external script over a prebuilt index of every page's
indexed text (``search-index.js``: a script, because a JSON file cannot be fetched from
``file://``); no page holds inline script.

The export only reads memory (the same read-only index and git access as the server). It writes
into ``DIR`` only, which must be empty or a previous export (marked by ``.aimem-export``).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from importlib import resources
from urllib.parse import unquote, urlsplit

from aimem.web import store, urls
from aimem.web.store import NotFound, Site
from aimem.web.views import Renderer

MARKER = ".aimem-export"
INDEX_FILE = "search-index.js"
SEARCH_SCRIPT = "export-search.js"
# A bound on what one export writes, so a link loop in a template cannot fill the disk.
MAX_FILES = 1_000_000

Progress = Callable[[int, int], None]  # (written, known so far)


class ExportError(ValueError):
    """The export cannot be written as asked (the target folder is not ours to fill)."""


@dataclass
class ExportResult:
    out_dir: str
    projects: list[str]
    files: int = 0  # HTML views written
    assets: int = 0
    documents: int = 0  # pages in the search index
    missing: list[str] = field(default_factory=list)  # linked routes that are no view (404)


# Link attributes as the templates write them: jinja2 autoescaping and markdown-it both quote
# attribute values with '"', and text is escaped (a '"' in text is '&quot;'), so this matches
# markup only. A regular expression: html.parser took a third of an export's time.
_LINK_ATTR = re.compile(r'\s(?:href|src|action)="([^"]*)"')


def linked_files(html: str, file: str) -> list[str]:
    """Files (relative to the export root) that the view written at ``file`` links to; links
    with a scheme, fragments alone and links leaving the export are not files of ours."""
    out = []
    for raw in _LINK_ATTR.findall(html):
        href = unescape(raw)
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path:
            continue
        target = posixpath.normpath(posixpath.join(posixpath.dirname(file), unquote(parts.path)))
        if target.startswith("..") or target.startswith("/"):
            continue
        if parts.path.endswith("/"):
            target += "/index.html"
        out.append(target)
    return out


def file_route(file: str) -> str:
    """The route a file of the export was written for (the inverse of ``urls.route_file``):
    ``index.html`` -> ``/``, ``p/s/index.html`` -> ``/p/s/``, ``x.md.html`` -> ``/x.md``."""
    if file == "index.html":
        return "/"
    if file.endswith("/index.html"):
        return "/" + file[: -len("index.html")]
    if file.endswith(".html"):
        return "/" + file[: -len(".html")]
    return "/" + file


SEARCH_SCRIPTS = (
    f'<script src="{INDEX_FILE}"></script>\n'
    f'<script src="{urls.route_file(urls.asset_route(SEARCH_SCRIPT))}"></script>\n'
)


def static_search(html: str) -> str:
    """The search view with the client-side search's two scripts in its head (it sits at the
    export's root, so both paths are relative to it), unless the template already loads them."""
    if SEARCH_SCRIPT in html:
        return html
    return html.replace("</head>", SEARCH_SCRIPTS + "</head>", 1)


def render_route(renderer: Renderer, route: str) -> str:
    """The view for ``route`` (server form), as the live server's routing table maps it."""
    if route == urls.HOME:
        return renderer.projects()
    if route == urls.SEARCH:
        return static_search(renderer.search())
    parts = route.split("/")  # "", "p", slug, view, ...
    if len(parts) < 4 or parts[1] != "p":
        raise NotFound(f"no view at {route}")
    slug, view, rest = parts[2], parts[3], parts[4:]
    tail = "/".join(rest)
    if view == "" and not rest:
        return renderer.project_home(slug)
    if view == "tree":
        return renderer.folder(slug, tail.strip("/"))
    if view == "sessions" and tail == "":
        return renderer.sessions(slug)
    if view == "page" and tail:
        return renderer.page(slug, tail)
    if view == "history" and tail:
        return renderer.history(slug, tail)
    if view == "diff" and len(rest) >= 3:
        return renderer.diff(slug, "/".join(rest[2:]), rest[0], rest[1])
    raise NotFound(f"no view at {route}")


def _check_target(out_dir: str) -> None:
    if os.path.lexists(out_dir) and not os.path.isdir(out_dir):
        raise ExportError(f"{out_dir} exists and is not a folder")
    earlier = os.path.exists(os.path.join(out_dir, MARKER))
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not earlier:
        raise ExportError(
            f"{out_dir} is not empty and holds no earlier export: choose an empty folder"
        )


def _write(root: str, rel: str, data: bytes) -> None:
    path = os.path.join(root, *rel.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def _copy_asset(root: str, rel: str) -> bool:
    """Copy ``static/<name>`` from the package; ``False`` when the package has no such file."""
    name = rel[len("static/") :]
    source = resources.files("aimem.web").joinpath("static", *name.split("/"))
    if not name or ".." in name.split("/") or not source.is_file():
        return False
    _write(root, rel, source.read_bytes())
    return True


def search_index(site: Site) -> tuple[str, int]:
    """``search-index.js``: every indexed page of every exported project, with the file of its
    page view (relative to the export root), as one JavaScript assignment."""
    docs = []
    for ref in site.projects():
        with store.open_index(ref.paths) as index:
            if index.conn is None:
                continue
            for doc in store.documents(index.conn, ref.slug):
                docs.append(
                    {
                        "project": doc.project,
                        "name": ref.name,
                        "path": doc.path,
                        "title": doc.title,
                        "type": doc.type,
                        "status": doc.status,
                        "url": urls.route_file(urls.page_route(doc.project, doc.path)),
                        "text": doc.text,
                    }
                )
    payload = json.dumps({"version": 1, "docs": docs}, ensure_ascii=False, separators=(",", ":"))
    return f"window.AIMEM_INDEX = {payload};\n", len(docs)


def export_html(
    home: str,
    out_dir: str,
    only: tuple[str, ...] | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the static site for ``only`` (slugs; ``None``: every project) into ``out_dir``.
    The site is built in a temporary folder beside ``out_dir`` and moved into place at the end,
    so a failed export leaves an earlier one whole."""
    out_dir = os.path.abspath(out_dir)
    _check_target(out_dir)
    site = Site(home, only)
    projects = [ref.slug for ref in site.projects()]
    if only is not None and not projects:
        raise ExportError(f"no project {', '.join(only)} under {home}")
    renderer = Renderer(site, static=True)
    result = ExportResult(out_dir, projects)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    build = tempfile.mkdtemp(prefix=".aimem-export-", dir=parent)
    try:
        _build(renderer, site, build, result, progress)
        _replace(build, out_dir)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return result


def _build(
    renderer: Renderer, site: Site, root: str, result: ExportResult, progress: Progress | None
) -> None:
    index_js, result.documents = search_index(site)
    _write(root, INDEX_FILE, index_js.encode("utf-8"))
    queue = deque(["index.html", urls.route_file(urls.SEARCH)])
    seen = set(queue) | {INDEX_FILE}
    while queue:
        file = queue.popleft()
        if file.startswith("static/"):
            if _copy_asset(root, file):
                result.assets += 1
            else:
                result.missing.append("/" + file)
            continue
        route = file_route(file)
        try:
            html = render_route(renderer, route)
        except NotFound as exc:
            # Written as the server's 404 page, so the link still lands somewhere readable.
            result.missing.append(route)
            html = renderer.error(route, 404, str(exc))
        _write(root, file, html.encode("utf-8"))
        result.files += 1
        for target in linked_files(html, file):
            if target not in seen and len(seen) < MAX_FILES:
                seen.add(target)
                queue.append(target)
        if progress is not None:
            progress(result.files + result.assets, len(seen))
    _write(root, MARKER, b"aimem export --html\n")


def _replace(build: str, out_dir: str) -> None:
    """Move the finished site to ``out_dir``; an earlier export there is removed only now."""
    if os.path.isdir(out_dir):
        old = out_dir + ".old-export"
        shutil.rmtree(old, ignore_errors=True)
        os.rename(out_dir, old)
        os.rename(build, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(build, out_dir)
