"""``memory_recent``: the latest sessions, the latest knowledge pages and the current handoff."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from aimem.mcp.runtime import ProjectArg, Runtime, Target, result

NAME = "memory_recent"
DESCRIPTION = """\
What happened lately in this project, across all agents: the latest session logs, the latest \
rules/decisions/gotchas/concepts, the current handoff (where the last session left off, with its \
status: offered, claimed or expired) and sessions not consolidated yet. Call it at the start of \
a session to get your bearings, or when the user asks what was done recently. Returns paths, \
titles and dates; open pages with memory_read."""

LimitArg = Annotated[int, Field(ge=1, le=20, description="Most pages per list (1-20).")]


def render(data: dict) -> str:
    lines = [f"Project {data['project']}:"]
    handoff = data["handoff"]
    if handoff:
        lines.append(
            f"handoff ({handoff['status']}) from {handoff['from_agent']} at "
            f"{handoff['created']}: {handoff['path']}"
        )
        if handoff["summary"]:
            lines.append(f"  {handoff['summary']}")
    else:
        lines.append("no handoff recorded")
    for label, key in (("latest sessions", "sessions"), ("latest knowledge", "knowledge")):
        rows = data[key]
        lines.append(f"{label}:" if rows else f"{label}: none")
        lines += [f"- {r['updated'][:16]} [{r['type']}] {r['title']} — {r['path']}" for r in rows]
    if data["pending_sessions"]:
        lines.append("not consolidated yet: " + ", ".join(data["pending_sessions"]))
    return "\n".join(lines)


def register(server: MCPServer, rt: Runtime) -> None:
    @server.tool(
        name=NAME,
        description=DESCRIPTION,
        annotations=ToolAnnotations(title="Recent memory", read_only_hint=True),
    )
    async def memory_recent(
        ctx: Context, limit: LimitArg = 5, project: ProjectArg = None
    ) -> CallToolResult:
        from dataclasses import asdict

        from aimem import recall

        def work(target: Target) -> CallToolResult:
            found = recall.recent(target.paths, limit, rt.settings.handoff_max_age_days)
            data = {"project": target.slug, **asdict(found)}
            return result(data, render(data))

        return await rt.call(ctx, project, work)
