"""Project identity that survives moves and clones (issue 13 part 5; docs/operations.md).

A project's id lives in its wiki (``.aimem/project.toml``, ``wiki/projectid.py``) with the
fingerprint of its code: the repository's root commits, then its normalised origin URL (a
marker-named project has its name instead). The hook cannot afford a history walk, so what it
needs is kept where one small read finds it (``project.known_slug``):

* ``<code>/.git/aimem-project``: the slug this checkout's sessions go to. It lives in the
  checkout's git folder, so it moves with the checkout and a copy keeps it; a clone has none.
* ``<data root>/identities.tsv``: ``origin:``, ``root:`` and ``id:`` keys -> slug, rebuilt from
  every wiki's id file (and each project's checkout, while it is still marked as the
  project's) after a consolidation, a restore or a rename. No key is a path: a path is what
  changes, and a new clone at an old path must not inherit the old project.

``ensure_identity`` does the one-time migration of a project made before ids existed: it
walks the code's history once for the root commits (pygit2), writes the id file through the
one write transaction, the checkout marker and the map. It never raises: identity is an
improvement on the path-derived slug, never a reason for a consolidation to fail.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import pygit2

from aimem.files import write_atomic
from aimem.memory.transaction import transaction
from aimem.project import (
    CHECKOUT_MARKER,
    IDENTITIES,
    ProjectPaths,
    list_projects,
    load_meta,
    normalise_origin,
    origin_url,
    read_checkout_marker,
)
from aimem.wiki import projectid
from aimem.wiki import repo as wikirepo

log = logging.getLogger("aimem.admin")


@dataclass(frozen=True)
class Fingerprint:
    common_dir: str | None  # the code repository's git common dir (None: not a git checkout)
    roots: tuple[str, ...]  # root commits reachable from HEAD, sorted
    origin: str | None  # normalised origin URL


def fingerprint(code_root: str) -> Fingerprint:
    """The code's fingerprint from its checkout folder (a history walk: not for the hook)."""
    try:
        repo = pygit2.Repository(code_root)
    except (pygit2.GitError, KeyError, OSError):
        return Fingerprint(None, (), None)
    common = os.path.realpath(repo.path.rstrip("/"))
    common_file = os.path.join(common, "commondir")
    if os.path.exists(common_file):  # a worktree: its common dir holds config and the marker
        with open(common_file, encoding="utf-8") as fh:
            common = os.path.realpath(os.path.join(common, fh.readline().strip()))
    roots: set[str] = set()
    if not repo.head_is_unborn:
        for commit in repo.walk(repo.head.target, pygit2.enums.SortMode.NONE):
            if not commit.parent_ids:
                roots.add(str(commit.id))
    origin = origin_url(common)
    return Fingerprint(common, tuple(sorted(roots)), normalise_origin(origin) if origin else None)


def wiki_id(repo: pygit2.Repository) -> str | None:
    found = projectid.parse(wikirepo.read_file(repo, projectid.PATH))
    return found.id if found else None


def read_wiki_identity(paths: ProjectPaths) -> projectid.ProjectId | None:
    if not os.path.isdir(os.path.join(paths.wiki, ".git")):
        return None
    try:
        repo = wikirepo.open_repo(paths.wiki, create=False)
    except (OSError, pygit2.GitError):
        return None
    return projectid.parse(wikirepo.read_file(repo, projectid.PATH))


def local_id(paths: ProjectPaths) -> str | None:
    found = read_wiki_identity(paths)
    return found.id if found else None


def ensure_identity(home: str, paths: ProjectPaths, name: str) -> projectid.ProjectId | None:
    """Give the project its id file (once; later runs add a new root or origin only), mark
    its checkout and refresh the data root's map. Never raises (logged); ``None`` when the
    project has no wiki yet."""
    try:
        return _ensure(home, paths, name)
    except Exception as exc:  # noqa: BLE001 - identity must never fail the writer it follows
        log.warning("project identity for %s not updated: %s", paths.base, exc)
        return None


