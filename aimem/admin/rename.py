"""``aimem rename`` and ``aimem forget-project``: local only, never a remote.

Rename gives a project a new display name and folder (``<new name>-<same 8 hex>``: the hash
part comes from its identity, which does not change) by one ``rename`` of the folder under the
project's wiki lock; its id file, ``project.json``, its checkout's marker and the data root's
map follow, so the hook keeps finding it. Remotes are kept (they live in its ``state/``).
Forget deletes the project's local folder whole; its remotes and backups are untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile

from aimem.admin.identity import read_wiki_identity, refresh_map
from aimem.files import write_atomic
from aimem.memory.transaction import transaction
from aimem.project import (
    CHECKOUT_MARKER,
    ProjectPaths,
    load_meta,
    paths_for,
    projects_dir,
    read_checkout_marker,
    slugify,
)
from aimem.wiki import projectid
from aimem.wiki.lock import wiki_lock


class AdminError(ValueError):
    """A rename or forget that cannot go ahead; one line, nothing changed."""


def _marked_checkout(meta: dict, slug: str) -> str | None:
    identity = str(meta.get("identity") or "")
    common = identity[4:] if identity.startswith("git:") else ""
    return common if common and read_checkout_marker(common) == slug else None


def rename(home: str, paths: ProjectPaths, new_name: str) -> str:
    """Rename the project at ``paths`` to ``new_name``; returns its new slug."""
    new_name = " ".join(new_name.split())
    if not new_name or len(new_name) > 100 or not new_name.isprintable():
        raise AdminError("give the project a name (printable, up to 100 characters)")
    slug = os.path.basename(paths.base)
    meta = load_meta(paths)
    if meta.get("source") in ("marker", "env"):
        where = "its .aimem.toml" if meta.get("source") == "marker" else "AIMEM_PROJECT"
        raise AdminError(f"{slug} is named by {where}: change the name there instead")
    # The readable part from the new name, the hash part kept: the identity has not changed.
    new_slug = slugify(new_name, "").rpartition("-")[0] + "-" + slug.rpartition("-")[2]
    target = paths_for(home, new_slug)
    if new_slug != slug and os.path.exists(target.base):
        raise AdminError(f"a project {new_slug} exists already")
    with wiki_lock(paths.state):
        if new_slug != slug:
            os.rename(paths.base, target.base)
        write_atomic(target.meta, json.dumps({**meta, "name": new_name, "slug": new_slug}).encode())
        common = _marked_checkout(meta, slug)
        if common:
            write_atomic(os.path.join(common, CHECKOUT_MARKER), (new_slug + "\n").encode(), 0o644)
    current = read_wiki_identity(target)
    if current is not None and current.name != new_name:
        current.name = new_name
        with transaction(target, new_name, "rename", create=False) as txn:
            txn.put(projectid.PATH, projectid.render(current))
            txn.log(f"rename: {slug} -> {new_slug}")
            txn.commit(f"rename: project is now {new_name}\n")
    refresh_map(home)
    return new_slug


def forget(home: str, paths: ProjectPaths) -> None:
    """Delete the project's local folder (moved aside under its lock, then removed)."""
    slug = os.path.basename(paths.base)
    if not os.path.isdir(paths.base):
        raise AdminError(f"no project {slug}")
    meta = load_meta(paths)
    trash = tempfile.mkdtemp(prefix=f".forget-{slug}-", dir=home)
    with wiki_lock(paths.state):
        os.rename(paths.base, os.path.join(trash, slug))
    common = _marked_checkout(meta, slug)
    if common:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(common, CHECKOUT_MARKER))
    shutil.rmtree(trash, ignore_errors=True)
    os.makedirs(projects_dir(home), exist_ok=True)
    refresh_map(home)
