"""Fixtures for the MCP tests: a populated project built once per module, and one real
``aimem mcp`` server per module.

Each server start costs about a second (``import mcp``), so a module shares one server and one
wiki; tests that change memory use their own titles and do not depend on each other's writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from mcp_harness import PROMPT, McpServer, World, make_project, wait_consolidated
from replay import claude_session, clean_env

from aimem.project import paths_for, resolve_project


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A project with one real Claude Code session replayed through the hooks and consolidated
    by its own SessionEnd, so the wiki holds a session page and an offered handoff."""
    root = tmp_path_factory.mktemp("mcp")
    home = root / "data"
    project = make_project(root)
    env = clean_env(str(home), AIMEM_CONFIG=str(root / "no-config.toml"))
    session = str(uuid.uuid4())
    results = claude_session(str(project), session, PROMPT, env)
    assert [r.returncode for r in results] == [0] * len(results)
    found = resolve_project(str(project), {})
    assert found is not None
    paths = paths_for(str(home), found.slug)
    wait_consolidated(paths, session)
    return World(home, project, env, found.slug, paths, session)


@pytest.fixture(scope="module")
def server(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpServer]:
    """The main server, started the way an agent starts it: from a subfolder of the project,
    with only the data root in its environment."""
    stderr = tmp_path_factory.mktemp("stderr") / "server.err"
    with McpServer(world.env, str(world.project / "src" / "app"), stderr) as running:
        yield running
    assert stderr.read_text() == "", stderr.read_text()  # logs went to the log file
