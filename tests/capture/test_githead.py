"""The hook reads the checkout's branch and commit from git's files: checked against real git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from replay import payload, retarget, run_hook

from aimem.capture.githead import git_dirs, read_head

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "advice.detachedHead=false"]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True)
    return done.stdout.decode().strip()


def commit(repo: Path, name: str) -> str:
    (repo / name).write_text(name)
    git(repo, "add", name)
    git(repo, "commit", "-qm", name)
    return git(repo, "rev-parse", "HEAD")


def test_branch_and_commit_from_a_subdirectory(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD")
    assert read_head(str(project)) == ("main", head)
    assert read_head(str(project / "src" / "app")) == ("main", head)


def test_packed_refs(project: Path) -> None:
    head = commit(project, "a.txt")
    git(project, "pack-refs", "--all")
    assert not (project / ".git" / "refs" / "heads" / "main").exists()
    assert read_head(str(project)) == ("main", head)


def test_detached_head(project: Path) -> None:
    first = git(project, "rev-parse", "HEAD")
    commit(project, "b.txt")
    git(project, "checkout", "-q", first)
    assert read_head(str(project)) == (None, first)


def test_unborn_branch(tmp_path: Path) -> None:
    repo = tmp_path / "new"
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(repo)], check=True)
    assert read_head(str(repo)) == ("trunk", None)


def test_outside_a_checkout(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert read_head(str(tmp_path / "plain")) == (None, None)
    assert git_dirs(str(tmp_path / "plain")) is None


def test_linked_worktree_reads_its_own_head_and_the_common_refs(
    project: Path, tmp_path: Path
) -> None:
    main_head = commit(project, "c.txt")
    worktree = tmp_path / "wt"
    git(project, "worktree", "add", "-q", "-b", "feature/x", str(worktree))
    feature_head = commit(worktree, "d.txt")
    git(project, "pack-refs", "--all")  # the branch now lives in the common packed-refs only
    assert (worktree / ".git").is_file()
    assert read_head(str(worktree)) == ("feature/x", feature_head)
    assert read_head(str(project)) == ("main", main_head)
    git_dir, common = git_dirs(str(worktree))
    assert Path(common).resolve() == (project / ".git").resolve()
    assert Path(git_dir).resolve() != Path(common).resolve()


def test_a_broken_gitdir_file_is_no_checkout(tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / ".git").write_text("not a gitdir line\n")
    assert read_head(str(folder)) == (None, None)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_head_file_content_never_raises(tmp_path_factory, content: str) -> None:
    repo = tmp_path_factory.mktemp("fuzz")
    (repo / ".git" / "refs" / "heads").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text(content)
    branch, head = read_head(str(repo))
    assert head is None or len(head) in (40, 64)
    assert branch is None or isinstance(branch, str)


def test_the_hook_records_the_commit_at_start_and_end(project: Path, home: Path, env: dict) -> None:
    """Through a real hook process and real payloads: SessionStart and SessionEnd journal the
    checkout's commit (and the branch at the start)."""
    session = "githead-0000-4000-8000-000000000001"
    start = git(project, "rev-parse", "HEAD")
    data = retarget(payload("claude-code", "SessionStart"), cwd=str(project), session=session)
    assert run_hook("claude-code", "SessionStart", data, env).returncode == 0
    end = commit(project, "e.txt")
    data = retarget(payload("claude-code", "SessionEnd"), cwd=str(project), session=session)
    assert run_hook("claude-code", "SessionEnd", data, env).returncode == 0
    lines = next(home.glob("projects/*/raw/*.jsonl")).read_text().splitlines()
    records = [json.loads(line) for line in lines]
    first = next(r for r in records if r["kind"] == "session_start")
    last = next(r for r in records if r["kind"] == "session_end")
    assert (first["head"], first["branch"]) == (start, "main")
    assert last["head"] == end and "branch" not in last


def test_branch_in_a_repo_a_worktree_and_detached(tmp_path: Path) -> None:
    """Moved from the old ``project.git_branch`` tests: ``read_head`` replaced it."""
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "trunk")
    commit(repo, "README.md")
    (repo / "src").mkdir()
    assert read_head(str(repo))[0] == "trunk"
    assert read_head(str(repo / "src"))[0] == "trunk"

    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "feature/x", str(wt))
    assert read_head(str(wt))[0] == "feature/x"
    assert read_head(str(repo))[0] == "trunk"

    git(wt, "checkout", "-q", "--detach")
    assert read_head(str(wt))[0] is None
    assert read_head(str(repo))[0] == "trunk"

    plain = tmp_path / "plain"
    plain.mkdir()
    assert read_head(str(plain))[0] is None
