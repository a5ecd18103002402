"""The wiki's git repository: one commit per write, no git config needed, clean for plain git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest

from aimem.wiki import repo as wikirepo
from aimem.wiki.repo import Change


@pytest.fixture
def bare_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME with no git config at all, and no system config either."""
    home = tmp_path / "empty-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def repo(tmp_path: Path, bare_home: Path) -> pygit2.Repository:
    return wikirepo.open_repo(str(tmp_path / "wiki"))


def git(repo: pygit2.Repository, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-C", repo.workdir, *args], capture_output=True, text=True, check=False
    )


def changes(repo: pygit2.Repository, old: str | None, new: str | None) -> set[tuple[str, str]]:
    found = [(c.status, c.path) for c in wikirepo.changed_paths(repo, old, new)]
    assert len(found) == len(set(found))
    return set(found)


def test_open_repo_creates_main_and_refuses_when_asked_not_to(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        wikirepo.open_repo(str(tmp_path / "none"), create=False)
    created = wikirepo.open_repo(str(tmp_path / "wiki"))
    assert created.head_is_unborn
    assert wikirepo.head_commit(created) is None
    assert wikirepo.commit_count(created) == 0
    assert wikirepo.read_file(created, "x.md") is None
    again = wikirepo.open_repo(str(tmp_path / "wiki"), create=False)
    assert Path(again.workdir).resolve() == (tmp_path / "wiki").resolve()


def test_first_commit_has_aimem_signature_without_git_config(repo: pygit2.Repository) -> None:
    sha = wikirepo.commit_files(repo, {"concepts/a.md": b"alpha\n"}, "first")
    assert sha is not None
    assert wikirepo.head_commit(repo) == sha
    commit = repo[sha]
    assert (commit.author.name, commit.author.email) == ("aimem", "aimem@localhost")
    assert (commit.committer.name, commit.committer.email) == ("aimem", "aimem@localhost")
    assert commit.message == "first"
    assert commit.parents == []
    assert repo.head.name == "refs/heads/main"
    log = git(repo, "log", "--format=%an <%ae>|%s")
    assert log.stdout.strip() == "aimem <aimem@localhost>|first"


def test_identical_content_adds_no_commit(repo: pygit2.Repository) -> None:
    first = wikirepo.commit_files(repo, {"a.md": b"one\n", "b/c.md": b"two\n"}, "one")
    assert wikirepo.commit_files(repo, {"a.md": b"one\n"}, "again") is None
    assert wikirepo.commit_files(repo, {}, "nothing") is None
    assert wikirepo.head_commit(repo) == first
    assert wikirepo.commit_count(repo) == 1


def test_deleting_with_none(repo: pygit2.Repository) -> None:
    wikirepo.commit_files(repo, {"a.md": b"one\n", "b/c.md": b"two\n"}, "add")
    second = wikirepo.commit_files(repo, {"b/c.md": None}, "delete")
    assert second is not None
    assert wikirepo.read_file(repo, "b/c.md") is None
    assert not Path(repo.workdir, "b", "c.md").exists()
    assert wikirepo.read_file(repo, "a.md") == b"one\n"
    # Deleting what is not there changes nothing.
    assert wikirepo.commit_files(repo, {"never.md": None}, "noop") is None
    assert wikirepo.commit_count(repo) == 2


def test_changed_paths_between_commits(repo: pygit2.Repository) -> None:
    c1 = wikirepo.commit_files(repo, {"a.md": b"a\n", "d/b.md": b"b\n", "gone.md": b"g\n"}, "1")
    c2 = wikirepo.commit_files(
        repo, {"a.md": b"a2\n", "gone.md": None, "new/deep/n.md": b"n\n"}, "2"
    )
    assert changes(repo, None, c1) == {("A", "a.md"), ("A", "d/b.md"), ("A", "gone.md")}
    assert changes(repo, c1, c2) == {("M", "a.md"), ("D", "gone.md"), ("A", "new/deep/n.md")}
    assert changes(repo, c2, c1) == {("M", "a.md"), ("A", "gone.md"), ("D", "new/deep/n.md")}
    assert all(isinstance(c, Change) for c in wikirepo.changed_paths(repo, c1, c2))
    assert wikirepo.changed_paths(repo, c2, c2) == []
    assert wikirepo.changed_paths(repo, c1, None) == []


def test_read_file_at_an_older_commit(repo: pygit2.Repository) -> None:
    c1 = wikirepo.commit_files(repo, {"p.md": b"v1\n"}, "1")
    c2 = wikirepo.commit_files(repo, {"p.md": b"v2\n"}, "2")
    c3 = wikirepo.commit_files(repo, {"p.md": None}, "3")
    assert wikirepo.read_file(repo, "p.md", c1) == b"v1\n"
    assert wikirepo.read_file(repo, "p.md", c2) == b"v2\n"
    assert wikirepo.read_file(repo, "p.md", c3) is None
    assert wikirepo.read_file(repo, "p.md") is None
    assert wikirepo.read_file(repo, "missing.md", c1) is None
    # A folder is not a file.
    wikirepo.commit_files(repo, {"dir/x.md": b"x\n"}, "4")
    assert wikirepo.read_file(repo, "dir") is None
    assert wikirepo.read_file(repo, "dir/x.md") == b"x\n"
    assert wikirepo.commit_count(repo) == 4
    assert [c.id for c in repo.walk(repo.head.target)][-1] == repo[c1].id


def test_plain_git_sees_a_clean_consistent_repo(repo: pygit2.Repository) -> None:
    wikirepo.commit_files(repo, {"sessions/2026-01/s.md": b"s\n", "index.md": b"i\n"}, "1")
    wikirepo.commit_files(repo, {"index.md": b"i2\n", "handoffs/h.md": b"h\n"}, "2")
    wikirepo.commit_files(repo, {"sessions/2026-01/s.md": None}, "3")
    fsck = git(repo, "fsck", "--strict")
    assert fsck.returncode == 0, fsck.stderr
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert status.returncode == 0 and status.stdout == ""
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "3"
    assert git(repo, "show", "HEAD:index.md").stdout == "i2\n"
    assert not list(Path(repo.workdir).rglob("*.tmp"))


def test_an_existing_work_tree_file_is_overwritten_and_staged(repo: pygit2.Repository) -> None:
    wikirepo.commit_files(repo, {"a.md": b"one\n"}, "1")
    Path(repo.workdir, "a.md").write_text("hand edit\n")
    sha = wikirepo.commit_files(repo, {"a.md": b"two\n"}, "2")
    assert sha is not None
    assert Path(repo.workdir, "a.md").read_bytes() == b"two\n"
    assert git(repo, "status", "--porcelain").stdout == ""


def test_changed_paths_file_and_folder_swaps_and_untouched_subtrees(
    repo: pygit2.Repository,
) -> None:
    base = {f"sessions/2026-{m:02d}/s{i}.md": f"{m}-{i}\n".encode() for m in (1, 2) for i in (1, 2)}
    c1 = wikirepo.commit_files(repo, {**base, "x": b"file\n", "notes/y.md": b"y\n"}, "1")
    # "x" becomes a folder and "notes" a file; one page deep in an untouched-looking shard moves.
    Path(repo.workdir, "x").unlink()
    repo.index.remove("x")
    repo.index.write()
    c2 = wikirepo.commit_files(
        repo,
        {"x/inner.md": b"i\n", "notes/y.md": None, "sessions/2026-02/s1.md": b"edited\n"},
        "2",
    )
    Path(repo.workdir, "notes").rmdir()
    c3 = wikirepo.commit_files(repo, {"notes": b"now a file\n"}, "3")
    assert changes(repo, c1, c2) == {
        ("D", "x"),
        ("A", "x/inner.md"),
        ("D", "notes/y.md"),
        ("M", "sessions/2026-02/s1.md"),
    }
    assert changes(repo, c2, c3) == {("A", "notes")}
    assert changes(repo, c1, c3) == changes(repo, c1, c2) | {("A", "notes")}
    # The same answer libgit2's full tree diff gives.
    for a, b in ((c1, c2), (c2, c3), (c3, c1)):
        diff = repo.diff(repo[a].peel(pygit2.Commit).tree, repo[b].peel(pygit2.Commit).tree)
        expected = {
            (d.status_char(), d.new_file.path if d.status_char() != "D" else d.old_file.path)
            for d in diff.deltas
        }
        assert changes(repo, a, b) == expected


def test_changed_paths_sees_a_mode_change(repo: pygit2.Repository) -> None:
    c1 = wikirepo.commit_files(repo, {"tools/run.sh": b"echo hi\n"}, "1")
    index = repo.index
    index.read()
    entry = index["tools/run.sh"]
    index.add(pygit2.IndexEntry(entry.path, entry.id, pygit2.GIT_FILEMODE_BLOB_EXECUTABLE))
    tree = index.write_tree()
    sig = pygit2.Signature(*wikirepo.SIGNATURE)
    c2 = str(repo.create_commit("HEAD", sig, sig, "chmod", tree, [repo.head.target]))
    assert changes(repo, c1, c2) == {("M", "tools/run.sh")}


def test_changed_paths_wide_change_goes_through_libgit2_with_the_same_answer(
    repo: pygit2.Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = wikirepo.WALK_BUDGET + 4
    c1 = wikirepo.commit_files(repo, {f"f{i:02d}/p.md": b"1\n" for i in range(folders)}, "1")
    c2 = wikirepo.commit_files(
        repo, {**{f"f{i:02d}/p.md": b"2\n" for i in range(folders)}, "f00/new.md": b"n\n"}, "2"
    )
    expected = {("M", f"f{i:02d}/p.md") for i in range(folders)} | {("A", "f00/new.md")}
    assert changes(repo, c1, c2) == expected
    walked: list[str] = []
    monkeypatch.setattr(wikirepo, "_libgit2_diff", lambda *a: walked.append("libgit2") or [])
    assert changes(repo, c1, c2) == set() and walked == ["libgit2"]  # the wide path was taken
    monkeypatch.setattr(wikirepo, "WALK_BUDGET", folders + 2)
    assert changes(repo, c1, c2) == expected and walked == ["libgit2"]  # walked in Python


def test_open_repo_creates_whole_repositories_only(tmp_path: Path) -> None:
    """The repository is initialised beside its place and renamed in, so a reader that sees
    ``.git`` never finds half a repository; a folder that already holds pages keeps them."""
    fresh = wikirepo.open_repo(str(tmp_path / "a" / "wiki"))
    assert Path(fresh.workdir).resolve() == (tmp_path / "a" / "wiki").resolve()
    existing = tmp_path / "b" / "wiki"
    existing.mkdir(parents=True)
    (existing / "notes.md").write_text("kept\n")
    repo = wikirepo.open_repo(str(existing))
    assert (existing / "notes.md").read_text() == "kept\n"
    assert repo.head_is_unborn and Path(repo.workdir).resolve() == existing.resolve()
    leftovers = [p.name for p in (tmp_path / "a").iterdir()] + [
        p.name for p in (tmp_path / "b").iterdir()
    ]
    assert leftovers == ["wiki", "wiki"]  # no staging folder left behind
    assert wikirepo.commit_files(repo, {"x.md": b"x\n"}, "first") is not None
