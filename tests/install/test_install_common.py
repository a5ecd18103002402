"""The installers' shared rules: JSON written back in its own style, TOML edited only inside
aimem's block, atomic writes with a backup, and recognising aimem's entries by their command."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest

from aimem.install import common
from aimem.install.common import FileChange, InstallError

DATA = {"model": "opus", "nested": {"list": [1, "é", {"x": None}], "empty": {}}, "n": 1.5}


@pytest.mark.parametrize(
    "dump",
    [
        lambda d: json.dumps(d, indent=2),
        lambda d: json.dumps(d, indent=2) + "\n",
        lambda d: json.dumps(d, indent=4) + "\n",
        lambda d: json.dumps(d, indent="\t"),
        lambda d: json.dumps(d),
        lambda d: json.dumps(d, separators=(",", ":")),
        lambda d: json.dumps(d, indent=2, ensure_ascii=False) + "\n",
    ],
    ids=["indent2", "indent2-nl", "indent4-nl", "tab", "one-line", "compact", "utf8"],
)
def test_json_dump_styles_round_trip_exactly(dump):
    text = dump(DATA)
    style = common.json_style(text, json.loads(text))
    assert style.dumps(json.loads(text)) == text


def test_unknown_json_style_keeps_indent_and_newline():
    text = '{\n    "a":   1,\n    "b": [1,2]\n}\n'
    style = common.json_style(text, json.loads(text))
    assert (style.indent, style.newline) == (4, True)


def test_edit_json_plans_nothing_when_data_is_unchanged(tmp_path: Path):
    path = tmp_path / "c.json"
    path.write_text('{"a":   1}')  # odd formatting, same data: not rewritten
    change = common.edit_json(str(path), lambda d: d.update(a=1))
    assert not change.changed and change.action == "unchanged"


def test_edit_json_refuses_what_does_not_parse(tmp_path: Path):
    for text in ('{"a": 1,}', "[1, 2]", '{"a": 1} // comment'):
        path = tmp_path / "c.json"
        path.write_text(text)
        with pytest.raises(InstallError, match="c.json"):
            common.edit_json(str(path), lambda d: d.update(b=2))


def test_edit_json_deletes_a_file_left_empty(tmp_path: Path):
    path = tmp_path / "c.json"
    path.write_text('{"aimem": 1}\n')
    change = common.edit_json(str(path), lambda d: d.pop("aimem"))
    assert change.action == "deleted" and change.after is None


TOML = """\
# my codex config (comment at the top)
model = "gpt-5"  # trailing comment

