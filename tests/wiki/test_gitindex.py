"""The wiki's ``.git/index``, spliced per commit: what libgit2 would write, clean for plain git."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pygit2
import pytest

from aimem.wiki import gitindex
from aimem.wiki import repo as wikirepo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pygit2.Repository:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return wikirepo.open_repo(str(tmp_path / "wiki"))


def git(repo: pygit2.Repository, *args: str) -> str:
    done = subprocess.run(["git", "-C", repo.workdir, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def libgit2_index(repo: pygit2.Repository, tmp: Path) -> bytes:
    """The index libgit2 writes for HEAD's files, entry by entry (no stat data, no extension)."""
    (tmp / "libgit2-index").unlink(missing_ok=True)
    index = pygit2.Index(str(tmp / "libgit2-index"))
    tree = repo[repo.head.target].peel(pygit2.Commit).tree
    for path, oid in wikirepo.iter_tree(repo, tree):
        index.add(pygit2.IndexEntry(path, oid, tree[path].filemode))
    index.write()
    return (tmp / "libgit2-index").read_bytes()


def assert_clean(repo: pygit2.Repository) -> None:
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    listed = {line.split("\t")[1] for line in git(repo, "ls-files", "-s").splitlines()}
    assert listed == set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines())


def test_each_commit_splices_exactly_what_libgit2_would_write(
    repo: pygit2.Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []
    real = gitindex.update
    monkeypatch.setattr(gitindex, "update", lambda *a: calls.append(real(*a)) or calls[-1])
    rng = random.Random(7)
    live: set[str] = set()
    for n in range(40):
        changes: dict[str, bytes | None] = {}
        for _ in range(rng.randrange(1, 6)):
            folder = rng.choice(["", "sessions/2026-01/", "sessions/2026-02/", "log/x/", "é/"])
            name = rng.choice(["a", "b", "c", "long-" + "x" * 180])
            path = f"{folder}{name}{rng.randrange(9)}.md"
            changes[path] = f"{n} {path}\n".encode()
        for path in rng.sample(sorted(live), min(len(live), rng.randrange(3))):
            changes[path] = None
        wikirepo.commit_files(repo, changes, f"commit {n}")
        live = (live | {p for p, v in changes.items() if v is not None}) - {
            p for p, v in changes.items() if v is None
        }
        assert Path(repo.path, "index").read_bytes() == libgit2_index(repo, tmp_path)
    assert calls[0] is False and all(calls[1:])  # the first commit had no index to splice
    assert_clean(repo)
    assert len(pygit2.Index(str(Path(repo.path, "index")))) == len(live)


def test_an_index_rewritten_by_git_is_read_again_and_a_staged_file_kept(
    repo: pygit2.Repository,
) -> None:
    wikirepo.commit_files(repo, {"a.md": b"1\n", "d/b.md": b"1\n"}, "1")
    wikirepo.commit_files(repo, {"a.md": b"2\n"}, "2")
    Path(repo.workdir, "notes.md").write_text("mine\n")
    git(repo, "add", "notes.md")  # git rewrites the index: stat data, its own extensions
    git(repo, "status")
    wikirepo.commit_files(repo, {"d/b.md": b"2\n", "d/c.md": b"new\n"}, "3")
    assert git(repo, "status", "--porcelain") == "A  notes.md\n"
    assert "notes.md" not in git(repo, "ls-tree", "-r", "--name-only", "HEAD")


def test_a_damaged_or_stale_side_file_is_ignored(repo: pygit2.Repository) -> None:
    wikirepo.commit_files(repo, {"a.md": b"1\n"}, "1")
    wikirepo.commit_files(repo, {"b.md": b"1\n"}, "2")
    side = Path(repo.path, gitindex.SIDE_FILE)
    index = Path(repo.path, "index").read_bytes()
    side.write_bytes(index[-20:] + b"\x07" * 12)  # this index's checksum, nonsense offsets
    wikirepo.commit_files(repo, {"c.md": b"1\n"}, "3")
    side.write_bytes(b"garbage")
    wikirepo.commit_files(repo, {"a.md": b"2\n", "z/d.md": b"1\n"}, "4")
    assert_clean(repo)


def test_what_it_does_not_edit_is_left_to_libgit2(repo: pygit2.Repository) -> None:
    wikirepo.commit_files(repo, {"a.md": b"1\n", "x": b"a file\n"}, "1")
    # A file that becomes a folder: libgit2 drops the file's entry when it adds the one below.
    Path(repo.workdir, "x").unlink()
    assert not gitindex.update(repo.path, {"x/inner.md": (b"\x01" * 20, 0o100644)})
    wikirepo.commit_files(repo, {"x": None, "x/inner.md": b"inner\n"}, "2")
    assert_clean(repo)
    # An index version this module does not write.
    git(repo, "update-index", "--index-version", "4")
    assert not gitindex.update(repo.path, {"a.md": (b"\x01" * 20, 0o100644)})
    wikirepo.commit_files(repo, {"a.md": b"2\n"}, "3")
    assert_clean(repo)
    # No index at all.
    Path(repo.path, "index").unlink()
    assert not gitindex.update(repo.path, {"a.md": (b"\x01" * 20, 0o100644)})


def test_an_index_lock_held_by_someone_else_is_not_overwritten(repo: pygit2.Repository) -> None:
    wikirepo.commit_files(repo, {"a.md": b"1\n"}, "1")
    before = Path(repo.path, "index").read_bytes()
    Path(repo.path, "index.lock").write_bytes(b"a person's git is writing")
    with pytest.raises(FileExistsError):
        gitindex.update(repo.path, {"b.md": (b"\x01" * 20, 0o100644)})
    assert Path(repo.path, "index").read_bytes() == before
    assert Path(repo.path, "index.lock").read_bytes() == b"a person's git is writing"
