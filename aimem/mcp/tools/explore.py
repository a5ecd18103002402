"""``memory_explore``: the pages around one page (links, backlinks, shared tags and sessions)."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from aimem.mcp.runtime import ProjectArg, Runtime, Target, result

NAME = "memory_explore"
DESCRIPTION = """\
Show the pages related to one memory page: the pages it links to ([[wikilinks]]), the pages \
linking to it (backlinks), pages sharing its tags, and pages that came from the same agent \
sessions. Use it after memory_read when one page is not the whole story (a decision's context, \
what else happened in that session). Returns paths and titles only; open pages with memory_read."""

PathArg = Annotated[
    str,
    Field(min_length=1, max_length=1024, description="Page path, e.g. 'decisions/use-wal.md'."),
]
LimitArg = Annotated[int, Field(ge=1, le=50, description="Most pages per relation (1-50).")]


def register(server: MCPServer, rt: Runtime) -> None:
    @server.tool(
        name=NAME,
        description=DESCRIPTION,
        annotations=ToolAnnotations(title="Explore related memory", read_only_hint=True),
    )
    async def memory_explore(
        ctx: Context, path: PathArg, limit: LimitArg = 10, project: ProjectArg = None
    ) -> CallToolResult:
        from dataclasses import asdict

        from aimem import recall

        def work(target: Target) -> CallToolResult:
            hood = recall.explore(target.paths, path, limit)
            data = {"project": target.slug, **asdict(hood)}
            return result(data, recall.neighbourhood_text(data))

        return await rt.call(ctx, project, work)