[profiles.fast]
model = "o3"   # keep me
"""


def test_toml_block_added_and_removed_byte_identical(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(TOML)
    body = '[mcp_servers.aimem]\ncommand = "/x/aimem"\nargs = ["mcp"]\n'
    added = common.edit_toml_block(str(path), body, "(managed)")
    assert added.after.startswith(TOML)  # nothing before the block moved
    assert "# trailing comment" in added.after and "# keep me" in added.after
    assert tomllib.loads(added.after)["mcp_servers"]["aimem"]["args"] == ["mcp"]
    common.apply([added])
    again = common.edit_toml_block(str(path), body, "(managed)")
    assert not again.changed
    removed = common.edit_toml_block(str(path), None, "(managed)")
    assert removed.after == TOML
    common.apply([removed])
    assert path.read_text() == TOML
    assert (tmp_path / "config.toml.bak").read_text() == added.after


def test_toml_block_replaced_in_place_when_the_user_appended_after_it(tmp_path: Path):
    path = tmp_path / "config.toml"
    block = common.edit_toml_block(str(path), "[a]\nx = 1\n", "h").after
    path.write_text(TOML + "\n" + block + '\n[later]\ny = "user"\n')
    change = common.edit_toml_block(str(path), "[a]\nx = 2\n", "h")
    assert change.after.endswith('\n[later]\ny = "user"\n')
    assert tomllib.loads(change.after)["a"]["x"] == 2
    removed = common.edit_toml_block(str(path), None, "h")
    assert tomllib.loads(removed.after) == tomllib.loads(TOML + '\n[later]\ny = "user"\n')


def test_toml_refuses_invalid_files_and_broken_markers(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text("model = \n")
    with pytest.raises(InstallError, match="not valid TOML"):
        common.edit_toml_block(str(path), "[a]\nx = 1\n", "h")
    path.write_text(f"{common.TOML_BEGIN}\n[a]\nx = 1\n")
    with pytest.raises(InstallError, match="markers"):
        common.edit_toml_block(str(path), "[a]\nx = 1\n", "h")


def test_toml_block_that_would_break_the_file_is_refused(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text("[mcp_servers.aimem]\ncommand = 'x'\n")
    with pytest.raises(InstallError, match="not valid TOML"):
        common.edit_toml_block(str(path), "[mcp_servers.aimem]\ncommand = 'y'\n", "h")
    assert path.read_text() == "[mcp_servers.aimem]\ncommand = 'x'\n"


def test_apply_is_atomic_keeps_mode_and_backup_and_follows_symlinks(tmp_path: Path):
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text('{"a": 1}\n')
    os.chmod(real, 0o600)
    link = tmp_path / "settings.json"
    link.symlink_to(real)
    change = common.edit_json(str(link), lambda d: d.update(b=2))
    common.apply([change])
    assert link.is_symlink()  # a dotfile manager's link stays a link
    assert json.loads(real.read_text()) == {"a": 1, "b": 2}
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert (tmp_path / "dotfiles" / "settings.json.bak").read_text() == '{"a": 1}\n'
    assert not [p for p in real.parent.iterdir() if p.name.endswith(".tmp")]


def test_apply_stops_when_a_file_changed_after_planning(tmp_path: Path):
    path = tmp_path / "c.json"
    path.write_text("{}")
    change = common.edit_json(str(path), lambda d: d.update(a=1))
    path.write_text('{"agent": "rewrote me"}')
    with pytest.raises(InstallError, match="changed while"):
        common.apply([change])
    assert path.read_text() == '{"agent": "rewrote me"}'


def test_new_file_gets_the_requested_mode(tmp_path: Path):
    path = tmp_path / "deep" / "claude.json"
    common.apply([FileChange(str(path), None, "{}\n", mode=0o600)])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("command", "sub", "expected"),
    [
        ("/opt/venv/bin/aimem hook claude-code Stop", "hook", True),
        ("'/opt/ai mem/bin/aimem' hook codex Stop", "hook", True),
        ("aimem hook gemini SessionStart", "hook", True),
        ("env AIMEM_HOME=/x /usr/bin/aimem hook cursor stop", "hook", True),
        ("/usr/bin/python3 -m aimem hook opencode session.idle", "hook", True),
        (["/x/aimem", "mcp"], "mcp", True),
        ("/x/aimem mcp", "hook", False),
        ("/x/not-aimem hook claude-code Stop", "hook", False),
        ("echo aimem", "hook", False),
        ("unbalanced 'quote aimem hook", "hook", False),
        (None, "hook", False),
    ],
)
def test_recognising_aimem_commands(command, sub, expected):
    assert common.runs_aimem(command, sub) is expected


def test_merge_nested_hooks_keeps_user_handlers_in_a_mixed_group():
    data = {
        "hooks": {
            "Stop": [
                {"hooks": [{"type": "command", "command": "notify-send done"},
                           {"type": "command", "command": "/old/aimem hook claude-code Stop"}]}
            ]
        }
    }  # fmt: skip
    desired = {"Stop": [{"hooks": [{"type": "command", "command": "/new/aimem hook x Stop"}]}]}
    common.merge_nested_hooks(data, desired, "p")
    assert data["hooks"]["Stop"] == [
        {"hooks": [{"type": "command", "command": "notify-send done"}]},
        {"hooks": [{"type": "command", "command": "/new/aimem hook x Stop"}]},
    ]
    common.remove_nested_hooks(data, "p")
    assert data == {
        "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}
    }


def test_a_foreign_mcp_server_named_aimem_is_not_replaced():
    data = {"mcpServers": {"aimem": {"command": "node", "args": ["other.js"]}}}
    with pytest.raises(InstallError, match="aimem"):
        common.set_server(
            data, "mcpServers", "aimem", {"command": "/x/aimem", "args": ["mcp"]}, "p"
        )
    common.remove_server(data, "mcpServers", "aimem")
    assert data["mcpServers"]["aimem"]["command"] == "node"


def test_templates_are_found_and_filled():
    data = common.json_template("claude-code/settings.json", "/opt/ai mem/aimem")
    command = data["hooks"]["SessionStart"][0]["hooks"][0]["command"]
    assert command == "'/opt/ai mem/aimem' hook claude-code SessionStart"
    plugin = common.text_template("opencode/aimem.js", '/x/"q"/aimem')
    assert 'const AIMEM = "/x/\\"q\\"/aimem";' in plugin
    assert "{{" not in plugin
