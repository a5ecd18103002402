"""The admin commands through the real typer app in process: ``backup``, ``restore``,
``purge``, ``rename``, ``forget-project``. Generated command lines (hypothesis) end in 0, 1 or
2 with at most one ``aimem: error:`` line and never a traceback, and leave the stored memory
whole (a wiki that ``git fsck`` finds sound, the page still there)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimem.cli import app as cli_app
from aimem.cli.commands import backup, forget, purge, rename

MINE = {"backup": backup, "restore": backup, "purge": purge, "rename": rename,
        "forget-project": forget}  # fmt: skip
OPTIONS = ["--json", "--project", "-p", "--match", "--dry-run", "--help", "--bogus", "--", "-"]
VALUES = ["", "x", "decisions/use-wal", "decisions/use-wal.md", "../../etc/passwd",
          "/etc/passwd", "/nonexistent/dir/file.tar.gz", "Fast", "nope", "proj", "日本語",
          "x" * 300, "a b"]  # fmt: skip
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)
TOKENS = st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES), TEXT)


def registered() -> None:
    """Until aimem/cli/app.py registers these modules (requests.md), add them here."""
    known = cli_app.app_commands()
    for name, module in MINE.items():
        if name not in known:
            module.register(cli_app.app)
            known = cli_app.app_commands()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    registered()
    root = tmp_path_factory.mktemp("admin-cli")
    project = root / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIMEM_HOME", str(root / "data"))
        patch.setenv("AIMEM_CONFIG", str(root / "no-config.toml"))
        patch.setenv("HOME", str(root / "home"))
        patch.delenv("AIMEM_PROJECT", raising=False)
        patch.chdir(project)
        made = cli_app.run(["write-page", "-t", "decision", "--title", "Use WAL", "-b", "Fast."])
        assert made == 0
        yield root
    os.umask(0o022)


def wiki_of(root: Path) -> Path:
    (slug,) = os.listdir(root / "data" / "projects")
    return root / "data" / "projects" / slug / "wiki"


@settings(max_examples=int(os.environ.get("AIMEM_FUZZ_EXAMPLES", "120")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(command=st.sampled_from(sorted(MINE)), rest=st.lists(TOKENS, max_size=5))
def test_any_command_line_ends_cleanly(
    command: str, rest: list[str], world: Path, capsys: pytest.CaptureFixture
) -> None:
    code = cli_app.run([command, *rest])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (command, rest, code, err)
    assert "Traceback" not in out + err
    assert "aimem: error: unexpected " not in err, (command, rest, err)
    if code != 0:
        lines = [x for x in err.splitlines() if not x.startswith("aimem: warning:")]
        assert len(lines) == 1 and lines[0].startswith("aimem: error: "), (command, rest, err)
    wiki = wiki_of(world)
    assert (wiki / "decisions" / "use-wal.md").exists()
    fsck = subprocess.run(["git", "fsck", "--full"], cwd=wiki, capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def test_backup_restore_purge_rename_forget_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    registered()
    project = tmp_path / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    monkeypatch.setenv("AIMEM_HOME", str(tmp_path / "a"))
    monkeypatch.setenv("AIMEM_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AIMEM_PROJECT", raising=False)
    monkeypatch.chdir(project)
    body = "Checkpoint the WAL with PLANTED-key-0a1b2c3d."
    assert (
        cli_app.run(["write-page", "-t", "gotcha", "--title", "WAL checkpoints", "-b", body]) == 0
    )
    capsys.readouterr()
    archive = str(tmp_path / "m.tar.gz")
    assert cli_app.run(["backup", archive, "--json"]) == 0
    slug = json.loads(capsys.readouterr().out)["projects"][0]["slug"]

    monkeypatch.setenv("AIMEM_HOME", str(tmp_path / "b"))
    assert cli_app.run(["restore", archive]) == 0
    assert f"restored {slug}" in capsys.readouterr().out
    assert cli_app.run(["search", "checkpoint", "--json", "-p", slug]) == 0
    assert "WAL checkpoints" in capsys.readouterr().out
    assert cli_app.run(["restore", archive]) == 1  # already there: refused, one line
    assert capsys.readouterr().err.count("\n") == 1

    assert cli_app.run(["purge", "--match", "PLANTED-key-0a1b2c3d", "-p", slug, "--dry-run"]) == 0
    assert "would rewrite" in capsys.readouterr().out
    assert cli_app.run(["purge", "--match", "PLANTED-key-0a1b2c3d", "-p", slug, "--yes"]) == 0
    assert "rewrote" in capsys.readouterr().out
    assert cli_app.run(["search", "0a1b2c3d", "--json", "-p", slug]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli_app.run(["search", "checkpoint", "--json", "-p", slug]) == 0
    assert "[purged]" in capsys.readouterr().out

    assert cli_app.run(["rename", slug, "wal notes"]) == 0
    new_slug = capsys.readouterr().out.split("-> ")[1].strip()
    assert new_slug.startswith("wal-notes-") and new_slug.endswith(slug.rpartition("-")[2])
    assert cli_app.run(["search", "checkpoint", "-p", new_slug]) == 0
    capsys.readouterr()
    assert cli_app.run(["forget-project", new_slug, "--yes"]) == 0
    assert not (tmp_path / "b" / "projects" / new_slug).exists()
    assert cli_app.run(["forget-project", new_slug, "--yes"]) == 1
