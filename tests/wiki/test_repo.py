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
    assert changes(repo, c1, c2) == expected  # from the commit's record
    Path(repo.path, wikirepo.CHANGES).unlink()  # without it: the trees are compared
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


# --- Crash recovery and symlinks (issue 10, defects 4, 9, 10) ---------------------------------


def fsck_clean(repo: pygit2.Repository) -> None:
    done = git(repo, "fsck", "--no-dangling", "--strict")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "lock", ["index.lock", "refs/heads/main.lock", "HEAD.lock", "packed-refs.lock", "config.lock"]
)
def test_a_stale_git_lock_left_by_a_crash_does_not_block_the_next_commit(
    repo: pygit2.Repository, lock: str, caplog: pytest.LogCaptureFixture
) -> None:
    wikirepo.commit_files(repo, {"a.md": b"one\n"}, "one")
    stale = Path(repo.path, lock)
    stale.write_bytes(b"")
    with caplog.at_level("WARNING", logger="aimem.wiki"):
        sha = wikirepo.commit_files(repo, {"a.md": b"two\n"}, "two")
    assert sha is not None and wikirepo.head_commit(repo) == sha
    assert not stale.exists()
    assert any(lock in r.getMessage() for r in caplog.records)
    assert git(repo, "status", "--porcelain").stdout == ""
    fsck_clean(repo)


def test_changes_staged_by_a_killed_writer_are_not_carried_into_the_next_commit(
    repo: pygit2.Repository,
) -> None:
    wikirepo.commit_files(repo, {"a.md": b"one\n"}, "one")
    # What an older aimem killed between staging and committing left behind.
    Path(repo.workdir, "sessions").mkdir()
    Path(repo.workdir, "sessions", "half.md").write_bytes(b"staged by a killed run\n")
    index = repo.index
    index.read()
    index.add("sessions/half.md")
    index.write()
    sha = wikirepo.commit_files(repo, {"b.md": b"two\n"}, "two")
    assert {c.path for c in wikirepo.changed_paths(repo, repo[sha].parents[0].id, sha)} == {"b.md"}
    assert wikirepo.read_file(repo, "sessions/half.md") is None


def test_a_symlinked_folder_is_never_written_through(
    repo: pygit2.Repository, tmp_path: Path
) -> None:
    wikirepo.commit_files(repo, {"a.md": b"one\n"}, "one")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Path(repo.workdir, "gotchas").symlink_to(elsewhere)
    wikirepo.commit_files(repo, {"gotchas/x.md": b"page\n"}, "two")
    assert list(elsewhere.iterdir()) == []
    folder = Path(repo.workdir, "gotchas")
    assert not folder.is_symlink() and folder.is_dir()
    assert (folder / "x.md").read_bytes() == b"page\n"
    assert git(repo, "status", "--porcelain").stdout == ""


@pytest.mark.parametrize("name", ["index.md", "log.md"])
def test_a_symlink_at_a_temporary_or_final_name_is_not_followed(
    repo: pygit2.Repository, tmp_path: Path, name: str
) -> None:
    wikirepo.commit_files(repo, {name: b"one\n"}, "one")
    victim_tmp = tmp_path / "victim-tmp"
    victim_tmp.write_bytes(b"precious\n")
    Path(repo.workdir, name + ".tmp").symlink_to(victim_tmp)
    wikirepo.commit_files(repo, {name: b"two\n"}, "two")
    assert victim_tmp.read_bytes() == b"precious\n"
    final = Path(repo.workdir, name)
    assert not final.is_symlink() and final.read_bytes() == b"two\n"
    assert not Path(repo.workdir, name + ".tmp").is_symlink()

    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    final.unlink()
    final.symlink_to(victim)
    wikirepo.commit_files(repo, {name: b"three\n"}, "three")
    assert victim.read_bytes() == b"precious\n"
    assert not final.is_symlink() and final.read_bytes() == b"three\n"


def test_a_symlink_committed_into_the_wiki_is_never_checked_out_as_one(
    repo: pygit2.Repository, tmp_path: Path
) -> None:
    wikirepo.commit_files(repo, {"a.md": b"one\n"}, "one")
    # Someone else's machine commits a symlink and it arrives with a pull.
    head = repo[wikirepo.head_commit(repo)]
    builder = repo.TreeBuilder(head.tree)
    builder.insert("evil.md", repo.create_blob(str(tmp_path / "secret")), pygit2.GIT_FILEMODE_LINK)
    sig = pygit2.Signature("x", "x@x")
    repo.create_commit("HEAD", sig, sig, "pushed", builder.write(), [head.id])
    wikirepo.commit_files(repo, {"b.md": b"two\n"}, "two")
    tree = repo[wikirepo.head_commit(repo)].peel(pygit2.Commit).tree
    assert tree["evil.md"].filemode == pygit2.GIT_FILEMODE_LINK  # kept in history, as it came
    assert wikirepo.read_file(repo, "evil.md") is None  # but never read as a page
    reset = git(repo, "reset", "--hard", "-q")
    assert reset.returncode == 0, reset.stderr
    assert Path(repo.workdir, "evil.md").exists()
    assert not Path(repo.workdir, "evil.md").is_symlink()


def test_temporary_files_left_by_a_killed_writer_are_removed(repo: pygit2.Repository) -> None:
    wikirepo.commit_files(repo, {"decisions/a.md": b"one\n"}, "one")
    Path(repo.path, "aimem-tmp").mkdir(exist_ok=True)
    leftovers = [
        Path(repo.workdir, "index.md.tmp"),
        Path(repo.workdir, "decisions/a.md.tmp"),
        Path(repo.path, "aimem-tmp", "a.md.1234.tmp"),
    ]
    for path in leftovers:
        path.write_bytes(b"half")
    wikirepo.commit_files(repo, {"decisions/a.md": b"two\n", "index.md": b"i\n"}, "two")
    assert [p for p in leftovers if p.exists()] == []
    assert git(repo, "status", "--porcelain", "--ignored").stdout == ""


