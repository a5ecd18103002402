"""The stdio MCP server (``aimem mcp``): project memory as tools any agent can call.

``server.py`` builds the server; ``runtime.py`` holds what the tools share (the default project,
error and result conversion); ``tools/`` has one module per tool, each a thin layer over a library
function (``aimem.recall``, ``aimem.memory.write``, ``aimem.index.graph``, ``aimem.lifecycle.lint``,
``aimem.routing``, ``aimem.consolidate.run``).
"""
