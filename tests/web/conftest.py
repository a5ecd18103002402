"""Fixtures for the web view's server tests: one world per test run (built through the real hooks,
consolidation and page writes, then a person's git commit), served in-process."""

from __future__ import annotations

import pytest
from web_world import WebWorld, build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> WebWorld:
    return build_world(tmp_path_factory.mktemp("webworld"))


PORT = 8765  # the port the in-process app believes it is bound to (Host allowlist)


@pytest.fixture(scope="session")
def client(world: WebWorld):  # noqa: ANN201 - a starlette TestClient
    """The real app over ASGI (no socket): every request goes through the guard and routing."""
    from starlette.testclient import TestClient

    from aimem.web.app import allowed_hosts, create_app
    from aimem.web.store import Site

    app = create_app(Site(str(world.home)), allowed_hosts(PORT))
    with TestClient(app, base_url=f"http://127.0.0.1:{PORT}") as test_client:
        yield test_client
