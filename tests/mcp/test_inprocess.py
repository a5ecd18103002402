"""The server in-process (``mcp.Client`` on the server object, no subprocess): the failure paths
that a subprocess cannot be made to hit on purpose, the stdout guard, logging, and the runtime's
project resolution."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from aimem import recall
from aimem.config import load_settings
from aimem.logfile import log_path
from aimem.mcp.runtime import Runtime, client_roots, uri_path
from aimem.mcp.server import build_server, setup_server_logging
from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectNotFound, resolve_project


@pytest.fixture
def settings(home: Path):
    loaded = load_settings()
    ours = logging.getLogger("aimem")
    propagate, level = ours.propagate, ours.level
    root_level, mcp_level = logging.getLogger().level, logging.getLogger("mcp").level
    yield loaded
    for logger in (logging.getLogger(), ours):  # leave logging as pytest had it
        for handler in list(logger.handlers):
            if getattr(handler, "baseFilename", None) == log_path(loaded.home):
                logger.removeHandler(handler)
                handler.close()
    ours.propagate = propagate
    ours.setLevel(level)
    logging.getLogger().setLevel(root_level)
    logging.getLogger("mcp").setLevel(mcp_level)
    logging.captureWarnings(False)


def run_calls(server: Any, calls: list[tuple[str, dict]]) -> list[Any]:
    async def go() -> list[Any]:
        async with Client(server, mode="legacy") as client:
            return [await client.call_tool(name, args) for name, args in calls]

    return anyio.run(go)


def text(result: Any) -> str:
    return result.content[0].text


def test_a_crash_is_logged_and_hidden_and_the_server_goes_on(
    settings, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_server_logging(settings)
    found = resolve_project(str(project), {})
    paths = Path(settings.home, "projects", found.slug)
    from aimem.project import paths_for

    write_page(paths_for(settings.home, found.slug), found.name, PageWrite("rule", "R", "Body."))
    assert paths.is_dir()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail 0xdeadbeef")

    monkeypatch.setattr(recall, "query", boom)
    server = build_server(settings, cwd=str(project), env={})
    crashed, after = run_calls(
        server, [("memory_query", {"query": "body"}), ("memory_read", {"path": "_rules/r.md"})]
    )
    assert crashed.is_error and "0xdeadbeef" not in text(crashed)
    assert text(crashed).startswith("Error executing tool memory_query")
    assert not after.is_error and after.structured_content["title"] == "R"
    log = Path(log_path(settings.home)).read_text()
    assert "0xdeadbeef" in log and "Traceback" in log


def test_stray_prints_during_a_call_do_not_reach_stdout(
    settings, project: Path, capfd: pytest.CaptureFixture
) -> None:
    setup_server_logging(settings)
    server = build_server(settings, cwd=str(project), env={})

    @server.tool(name="noisy")
    def noisy() -> str:
        print("stray output")
        return "ok"

    capfd.readouterr()
    (result,) = run_calls(server, [("noisy", {})])
    assert not result.is_error
    out, err = capfd.readouterr()
    assert "stray output" not in out and "stray output" in err


def test_mcp_logging_goes_to_the_file_not_stderr(settings, capfd: pytest.CaptureFixture) -> None:
    setup_server_logging(settings)
    build_server(settings, cwd="/", env={})  # MCPServer's basicConfig must not add a handler
    root = logging.getLogger()
    assert [getattr(h, "baseFilename", None) for h in root.handlers] == [log_path(settings.home)]
    logging.getLogger("mcp.server.test").info("visible in the file")
    import warnings

    warnings.warn("a deprecation from a library", DeprecationWarning, stacklevel=1)
    assert capfd.readouterr().err == ""
    log = Path(log_path(settings.home)).read_text()
    assert "visible in the file" in log and "a deprecation from a library" in log


def test_default_project_order_env_then_cwd(settings, project: Path) -> None:
    async def default(rt: Runtime):
        return await rt.default_project(None)

    from_cwd = anyio.run(default, Runtime(settings, str(project / "src"), {}))
    assert from_cwd is not None and from_cwd.root == os.path.realpath(project)
    from_env = anyio.run(default, Runtime(settings, str(project), {"AIMEM_PROJECT": "named"}))
    assert from_env.name == "named" and from_env.source == "env"
    assert anyio.run(default, Runtime(settings, "/", {})) is None
    assert anyio.run(client_roots, None) == []


def test_target_creates_only_when_asked_and_refuses_home_as_root(
    settings, project: Path, tmp_path: Path
) -> None:
    rt = Runtime(settings, str(project), {})
    default = resolve_project(str(project), {})
    with pytest.raises(ProjectNotFound, match="no memory recorded yet"):
        rt.target(None, default, create=False)
    made = rt.target(None, default, create=True)
    assert Path(made.paths.meta).is_file() and made.root == os.path.realpath(project)
    assert rt.target(made.slug, None).slug == made.slug  # by slug, as the CLI's --project
    with pytest.raises(ProjectNotFound, match="Known projects: " + made.slug):
        rt.target(None, None)
    home_rt = Runtime(settings, str(project), {"HOME": str(project)})
    assert home_rt.target(None, default).root is None  # never write AGENTS.md into $HOME


def test_uri_path() -> None:
    assert uri_path("file:///home/me/proj") == "/home/me/proj"
    assert uri_path("file://localhost/a%20b") == "/a b"
    assert uri_path("https://example.com/x") is None
    assert uri_path("file://otherhost/x") is None


def test_a_broken_index_is_set_aside_and_rebuilt_and_reads_still_work(
    settings, project: Path
) -> None:
    from aimem.project import paths_for

    found = resolve_project(str(project), {})
    paths = paths_for(settings.home, found.slug)
    write_page(paths, found.name, PageWrite("rule", "Tabs", "Use tabs."))
    Path(paths.index).write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(paths.index + suffix).unlink(missing_ok=True)
    server = build_server(settings, cwd=str(project), env={})
    query, read = run_calls(
        server, [("memory_query", {"query": "tabs"}), ("memory_read", {"path": "_rules/tabs"})]
    )
    assert not query.is_error, text(query)
    assert [hit["path"] for hit in query.structured_content["results"]] == ["_rules/tabs.md"]
    assert not read.is_error and read.structured_content["title"] == "Tabs"
    assert list(Path(paths.base).glob("index.sqlite.corrupt-*"))  # kept aside, not deleted
