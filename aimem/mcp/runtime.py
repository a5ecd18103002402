"""What every tool shares: the server's settings, its default project, and the turning of library
results and errors into MCP tool results.

The default project is resolved once per server, in this order: ``AIMEM_PROJECT``, then the
client's roots (asked once, only from a client that declared the capability and can answer), then
the server's own working directory. Roots can only be asked after the handshake, so "once at
start" means at the first tool call; the answer is kept for the server's life. Every tool also
takes an explicit ``project`` (a slug, a name or a path), resolved like ``--project`` in the CLI.

Errors a model can act on (a bad path, an unknown page or project, an empty query, a busy wiki)
become ``is_error`` results with one clear sentence; anything else is logged with its traceback and
the model sees only that the tool failed. Library code runs in a worker thread, so a consolidation
never blocks the server from answering.
"""

import json
import logging
import os
import sqlite3
import urllib.parse
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import Field

from aimem.config import Settings
from aimem.project import (
    Project,
    ProjectNotFound,
    ProjectPaths,
    find_project,
    list_projects,
    load_meta,
    non_project_dirs,
    paths_for,
    resolve_project,
)

log = logging.getLogger("aimem.mcp")
T = TypeVar("T")
ROOTS_TIMEOUT = 3.0  # seconds to wait for a client's roots/list answer

ProjectArg = Annotated[
    str | None,
    Field(
        description="Another project's slug, name or folder path. Leave empty for the project "
        "this server was started in (almost always what you want).",
        max_length=4096,
    ),
]


@dataclass
class Target:
    """The project one tool call works on."""

    slug: str
    name: str
    paths: ProjectPaths
    root: str | None  # the project's own folder (for AGENTS.md...), when known


class Runtime:
    def __init__(self, settings: Settings, cwd: str, env: dict[str, str] | os._Environ) -> None:
        self.settings = settings
        self.cwd = cwd
        self.env = env
        self._default: Project | None = None
        self._source = ""
        self._resolved = False
        self._lock: anyio.Lock | None = None

    # --- the default project -----------------------------------------------------------------

    async def default_project(self, ctx: Context | None) -> Project | None:
        if self._resolved:
            return self._default
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if not self._resolved:
                self._default, self._source = await self._resolve_default(ctx)
                self._resolved = True
                log.info(
                    "default project: %s (from %s)",
                    self._default.slug if self._default else None,
                    self._source,
                )
        return self._default

    async def _resolve_default(self, ctx: Context | None) -> tuple[Project | None, str]:
        if (self.env.get("AIMEM_PROJECT") or "").strip():
            return resolve_project(self.cwd, self.env), "AIMEM_PROJECT"
        for root in await client_roots(ctx):
            project = resolve_project(root, self.env)
            if project is not None:
                return project, f"client root {root}"
        return resolve_project(self.cwd, self.env), f"server cwd {self.cwd}"

    # --- one call's project ------------------------------------------------------------------

    def target(self, selector: str | None, default: Project | None, create: bool = False) -> Target:
        """The project for a call; ``create`` makes the project's folder if it has no memory
        yet (writing the first page is how an agent without hooks starts a memory)."""
        home = self.settings.home
        if selector:
            slug, name, paths = find_project(home, selector, self.cwd)
            root = load_meta(paths).get("root")
            if not root:  # a project named by its folder: that folder
                root = os.path.abspath(os.path.expanduser(selector))
            return Target(slug, name, paths, self._usable_root(root))
        if default is None:
            known = [slug for slug, _, _ in list_projects(home)][:10]
            hint = f" Known projects: {', '.join(known)}." if known else ""
            raise ProjectNotFound(
                f"no project here: this server runs in {self.cwd}, which is not inside a project, "
                f"and the client gave no project folder. Pass `project`.{hint}"
            )
        paths = paths_for(home, default.slug)
        meta = load_meta(paths)
        if not os.path.isdir(paths.base):
            if not create:
                raise ProjectNotFound(
                    f"no memory recorded yet for project {default.name!r} ({default.slug}); "
                    "it starts with the first session an agent with aimem hooks ends here, or "
                    "with memory_write_page"
                )
            from aimem.memory.write import ensure_project_folder

            ensure_project_folder(paths, default)
        root = meta.get("root") if os.path.isdir(str(meta.get("root") or "")) else default.root
        return Target(default.slug, default.name, paths, self._usable_root(root))

    def _usable_root(self, root: object) -> str | None:
        if not isinstance(root, str) or not os.path.isdir(root):
            return None
        real = os.path.realpath(root)
        return None if real in non_project_dirs(self.env) else real

    async def call(
        self,
        ctx: Context | None,
        project: str | None,
        work: Callable[[Target], T],
        create: bool = False,
    ) -> T:
        """Run ``work`` for the call's project in a worker thread, mapping expected failures to
        a ``ToolError`` the model can read."""
        selector = project.strip() if isinstance(project, str) and project.strip() else None
        default = None if selector else await self.default_project(ctx)

        def run() -> T:
            target = self.target(selector, default, create)
            try:
                return work(target)
            except ToolError:
                raise
            except Exception as exc:  # noqa: BLE001 - sorted into model-readable or crash
                message = explain(exc, target)
                if message is None:
                    raise
                raise ToolError(message) from exc

        try:
            return await anyio.to_thread.run_sync(run)
        except ToolError:
            raise
        except ProjectNotFound as exc:
            raise ToolError(str(exc)) from exc


