"""Project identity: the same project from every subdirectory, worktree and agent."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from aimem.project import (
    ProjectNotFound,
    find_project,
    paths_for,
    resolve_project,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{8}$")
NO_ENV: dict[str, str] = {}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)},
    )
    return done.stdout.strip()


def make_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", branch)
    (path / "README.md").write_text("hello\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "init")
    return path


# --- precedence --------------------------------------------------------------------------------


def test_aimem_project_env_wins_over_marker_and_git(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / ".aimem.toml").write_text('name = "from-marker"\n')
    project = resolve_project(str(repo), {"AIMEM_PROJECT": "forced"})
    assert project is not None
    assert (project.name, project.source) == ("forced", "env")
    assert project.slug.startswith("forced-")


@pytest.mark.parametrize(
    "content",
    [
        'name = "shared-app"\n',
        "name = 'shared-app'\n",
        '# the aimem marker\n# name = "old-name"\nname="shared-app"   # team name\n',
        "\n  name = 'shared-app'  \n",
    ],
)
def test_nearest_marker_name_wins_over_git(tmp_path, content):
    repo = make_repo(tmp_path / "repo")
    sub = repo / "pkg" / "deep"
    sub.mkdir(parents=True)
    (repo / "pkg" / ".aimem.toml").write_text(content)
    project = resolve_project(str(sub), NO_ENV)
    assert project is not None
    assert (project.name, project.source) == ("shared-app", "marker")
    assert project.root == os.path.realpath(repo / "pkg")
    # The same name gives the same project wherever the marker lives.
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / ".aimem.toml").write_text('name = "shared-app"\n')
    assert resolve_project(str(other), NO_ENV).slug == project.slug
    # Outside the marker's folder the git repository decides again.
    outside = resolve_project(str(repo), NO_ENV)
    assert outside.source == "git" and outside.slug != project.slug


def test_nearest_marker_is_the_closest_one(tmp_path):
    outer = tmp_path / "outer"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    (outer / ".aimem.toml").write_text('name = "outer"\n')
    (inner / ".aimem.toml").write_text('name = "inner"\n')
    assert resolve_project(str(inner), NO_ENV).name == "inner"
    assert resolve_project(str(outer), NO_ENV).name == "outer"


def test_marker_without_name_uses_its_folder(tmp_path):
    folder = tmp_path / "My Tool"
    (folder / "src").mkdir(parents=True)
    (folder / ".aimem.toml").write_text("# no name here\n[wiki]\nlanguage = 'en'\n")
    project = resolve_project(str(folder / "src"), NO_ENV)
    assert project is not None
    assert project.source == "marker"
    assert project.name == "My Tool"
    assert project.root == os.path.realpath(folder)
    assert project.slug.startswith("my-tool-")
    assert SLUG.match(project.slug)


# --- git ---------------------------------------------------------------------------------------


def test_subdirectory_of_repo_is_the_repo(tmp_path):
    repo = make_repo(tmp_path / "app")
    sub = repo / "src" / "lib"
    sub.mkdir(parents=True)
    top = resolve_project(str(repo), NO_ENV)
    inside = resolve_project(str(sub), NO_ENV)
    assert top.source == "git"
    assert inside == top
    assert top.name == "app"
    assert top.root == os.path.realpath(repo)


def test_worktrees_share_one_project_and_a_clone_does_not(tmp_path):
    repo = make_repo(tmp_path / "app")
    wt1 = tmp_path / "wt-feature"
    wt2 = tmp_path / "nested" / "wt-fix"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(wt1))
    git(repo, "worktree", "add", "-q", "-b", "fix", str(wt2))
    (wt2 / "sub").mkdir()
    assert (wt1 / ".git").is_file()  # really a linked worktree

    main = resolve_project(str(repo), NO_ENV)
    slugs = {resolve_project(str(p), NO_ENV).slug for p in (repo, wt1, wt2, wt2 / "sub")}
    assert slugs == {main.slug}
    assert resolve_project(str(wt1), NO_ENV).name == "app"  # named after the main worktree

    # A separate clone with the very same folder name is another project.
    (tmp_path / "other").mkdir()
    git(tmp_path / "other", "clone", "-q", str(repo), "app")
    clone = resolve_project(str(tmp_path / "other" / "app"), NO_ENV)
    assert clone.name == "app"
    assert clone.slug != main.slug


def test_plain_directory_is_its_own_project(tmp_path):
    plain = tmp_path / "notes"
    plain.mkdir()
    project = resolve_project(str(plain), NO_ENV)
    assert project is not None
    assert (project.name, project.source) == ("notes", "dir")
    assert project.root == os.path.realpath(plain)
    sibling = tmp_path / "notes2"
    sibling.mkdir()
    assert resolve_project(str(sibling), NO_ENV).slug != project.slug


# --- what is not a project ---------------------------------------------------------------------


def test_home_itself_is_not_a_project_but_a_folder_in_it_is(tmp_path):
    home = tmp_path / "home"
    (home / "code").mkdir(parents=True)
    env = {"HOME": str(home)}
    assert resolve_project(str(home), env) is None
    inside = resolve_project(str(home / "code"), env)
    assert inside is not None and inside.name == "code"
    # Without HOME pointing there, the same folder is an ordinary directory.
    assert resolve_project(str(home), NO_ENV) is not None


def test_root_is_not_a_project():
    assert resolve_project("/", NO_ENV) is None


def test_temp_dir_itself_is_not_a_project(tmp_path):
    tmp = tmp_path / "scratch-tmp"
    (tmp / "job").mkdir(parents=True)
    env = {"TMPDIR": str(tmp)}
    assert resolve_project(str(tmp), env) is None
    assert resolve_project(str(tmp / "job"), env).name == "job"


@pytest.mark.parametrize("cwd", ["", "relative/dir", "."])
def test_relative_or_empty_cwd_is_none(cwd):
    assert resolve_project(cwd, NO_ENV) is None


def test_missing_cwd_is_none(tmp_path):
    assert resolve_project(str(tmp_path / "does-not-exist"), NO_ENV) is None
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert resolve_project(str(a_file), NO_ENV) is None


# --- slug ----------------------------------------------------------------------------------------


def test_slug_is_readable_and_stable(tmp_path):
    folder = tmp_path / "My Fancy_App!"
    folder.mkdir()
    first = resolve_project(str(folder), NO_ENV)
    again = resolve_project(str(folder) + "/", NO_ENV)
    assert SLUG.match(first.slug), first.slug
    assert first.slug.startswith("my-fancy-app-")
    assert again.slug == first.slug
    # A symlink to the folder is the same folder.
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert resolve_project(str(link), NO_ENV).slug == first.slug
    env_slug = resolve_project(str(folder), {"AIMEM_PROJECT": "Shop"}).slug
    assert SLUG.match(env_slug) and env_slug.startswith("shop-")


# --- find_project --------------------------------------------------------------------------------


def register(home: Path, slug: str, name: str) -> None:
    paths = paths_for(str(home), slug)
    os.makedirs(paths.base)
    Path(paths.meta).write_text(json.dumps({"name": name, "slug": slug}))


def test_find_project_by_slug_name_and_path(tmp_path, monkeypatch):
    monkeypatch.delenv("AIMEM_PROJECT", raising=False)
    home = tmp_path / "data"
    work = tmp_path / "work" / "shop"
    work.mkdir(parents=True)
    project = resolve_project(str(work), NO_ENV)
    register(home, project.slug, "shop")
    register(home, "blog-0123abcd", "blog")
    elsewhere = str(tmp_path)

    slug, name, paths = find_project(str(home), project.slug, elsewhere)
    assert (slug, name) == (project.slug, "shop")
    assert paths.base == os.path.join(str(home), "projects", project.slug)

    assert find_project(str(home), "blog", elsewhere)[:2] == ("blog-0123abcd", "blog")
    assert find_project(str(home), str(work), elsewhere)[:2] == (project.slug, "shop")
    # No selector: the cwd decides.
    assert find_project(str(home), None, str(work))[0] == project.slug


def test_find_project_unknown_and_unrecorded(tmp_path, monkeypatch):
    monkeypatch.delenv("AIMEM_PROJECT", raising=False)
    home = tmp_path / "data"
    register(home, "blog-0123abcd", "blog")
    with pytest.raises(ProjectNotFound, match="unknown project"):
        find_project(str(home), "nope", str(tmp_path))
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with pytest.raises(ProjectNotFound, match="no memory recorded"):
        find_project(str(home), str(fresh), str(tmp_path))


def test_find_project_ambiguous_name_lists_both_slugs(tmp_path):
    home = tmp_path / "data"
    register(home, "app-11111111", "app")
    register(home, "app-22222222", "app")
    with pytest.raises(ProjectNotFound) as info:
        find_project(str(home), "app", str(tmp_path))
    message = str(info.value)
    assert "ambiguous" in message
    assert "app-11111111" in message and "app-22222222" in message
    # The slug itself is never ambiguous.
    assert find_project(str(home), "app-22222222", str(tmp_path))[0] == "app-22222222"


# --- identity across moves and clones (issue 13 part 5) -----------------------------------------


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("git@github.com:org/app.git", "github.com/org/app"),
        ("https://user:token@GitHub.com/org/app.git/", "github.com/org/app"),
        ("ssh://git@github.com:22/org/app", "github.com/org/app"),
        ("git+ssh://git@github.com/org/app.git", "github.com/org/app"),
        ("https://[::1]:8080/app.git", "[::1]/app"),
        ("file:///srv/git/app.git", "file:/srv/git/app.git"),
        ("/srv/git/../git/app", "file:/srv/git/app"),
    ],
)
def test_origin_urls_are_normalised_to_one_spelling(url: str, normal: str) -> None:
    from aimem.project import normalise_origin

    assert normalise_origin(url) == normal


def test_origin_url_is_read_from_the_config_file_without_git(tmp_path: Path) -> None:
    from aimem.project import origin_url

    repo = make_repo(tmp_path / "repo")
    assert origin_url(str(repo / ".git")) is None
    git(repo, "remote", "add", "upstream", "https://example.com/up.git")
    git(repo, "remote", "add", "origin", "git@example.com:me/repo.git")
    assert origin_url(str(repo / ".git")) == "git@example.com:me/repo.git"


def test_a_checkout_marker_names_the_project_only_while_that_project_exists(tmp_path: Path) -> None:
    home = tmp_path / "data"
    repo = make_repo(tmp_path / "repo")
    plain = resolve_project(str(repo), NO_ENV, home=str(home))
    (repo / ".git" / "aimem-project").write_text("kept-0123abcd\n")
    assert resolve_project(str(repo), NO_ENV, home=str(home)).slug == plain.slug  # no such folder
    (home / "projects" / "kept-0123abcd").mkdir(parents=True)
    sub = repo / "sub"
    sub.mkdir()
    assert resolve_project(str(sub), NO_ENV, home=str(home)).slug == "kept-0123abcd"
    assert resolve_project(str(repo), NO_ENV, home="").slug == plain.slug  # lookups off


@pytest.mark.parametrize("bad", ["../../etc", "UPPER-1234", "-x", "a/b", "", "x" * 200])
def test_a_marker_or_map_naming_no_safe_folder_is_ignored(tmp_path: Path, bad: str) -> None:
    home = tmp_path / "data"
    (home / "projects").mkdir(parents=True)
    repo = make_repo(tmp_path / "repo")
    git(repo, "remote", "add", "origin", "https://example.com/r.git")
    (repo / ".git" / "aimem-project").write_text(bad + "\n")
    (home / "identities.tsv").write_text(f"origin:example.com/r\t{bad}\n")
    assert (
        resolve_project(str(repo), NO_ENV, home=str(home)).slug
        == resolve_project(str(repo), NO_ENV, home="").slug
    )


def test_a_clone_of_a_known_origin_finds_its_project_in_the_map(tmp_path: Path) -> None:
    home = tmp_path / "data"
    (home / "projects" / "app-0123abcd").mkdir(parents=True)
    (home / "identities.tsv").write_text("origin:example.com/org/app\tapp-0123abcd\n")
    repo = make_repo(tmp_path / "clone")
    git(repo, "remote", "add", "origin", "git@example.com:org/app.git")
    assert resolve_project(str(repo), NO_ENV, home=str(home)).slug == "app-0123abcd"
    assert resolve_project(str(repo), {"AIMEM_HOME": str(home)}).slug == "app-0123abcd"
