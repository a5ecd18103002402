"""Files a session changed, from the project's real git repository (pygit2), however changed."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from aimem.capture.githead import read_head
from aimem.consolidate.changes import files_changed, session_changes

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True)
    return done.stdout.decode().strip()


def shell(repo: Path, command: str) -> None:
    """What an agent's Bash tool does: a shell command, no Edit/Write tool."""
    subprocess.run(["sh", "-c", command], cwd=repo, check=True)


def rel(paths: list[str] | None, repo: Path) -> list[str]:
    assert paths is not None
    return [os.path.relpath(p, os.path.realpath(repo)) for p in paths]


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_shell_made_committed_and_deleted_files_are_listed(project: Path) -> None:
    (project / "old.txt").write_text("old\n")
    (project / "gone.txt").write_text("bye\n")
    git(project, "add", ".")
    git(project, "commit", "-qm", "more")
    _, start = read_head(str(project))
    started = time.time()
    shell(project, "echo hi > made_by_shell.txt && mkdir -p gen/deep && echo x > gen/deep/out.py")
    shell(project, "echo more >> old.txt && rm gone.txt")
    shell(project, "echo c > committed.txt")
    git(project, "add", "committed.txt")
    git(project, "commit", "-qm", "a commit during the session")
    _, end = read_head(str(project))
    found = rel(files_changed(str(project / "src"), start, end, started, time.time()), project)
    assert found == sorted(
        ["made_by_shell.txt", "gen/deep/out.py", "old.txt", "gone.txt", "committed.txt"]
    )


def test_files_dirty_before_the_session_are_not_its_changes(project: Path) -> None:
    (project / "stale.txt").write_text("left over from yesterday\n")
    age(project / "stale.txt", 3600)
    _, start = read_head(str(project))
    started = time.time()
    shell(project, "echo new > fresh.txt")
    found = rel(files_changed(str(project), start, start, started, time.time()), project)
    assert found == ["fresh.txt"]


def test_ignored_files_are_not_listed(project: Path) -> None:
    (project / ".gitignore").write_text("build/\n")
    git(project, "add", ".gitignore")
    git(project, "commit", "-qm", "ignore")
    _, start = read_head(str(project))
    started = time.time()
    shell(project, "mkdir -p build && echo o > build/out.o && echo s > src/app/new.py")
    found = rel(files_changed(str(project), start, "", started, time.time()), project)
    assert found == ["src/app/new.py"]


def test_without_an_end_commit_the_current_head_is_used(project: Path) -> None:
    _, start = read_head(str(project))
    started = time.time()
    shell(project, "echo c > later.txt")
    git(project, "add", "later.txt")
    git(project, "commit", "-qm", "c")
    assert rel(files_changed(str(project), start, "", started, time.time()), project) == [
        "later.txt"
    ]


def test_unknown_when_there_is_nothing_to_compare(project: Path, tmp_path: Path) -> None:
    now = time.time()
    assert files_changed(str(project), "", "", now, now) is None  # no start commit recorded
    assert files_changed(str(project), "0" * 40, "", now, now) is None  # start commit gone
    assert files_changed(str(project), "HEAD~1", "", now, now) is None  # only object ids
    (tmp_path / "plain").mkdir()
    assert files_changed(str(tmp_path / "plain"), "a" * 40, "", now, now) is None
    assert session_changes(str(tmp_path / "plain"), "a" * 40, "", now, now) == []


def test_a_linked_worktree_is_its_own_checkout(project: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    git(project, "worktree", "add", "-q", "-b", "feature", str(worktree))
    _, start = read_head(str(worktree))
    started = time.time()
    shell(worktree, "echo w > in_worktree.txt")
    found = rel(files_changed(str(worktree), start, "", started, time.time()), worktree)
    assert found == ["in_worktree.txt"]
