"""Every agent installer, both scopes, on configs that already hold the user's own hooks, MCP
servers and settings: install merges, a second install changes no byte, uninstall gives back the
original bytes, and a corrupt config stops everything before a byte is written."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from aimem import install
from aimem.install import codex, common, jsonc
from aimem.install.common import InstallError, Target

EXE = "/opt/aimem venv/bin/aimem"  # a space: the hook command must quote it


def dump(data: dict) -> str:
    return json.dumps(data, indent=2) + "\n"


USER_HOOK = {"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/guard.sh"}]}
OTHER_SERVER = {"command": "npx", "args": ["-y", "@acme/tools"]}
CODEX_TOML = """\
# Codex settings: these comments must survive
model = "gpt-5.1-codex"   # the model

[mcp_servers.other]
command = "npx"
args = ["-y", "@acme/tools"]

[hooks.state."/somewhere/else/hooks.json:stop:0:0"]
trusted_hash = "sha256:0000"
"""


# What VS Code and Zed write and users edit: comments and trailing commas (JSONC).
VSCODE_JSONC = """\
{
\t// my servers
\t"servers": {
\t\t"other": {"type": "stdio", "command": "npx", "args": ["-y", "@acme/tools"]},
\t},
\t"inputs": [],
}
"""
ZED_JSONC = """\
// Zed settings
//
// For information on how to configure Zed, see the Zed
// documentation: https://zed.dev/docs/configuring-zed
{
  "theme": "One Dark", // dark, always
  "vim_mode": true,
  /* the agent panel */
  "agent": {"dock": "right"},
}
"""


def user_files(home: Path, xdg: Path) -> dict[Path, str]:
    """Realistic user-scope configs, written as `json.dumps(indent=2)` would."""
    return {
        home / ".claude" / "settings.json": dump(
            {"model": "opus", "hooks": {"PreToolUse": [USER_HOOK]},
             "permissions": {"allow": ["Bash(ls:*)"]}}
        ),
        home / ".claude.json": dump(
            {"numStartups": 3, "mcpServers": {"other": OTHER_SERVER},
             "projects": {"/p": {"allowedTools": []}}}
        ),
        home / ".codex" / "hooks.json": dump({"hooks": {"PostToolUse": [USER_HOOK]}}),
        home / ".codex" / "config.toml": CODEX_TOML,
        home / ".gemini" / "settings.json": dump(
            {"security": {"auth": {"selectedType": "gemini-api-key"}},
             "hooks": {"AfterTool": [USER_HOOK]}, "mcpServers": {"other": OTHER_SERVER}}
        ),
        home / ".cursor" / "hooks.json": dump(
            {"version": 1, "hooks": {"afterFileEdit": [{"command": "./format.sh"}]}}
        ),
        home / ".cursor" / "mcp.json": dump({"mcpServers": {"other": OTHER_SERVER}}),
        xdg / "opencode" / "opencode.json": dump(
            {"$schema": "https://opencode.ai/config.json", "theme": "tokyonight",
             "mcp": {"other": {"type": "local", "command": ["npx", "x"]}}}
        ),
        xdg / "opencode" / "plugins" / "notify.js": "export const Notify = async () => ({});\n",
        xdg / "Claude" / "claude_desktop_config.json": dump(
            {"mcpServers": {"other": OTHER_SERVER}, "globalShortcut": "Ctrl+Space"}
        ),
        xdg / "Code" / "User" / "mcp.json": VSCODE_JSONC,
        home / ".codeium" / "windsurf" / "mcp_config.json": dump(
            {"mcpServers": {"other": {**OTHER_SERVER, "disabled": False, "env": {}}}}
        ),
        xdg / "zed" / "settings.json": ZED_JSONC,
    }  # fmt: skip


def project_files(project: Path) -> dict[Path, str]:
    return {
        project / ".claude" / "settings.json": dump({"hooks": {"Stop": [USER_HOOK]}}),
        project / ".mcp.json": dump({"mcpServers": {"other": OTHER_SERVER}}),
        project / ".codex" / "config.toml": '# project codex config\nmodel = "o3"\n',
        project / ".gemini" / "settings.json": dump({"hooks": {"BeforeAgent": [USER_HOOK]}}),
        project / ".cursor" / "mcp.json": dump({"mcpServers": {"other": OTHER_SERVER}}),
        project / ".cursor" / "rules" / "style.mdc": "---\nalwaysApply: true\n---\nTabs.\n",
        project / "opencode.json": dump({"theme": "x"}),
        project / ".vscode" / "settings.json": dump({"editor.tabSize": 4}),
    }


@pytest.fixture
def world(tmp_path: Path) -> dict:
    home, project = tmp_path / "home", tmp_path / "proj"
    xdg = home / ".config"
    project.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    files = {**user_files(home, xdg), **project_files(project)}
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    env = {"HOME": str(home), "PATH": "/nonexistent"}
    return {"home": home, "project": project, "xdg": xdg, "env": env, "tmp": tmp_path}


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".bak") and ".git/" not in str(p)
    }


def target(world: dict, scope: str) -> Target:
    return Target(scope, EXE, str(world["project"]), world["env"])


def run(world: dict, scope: str, agents: list[str], installing: bool) -> list[install.AgentPlan]:
    plans = install.plan(agents, target(world, scope), installing)
    install.apply(plans)
    return plans


AGENT_SCOPES = [(a, s) for a in install.AGENT_IDS for s in install.scopes(a)]


@pytest.mark.parametrize(("agent", "scope"), AGENT_SCOPES)
def test_install_twice_then_uninstall_restores_every_byte(world, agent, scope):
    original = snapshot(world["tmp"])
    plans = run(world, scope, [agent], True)
    assert plans[0].changed, "the first install must write something"
    installed = snapshot(world["tmp"])
    assert installed != original

    second = install.plan([agent], target(world, scope), True)
    assert not second[0].changed
    install.apply(second)
    assert snapshot(world["tmp"]) == installed  # byte-identical

    run(world, scope, [agent], False)
    assert snapshot(world["tmp"]) == original  # byte-identical, files aimem created are gone
    assert not install.plan([agent], target(world, scope), False)[0].changed


@pytest.mark.parametrize("scope", ["user", "project"])
def test_all_agents_together_keep_everything_that_was_there(world, scope):
    before = {
        p: p.read_text() for p in world["tmp"].rglob("*") if p.is_file() and ".git/" not in str(p)
    }
    run(world, scope, list(install.AGENT_IDS), True)
    for path, text in before.items():
        if path.suffix == ".json" and text.strip():
            old, new = jsonc.loads(text), jsonc.loads(path.read_text())
            assert _contains(new, old), path
        elif path.suffix == ".toml":
            assert path.read_text().startswith(text), path  # comments and order intact
            assert _contains(tomllib.loads(path.read_text()), tomllib.loads(text))
        else:
            assert path.read_text() == text, path


def _contains(new: object, old: object) -> bool:
    """Everything in ``old`` is still in ``new`` (lists: old items in order, new ones after)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(
            k in new and _contains(new[k], v) for k, v in old.items()
        )
    if isinstance(old, list):
        return isinstance(new, list) and new[: len(old)] == old
    return new == old


