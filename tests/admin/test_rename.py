"""``aimem rename`` keeps a project's identity: its checkout, id and history follow the new
folder; ``forget-project`` deletes only the local folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from admin_world import git
from test_identity import code_repo, first_session

from aimem.admin.identity import local_id
from aimem.admin.rename import AdminError, forget, rename
from aimem.project import paths_for, read_identities, resolve_project
from aimem.recall import query


def test_rename_moves_the_folder_and_the_checkout_follows(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    home = str(tmp_path / "data")
    repo = code_repo(tmp_path / "app")
    slug, pid = first_session(home, repo, env)
    commits = git("rev-list", "--count", "HEAD", cwd=paths_for(home, slug).wiki)
    new = rename(home, paths_for(home, slug), "Billing Service")
    assert new == "billing-service-" + slug.rpartition("-")[2]
    assert not os.path.exists(paths_for(home, slug).base)
    paths = paths_for(home, new)
    assert local_id(paths) == pid
    assert resolve_project(str(repo), env, home=home).slug == new
    assert read_identities(home)["id:" + pid] == new
    assert int(git("rev-list", "--count", "HEAD", cwd=paths.wiki)) == int(commits) + 1
    assert query(paths, "decision")
    with pytest.raises(AdminError):
        rename(home, paths, "   ")


def test_rename_refuses_a_taken_name_and_forget_removes_only_the_local_folder(
    tmp_path: Path,
) -> None:
    env = {"HOME": str(tmp_path)}
    home = str(tmp_path / "data")
    slug, _ = first_session(home, code_repo(tmp_path / "app"), env)
    other = paths_for(home, "taken-" + slug.rpartition("-")[2])
    os.makedirs(other.base)
    with pytest.raises(AdminError, match="exists already"):
        rename(home, paths_for(home, slug), "taken")
    assert os.path.isdir(paths_for(home, slug).wiki)
    forget(home, paths_for(home, slug))
    assert not os.path.exists(paths_for(home, slug).base)
    assert not (tmp_path / "app" / ".git" / "aimem-project").exists()
    assert sorted(os.listdir(home)) == ["identities.tsv", "projects"]
    with pytest.raises(AdminError):
        forget(home, paths_for(home, slug))
