"""``memory_lint``: what is broken or drifting in the project's memory."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from aimem.mcp.runtime import ProjectArg, Runtime, Target, result

NAME = "memory_lint"
DESCRIPTION = """\
Check this project's memory for problems: broken [[wikilinks]], orphan pages nothing links to, \
stale handoff offers, pages missing front matter, a search index behind the wiki's git HEAD, and \
session journals never consolidated. Read-only: it reports, it does not fix. Call it when search \
results look stale or wrong, or before tidying the memory. Returns counts per kind and the \
issues (kind, severity, path, detail) with the command or tool that fixes each."""

LimitArg = Annotated[int, Field(ge=1, le=500, description="Most issues to list (1-500).")]


def render(data: dict) -> str:
    head = (
        f"Project {data['project']}: {data['pages']} pages, {data['errors']} error(s), "
        f"{data['warnings']} warning(s)."
    )
    lines = [head]
    lines += [f"- {i['severity']} {i['kind']}: {i['path']}: {i['detail']}" for i in data["issues"]]
    if data["truncated"]:
        lines.append(f"… {data['truncated']} more issue(s) not listed")
    return "\n".join(lines)


def register(server: MCPServer, rt: Runtime) -> None:
    @server.tool(
        name=NAME,
        description=DESCRIPTION,
        annotations=ToolAnnotations(title="Lint memory", read_only_hint=True),
    )
    async def memory_lint(
        ctx: Context, limit: LimitArg = 50, project: ProjectArg = None
    ) -> CallToolResult:
        from aimem.lifecycle.lint import lint

        def work(target: Target) -> CallToolResult:
            report = lint(target.paths, rt.settings.handoff_max_age_days)
            data = {
                "project": target.slug,
                "pages": report.pages,
                "errors": report.errors,
                "warnings": report.warnings,
                "counts": report.counts(),
                "issues": [i.as_dict() for i in report.issues[:limit]],
                "truncated": max(0, len(report.issues) - limit),
            }
            return result(data, render(data))

        return await rt.call(ctx, project, work)
