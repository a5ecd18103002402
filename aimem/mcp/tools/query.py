"""``memory_query``: ranked full-text search over the project's memory."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from aimem.mcp.runtime import ProjectArg, Runtime, Target, result

NAME = "memory_query"
DESCRIPTION = """\
Search this project's long-term memory: pages written by earlier agent sessions (rules, \
decisions, gotchas, concepts, handoffs, session logs), shared by every coding agent used here.
Call it before starting a task, when you meet unfamiliar code or a recurring error, or when the \
user refers to earlier work ("like last time", "why did we..."). Any text is a valid query; a few \
distinctive keywords work best.
Returns the best matches first, one per line: [type] title, path, score, then a snippet with the \
matching words in **bold**. Open a page with memory_read(path)."""

PageType = Literal["rule", "decision", "gotcha", "concept", "handoff", "session"]
QueryArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="Keywords to look for, e.g. 'sqlite wal lock timeout'.",
    ),
]
TypeArg = Annotated[
    PageType | None,
    Field(description="Only pages of this type. Omit to search everything."),
]
LimitArg = Annotated[int, Field(ge=1, le=50, description="Most results to return (1-50).")]


def render(slug: str, query: str, hits: list[dict]) -> str:
    if not hits:
        return f"No memory matches {query!r} in project {slug}. Try other or fewer keywords."
    lines = [f"{len(hits)} result(s) in project {slug}:"]
    for i, hit in enumerate(hits, 1):
        lines.append(f"{i}. [{hit['type']}] {hit['title']} — {hit['path']} ({hit['score']})")
        if hit["snippet"]:
            lines.append(f"   {hit['snippet']}")
    return "\n".join(lines)


def register(server: MCPServer, rt: Runtime) -> None:
    @server.tool(
        name=NAME,
        description=DESCRIPTION,
        annotations=ToolAnnotations(title="Search memory", read_only_hint=True),
    )
    async def memory_query(
        ctx: Context,
        query: QueryArg,
        type: TypeArg = None,
        limit: LimitArg = 8,
        project: ProjectArg = None,
    ) -> CallToolResult:
        from aimem import recall

        def work(target: Target) -> CallToolResult:
            hits = recall.query(target.paths, query, type=type, limit=limit, project=target.slug)
            rows = [
                {
                    "path": h.path,
                    "title": h.title,
                    "type": h.type,
                    "score": float(f"{h.score:.3g}"),
                    "snippet": h.snippet,
                }
                for h in hits
            ]
            data = {"project": target.slug, "query": query, "results": rows}
            return result(data, render(target.slug, query, rows))

        return await rt.call(ctx, project, work)
