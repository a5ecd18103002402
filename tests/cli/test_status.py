"""``aimem status`` beyond the basics: a sync conflict (a page edited on two machines, both
versions kept) is reported until the other version is deleted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from replay import run_aimem


def git(wiki: str, *args: str) -> None:
    subprocess.run(["git", "-C", wiki, "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)  # fmt: skip


def test_status_reports_unresolved_sync_conflicts(env: dict, project: Path) -> None:
    cwd = str(project)
    made = run_aimem("write-page", "-t", "decision", "--title", "Use WAL", "-b", "Readers.",
                     env=env, cwd=cwd)  # fmt: skip
    assert made.returncode == 0, made.stderr
    info = json.loads(run_aimem("status", "--json", env=env, cwd=cwd).stdout)
    assert info["conflicts"] == []
    assert "conflicts" not in run_aimem("status", env=env, cwd=cwd).stdout

    wiki = info["wiki"]
    sibling = "decisions/use-wal.conflict-1a2b3c4d.md"
    Path(wiki, sibling).write_text(
        "---\ntitle: Use WAL\ntype: decision\nconflict_of: decisions/use-wal.md\n---\nWriters.\n"
    )
    git(wiki, "add", sibling)
    git(wiki, "commit", "-qm", "sync: merge laptop")
    info = json.loads(run_aimem("status", "--json", env=env, cwd=cwd).stdout)
    assert info["conflicts"] == [{"path": "decisions/use-wal.md", "sibling": sibling}]
    text = run_aimem("status", "--project", info["slug"], env=env, cwd="/").stdout
    assert "1 page(s) edited on two machines: decisions/use-wal.md" in " ".join(text.split())

    git(wiki, "rm", "-q", sibling)
    git(wiki, "commit", "-qm", "reconciled")
    assert json.loads(run_aimem("status", "--json", env=env, cwd=cwd).stdout)["conflicts"] == []
