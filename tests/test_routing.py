"""The self-routing block in AGENTS.md / CLAUDE.md / GEMINI.md: idempotent and removable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aimem.routing import BEGIN, END, RoutingError, block, install_routing, remove_routing


def actions(changes) -> dict[str, str]:
    return {c.file: c.action for c in changes}


def test_install_creates_agents_md_when_none_exists_and_is_idempotent(tmp_path: Path) -> None:
    assert actions(install_routing(str(tmp_path))) == {"AGENTS.md": "created"}
    text = (tmp_path / "AGENTS.md").read_text()
    assert text == block() and "memory_query" in text and "memory_write_page" in text
    assert actions(install_routing(str(tmp_path))) == {"AGENTS.md": "unchanged"}
    assert actions(remove_routing(str(tmp_path))) == {
        "AGENTS.md": "deleted",
        "CLAUDE.md": "absent",
        "GEMINI.md": "absent",
    }
    assert not (tmp_path / "AGENTS.md").exists()


def test_existing_files_keep_their_text(tmp_path: Path) -> None:
    own = "# Rules\n\nUse tabs.\n"
    (tmp_path / "CLAUDE.md").write_text(own)
    (tmp_path / "GEMINI.md").write_text(own)
    assert actions(install_routing(str(tmp_path))) == {
        "CLAUDE.md": "updated",
        "GEMINI.md": "updated",
    }
    text = (tmp_path / "CLAUDE.md").read_text()
    assert text.startswith(own) and text.count(BEGIN) == 1 and text.endswith(END + "\n")
    # A stale block (edited, or from an older aimem) is replaced in place, not duplicated.
    (tmp_path / "CLAUDE.md").write_text(text.replace("memory_recent", "old words") + "\nAfter.\n")
    assert actions(install_routing(str(tmp_path), ["CLAUDE.md"])) == {"CLAUDE.md": "updated"}
    refreshed = (tmp_path / "CLAUDE.md").read_text()
    assert "memory_recent" in refreshed and refreshed.endswith("After.\n")
    assert actions(remove_routing(str(tmp_path), ["CLAUDE.md", "GEMINI.md"])) == {
        "CLAUDE.md": "removed",
        "GEMINI.md": "removed",
    }
    assert (tmp_path / "GEMINI.md").read_text() == own
    assert (tmp_path / "CLAUDE.md").read_text() == own + "\nAfter.\n"
    assert actions(remove_routing(str(tmp_path), ["GEMINI.md"])) == {"GEMINI.md": "unchanged"}


def test_a_symlinked_claude_md_stays_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("# Agents\n")
    os.symlink("AGENTS.md", tmp_path / "CLAUDE.md")
    changes = actions(install_routing(str(tmp_path)))
    assert changes == {"AGENTS.md": "updated", "CLAUDE.md": "unchanged"}
    assert (tmp_path / "CLAUDE.md").is_symlink()
    assert (tmp_path / "AGENTS.md").read_text().count(BEGIN) == 1


def test_unpaired_markers_and_unknown_files_are_errors(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text(f"x\n{BEGIN}\nno end\n")
    with pytest.raises(RoutingError, match="do not pair up"):
        install_routing(str(tmp_path))
    with pytest.raises(RoutingError, match="unknown file"):
        install_routing(str(tmp_path), ["README.md"])
    with pytest.raises(RoutingError, match="does not exist"):
        install_routing(str(tmp_path / "nope"))


def test_files_keep_their_mode_and_new_ones_are_0644_under_a_private_umask(tmp_path: Path) -> None:
    # The MCP server runs with umask 077 (the data root is private); the project's files are not.
    (tmp_path / "CLAUDE.md").write_text("# mine\n")
    (tmp_path / "CLAUDE.md").chmod(0o640)
    old = os.umask(0o077)
    try:
        install_routing(str(tmp_path), ["AGENTS.md", "CLAUDE.md"])
    finally:
        os.umask(old)
    assert (tmp_path / "AGENTS.md").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "CLAUDE.md").stat().st_mode & 0o777 == 0o640
    assert not list(tmp_path.glob("*.tmp"))
