"""The memory transaction: staged page changes, one commit with the catalogue and the log, then
the index and the brief; nothing at all when the writer does not commit. Real git, real SQLite."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from aimem.index import fts
from aimem.memory.transaction import transaction
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import Page, parse

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
PACKAGE = Path(__file__).resolve().parents[2] / "aimem"


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    return ProjectPaths(str(tmp_path / "data" / "projects" / "proj-12345678"))


def page(path: str, title: str, kind: str = "decision", updated: str = "2026-01-01T00:00:00Z"):
    meta = {"title": title, "type": kind, "created": updated, "updated": updated}
    return Page(path, meta, f"# {title}\n\nBody of {title}.\n")


def head_files(paths: ProjectPaths) -> dict[str, str]:
    repo = wikirepo.open_repo(paths.wiki, create=False)
    tree = repo[wikirepo.head_commit(repo)].tree
    return {rel: repo[blob].data.decode() for rel, blob in wikirepo.iter_tree(repo, tree, "")}


def indexed_paths(paths: ProjectPaths) -> list[str]:
    conn = fts.connect(paths.index)
    try:
        return sorted(row[0] for row in conn.execute("SELECT path FROM pages"))
    finally:
        conn.close()


def commit_count(paths: ProjectPaths) -> int:
    return wikirepo.commit_count(wikirepo.open_repo(paths.wiki, create=False))


def brief(paths: ProjectPaths) -> str:
    return Path(paths.state, "brief.md").read_text()


def seed(paths: ProjectPaths) -> None:
    with transaction(paths, "proj", "test", now=NOW) as txn:
        txn.write(page("decisions/a.md", "Decision A"))
        txn.write(page("gotchas/b.md", "Gotcha B", "gotcha"))
        txn.log("test seeded a and b")
        txn.commit("test: seed\n")


def test_one_commit_holds_the_pages_the_catalogue_and_the_log(
    paths: ProjectPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIMEM_AUTHOR", "Ada Lovelace <ada@example.org>")
    monkeypatch.setenv("AIMEM_MACHINE", "laptop-1")
    with transaction(paths, "proj", "test", now=NOW) as txn:
        txn.write(page("decisions/a.md", "Decision A"))
        txn.log("test wrote decisions/a.md")
        done = txn.commit("test: write a\n")
    assert done.commit and commit_count(paths) == 1
    assert done.paths == ["decisions/a.md", "index.md", "log.md", "log/2026-01/2026-01-01.md"]
    files = head_files(paths)
    assert "[[decisions/a|Decision A]]" in files["index.md"]
    assert "- 2026-01-01T00:00:00Z test wrote decisions/a.md\n" in files["log.md"]
    assert "test wrote decisions/a.md" in files["log/2026-01/2026-01-01.md"]
    repo = wikirepo.open_repo(paths.wiki, create=False)
    head = repo[wikirepo.head_commit(repo)]
    assert head.message.startswith("test: write a\n\n")
    assert head.message.endswith("\nMachine: laptop-1\n")  # who learned what, and where
    author = f"{head.author.name} <{head.author.email}>"
    # An Author: trailer while commit_files takes no author (requests.md, PERF).
    assert author == "Ada Lovelace <ada@example.org>" or (
        "\nAuthor: Ada Lovelace <ada@example.org>\n" in head.message
    )
    assert indexed_paths(paths) == ["decisions/a.md"]  # the index followed the commit
    assert "Project memory: 1 pages (1 decisions)." in brief(paths)
    assert Path(paths.wiki, "decisions/a.md").read_text() == files["decisions/a.md"]


def test_move_and_delete_leave_the_catalogue_and_the_index(paths: ProjectPaths) -> None:
    seed(paths)
    with transaction(paths, "proj", "test", now=NOW + 60) as txn:
        moved = txn.read_page("decisions/a.md")
        assert moved is not None
        txn.move("decisions/a.md", Page("_archive/decisions/a.md", moved.meta, moved.body))
        txn.delete("gotchas/b.md")
        assert txn.changed() == ["_archive/decisions/a.md", "decisions/a.md", "gotchas/b.md"]
        txn.log("test archived a, dropped b")
        txn.commit("test: move and delete\n")
    files = head_files(paths)
    assert "decisions/a.md" not in files and "gotchas/b.md" not in files
    assert parse(files["_archive/decisions/a.md"], "x").title == "Decision A"
    assert "0 pages" in files["index.md"] and "[[" not in files["index.md"]
    assert indexed_paths(paths) == []  # archived pages are out of search
    assert "Project memory: 0 pages" in brief(paths)
    assert commit_count(paths) == 2


def test_reads_see_head_not_what_is_staged(paths: ProjectPaths) -> None:
    seed(paths)
    with transaction(paths, "proj", "test", now=NOW) as txn:
        before = txn.read("decisions/a.md")
        txn.write(page("decisions/a.md", "Decision A, renamed"))
        assert txn.read("decisions/a.md") == before
        assert txn.read_page("decisions/a.md").title == "Decision A"


def test_nothing_that_differs_from_head_commits_nothing(paths: ProjectPaths) -> None:
    seed(paths)
    os.remove(os.path.join(paths.state, "brief.md"))
    with transaction(paths, "proj", "test", now=NOW) as txn:
        txn.write(page("decisions/a.md", "Decision A"))  # the same bytes as at HEAD
        assert txn.changed() == []
        txn.log("test rewrote a")
        done = txn.commit("test: no-op\n")
    assert (done.commit, done.paths) == (None, [])
    assert commit_count(paths) == 1
    assert "test rewrote a" not in head_files(paths)["log.md"]  # no line for no change
    assert "2 pages" in brief(paths)  # the brief is brought up to date all the same


def test_leaving_without_commit_or_by_an_error_changes_nothing(paths: ProjectPaths) -> None:
    seed(paths)
    before = head_files(paths)
    with transaction(paths, "proj", "test", now=NOW) as txn:
        txn.write(page("decisions/c.md", "Decision C"))
    with pytest.raises(RuntimeError), transaction(paths, "proj", "test", now=NOW) as txn:
        txn.write(page("decisions/d.md", "Decision D"))
        raise RuntimeError("the writer failed")
    assert head_files(paths) == before and commit_count(paths) == 1
    FileLock(os.path.join(paths.state, "wiki.lock"), timeout=0.1).acquire()  # released


def test_one_writer_at_a_time(paths: ProjectPaths) -> None:
    seed(paths)
    with (
        FileLock(os.path.join(paths.state, "wiki.lock")),
        pytest.raises(Timeout),
        transaction(paths, "proj", "test", lock_timeout=0.1),
    ):
        pass


def test_without_a_wiki_and_create_false_nothing_is_made(paths: ProjectPaths) -> None:
    with pytest.raises(FileNotFoundError), transaction(paths, "proj", "test", create=False):
        pass
    assert not os.path.exists(paths.wiki)


def test_only_the_transaction_commits() -> None:
    """No writer repeats the commit sequence: ``commit_files`` is called from the transaction
    alone (and inside ``wiki/repo.py``, which defines it)."""
    callers = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "commit_files":
                    callers.append(str(path.relative_to(PACKAGE.parent)))
    assert sorted(set(callers)) == ["aimem/memory/transaction.py"]
