"""The MCP-only clients (Claude Desktop, VS Code, Windsurf, Zed): each gets one ``aimem mcp``
entry in its real config file, at its real per-OS path, with the same merge, backup and
uninstall guarantees as the hook agents; Zed's and VS Code's JSONC keeps every comment; a file
that cannot be parsed is refused with one line and not touched; the written entry starts a
server the real ``mcp`` client talks to."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from replay import aimem_exe, run_aimem

from aimem import install
from aimem.install import claude_desktop, doctor, jsonc, vscode, windsurf, zed
from aimem.install.common import Target

EXE = "/opt/aimem venv/bin/aimem"
ZED_SETTINGS = """\
// Zed settings
//
// For information on how to configure Zed, see the Zed
// documentation: https://zed.dev/docs/configuring-zed
{
  "theme": "One Dark", // dark, always
  "context_servers": {
    /* a server of mine */
    "postgres": {"command": "pg-mcp", "args": [], "env": {}},
  },
  "vim_mode": true,
}
"""


def target(home: Path, scope: str = "user", project: Path | None = None, exe: str = EXE,
           **env: str) -> Target:  # fmt: skip
    return Target(scope, exe, str(project or home / "nowhere"), {"HOME": str(home), **env})


def apply(agents: list[str], t: Target, installing: bool = True) -> list[install.AgentPlan]:
    plans = install.plan(agents, t, installing)
    install.apply(plans)
    return plans


@pytest.mark.parametrize(
    ("plat", "expected"),
    [
        ("linux", ".config/Claude/claude_desktop_config.json"),
        ("darwin", "Library/Application Support/Claude/claude_desktop_config.json"),
        ("win32", "AppData/Roaming/Claude/claude_desktop_config.json"),
    ],
)
def test_claude_desktop_path_per_os(tmp_path: Path, plat: str, expected: str):
    assert claude_desktop.config_path(target(tmp_path), plat) == str(tmp_path / expected)


def test_per_os_paths_of_vscode_and_zed(tmp_path: Path):
    t = target(tmp_path)
    assert vscode.config_path(t, "linux") == str(tmp_path / ".config/Code/User/mcp.json")
    assert vscode.config_path(t, "darwin") == str(
        tmp_path / "Library/Application Support/Code/User/mcp.json"
    )
    xdg = target(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    assert zed.config_path(xdg, "linux") == str(tmp_path / "xdg/zed/settings.json")
    assert zed.config_path(xdg, "darwin") == str(tmp_path / ".config/zed/settings.json")
    appdata = target(tmp_path, APPDATA=str(tmp_path / "Roaming"))
    assert zed.config_path(appdata, "win32") == str(tmp_path / "Roaming/Zed/settings.json")
    assert windsurf.config_path(t) == str(tmp_path / ".codeium/windsurf/mcp_config.json")
    project = target(tmp_path, "project", tmp_path / "proj")
    assert vscode.config_path(project) == str(tmp_path / "proj/.vscode/mcp.json")


def test_fresh_home_gets_each_clients_documented_entry(tmp_path: Path):
    t = target(tmp_path)
    apply(list(install.MCP_CLIENT_IDS), t)
    desktop = json.loads(Path(claude_desktop.config_path(t)).read_text())
    assert desktop == {"mcpServers": {"aimem": {"command": EXE, "args": ["mcp"]}}}
    code = json.loads(Path(vscode.config_path(t)).read_text())
    assert code == {"servers": {"aimem": {"type": "stdio", "command": EXE, "args": ["mcp"]}}}
    surf = json.loads(Path(windsurf.config_path(t)).read_text())
    assert surf == {"mcpServers": {"aimem": {"command": EXE, "args": ["mcp"]}}}
    zed_data = json.loads(Path(zed.config_path(t)).read_text())
    assert zed_data == {
        "context_servers": {
            "aimem": {"command": EXE, "args": ["mcp"], "env": {}}  # no deprecated "source"
        }
    }
    assert not any(p.changed for p in install.plan(list(install.MCP_CLIENT_IDS), t, True))
    apply(list(install.MCP_CLIENT_IDS), t, installing=False)
    left = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.endswith(".bak")]
    assert left == []  # files aimem created are gone


def test_zed_comments_survive_install_and_uninstall_restores_the_bytes(tmp_path: Path):
    t = target(tmp_path)
    settings = Path(zed.config_path(t))
    settings.parent.mkdir(parents=True)
    settings.write_text(ZED_SETTINGS)
    apply(["zed"], t)
    text = settings.read_text()
    for comment in ("// Zed settings", "// dark, always", "/* a server of mine */"):
        assert comment in text
    data = jsonc.loads(text)
    assert data["context_servers"]["postgres"] == {"command": "pg-mcp", "args": [], "env": {}}
    assert data["context_servers"]["aimem"]["command"] == EXE
    assert data["theme"] == "One Dark" and data["vim_mode"] is True
    assert Path(str(settings) + ".bak").read_text() == ZED_SETTINGS
    assert not install.plan(["zed"], t, True)[0].changed  # a second run changes no byte
    moved = target(tmp_path, exe="/new/aimem")
    apply(["zed"], moved)  # re-pointed in place, not added twice
    assert jsonc.loads(settings.read_text())["context_servers"]["aimem"]["command"] == "/new/aimem"
    assert settings.read_text().count('"aimem"') == 1
    apply(["zed"], t, installing=False)
    assert settings.read_text() == ZED_SETTINGS


@pytest.mark.parametrize(
    "bad",
    [
        '{\n  theme: "One Dark"\n}\n',  # unquoted key (JSON5, not JSONC)
        '{\n  "theme": "One Dark"\n',  # cut short
        '{"a": 1 /* never closed\n}',
        "[1, 2]\n",
        '{"context_servers": ["not", "an", "object"]}',
        '{"context_servers": {}, "context_servers": {}}',
    ],
)
def test_zed_settings_that_cannot_be_parsed_are_refused_and_untouched(tmp_path: Path, bad: str):
    t = target(tmp_path)
    settings = Path(zed.config_path(t))
    settings.parent.mkdir(parents=True)
    settings.write_text(bad)
    with pytest.raises(install.PlanErrors) as caught:
        install.plan(["zed", "windsurf"], t, True)
    assert len(caught.value.messages) == 1
    assert caught.value.messages[0].startswith(f"zed: {settings}")
    assert "\n" not in caught.value.messages[0]
    assert settings.read_text() == bad
    assert not Path(windsurf.config_path(t)).exists()  # nothing written for any client


@pytest.mark.parametrize("agent", install.MCP_CLIENT_IDS)
def test_a_foreign_server_named_aimem_is_kept(tmp_path: Path, agent: str):
    t = target(tmp_path, "project" if agent == "vscode" else "user", tmp_path / "proj")
    mod = install.module(agent)
    path = Path(mod.config_path(t))
    path.parent.mkdir(parents=True)
    text = json.dumps({mod.KEY: {"aimem": {"command": "node", "args": ["other.js"]}}})
    path.write_text(text)
    with pytest.raises(install.PlanErrors, match="does not run `aimem mcp`"):
        install.plan([agent], t, True)
    assert not install.plan([agent], t, False)[0].changed  # uninstall leaves it alone too
    assert path.read_text() == text


def test_vscode_project_and_user_scopes_and_jsonc(tmp_path: Path):
    project = tmp_path / "proj"
    (project / ".vscode").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    mcp_json = project / ".vscode" / "mcp.json"
    original = '{\n  // team servers\n  "servers": {},\n  "inputs": [],\n}\n'
    mcp_json.write_text(original)
    t = target(tmp_path, "project", project)
    apply(["vscode"], t)
    assert "// team servers" in mcp_json.read_text()
    assert jsonc.loads(mcp_json.read_text())["servers"]["aimem"]["type"] == "stdio"
    apply(["vscode"], target(tmp_path))
    assert Path(vscode.config_path(target(tmp_path))).exists()
    apply(["vscode"], t, installing=False)
    assert jsonc.loads(mcp_json.read_text()) == {"inputs": []}  # the emptied `servers` went


def test_desktop_apps_have_no_project_scope(tmp_path: Path):
    project = tmp_path / "proj"
    project.mkdir()
    plans = install.plan(["claude-desktop", "windsurf"], target(tmp_path, "project", project), True)
    assert all(not p.changes for p in plans)
    assert all("no project-level MCP config" in p.notes[0] for p in plans)
    assert install.scopes("windsurf") == ("user",)
    assert install.scopes("zed") == install.scopes("vscode") == ("user", "project")


def test_zed_project_scope_writes_the_projects_zed_settings(tmp_path: Path):
    project = tmp_path / "proj"
    (project / ".zed").mkdir(parents=True)
    settings = project / ".zed" / "settings.json"
    settings.write_text('// project settings\n{"tab_size": 4}\n')
    t = target(tmp_path, "project", project)
    apply(["zed"], t)
    assert jsonc.loads(settings.read_text())["context_servers"]["aimem"]["command"] == EXE
    assert settings.read_text().startswith("// project settings\n")
    apply(["zed"], t, installing=False)
    assert settings.read_text() == '// project settings\n{"tab_size": 4}\n'


def test_detection_by_binary_or_config_folder(tmp_path: Path):
    home, bin_dir = tmp_path / "home", tmp_path / "bin"
    bin_dir.mkdir()
    t = target(home, PATH=str(bin_dir))
    assert not any(install.detected(a, t) for a in install.MCP_CLIENT_IDS)
    (home / ".codeium" / "windsurf").mkdir(parents=True)
    (bin_dir / "zeditor").write_text("#!/bin/sh\n")
    (bin_dir / "zeditor").chmod(0o755)
    (home / ".config" / "Claude").mkdir(parents=True)
    found = [a for a in install.detect_agents(t) if a in install.MCP_CLIENT_IDS]
    assert found == ["claude-desktop", "windsurf", "zed"]


def test_doctor_checks_an_mcp_only_client(tmp_path: Path):
    exe = aimem_exe()
    t = target(tmp_path, exe=exe, PATH="/usr/bin:/bin")
    apply(["windsurf", "zed"], t)
    report = doctor.Report()
    doctor.check_agents(report, [t])
    for agent in ("windsurf", "zed"):
        checks = {c.name: c for c in report.checks if c.subject == agent}
        assert checks["found"].status == "ok"
        assert checks["user mcp"].status == "ok" and exe in checks["user mcp"].detail
        assert checks["user capture"].status == "skip"
        assert "user hooks" not in checks and "user round trip" not in checks
        trip = checks["user mcp round trip"]
        assert trip.status == "ok" and "tools" in trip.detail, trip
        assert 0 < trip.ms < doctor.ROUND_TRIP_TIMEOUT * 1000
    # A server command that starts but is not an MCP server fails the round trip, with its fix.
    fake = tmp_path / "bin" / "aimem"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'aimem: error: broken install' >&2\nexit 3\n")
    fake.chmod(0o755)
    apply(["windsurf"], target(tmp_path, exe=str(fake), PATH="/usr/bin:/bin"))
    report = doctor.Report()
    doctor.check_agents(report, [t])
    trip = next(c for c in report.checks if c.subject == "windsurf" and "round trip" in c.name)
    assert trip.status == "fail" and "broken install" in trip.detail, trip
    assert trip.fix == "aimem install windsurf --scope user"
    Path(zed.config_path(t)).write_text('{"context_servers": {')
    report = doctor.Report()
    doctor.check_agents(report, [t])
    broken = [c for c in report.checks if c.subject == "zed" and c.status == "fail"]
    assert broken and "settings.json" in broken[0].detail
    assert broken[0].fix.endswith("aimem install zed --scope user")


def test_the_written_entry_starts_a_server_the_real_mcp_client_uses(tmp_path: Path, env: dict):
    """Read back what Zed would read and start it the way Zed does (command + args + env)."""
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    t = target(tmp_path / "home", exe=aimem_exe())
    apply(["zed", "vscode"], t)
    for agent in ("zed", "vscode"):
        mod = install.module(agent)
        server = jsonc.loads(Path(mod.config_path(t)).read_text())[mod.KEY]["aimem"]

        async def tools(server: dict = server) -> list[str]:
            params = StdioServerParameters(
                command=server["command"],
                args=server["args"],
                env={**env, **server.get("env", {})},
                cwd=str(tmp_path),
            )
            with open(tmp_path / "stderr.txt", "w") as errlog:
                async with Client(
                    stdio_client(params, errlog=errlog), read_timeout_seconds=60
                ) as c:
                    return [tool.name for tool in (await c.list_tools()).tools]

        names = anyio.run(tools)
        for tool in ("memory_query", "memory_read", "memory_write_page", "memory_handoff_begin"):
            assert tool in names, (agent, names)


def test_cli_dry_run_prints_the_diff_and_writes_nothing(tmp_path: Path, env: dict):
    home = tmp_path / "home"
    settings = home / ".config" / "zed" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(ZED_SETTINGS)
    cli_env = {**env, "HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": ""}
    result = run_aimem("install", "zed", "--dry-run", env=cli_env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"+++ {settings}" in result.stdout and '+    "aimem": {' in result.stdout
    assert settings.read_text() == ZED_SETTINGS and not os.path.exists(str(settings) + ".bak")
    result = run_aimem("install", "zed", env=cli_env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "updated" in result.stdout and "(previous: .bak)" in result.stdout
    assert "note: MCP only" in result.stdout and "no hooks record" in result.stdout
    settings.write_text("{ oops")
    result = run_aimem("uninstall", "zed", env=cli_env, cwd=str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "zed:" in result.stderr
    assert settings.read_text() == "{ oops"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    agent=st.sampled_from(install.MCP_CLIENT_IDS),
    others=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    servers=st.one_of(
        st.none(),
        st.dictionaries(
            st.text(max_size=6).filter(lambda k: k != "aimem"), json_values, max_size=3
        ),
        json_values,  # a list, a string, a number: an odd shape the user wrote
    ),
    indent=st.sampled_from([None, 2, 4, "\t"]),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_existing_config_is_merged_or_refused_never_damaged(
    tmp_path_factory, agent, others, servers, indent
):
    home = tmp_path_factory.mktemp("home")
    t = target(home)
    mod = install.module(agent)
    path = Path(mod.config_path(t))
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in others.items() if k != mod.KEY}
    if servers is not None:
        data[mod.KEY] = servers
    original = json.dumps(data, indent=indent, ensure_ascii=False) + "\n"
    path.write_text(original)
    try:
        plans = install.plan([agent], t, True)
    except install.PlanErrors as exc:
        assert not isinstance(servers, dict) or mod.KEY not in data  # only odd shapes refused
        assert len(exc.messages) == 1 and "\n" not in exc.messages[0]
        assert path.read_text() == original
        return
    install.apply(plans)
    after = jsonc.loads(path.read_text())
    assert after[mod.KEY]["aimem"]["args"] == ["mcp"]
    assert {k: v for k, v in after.items() if k != mod.KEY} == {
        k: v for k, v in data.items() if k != mod.KEY
    }
    assert {k: v for k, v in after[mod.KEY].items() if k != "aimem"} == (servers or {})
    assert not install.plan([agent], t, True)[0].changed
    install.apply(install.plan([agent], t, False))
    if path.exists():
        left = jsonc.loads(path.read_text())
        if servers == {}:
            left.setdefault(mod.KEY, {})  # an emptied object goes with aimem's entry
        assert left == data
        if servers and isinstance(servers, dict):
            assert path.read_text() == original  # every byte back
    else:
        assert data in ({}, {mod.KEY: {}})
