"""Shared fixtures: a throwaway data root and a real git project for each test."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from replay import clean_env


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data root (``AIMEM_HOME``) for this test, also set for in-process library calls."""
    data = tmp_path / "data"
    monkeypatch.setenv("AIMEM_HOME", str(data))
    monkeypatch.delenv("AIMEM_PROJECT", raising=False)
    monkeypatch.setenv("AIMEM_CONFIG", str(tmp_path / "no-config.toml"))
    return data


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A real git repository with one commit, standing in for the user's project."""
    repo = tmp_path / "proj"
    (repo / "src" / "app").mkdir(parents=True)
    (repo / "src" / "app" / "config.py").write_text("DEBUG = False\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    return repo


@pytest.fixture
def env(home: Path, tmp_path: Path) -> dict[str, str]:
    """Environment for ``aimem`` subprocesses: our data root, no user config."""
    return clean_env(str(home), AIMEM_CONFIG=str(tmp_path / "no-config.toml"))
