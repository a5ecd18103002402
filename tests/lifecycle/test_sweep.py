"""The decay sweep: what fades is archived in one commit, what is kept is kept, nothing is lost."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from aimem.capture import state
from aimem.index import fts
from aimem.lifecycle.sweep import ARCHIVE_BELOW, DROP_AFTER_DAYS, sweep, unarchive
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.read import PageNotFound

DAY = 86400.0
NOW = 1_800_000_000.0  # 2027-01-15


def page(kind: str, title: str, updated: str, **extra: object) -> bytes:
    meta = "".join(f"{k}: {v}\n" for k, v in extra.items())
    head = f"---\ntitle: {title}\ntype: {kind}\nupdated: '{updated}'\n{meta}---\n"
    return f"{head}{title} body\n".encode()


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    paths = ProjectPaths(str(tmp_path / "proj"))
    repo = wikirepo.open_repo(paths.wiki)
    wikirepo.commit_files(
        repo,
        {
            # 2026-06: ~230 days before NOW: 0.5·e^(−4.6) ≈ 0.005, far below the threshold
            "sessions/2026-06/old.md": page("session", "Old session", "2026-06-01"),
            "decisions/old-but-pinned.md": page("decision", "Pinned", "2026-06-01", pinned="true"),
            "_rules/tabs.md": page("rule", "Tabs", "2020-01-01"),
            "handoffs/2026-06/offered.md": page("handoff", "Offered", "2026-06-01"),
            "concepts/old-but-salient.md": page("concept", "Salient", "2026-12-20", salience=1.0),
            "concepts/fresh.md": page("concept", "Fresh", "2027-01-10"),
            "gotchas/old-but-read.md": page("gotcha", "Read often", "2026-06-01"),
            "index.md": b"# catalogue\n",
            "log.md": b"# Log\n\n",
        },
        "seed",
    )
    state.write_json_atomic(
        state.handoff_path(paths.state),
        {"path": "handoffs/2026-06/offered.md", "status": "offered"},
    )
    from aimem.index.sync import sync_index

    sync_index(paths.index, paths.wiki)
    conn = fts.connect(paths.index)
    conn.execute(
        "UPDATE pages SET hits = 5, last_access = ? WHERE path = 'gotchas/old-but-read.md'",
        (NOW - 2 * DAY,),
    )
    conn.close()
    return paths


def tree(paths: ProjectPaths) -> set[str]:
    repo = wikirepo.open_repo(paths.wiki)
    head = repo[wikirepo.head_commit(repo)]
    return {path for path, _ in wikirepo.iter_tree(repo, head.tree)}


def indexed(paths: ProjectPaths) -> set[str]:
    conn = fts.connect(paths.index)
    try:
        return {e.path for e in fts.list_entries(conn)}
    finally:
        conn.close()


def test_dry_run_reports_and_changes_nothing(paths: ProjectPaths) -> None:
    before = tree(paths), wikirepo.commit_count(wikirepo.open_repo(paths.wiki))
    result = sweep(paths, "proj", now=NOW, dry_run=True)
    assert [f.path for f in result.archived] == ["sessions/2026-06/old.md"]
    assert result.archived[0].retention < ARCHIVE_BELOW and result.commit is None
    assert (tree(paths), wikirepo.commit_count(wikirepo.open_repo(paths.wiki))) == before


def test_sweep_archives_only_what_faded_in_one_commit(paths: ProjectPaths) -> None:
    commits = wikirepo.commit_count(wikirepo.open_repo(paths.wiki))
    result = sweep(paths, "proj", now=NOW)
    assert [f.path for f in result.archived] == ["sessions/2026-06/old.md"]
    assert result.commit is not None
    assert wikirepo.commit_count(wikirepo.open_repo(paths.wiki)) == commits + 1
    files = tree(paths)
    assert "sessions/2026-06/old.md" not in files
    assert "_archive/sessions/2026-06/old.md" in files
    kept = {
        "decisions/old-but-pinned.md",  # pinned
        "_rules/tabs.md",  # a rule
        "handoffs/2026-06/offered.md",  # the handoff on offer
        "concepts/old-but-salient.md",
        "concepts/fresh.md",
        "gotchas/old-but-read.md",  # reads reinforce
    }
    assert kept <= files and kept == indexed(paths)
    archived = Path(paths.wiki, "_archive/sessions/2026-06/old.md").read_text()
    assert "archived:" in archived and "Old session body" in archived
    assert "old.md" not in Path(paths.wiki, "index.md").read_text()
    assert "sweep archived sessions/2026-06/old.md" in Path(paths.wiki, "log.md").read_text()
    assert "Old session" not in Path(paths.state, "brief.md").read_text()
    # git keeps everything, and plain git sees a clean, consistent repository
    fsck = subprocess.run(["git", "-C", paths.wiki, "fsck", "--strict"], capture_output=True)
    status = subprocess.run(
        ["git", "-C", paths.wiki, "status", "--porcelain"], capture_output=True, text=True
    )
    assert fsck.returncode == 0 and status.stdout == ""
    # a second sweep the same day has nothing to do and commits nothing
    again = sweep(paths, "proj", now=NOW)
    assert again.archived == [] and again.dropped == [] and again.commit is None


def test_archived_pages_are_dropped_after_the_grace_period(paths: ProjectPaths) -> None:
    sweep(paths, "proj", now=NOW)
    early = sweep(paths, "proj", now=NOW + (DROP_AFTER_DAYS - 1) * DAY)
    assert "_archive/sessions/2026-06/old.md" not in early.dropped
    late = sweep(paths, "proj", now=NOW + (DROP_AFTER_DAYS + 1) * DAY, dry_run=True)
    assert late.dropped == ["_archive/sessions/2026-06/old.md"]
    done = sweep(paths, "proj", now=NOW + (DROP_AFTER_DAYS + 1) * DAY)
    assert "_archive/sessions/2026-06/old.md" in done.dropped
    assert "_archive/sessions/2026-06/old.md" not in tree(paths)
    shown = subprocess.run(  # still in history
        ["git", "-C", paths.wiki, "log", "--all", "--format=%s", "--", "_archive/"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert "sweep: archive 1, drop 0" in shown.stdout


def test_an_archived_page_without_a_date_is_never_dropped(paths: ProjectPaths) -> None:
    repo = wikirepo.open_repo(paths.wiki)
    wikirepo.commit_files(repo, {"_archive/by-hand.md": b"# moved here by hand\n"}, "by hand")
    assert sweep(paths, "proj", now=NOW + 10_000 * DAY, dry_run=True).dropped == []


def test_unarchive_brings_a_page_back_with_a_fresh_lease(paths: ProjectPaths) -> None:
    sweep(paths, "proj", now=NOW)
    assert unarchive(paths, "proj", "_archive/sessions/2026-06/old", now=NOW) == (
        "sessions/2026-06/old.md"
    )
    files = tree(paths)
    assert "sessions/2026-06/old.md" in files and "_archive/sessions/2026-06/old.md" not in files
    text = Path(paths.wiki, "sessions/2026-06/old.md").read_text()
    assert "archived:" not in text and "Old session body" in text
    assert "sessions/2026-06/old.md" in indexed(paths)
    assert sweep(paths, "proj", now=NOW + DAY, dry_run=True).archived == []
    with pytest.raises(PageNotFound):
        unarchive(paths, "proj", "sessions/2026-06/old.md", now=NOW)


def test_unarchive_refuses_to_overwrite_a_newer_page(paths: ProjectPaths) -> None:
    sweep(paths, "proj", now=NOW)
    repo = wikirepo.open_repo(paths.wiki)
    wikirepo.commit_files(
        repo, {"sessions/2026-06/old.md": page("session", "New", "2027-01-15")}, "rewritten"
    )
    with pytest.raises(FileExistsError):
        unarchive(paths, "proj", "sessions/2026-06/old.md", now=NOW)
    assert "_archive/sessions/2026-06/old.md" in tree(paths)


def test_a_project_without_a_wiki_has_nothing_to_sweep(tmp_path: Path) -> None:
    result = sweep(ProjectPaths(str(tmp_path / "none")), "none", now=NOW)
    assert result.archived == [] and result.dropped == [] and result.commit is None


def test_a_handoff_offered_in_the_wiki_is_kept_when_the_state_lost_it(
    paths: ProjectPaths,
) -> None:
    """Issue 10, defect 10: a consolidation killed before its state write leaves
    ``state/handoff.json`` pointing elsewhere; the page the wiki says is offered stays."""
    repo = wikirepo.open_repo(paths.wiki)
    wikirepo.commit_files(
        repo,
        {"handoffs/2026-07/current.md": page("handoff", "Current", "2026-07-01", status="offered")},
        "the offer whose state write was lost",
    )
    from aimem.index.sync import sync_index

    sync_index(paths.index, paths.wiki)
    result = sweep(paths, "proj", now=NOW)
    assert "handoffs/2026-07/current.md" not in {f.path for f in result.archived}
    assert "handoffs/2026-07/current.md" in tree(paths)
