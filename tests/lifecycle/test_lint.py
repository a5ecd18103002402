"""Lint: every kind of issue, found read-only; a clean wiki has none."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from aimem.capture import state
from aimem.index.sync import sync_index
from aimem.lifecycle.lint import KINDS, lint
from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    paths = ProjectPaths(str(tmp_path / "proj"))
    write_page(paths, "proj", PageWrite("decision", "Use WAL", "See [[lock-order]]."))
    write_page(paths, "proj", PageWrite("gotcha", "Lock order", "Back to [[use-wal]]."))
    return paths


def kinds(paths: ProjectPaths, **kw) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for issue in lint(paths, **kw).issues:
        out.setdefault(issue.kind, []).append((issue.path, issue.detail))
    return out


def test_a_linked_wiki_is_clean(paths: ProjectPaths) -> None:
    report = lint(paths)
    assert report.issues == [] and report.pages == 2
    assert report.counts() == {kind: 0 for kind in KINDS}


def test_every_problem_is_reported(paths: ProjectPaths) -> None:
    repo = wikirepo.open_repo(paths.wiki)
    offered = "---\ntitle: Old handoff\ntype: handoff\nstatus: offered\n---\nx\n"
    wikirepo.commit_files(
        repo,
        {
            "notes.md": b"# No front matter\n\n[[missing-page]]\n",
            "concepts/bad.md": b"---\ntitle: Bad\ntype: essay\n---\ntext\n",
            "concepts/lonely.md": b"---\ntitle: Lonely\ntype: concept\n---\nalone\n",
            "handoffs/2026-01/old.md": offered.encode(),
        },
        "by hand",
    )  # committed without syncing the index: drift
    state.write_json_atomic(
        state.handoff_path(paths.state),
        {"path": "handoffs/2026-01/new.md", "status": "offered", "created_ts": time.time() - 9e5},
    )
    os.makedirs(paths.raw)
    Path(paths.journal("never-done")).write_text('{"v":1}\n')
    before = sorted(os.listdir(paths.base)), Path(paths.state, "handoff.json").read_text()

    found = kinds(paths, max_offer_age_days=7)
    assert ("notes.md", "no front matter") in found["missing_front_matter"]
    assert any(p == "concepts/bad.md" and "essay" in d for p, d in found["missing_front_matter"])
    assert found["broken_link"] == [("notes.md", "[[missing-page]] matches no page")]
    orphans = {p for p, _ in found["orphan_page"]}
    assert orphans == {"concepts/lonely.md", "concepts/bad.md", "notes.md"}
    stale = {p for p, _ in found["stale_offer"]}
    assert stale == {"handoffs/2026-01/new.md", "handoffs/2026-01/old.md"}
    assert found["index_drift"][0][0] == "index.sqlite"
    assert found["unconsolidated_journal"][0][0] == "raw/never-done.jsonl"
    assert "never consolidated" in found["unconsolidated_journal"][0][1]
    # Read-only: nothing changed, the offer was not expired, the index not synced.
    after = sorted(os.listdir(paths.base)), Path(paths.state, "handoff.json").read_text()
    assert before == after
    assert "index_drift" in kinds(paths)
    sync_index(paths.index, paths.wiki)
    assert "index_drift" not in kinds(paths)


def test_severity_and_counts(paths: ProjectPaths) -> None:
    repo = wikirepo.open_repo(paths.wiki)
    wikirepo.commit_files(repo, {"concepts/x.md": b"[[nope]]\n"}, "x")
    report = lint(paths)
    assert report.errors == 3  # no front matter, broken link, index drift
    assert report.warnings == 1  # orphan
    assert report.counts()["broken_link"] == 1
    assert {i.as_dict()["severity"] for i in report.issues} == {"error", "warning"}


def test_missing_wiki_is_not_an_error(tmp_path: Path) -> None:
    assert lint(ProjectPaths(str(tmp_path / "nothing"))).issues == []


def test_read_only_lint_changes_no_byte_of_a_damaged_index(paths: ProjectPaths) -> None:
    """The web view lints with ``read_only=True``: a damaged index is reported as drift and left
    exactly as it was (the default lint would set it aside and rebuild it)."""
    assert "index_drift" not in kinds(paths, read_only=True)
    Path(paths.index).write_bytes(b"not a database at all")
    for extra in ("-wal", "-shm"):
        if os.path.exists(paths.index + extra):
            os.remove(paths.index + extra)
    before = sorted(os.listdir(paths.base)), Path(paths.index).read_bytes()

    found = kinds(paths, read_only=True)

    assert found["index_drift"][0][0] == "index.sqlite"
    assert (sorted(os.listdir(paths.base)), Path(paths.index).read_bytes()) == before
    assert "index_drift" not in kinds(paths)  # the default lint repairs it
    assert "index_drift" not in kinds(paths, read_only=True)


def test_proposed_rules_and_contradictions_are_listed_until_resolved(paths: ProjectPaths) -> None:
    from aimem.compile.rules import decide
    from aimem.memory.transaction import transaction
    from aimem.wiki.pages import Page

    rule = "_rules/always-run-the-rounding-tests.md"
    with transaction(paths, "proj", "test") as txn:
        txn.write(
            Page(
                rule,
                {"title": "Rounding tests", "type": "rule", "status": "proposed", "origin": "llm"},
                "See [[use-wal]].\n",
            )
        )
        old = {"title": "Floats", "type": "decision", "contradicts": ["decisions/cents.md"]}
        new = {"title": "Cents", "type": "decision", "contradicts": ["decisions/floats.md"]}
        txn.write(Page("decisions/floats.md", old, "Money as floats. [[cents]]\n"))
        txn.write(Page("decisions/cents.md", new, "Money as integer cents. [[floats]]\n"))
        txn.commit("review fixtures\n")

    found = kinds(paths)
    assert found["proposed_rule"] == [
        (rule, f"proposed by llm: accept or reject it with `aimem rules accept|reject {rule}`")
    ]
    assert [p for p, _ in found["contradiction"]] == ["decisions/cents.md"]
    assert "decisions/floats.md" in found["contradiction"][0][1]
    assert lint(paths).errors == 0  # things to decide, not breakage

    decide(paths, "proj", rule, "rejected")
    with transaction(paths, "proj", "test") as txn:
        page = txn.read_page("decisions/floats.md")
        page.meta["status"] = "superseded"
        txn.write(page)
        txn.commit("floats superseded\n")
    found = kinds(paths)
    assert "proposed_rule" not in found and "contradiction" not in found
