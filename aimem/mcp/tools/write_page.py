"""``memory_write_page``: record a decision, gotcha, concept or rule in the wiki (one commit)."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from aimem.mcp.runtime import ProjectArg, Runtime, Target, result

NAME = "memory_write_page"
DESCRIPTION = """\
Record something the next agent working in this project should know, as a page in the shared \
memory (a git-versioned markdown wiki). Call it when you make a design decision, find a gotcha \
(a trap, a surprising behaviour, a fix that was hard to find), learn a rule of the project, or \
explain a concept. Keep it short and specific, and say why. Do not record secrets (they are \
redacted anyway) or things obvious from the code.
To create a page, give type, title and body: the path is made from the title, and an existing \
page with that title is an error that names its path. To update a page, also pass its path; \
omitted tags/salience/pinned keep their values. To replace older pages, list them in \
supersedes: they stay in history, marked superseded.
Returns the page path and whether it was created, updated or unchanged."""

WritableType = Literal["decision", "gotcha", "concept", "rule"]
TypeArg = Annotated[
    WritableType,
    Field(
        description="decision: a choice and its reason; gotcha: a trap and how to avoid it; "
        "concept: how something works; rule: a convention to follow."
    ),
]
TitleArg = Annotated[
    str, Field(min_length=1, max_length=200, description="One line, specific, e.g. 'Use WAL'.")
]
BodyArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100_000,
        description="Markdown. Lead with the point, then the why, then links as [[path]].",
    ),
]
TagsArg = Annotated[
    list[str] | None, Field(description="A few lower-case topic tags, e.g. ['sqlite', 'index'].")
]
PathArg = Annotated[
    str | None,
    Field(
        max_length=1024,
        description="Only to update an existing page: its path, e.g. 'decisions/use-wal.md'.",
    ),
]
SupersedesArg = Annotated[
    list[str] | None, Field(description="Paths of older pages this one replaces.")
]
SalienceArg = Annotated[
    float | None,
    Field(ge=0.0, le=1.0, description="Importance from 0 to 1 (default by type, rules 0.9)."),
]
PinnedArg = Annotated[bool | None, Field(description="Pinned pages are never archived.")]


def register(server: MCPServer, rt: Runtime) -> None:
    @server.tool(
        name=NAME,
        description=DESCRIPTION,
        annotations=ToolAnnotations(
            title="Write a memory page", read_only_hint=False, destructive_hint=False
        ),
    )
    async def memory_write_page(
        ctx: Context,
        type: TypeArg,
        title: TitleArg,
        body: BodyArg,
        tags: TagsArg = None,
        path: PathArg = None,
        supersedes: SupersedesArg = None,
        salience: SalienceArg = None,
        pinned: PinnedArg = None,
        project: ProjectArg = None,
    ) -> CallToolResult:
        from aimem.memory.write import PageWrite, write_page

        request = PageWrite(
            type=type,
            title=title,
            body=body,
            tags=tags,
            path=path,
            salience=salience,
            pinned=pinned,
            supersedes=list(supersedes or []),
        )

        def work(target: Target) -> CallToolResult:
            done = write_page(target.paths, target.name, request)
            data = {
                "project": target.slug,
                "path": done.path,
                "action": done.action,
                "title": done.title,
                "commit": done.commit,
                "superseded": done.superseded,
                "redacted": done.redacted,
            }
            text = f"{done.action}: {done.path} in project {target.slug}"
            if done.commit:
                text += f" (commit {done.commit[:10]})"
            if done.superseded:
                text += f"; marked superseded: {', '.join(done.superseded)}"
            if done.redacted:
                text += "; secrets in the input were replaced by [REDACTED]"
            return result(data, text)

        return await rt.call(ctx, project, work, create=True)
