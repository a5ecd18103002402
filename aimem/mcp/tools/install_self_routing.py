"""``memory_install_self_routing``: the marked block in AGENTS.md / CLAUDE.md / GEMINI.md."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from aimem.mcp.runtime import ProjectArg, Runtime, Target, result

NAME = "memory_install_self_routing"
DESCRIPTION = """\
Add (or refresh) a short marked section in this project's agent instruction files (AGENTS.md, \
CLAUDE.md, GEMINI.md in the project folder) that tells every agent when to use these memory \
tools: search before starting, claim handoffs, record decisions and gotchas. Call it once when \
the user asks to set up memory for the project. Idempotent (a second call changes nothing); \
remove=true takes the section out again. Only the text between aimem's markers is touched. \
Default files: those that exist, or AGENTS.md if none does. Returns what changed in each file."""

FileName = Literal["AGENTS.md", "CLAUDE.md", "GEMINI.md"]
FilesArg = Annotated[
    list[FileName] | None,
    Field(description="Which files to edit; omit for the default choice."),
]
RemoveArg = Annotated[bool, Field(description="Remove the section instead of adding it.")]


def register(server: MCPServer, rt: Runtime) -> None:
    @server.tool(
        name=NAME,
        description=DESCRIPTION,
        annotations=ToolAnnotations(
            title="Install memory routing",
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
        ),
    )
    async def memory_install_self_routing(
        ctx: Context,
        files: FilesArg = None,
        remove: RemoveArg = False,
        project: ProjectArg = None,
    ) -> CallToolResult:
        from aimem.routing import install_routing, remove_routing

        def work(target: Target) -> CallToolResult:
            if target.root is None:
                raise ToolError(
                    f"the folder of project {target.slug} is unknown or not a project folder; "
                    "pass `project` as the project's folder path"
                )
            apply = remove_routing if remove else install_routing
            changes = apply(target.root, list(files) if files else None)
            data = {
                "project": target.slug,
                "root": target.root,
                "changes": [{"file": c.file, "action": c.action} for c in changes],
            }
            summary = ", ".join(f"{c.file} {c.action}" for c in changes)
            return result(data, f"{target.root}: {summary}")

        return await rt.call(ctx, project, work, create=True)
