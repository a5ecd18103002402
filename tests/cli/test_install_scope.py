"""``aimem install --scope project`` only where aimem records a project: in ``$HOME`` the project
files are the user's own (a project uninstall there deleted the user's Codex hook trust), and
``/`` or the temp folder are nobody's project."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from replay import run_aimem

AGENTS = ["claude-code", "codex", "gemini", "cursor", "opencode"]


@pytest.fixture
def agent_env(env: dict, tmp_path: Path) -> dict:
    home = tmp_path / "home"
    home.mkdir()
    temp = tmp_path / "tmp"
    temp.mkdir()
    return {**env, "HOME": str(home), "TMPDIR": str(temp), "PATH": "/usr/bin:/bin",
            "XDG_CONFIG_HOME": ""}  # fmt: skip


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def refused(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith("aimem: error: --scope project needs a project folder")
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize("where", ["home", "root", "temp", "home-dotfiles-repo"])
def test_project_scope_is_refused_where_there_is_no_project(agent_env: dict, where: str):
    home = Path(agent_env["HOME"])
    assert run_aimem("install", *AGENTS, env=agent_env, cwd=str(home)).returncode == 0
    before = tree(home)
    if where == "home-dotfiles-repo":  # a git repo at $HOME: its top is $HOME
        subprocess.run(["git", "init", "-q", str(home)], check=True)
        (home / ".config" / "sub").mkdir(parents=True)
        cwd, extra = str(home / ".config" / "sub"), []
        before = tree(home)
    elif where == "root":
        cwd, extra = str(home), ["--project-dir", "/"]
    elif where == "temp":
        cwd, extra = agent_env["TMPDIR"], []
    else:
        cwd, extra = str(home), []
    commands = [["install", "--dry-run"], ["uninstall", "--dry-run"]]
    if where != "root":  # a regression must not write into the real /
        commands += [["install"], ["uninstall"]]
    for command in commands:
        for agents in ([], AGENTS, ["codex"]):
            result = run_aimem(*command, *agents, "--scope", "project", *extra,
                               env=agent_env, cwd=cwd)  # fmt: skip
            refused(result)
    assert tree(home) == before  # the user's trust and hooks are intact
    assert not Path("/.codex/hooks.json").exists()


def test_codex_project_scope_whose_folder_is_codex_home_is_refused(agent_env: dict, tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    env = {**agent_env, "CODEX_HOME": str(project / ".codex")}
    result = run_aimem("install", "codex", "--scope", "project", env=env, cwd=str(project))
    assert result.returncode == 1 and "is Codex's user folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (project / ".codex").exists()


def test_project_scope_in_a_project_still_works(agent_env: dict, tmp_path: Path):
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    result = run_aimem("install", "codex", "--scope", "project", env=agent_env,
                       cwd=str(project / "src"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (project / ".codex" / "hooks.json").is_file()