@pytest.mark.parametrize(
    "point", ["commit.before-ref", "commit.after-ref", "worktree.file#2", "worktree.index"]
)
def test_a_writer_killed_mid_commit_is_finished_or_undone_by_the_next_one(
    repo: pygit2.Repository, point: str
) -> None:
    import os
    import sys

    first = wikirepo.commit_files(repo, {"a.md": b"one\n", "old.md": b"gone soon\n"}, "one")
    script = (
        "import sys; from aimem.wiki import repo as r; "
        "r.commit_files(r.open_repo(sys.argv[1]), "
        "{'a.md': b'two\\n', 'd/b.md': b'new\\n', 'd/c.md': b'c\\n', 'old.md': None}, 'killed')"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script, repo.workdir],
        env={**os.environ, "AIMEM_TEST_KILL_AT": point},
        capture_output=True,
    )
    assert killed.returncode == -9, killed.stderr
    repo = wikirepo.open_repo(repo.workdir)
    wikirepo.commit_files(repo, {"e.md": b"next\n"}, "next")
    landed = point != "commit.before-ref"
    assert wikirepo.commit_count(repo) == (3 if landed else 2)
    assert git(repo, "status", "--porcelain").stdout == ""
    expected = {"a.md", "e.md", *(("d/b.md", "d/c.md") if landed else ("old.md",))}
    on_disk = {
        str(p.relative_to(repo.workdir))
        for p in Path(repo.workdir).rglob("*")
        if p.is_file() and ".git" not in p.parts
    }
    assert on_disk == expected
    assert Path(repo.workdir, "a.md").read_bytes() == (b"two\n" if landed else b"one\n")
    assert not Path(repo.path, wikirepo.JOURNAL).exists()
    assert list(Path(repo.path, wikirepo.TMP_DIR).iterdir()) == []
    fsck_clean(repo)
    assert first


def test_taking_the_wiki_lock_finishes_a_killed_commit_with_nothing_else_to_commit(
    repo: pygit2.Repository, tmp_path: Path
) -> None:
    """A sweep or reindex after the crash commits nothing, yet must leave the wiki whole."""
    import os
    import sys

    from aimem.wiki.lock import wiki_lock

    wikirepo.commit_files(repo, {"a.md": b"one\n"}, "one")
    script = (
        "import sys; from aimem.wiki import repo as r; "
        "r.commit_files(r.open_repo(sys.argv[1]), {'a.md': b'two\\n', 'b.md': b'b\\n'}, 'killed')"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script, repo.workdir],
        env={**os.environ, "AIMEM_TEST_KILL_AT": "worktree.file"},
        capture_output=True,
    )
    assert killed.returncode == -9, killed.stderr
    assert git(repo, "status", "--porcelain").stdout != ""
    with wiki_lock(str(tmp_path / "state")):
        pass
    assert git(repo, "status", "--porcelain").stdout == ""
    assert Path(repo.workdir, "a.md").read_bytes() == b"two\n"
    assert not Path(repo.path, wikirepo.JOURNAL).exists()


def test_a_damaged_git_index_is_rebuilt_from_head(repo: pygit2.Repository) -> None:
    wikirepo.commit_files(repo, {"a.md": b"one\n", "d/b.md": b"b\n"}, "one")
    Path(repo.path, "index").write_bytes(b"garbage" * 10)
    assert wikirepo.commit_files(repo, {"a.md": b"two\n"}, "two") is not None
    assert git(repo, "status", "--porcelain").stdout == ""
    fsck_clean(repo)


def test_the_commit_record_gives_the_same_changes_as_comparing_trees(
    repo: pygit2.Repository,
) -> None:
    """The index sync after a commit reads the paths it changed from the commit's record:
    the same answer as the tree walk, and no record where the written paths do not say it all
    (a file turned folder changes the files below it too)."""
    import random

    rng = random.Random(11)
    live: set[str] = set()
    recorded = 0
    for n in range(30):
        writes: dict[str, bytes | None] = {}
        for _ in range(rng.randrange(1, 5)):
            path = f"{rng.choice(['', 'd/', 'd/e/', 'f/'])}{rng.choice('abc')}{rng.randrange(4)}"
            writes[path] = rng.choice([b"same\n", f"{n}\n".encode()])
        for path in rng.sample(sorted(live), min(len(live), rng.randrange(3))):
            writes[path] = None
        writes["nothing/here.md"] = None  # deleting what is not there changes nothing
        parent = wikirepo.head_commit(repo)
        sha = wikirepo.commit_files(repo, writes, f"{n}")
        live = {p for p in live if writes.get(p, b"") is not None}
        live |= {p for p, v in writes.items() if v is not None}
        if sha is None or parent is None:
            continue
        record = Path(repo.path, wikirepo.CHANGES)
        from_record = sorted(wikirepo.changed_paths(repo, parent, sha), key=lambda c: c.path)
        if record.exists():
            recorded += 1
            record.unlink()
        walked = sorted(wikirepo.changed_paths(repo, parent, sha), key=lambda c: c.path)
        assert from_record == walked
    assert recorded >= 20

    wikirepo.commit_files(repo, {"g": b"file\n"}, "file")
    sha = wikirepo.commit_files(repo, {"g/inner.md": b"below\n"}, "file to folder")
    assert sha is not None and not Path(repo.path, wikirepo.CHANGES).exists()
    parent = str(repo[sha].peel(pygit2.Commit).parents[0].id)
    assert changes(repo, parent, sha) == {("D", "g"), ("A", "g/inner.md")}
