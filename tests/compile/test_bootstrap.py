"""Zero-LLM bootstrap from a real repository (git history included)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from compile.conftest import PLANTED

from aimem.compile.bootstrap import bootstrap, plan
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import parse


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


def make_repo(root: Path) -> Path:
    repo = root / "shop"
    (repo / "docs" / "adr").mkdir(parents=True)
    (repo / "README.md").write_text(
        "# Shop\n\nA tiny shop: carts, refunds, money in integer cents.\n\n"
        "## Install\n\npip install shop\n"
    )
    (repo / "CLAUDE.md").write_text(f"Run `make test` before committing.\nAPI key: {PLANTED}\n")
    (repo / "docs" / "adr" / "0001-integer-cents.md").write_text(
        "# 1. Money is integer cents\n\nFloats lost cents in refunds.\n"
    )
    (repo / "docs" / "adr" / "README.md").write_text("ADR index\n")
    os.symlink("/etc/passwd", repo / "AGENTS.md")  # a symlink is never read
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    (repo / "cache.py").write_text("CACHE = True\n")
    git(repo, "add", "cache.py")
    git(repo, "commit", "-qm", "Add a response cache")
    git(repo, "revert", "--no-edit", "HEAD")
    return repo


def test_a_repository_becomes_linked_pages_in_one_commit_and_a_second_run_changes_nothing(
    paths, tmp_path
):
    repo = make_repo(tmp_path)

    result = bootstrap(paths, "shop", str(repo))

    assert sorted(result.written) == [
        "_rules/agent-instructions-from-claude-md.md",
        "concepts/shop-overview.md",
        "decisions/1-money-is-integer-cents.md",
        "gotchas/reverted-add-a-response-cache.md",
    ]
    wiki = Path(paths.wiki)
    rules = "_rules/agent-instructions-from-claude-md.md"
    rule = parse((wiki / rules).read_text(), rules)
    assert rule.meta["status"] == "accepted" and rule.meta["author"] == "human"
    assert "make test" in rule.body and PLANTED not in (wiki / rules).read_text()
    overview = (wiki / "concepts/shop-overview.md").read_text()
    assert "integer cents" in overview and "pip install" not in overview
    gotcha = parse((wiki / "gotchas/reverted-add-a-response-cache.md").read_text(), "g")
    assert gotcha.meta["confidence"] == "low" and len(gotcha.meta["source"]) == 40
    decision = parse((wiki / "decisions/1-money-is-integer-cents.md").read_text(), "d")
    assert decision.meta["source"] == "docs/adr/0001-integer-cents.md"
    commits = wikirepo.commit_count(wikirepo.open_repo(paths.wiki, create=False))

    again = bootstrap(paths, "shop", str(repo))

    assert again.written == [] and again.commit is None and len(again.kept) == 4
    assert wikirepo.commit_count(wikirepo.open_repo(paths.wiki, create=False)) == commits


def test_dry_run_writes_nothing(paths, tmp_path):
    repo = make_repo(tmp_path)
    result = bootstrap(paths, "shop", str(repo), dry_run=True)
    assert len(result.written) == 4 and result.commit is None
    assert not Path(paths.wiki).exists()


def test_a_folder_without_git_or_files_plans_nothing(tmp_path):
    assert plan(str(tmp_path), "empty") == []