def explain(exc: BaseException, target: Target) -> str | None:
    """One sentence for a failure the model can do something about; ``None`` for a crash."""
    from filelock import Timeout

    from aimem.wiki.pages import PagePathError
    from aimem.wiki.read import PageNotFound

    if isinstance(exc, PageNotFound):
        from aimem.recall import suggest_paths

        near = suggest_paths(target.paths, exc.path)
        hint = f" Did you mean: {', '.join(near)}?" if near else " Find paths with memory_query."
        return f"no page {exc.path!r} in project {target.slug}.{hint}"
    if isinstance(exc, PagePathError):
        return f"{exc}. Page paths are relative to the wiki, like decisions/use-wal.md."
    if isinstance(exc, Timeout):
        return "the wiki is locked by another writer (a consolidation?); try again in a minute"
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return "the search index is busy; try again in a moment"
    if isinstance(exc, sqlite3.DatabaseError):
        return f"the search index is unreadable ({exc}); run `aimem reindex --full`"
    if isinstance(exc, (ValueError, LookupError)):
        return str(exc)
    return None


async def client_roots(ctx: Context | None) -> list[str]:
    """Folder paths of the client's ``file://`` roots; ``[]`` if it has none or cannot say."""
    if ctx is None:
        return []
    try:
        session = ctx.session
        caps = session.client_capabilities
        if caps is None or caps.roots is None or not session.can_send_request:
            return []
        with anyio.move_on_after(ROOTS_TIMEOUT), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # roots are deprecated in 2026-07-28, still used
            result = await session.list_roots()
            return [p for p in (uri_path(str(r.uri)) for r in result.roots) if p]
    except Exception as exc:  # noqa: BLE001 - no roots is a normal answer
        log.info("client roots unavailable: %s", exc)
    return []


def uri_path(uri: str) -> str | None:
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    path = urllib.parse.unquote(parsed.path)
    return path if os.path.isabs(path) else None


# --- results ---------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Plain JSON types only (YAML front matter can hold dates)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def result(data: dict, text: str | None = None) -> CallToolResult:
    """A tool result: ``text`` for the model (compact JSON of ``data`` by default) and ``data``
    as structured content for clients that use it."""
    data = jsonable(data)
    if text is None:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def client_name(ctx: Context | None) -> str:
    """The connected client's name (``claude-code``, ...), for the handoff claim record."""
    try:
        params = ctx.session.client_params if ctx is not None else None
        name = params.client_info.name if params is not None and params.client_info else ""
    except Exception:  # noqa: BLE001 - outside a request
        name = ""
    return name or "mcp-client"
