"""``aimem sweep`` and ``aimem unarchive`` through the installed executable."""

from __future__ import annotations

import json
from pathlib import Path

from replay import CLAUDE_SESSION, claude_session, run_aimem

from aimem.capture import state
from aimem.project import paths_for
from aimem.wiki import repo as wikirepo

OLD = b"---\ntitle: Ancient notes\ntype: concept\nupdated: '2020-01-01'\n---\nlong forgotten\n"


def seed(env: dict, project: Path, home: Path) -> str:
    made = run_aimem(
        "write-page", "-t", "decision", "--title", "Use WAL", "--body", "Readers never block.",
        env=env, cwd=str(project),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    slug = json.loads(run_aimem("status", "--json", env=env, cwd=str(project)).stdout)["slug"]
    wiki = paths_for(str(home), slug).wiki
    wikirepo.commit_files(wikirepo.open_repo(wiki), {"concepts/ancient.md": OLD}, "by hand")
    return slug


def test_sweep_dry_run_then_sweep_then_unarchive(env: dict, project: Path, home: Path) -> None:
    slug = seed(env, project, home)
    cwd = str(project)
    dry = run_aimem("sweep", "--dry-run", env=env, cwd=cwd)
    assert dry.returncode == 0, dry.stderr
    assert f"{slug}: would archive concepts/ancient.md" in dry.stdout
    assert "ancient" in run_aimem("search", "forgotten", env=env, cwd=cwd).stdout

    done = run_aimem("sweep", "--json", env=env, cwd=cwd)
    result = json.loads(done.stdout)
    assert [a["path"] for a in result["archived"]] == ["concepts/ancient.md"]
    assert result["commit"] and result["project"] == slug
    found = json.loads(run_aimem("search", "forgotten", "--json", env=env, cwd=cwd).stdout)
    assert found == []  # archived: out of search
    kept = json.loads(run_aimem("search", "readers", "--json", env=env, cwd=cwd).stdout)
    assert [h["path"] for h in kept] == ["decisions/use-wal.md"]

    every = run_aimem("sweep", "--all", "--json", env=env, cwd="/")
    assert json.loads(every.stdout) == [
        {
            "project": slug,
            "consolidated": [],
            "archived": [],
            "dropped": [],
            "commit": None,
            "dry_run": False,
        }
    ]

    back = run_aimem("unarchive", "concepts/ancient", env=env, cwd=cwd)
    assert back.returncode == 0 and back.stdout.strip() == "unarchived concepts/ancient.md"
    assert "ancient" in run_aimem("search", "forgotten", env=env, cwd=cwd).stdout
    missing = run_aimem("unarchive", "concepts/ancient", env=env, cwd=cwd)
    assert missing.returncode == 1
    assert (
        missing.stderr.strip() == "aimem: error: no archived page at _archive/concepts/ancient.md"
    )


def test_sweep_errors_are_one_line(env: dict, project: Path, home: Path) -> None:
    seed(env, project, home)
    both = run_aimem("sweep", "--all", "--project", "x", env=env, cwd=str(project))
    assert both.returncode == 1 and both.stderr.strip() == (
        "aimem: error: pass --project or --all, not both"
    )
    bad = run_aimem("unarchive", "../../etc/passwd", env=env, cwd=str(project))
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "unsafe page path" in bad.stderr


def test_sweep_consolidates_a_session_whose_consolidation_died(
    env: dict, project: Path, home: Path
) -> None:
    """The SessionEnd hook's consolidation was killed: the session is ended, not in the wiki.
    The daily sweep recovers it (DESIGN section 7: stale-session recovery)."""
    cwd = str(project)
    claude_session(cwd, "died-0001", "Fix the importer", env, CLAUDE_SESSION[:-1])
    slug = json.loads(run_aimem("status", "--json", env=env, cwd=cwd).stdout)["slug"]
    paths = paths_for(str(home), slug)
    state.update_session(paths.state, "died-0001", status="ended", ended_ts=1.0)

    dry = run_aimem("sweep", "--dry-run", env=env, cwd=cwd)
    assert f"{slug}: would consolidate session died-0001" in dry.stdout
    done = json.loads(run_aimem("sweep", "--json", env=env, cwd=cwd).stdout)
    assert done["consolidated"] == ["died-0001"]
    assert state.sessions(paths.state)["died-0001"]["status"] == "consolidated"
    again = json.loads(run_aimem("sweep", "--json", env=env, cwd=cwd).stdout)
    assert again["consolidated"] == []
