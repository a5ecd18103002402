"""One module per MCP tool; each exposes ``register(server, runtime)``.

Tool modules import only typing, pydantic and mcp at the top: the library (pygit2, frontmatter,
filelock) is imported inside the calls, so ``tools/list`` answers before any of it is loaded.
"""

NAMES = (
    "query",
    "read",
    "write_page",
    "explore",
    "recent",
    "handoff_begin",
    "consolidate",
    "lint",
    "install_self_routing",
)
