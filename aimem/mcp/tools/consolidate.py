"""``memory_consolidate``: turn finished sessions' journals into wiki pages now."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from aimem.mcp.runtime import ProjectArg, Runtime, Target, result
from aimem.wiki.pages import LOG_DIR, SPECIAL_PAGES

NAME = "memory_consolidate"
DESCRIPTION = """\
Consolidate recorded agent sessions into memory pages now (a session log and a handoff per \
session, one git commit each), instead of waiting for the background job. Call it when \
memory_recent or memory_lint lists sessions not consolidated yet, before searching for \
something a session that just ended should have recorded. Without a session id it takes every \
pending session (ended, or silent for 30 minutes). Idempotent. Returns each session's outcome \
(committed, unchanged, empty) and the pages written."""

SessionArg = Annotated[
    str | None,
    Field(max_length=128, description="One session id to consolidate; omit for all pending."),
]


def memory_page(path: str) -> bool:
    """A page the consolidation wrote, not the catalogue or the log it keeps beside them."""
    return path not in SPECIAL_PAGES and not path.startswith(LOG_DIR)


def render(data: dict) -> str:
    rows = data["results"]
    if not rows:
        return f"Nothing to consolidate in project {data['project']}."
    lines = [f"Project {data['project']}:"]
    for r in rows:
        commit = f" commit {r['commit'][:10]}" if r["commit"] else ""
        pages = f": {', '.join(r['pages'])}" if r["pages"] else ""
        lines.append(f"- session {r['session']}: {r['status']}{commit}{pages}")
    return "\n".join(lines)


def register(server: MCPServer, rt: Runtime) -> None:
    @server.tool(
        name=NAME,
        description=DESCRIPTION,
        annotations=ToolAnnotations(
            title="Consolidate sessions",
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
        ),
    )
    async def memory_consolidate(
        ctx: Context, session: SessionArg = None, project: ProjectArg = None
    ) -> CallToolResult:
        from aimem.consolidate.run import consolidate_pending, consolidate_session

        def work(target: Target) -> CallToolResult:
            if session:
                done = [consolidate_session(target.paths, target.name, session)]
                if done[0].status == "missing":
                    raise ToolError(f"no journal for session {session!r} in project {target.slug}")
            else:
                done = consolidate_pending(target.paths, target.name)
            rows = [
                {
                    "session": r.session,
                    "status": r.status,
                    "commit": r.commit,
                    "pages": [p for p in r.pages if memory_page(p)],
                    "observations": r.observations,
                }
                for r in done
            ]
            data = {"project": target.slug, "results": rows}
            return result(data, render(data))

        return await rt.call(ctx, project, work)
