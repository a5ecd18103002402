"""Fixtures for the web view's server tests: one world per module (built through the real hooks,
consolidation and page writes, then a person's git commit), served in-process."""

from __future__ import annotations

import pytest
from web_world import WebWorld, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> WebWorld:
    return build_world(tmp_path_factory.mktemp("webworld"))