def _ensure(home: str, paths: ProjectPaths, name: str) -> projectid.ProjectId | None:
    if not os.path.isdir(os.path.join(paths.wiki, ".git")):
        return None
    meta = load_meta(paths)
    slug = os.path.basename(paths.base)
    source = str(meta.get("source") or "")
    code_root = str(meta.get("root") or "")
    current = read_wiki_identity(paths)
    fp = Fingerprint(None, (), None)
    if source == "git" and os.path.isdir(code_root):
        # One history walk per checkout: skipped once it is marked and the wiki has its roots.
        common = _common_of(code_root)
        if current is None or read_checkout_marker(common) != slug or not current.roots:
            fp = fingerprint(code_root)
        else:
            fp = Fingerprint(common, tuple(current.roots), None)
    name_key = f"name:{meta.get('name')}" if source in ("marker", "env") else ""
    wanted = projectid.ProjectId(
        current.id if current else projectid.derived_id(list(fp.roots), name_key),
        current.name if current and current.name else name,
        sorted(set(current.roots if current else []) | set(fp.roots)),
        sorted(set(current.origins if current else []) | ({fp.origin} if fp.origin else set())),
    )
    if current != wanted:
        with transaction(paths, name, "identity", create=False) as txn:
            txn.put(projectid.PATH, projectid.render(wanted))
            txn.log(f"identity: project id {wanted.id}")
            txn.commit(f"identity: project id {wanted.id}\n")
    if fp.common_dir:
        _mark_checkout(fp.common_dir, slug)
    refresh_map(home)
    return wanted


def _common_of(code_root: str) -> str:
    dot_git = os.path.join(code_root, ".git")
    if os.path.isdir(dot_git):
        return os.path.realpath(dot_git)
    from aimem.project import _git_common_dir

    return _git_common_dir(dot_git) or ""


def _mark_checkout(common_dir: str, slug: str) -> None:
    """``.git/aimem-project`` names the project; a read-only ``.git`` just goes without."""
    marker = os.path.join(common_dir, CHECKOUT_MARKER)
    try:
        with open(marker, encoding="utf-8") as fh:
            if fh.readline().strip() == slug:
                return
    except (OSError, UnicodeDecodeError):
        pass
    try:
        write_atomic(marker, (slug + "\n").encode(), mode=0o644)
    except OSError as exc:
        log.info("could not mark the checkout %s: %s", common_dir, exc)


def refresh_map(home: str) -> dict[str, str]:
    """Rebuild ``identities.tsv`` from every project of ``home``: its wiki id file (roots,
    origins, id) and the origin of its last known checkout (``project.json`` ``identity``)
    when that checkout is still marked as the project's. When two projects claim a key, the
    older folder (created first) keeps it."""
    rows: list[tuple[str, str, str]] = []  # (created, key, slug)
    for slug, paths, meta in list_projects(home):
        created = str(meta.get("created") or "~")
        pid = read_wiki_identity(paths)
        keys = []
        if pid:
            keys += ["id:" + pid.id, *("root:" + r for r in pid.roots)]
            keys += ["origin:" + o for o in pid.origins]
        identity = str(meta.get("identity") or "")
        common = identity[4:] if identity.startswith("git:") else ""
        if common and read_checkout_marker(common) == slug:
            origin = origin_url(common)
            if origin:
                keys.append("origin:" + normalise_origin(origin))
        rows += [(created, key, slug) for key in keys]
    table: dict[str, str] = {}
    for _, key, slug in sorted(rows):
        if "\t" not in key and "\n" not in key:
            table.setdefault(key, slug)
    text = "".join(f"{k}\t{v}\n" for k, v in sorted(table.items()))
    os.makedirs(home, exist_ok=True)
    path = os.path.join(home, IDENTITIES)
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return table
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text.encode("utf-8"))
    return table