def test_user_scope_files_and_entries(world):
    run(world, "user", list(install.AGENT_IDS), True)
    home, xdg = world["home"], world["xdg"]
    settings = json.loads((home / ".claude" / "settings.json").read_text())
    start = settings["hooks"]["SessionStart"][0]["hooks"][0]
    assert start["command"] == "'/opt/aimem venv/bin/aimem' hook claude-code SessionStart"
    assert settings["hooks"]["PreToolUse"][0] == USER_HOOK  # the user's group stays first
    claude = json.loads((home / ".claude.json").read_text())
    assert claude["mcpServers"]["aimem"] == {"type": "stdio", "command": EXE, "args": ["mcp"]}
    assert claude["projects"] == {"/p": {"allowedTools": []}}

    toml = tomllib.loads((home / ".codex" / "config.toml").read_text())
    assert toml["mcp_servers"]["aimem"] == {"command": EXE, "args": ["mcp"]}
    assert toml["mcp_servers"]["other"]["command"] == "npx"
    states = toml["hooks"]["state"]
    assert states["/somewhere/else/hooks.json:stop:0:0"] == {"trusted_hash": "sha256:0000"}
    hooks_json = str((home / ".codex" / "hooks.json").resolve())
    assert f"{hooks_json}:session_start:0:0" in states
    assert f"{hooks_json}:post_tool_use:1:0" in states  # after the user's own PostToolUse group

    gemini = json.loads((home / ".gemini" / "settings.json").read_text())
    assert gemini["hooks"]["SessionStart"][0]["hooks"][0]["timeout"] == 10000  # milliseconds
    assert gemini["mcpServers"]["aimem"] == {"command": EXE, "args": ["mcp"]}
    assert "PreCompress" not in gemini["hooks"]  # fires every turn, records nothing

    cursor = json.loads((home / ".cursor" / "hooks.json").read_text())
    assert cursor["version"] == 1
    assert cursor["hooks"]["afterFileEdit"][0] == {"command": "./format.sh"}
    assert all(not event[0].isupper() for event in cursor["hooks"])  # camelCase only
    assert json.loads((home / ".cursor" / "mcp.json").read_text())["mcpServers"]["aimem"]

    plugin = (xdg / "opencode" / "plugins" / "aimem.js").read_text()
    assert f"const AIMEM = {json.dumps(EXE)};" in plugin
    opencode = json.loads((xdg / "opencode" / "opencode.json").read_text())
    assert opencode["mcp"]["aimem"] == {"type": "local", "command": [EXE, "mcp"], "enabled": True}


