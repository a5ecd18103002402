"""The MCP test harness: a populated project, and a synchronous handle on a real ``aimem mcp``
subprocess driven by the real ``mcp`` client over stdio (fixtures in ``conftest.py``)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replay import aimem_exe

from aimem.capture import state
from aimem.project import ProjectPaths

PROMPT = "Refactor parse_config in src/app/config.py so YAML anchors survive a round trip"


@dataclass
class World:
    home: Path
    project: Path  # the user's git repository
    env: dict[str, str]  # for aimem subprocesses: our data root, no user config
    slug: str
    paths: ProjectPaths
    session: str  # the replayed Claude Code session


def make_project(root: Path) -> Path:
    repo = root / "proj"
    (repo / "src" / "app").mkdir(parents=True)
    (repo / "src" / "app" / "config.py").write_text("DEBUG = False\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    return repo


def wait_consolidated(paths: ProjectPaths, session: str, timeout: float = 60) -> None:
    """The SessionEnd hook consolidates in a detached child; wait for its handoff offer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = state.sessions(paths.state).get(session, {})
        offer = state.read_json(state.handoff_path(paths.state))
        if entry.get("status") == "consolidated" and offer.get("from_session") == session:
            return
        time.sleep(0.1)
    raise AssertionError(f"session {session} not consolidated: {state.sessions(paths.state)}")


def result_text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


class McpServer:
    """``aimem mcp`` as a subprocess, with the real ``mcp.Client`` over stdio, used from
    synchronous tests through an anyio blocking portal. The server's stderr goes to a file."""

    def __init__(
        self,
        env: dict[str, str],
        cwd: str,
        stderr: Path,
        mode: str = "auto",
        roots: list[str] | None = None,
    ) -> None:
        self.env, self.cwd, self.stderr_path, self.mode, self.roots = env, cwd, stderr, mode, roots

    def __enter__(self) -> McpServer:
        from anyio.from_thread import start_blocking_portal
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client

        params = StdioServerParameters(
            command=aimem_exe(), args=["mcp"], env=self.env, cwd=self.cwd
        )
        self._stderr = open(self.stderr_path, "w")  # noqa: SIM115 - closed in __exit__
        callback = None
        if self.roots is not None:
            import mcp.types as types

            roots = [types.Root(uri=Path(r).as_uri(), name=Path(r).name) for r in self.roots]

            async def callback(_ctx: Any) -> types.ListRootsResult:
                return types.ListRootsResult(roots=roots)

        self._portal_cm = start_blocking_portal()
        self.portal = self._portal_cm.__enter__()
        client = Client(
            stdio_client(params, errlog=self._stderr),
            mode=self.mode,
            list_roots_callback=callback,
            read_timeout_seconds=120,
        )
        self._client_cm = self.portal.wrap_async_context_manager(client)
        self.client = self._client_cm.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._client_cm.__exit__(None, None, None)
        finally:
            self._portal_cm.__exit__(None, None, None)
            self._stderr.close()

    def list_tools(self) -> list[Any]:
        return self.portal.call(self.client.list_tools).tools

    def call(self, name: str, **arguments: Any) -> Any:
        return self.portal.call(self.client.call_tool, name, arguments)

    def ok(self, name: str, **arguments: Any) -> dict:
        """Call a tool that must succeed; its structured content."""
        result = self.call(name, **arguments)
        assert not result.is_error, result_text(result)
        assert result.structured_content is not None
        # The text is what most clients hand the model; it must carry the same facts.
        assert result_text(result)
        return result.structured_content

    def error(self, name: str, **arguments: Any) -> str:
        """Call a tool that must fail the way a model can read; the error text."""
        result = self.call(name, **arguments)
        text = result_text(result)
        assert result.is_error, text
        assert "Traceback" not in text
        return text
