"""A moved checkout, and a clone on a second data root, map to the same project (issue 13
part 5): the checkout's ``.git/aimem-project`` moves with it, a known origin URL maps a new
clone, and the id in the wiki derives from the code's root commit on every machine."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from admin_world import git, page

from aimem.admin.identity import ensure_identity, fingerprint
from aimem.memory.transaction import transaction
from aimem.project import paths_for, read_identities, resolve_project
from aimem.wiki import projectid


def code_repo(path: Path) -> Path:
    git("init", "-q", "-b", "main", str(path))
    (path / "a.py").write_text("x = 1\n")
    git("add", ".", cwd=str(path))
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init", cwd=str(path))
    return path


def first_session(home: str, cwd: Path, env: dict) -> tuple[str, str]:
    """What the hook and a consolidation do: resolve, record meta, commit a page, identity."""
    project = resolve_project(str(cwd), env, home=home)
    paths = paths_for(home, project.slug)
    os.makedirs(paths.state, exist_ok=True)
    if not os.path.exists(paths.meta):
        with open(paths.meta, "w", encoding="utf-8") as fh:
            json.dump({**project.as_dict(), "created": "2026-12-01T08:00:00Z"}, fh)
    with transaction(paths, project.name, "test", now=time.time()) as txn:
        txn.write(page("decisions/x.md", "X", "a decision\n"))
        txn.commit("test\n")
    pid = ensure_identity(home, paths, project.name)
    return project.slug, pid.id


def test_a_moved_checkout_and_a_clone_elsewhere_are_the_same_project(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    a, b = str(tmp_path / "data-a"), str(tmp_path / "data-b")
    repo = code_repo(tmp_path / "app")
    slug, pid = first_session(a, repo, env)
    assert (repo / ".git" / "aimem-project").read_text().strip() == slug
    assert read_identities(a)["id:" + pid] == slug

    moved = tmp_path / "elsewhere" / "renamed-app"
    moved.parent.mkdir()
    shutil.move(str(repo), str(moved))
    assert resolve_project(str(moved), env, home=a).slug == slug
    assert resolve_project(str(moved), env, home="").slug != slug  # the path alone would differ

    clone = tmp_path / "machine-b" / "app"
    git("clone", "-q", str(moved), str(clone))
    slug_b, pid_b = first_session(b, clone, env)
    assert pid_b == pid  # same code, same id, without any exchange between the machines
    wiki_b = projectid.parse((Path(paths_for(b, slug_b).wiki) / projectid.PATH).read_bytes())
    assert wiki_b.roots == list(fingerprint(str(moved)).roots)


def test_a_clone_of_a_known_origin_maps_at_once_on_the_hook_path(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    home = str(tmp_path / "data")
    repo = code_repo(tmp_path / "app")
    git("remote", "add", "origin", "git@github.com:org/app.git", cwd=str(repo))
    slug, _ = first_session(home, repo, env)
    clone = tmp_path / "other" / "app-clone"
    git("clone", "-q", str(repo), str(clone))
    git("remote", "set-url", "origin", "https://github.com/org/app", cwd=str(clone))
    assert resolve_project(str(clone), env, home=home).slug == slug


def test_migration_runs_once_and_an_unknown_checkout_keeps_its_own_slug(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    home = str(tmp_path / "data")
    repo = code_repo(tmp_path / "app")
    slug, pid = first_session(home, repo, env)
    paths = paths_for(home, slug)
    head = git("rev-parse", "HEAD", cwd=paths.wiki)
    assert ensure_identity(home, paths, "app").id == pid
    assert git("rev-parse", "HEAD", cwd=paths.wiki) == head  # nothing new: no commit
    other = code_repo(tmp_path / "unrelated")
    assert resolve_project(str(other), env, home=home).slug != slug


def test_real_hooks_in_a_moved_checkout_reach_the_same_memory_and_handoff(
    tmp_path: Path, env: dict
) -> None:
    """Hook processes, as an agent runs them: a session, its consolidation, the identity step
    that follows it, then a ``mv`` of the checkout: the next session starts in the same
    project folder and is offered the first session's handoff."""
    from replay import claude_session, context_of, wait_all_consolidated

    from aimem.admin.triggers import after_consolidation
    from aimem.project import list_projects

    home = env["AIMEM_HOME"]
    repo = code_repo(tmp_path / "app")
    claude_session(str(repo), "s-before-move", "fix the rounding of invoice totals", env)
    wait_all_consolidated(env, repo, 1)
    ((slug, paths, meta),) = list_projects(home)
    after_consolidation(paths, str(meta["name"]))  # what consolidation runs once wired (run.py)

    moved = tmp_path / "moved" / "app-renamed"
    moved.parent.mkdir()
    shutil.move(str(repo), str(moved))
    runs = claude_session(str(moved), "s-after-move", "continue", env, events=["SessionStart"])
    assert [s for s, _, _ in list_projects(home)] == [slug]  # no second project folder
    assert os.path.exists(os.path.join(paths.raw, "s-after-move.jsonl"))
    assert "rounding of invoice totals" in context_of(runs[0].stdout)