def test_project_scope_files_and_entries(world):
    plans = run(world, "project", list(install.AGENT_IDS), True)
    project, home = world["project"], world["home"]
    assert json.loads((project / ".mcp.json").read_text())["mcpServers"]["aimem"]["command"] == EXE
    assert (project / ".claude" / "settings.json").exists()
    project_toml = tomllib.loads((project / ".codex" / "config.toml").read_text())
    assert project_toml["model"] == "o3"
    assert project_toml["mcp_servers"]["aimem"]["command"] == EXE
    user_toml = tomllib.loads((home / ".codex" / "config.toml").read_text())
    hooks_json = str((project / ".codex" / "hooks.json").resolve())
    assert f"{hooks_json}:session_start:0:0" in user_toml["hooks"]["state"]  # trust is per user
    assert "aimem" not in user_toml["mcp_servers"]
    notes = [n for p in plans if p.agent == "codex" for n in p.notes]
    assert any("trusted project" in n for n in notes)
    rule = (project / ".cursor" / "rules" / "aimem.mdc").read_text()
    assert rule.startswith("---\n") and "alwaysApply: true" in rule
    assert "memory_handoff_begin" in rule
    assert (project / ".opencode" / "plugins" / "aimem.js").exists()
    assert json.loads((project / "opencode.json").read_text())["mcp"]["aimem"]


def test_user_and_project_codex_installs_keep_each_others_trust(world):
    run(world, "user", ["codex"], True)
    run(world, "project", ["codex"], True)
    config = world["home"] / ".codex" / "config.toml"
    states = tomllib.loads(config.read_text())["hooks"]["state"]
    user_hooks = str((world["home"] / ".codex" / "hooks.json").resolve())
    project_hooks = str((world["project"] / ".codex" / "hooks.json").resolve())
    assert any(k.startswith(user_hooks) for k in states)
    assert any(k.startswith(project_hooks) for k in states)
    assert tomllib.loads(config.read_text())["mcp_servers"]["aimem"]["command"] == EXE
    run(world, "project", ["codex"], False)
    states = tomllib.loads(config.read_text())["hooks"]["state"]
    assert any(k.startswith(user_hooks) for k in states)
    assert not any(k.startswith(project_hooks) for k in states)


def test_reinstall_with_another_executable_repoints_every_entry(world):
    run(world, "user", list(install.AGENT_IDS), True)
    moved = Target("user", "/new/place/aimem", str(world["project"]), world["env"])
    install.apply(install.plan(list(install.AGENT_IDS), moved, True))
    text = "".join(
        p.read_text() for p in world["home"].rglob("*") if p.is_file() and p.suffix != ".bak"
    )
    assert EXE not in text and "/new/place/aimem" in text
    hooks = json.loads((world["home"] / ".claude" / "settings.json").read_text())["hooks"]
    assert len(hooks["SessionStart"]) == 1  # replaced, not added twice


@pytest.mark.parametrize(
    ("agent", "rel", "bad"),
    [
        ("claude-code", ".claude/settings.json", '{"hooks": {,}}'),
        ("claude-code", ".claude.json", "{"),
        ("codex", ".codex/hooks.json", "not json"),
        ("codex", ".codex/config.toml", "model = = 1\n# still a comment\n"),
        ("gemini", ".gemini/settings.json", '{"a": 1 /* jsonc comment */}'),
        ("cursor", ".cursor/hooks.json", '["not", "an", "object"]'),
        ("opencode", ".config/opencode/opencode.json", '{"mcp": '),
    ],
)
def test_a_corrupt_config_is_never_touched(world, agent, rel, bad):
    path = world["home"] / rel
    path.write_text(bad)
    before = snapshot(world["tmp"])
    with pytest.raises(install.PlanErrors) as caught:
        install.plan(list(install.AGENT_IDS), target(world, "user"), True)
    assert len(caught.value.messages) == 1
    assert caught.value.messages[0].startswith(f"{agent}: {path}")
    assert snapshot(world["tmp"]) == before
    assert path.read_text() == bad


