"""``aimem install`` / ``uninstall`` / ``doctor`` through the installed executable, with HOME and
the agents' config folders in a temp dir."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from replay import aimem_exe, run_aimem


@pytest.fixture
def agent_env(env: dict, tmp_path: Path) -> dict:
    home = tmp_path / "home"
    home.mkdir()
    return {**env, "HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": ""}


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".bak")
    }


def one_line_error(result) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aimem: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["install", "uninstall", "doctor"])
def test_help(command: str, agent_env: dict):
    result = run_aimem(command, "--help", env=agent_env)
    assert result.returncode == 0 and f"Usage: aimem {command}" in result.stdout


def test_install_twice_is_byte_identical_and_uninstall_restores(agent_env: dict, tmp_path: Path):
    home = Path(agent_env["HOME"])
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    original = json.dumps(
        {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]}}, indent=2
    )
    settings.write_text(original)
    first = run_aimem("install", "claude-code", "codex", "gemini", env=agent_env)
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout and "updated" in first.stdout
    hooks = json.loads(settings.read_text())["hooks"]
    assert hooks["Stop"][0]["hooks"][0]["command"] == "say done"
    assert hooks["Stop"][1]["hooks"][0]["command"] == f"{aimem_exe()} hook claude-code Stop"
    assert (home / ".claude" / "settings.json.bak").read_text() == original
    installed = tree(home)

    second = run_aimem("install", "claude-code", "codex", "gemini", env=agent_env)
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout and "updated" not in second.stdout
    assert tree(home) == installed

    removed = run_aimem("uninstall", "claude-code", "codex", "gemini", env=agent_env)
    assert removed.returncode == 0, removed.stderr
    assert settings.read_text() == original
    assert not (home / ".claude.json").exists()
    assert not (home / ".codex" / "hooks.json").exists()
    assert not (home / ".gemini" / "settings.json").exists()


def test_dry_run_prints_a_diff_and_writes_nothing(agent_env: dict):
    home = Path(agent_env["HOME"])
    result = run_aimem("install", "codex", "--dry-run", env=agent_env)
    assert result.returncode == 0, result.stderr
    assert f"+++ {home}/.codex/hooks.json" in result.stdout
    assert "+# >>> aimem >>>" in result.stdout
    assert "+[mcp_servers.aimem]" in result.stdout
    assert "dry run" in result.stderr
    assert tree(home) == {}
    run_aimem("install", "codex", env=agent_env)
    again = run_aimem("uninstall", "codex", "--dry-run", env=agent_env)
    assert f"--- {home}/.codex/hooks.json" in again.stdout
    assert (home / ".codex" / "hooks.json").exists()


def test_a_corrupt_config_is_a_one_line_error_and_stays_untouched(agent_env: dict):
    home = Path(agent_env["HOME"])
    config = home / ".codex" / "config.toml"
    config.parent.mkdir()
    config.write_text("# mine\nmodel = = 'x'\n")
    result = run_aimem("install", "claude-code", "codex", env=agent_env)
    line = one_line_error(result)
    assert str(config) in line and "not valid TOML" in line
    assert config.read_text() == "# mine\nmodel = = 'x'\n"
    assert not (home / ".claude").exists()  # nothing written for the healthy agent either
    assert not (home / ".codex" / "hooks.json").exists()


def test_without_agents_installs_every_agent_found(agent_env: dict):
    home = Path(agent_env["HOME"])
    none = run_aimem("install", env=agent_env)
    assert "no agent found" in one_line_error(none)
    (home / ".gemini").mkdir()
    (home / "bin").mkdir()
    fake = home / "bin" / "opencode"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    found = run_aimem("install", env={**agent_env, "PATH": f"{home / 'bin'}:/usr/bin:/bin"})
    assert found.returncode == 0, found.stderr
    assert "gemini (user scope)" in found.stdout and "opencode (user scope)" in found.stdout
    assert "claude-code" not in found.stdout
    assert (home / ".config" / "opencode" / "plugins" / "aimem.js").exists()


def test_project_scope(agent_env: dict, project: Path):
    result = run_aimem(
        "install",
        "claude-code",
        "cursor",
        "--scope",
        "project",
        env=agent_env,
        cwd=str(project / "src"),
    )
    assert result.returncode == 0, result.stderr
    assert (project / ".claude" / "settings.json").exists()  # the repository top, not src/
    assert (project / ".mcp.json").exists()
    assert (project / ".cursor" / "rules" / "aimem.mdc").exists()
    removed = run_aimem("uninstall", "--scope", "project", env=agent_env, cwd=str(project))
    assert removed.returncode == 0, removed.stderr
    assert not (project / ".cursor" / "rules" / "aimem.mdc").exists()
    assert not (project / ".mcp.json").exists()


def test_bad_arguments(agent_env: dict):
    assert "--scope" in one_line_error(run_aimem("install", "codex", "--scope", "x", env=agent_env))
    assert "unknown agent 'vim'" in one_line_error(run_aimem("install", "vim", env=agent_env))


def test_doctor_reports_a_broken_install_and_exits_non_zero(agent_env: dict, tmp_path: Path):
    """The acceptance test: hooks pointing at an executable that is not there."""
    good = run_aimem("install", "claude-code", env=agent_env)
    assert good.returncode == 0, good.stderr
    healthy = run_aimem("doctor", "--json", env=agent_env, cwd=str(tmp_path))
    assert healthy.returncode == 0, healthy.stdout
    report = json.loads(healthy.stdout)
    trip = [c for c in report["checks"] if c["name"] == "user round trip"]
    assert trip and trip[0]["status"] == "ok" and trip[0]["ms"] > 0

    broken = run_aimem("install", "gemini", "--executable", "/nonexistent/bin/aimem", env=agent_env)
    assert broken.returncode == 0 and "warning" in broken.stderr
    result = run_aimem("doctor", "--json", env=agent_env, cwd=str(tmp_path))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    failures = [c for c in report["checks"] if c["status"] == "fail"]
    assert failures and all(c["subject"] == "gemini" for c in failures)
    assert any("/nonexistent/bin/aimem does not exist" in c["detail"] for c in failures)
    assert {c["fix"] for c in failures} == {"aimem install gemini --scope user"}

    human = run_aimem("doctor", env=agent_env, cwd=str(tmp_path))
    assert human.returncode == 1
    assert (
        "FAIL  gemini" in human.stdout and "fix: aimem install gemini --scope user" in human.stdout
    )

    fixed = subprocess.run(
        [aimem_exe(), "install", "gemini"], env=agent_env, capture_output=True, text=True
    )
    assert fixed.returncode == 0
    assert run_aimem("doctor", env=agent_env, cwd=str(tmp_path)).returncode == 0


def test_uninstall_names_only_agents_it_changed(agent_env: dict, project: Path) -> None:
    """Uninstalling from a project where only Claude Code has aimem lists Claude Code alone,
    not a heading for every other agent with nothing under it."""
    args = ("--scope", "project", "--project-dir", str(project))
    assert run_aimem("install", "claude-code", *args, env=agent_env).returncode == 0
    result = run_aimem("uninstall", *args, env=agent_env)
    assert result.returncode == 0, result.stderr
    headings = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert headings == ["claude-code (project scope)"], result.stdout