def test_shape_errors_are_clear(world):
    settings = world["home"] / ".claude" / "settings.json"
    settings.write_text(dump({"hooks": ["not", "an", "object"]}))
    with pytest.raises(install.PlanErrors, match="`hooks` is not a JSON object"):
        install.plan(["claude-code"], target(world, "user"), True)
    mcp = world["home"] / ".claude.json"
    mcp.write_text(dump({"mcpServers": {"aimem": {"command": "node", "args": ["x.js"]}}}))
    settings.write_text("{}\n")
    with pytest.raises(install.PlanErrors, match="does not run `aimem mcp`"):
        install.plan(["claude-code"], target(world, "user"), True)


def test_an_existing_plugin_or_rule_that_is_not_aimems_is_kept(world):
    plugin = world["xdg"] / "opencode" / "plugins" / "aimem.js"
    plugin.write_text("// my own plugin that happens to be called aimem.js\n")
    with pytest.raises(install.PlanErrors, match="not aimem's"):
        install.plan(["opencode"], target(world, "user"), True)
    assert not install.plan(["opencode"], target(world, "user"), False)[0].changed


def test_opencode_jsonc_is_not_rewritten(world):
    config = world["xdg"] / "opencode" / "opencode.json"
    config.rename(config.with_suffix(".jsonc"))
    with pytest.raises(install.PlanErrors, match="comments"):
        install.plan(["opencode"], target(world, "user"), True)


def test_codex_trust_entries_defined_by_the_user_are_not_duplicated(world):
    run(world, "user", ["codex"], True)
    hooks_file = world["home"] / ".codex" / "hooks.json"
    config = world["home"] / ".codex" / "config.toml"
    # The user adds a Stop hook before aimem's, which moves aimem's to index 1, and trusts the
    # moved hook through Codex's /hooks, which writes the table outside aimem's block.
    data = json.loads(hooks_file.read_text())
    data["hooks"]["Stop"].insert(0, USER_HOOK)
    hooks_file.write_text(dump(data))
    key = f"{hooks_file.resolve()}:stop:1:0"
    trusted = codex.trust_hash("Stop", None, data["hooks"]["Stop"][1]["hooks"][0])
    config.write_text(f'[hooks.state."{key}"]\ntrusted_hash = "{trusted}"\n\n' + config.read_text())
    notes: list[str] = []
    common.apply(codex.plan(target(world, "user"), True, notes))
    parsed = tomllib.loads(config.read_text())  # still valid: the key is defined once
    assert parsed["hooks"]["state"][key]["trusted_hash"] == trusted
    assert key not in common.toml_block(str(config), config.read_text())
    assert f"{hooks_file.resolve()}:stop:0:0" not in parsed["hooks"]["state"]  # the stale key went


def test_detection_by_binary_or_config_folder(world, tmp_path):
    env = {"HOME": str(tmp_path / "empty-home"), "PATH": str(tmp_path / "bin")}
    empty = Target("user", EXE, str(world["project"]), env)
    assert install.detect_agents(empty) == []
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "gemini").write_text("#!/bin/sh\n")
    (tmp_path / "bin" / "gemini").chmod(0o755)
    (tmp_path / "empty-home" / ".codex").mkdir(parents=True)
    assert install.detect_agents(empty) == ["codex", "gemini"]
    codex_home = tmp_path / "elsewhere"
    codex_home.mkdir()
    moved = Target("user", EXE, str(world["project"]), {**env, "CODEX_HOME": str(codex_home)})
    assert "codex" in install.detect_agents(moved)


def test_codex_home_and_xdg_config_home_decide_user_paths(world, tmp_path):
    env = {
        "HOME": str(world["home"]),
        "CODEX_HOME": str(tmp_path / "ch"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }
    t = Target("user", EXE, str(world["project"]), env)
    install.apply(install.plan(["codex", "opencode"], t, True))
    assert (tmp_path / "ch" / "hooks.json").exists()
    assert (tmp_path / "ch" / "config.toml").exists()
    assert (tmp_path / "xdg" / "opencode" / "plugins" / "aimem.js").exists()
    assert (tmp_path / "xdg" / "opencode" / "opencode.json").exists()


def test_unknown_agent_is_an_error(world):
    with pytest.raises(InstallError, match="unknown agent 'vim'"):
        install.plan(["vim"], target(world, "user"), True)
