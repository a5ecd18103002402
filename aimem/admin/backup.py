"""``aimem backup`` and ``aimem restore``: every project of a data root in one archive file.

The archive is a gzipped tar holding, first, ``manifest.json`` (format, aimem version, each
project's slug, name, id and branch head, and the SHA-256 of every other member), then per
project ``projects/<slug>/wiki.bundle`` (a complete git bundle v2 of the wiki, which stock
``git bundle verify`` and ``git clone`` accept), ``projects/<slug>/project.json`` and the
journals ``projects/<slug>/raw/<session>.jsonl``. The index, the brief and the handoff offer
are derived, so they are rebuilt on restore rather than carried.

Restore checks everything before it writes anything: the manifest's checksum of every member,
member names (no path leaves its project folder), and that each project's folder is free in
the target data root. Each project is then built in a staging folder (objects unpacked and
hashed, every commit, tree and blob of the history read back, the branch and work tree set,
the index rebuilt from the wiki) and renamed into place, so a failed restore leaves nothing
half-made. Backups written are listed in ``<data root>/backups.json``, which ``aimem purge``
reads to say which files still hold what it removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import pygit2

from aimem import __version__
from aimem.admin import identity
from aimem.files import write_atomic
from aimem.index.catalog import entries_after
from aimem.index.sync import sync_index
from aimem.memory.brief import write_brief
from aimem.project import ProjectPaths, list_projects, load_meta, paths_for, projects_dir
from aimem.wiki import bundle
from aimem.wiki import repo as wikirepo
from aimem.wiki.lock import wiki_lock

FORMAT = "aimem-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BACKUPS_FILE = "backups.json"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_JOURNAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}\.jsonl$")
_MAX_MEMBER = 1 << 34  # 16 GiB: a member larger than this is not one of ours


class BackupError(Exception):
    """A backup or restore that cannot go ahead; one line, nothing changed."""


@dataclass
class ProjectEntry:
    slug: str
    name: str
    id: str
    head: str | None
    tree: str | None  # the head commit's tree: a restore must give the very same
    journals: int = 0


@dataclass
class BackupResult:
    path: str
    projects: list[ProjectEntry] = field(default_factory=list)
    bytes: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tar_add(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _journals(paths: ProjectPaths) -> list[str]:
    try:
        names = sorted(os.listdir(paths.raw))
    except FileNotFoundError:
        return []
    return [n for n in names if _JOURNAL.match(n) and os.path.isfile(os.path.join(paths.raw, n))]


def backup(home: str, out_path: str, slugs: list[str] | None = None) -> BackupResult:
    """Write every project (or those in ``slugs``) of ``home`` to the archive ``out_path``.
    Each wiki is bundled under its wiki lock; the archive is written beside ``out_path`` and
    renamed in, so an existing file is replaced only by a whole backup."""
    projects = [(s, p, m) for s, p, m in list_projects(home) if slugs is None or s in slugs]
    if slugs is not None and len(projects) != len(set(slugs)):
        missing = sorted(set(slugs) - {s for s, _, _ in projects})
        raise BackupError(f"no such project: {', '.join(missing)}")
    if not projects:
        raise BackupError(f"nothing to back up: no projects under {home}")
    if not out_path or os.path.isdir(out_path):
        raise BackupError(f"give a file to write, not {out_path!r}")
    out_path = os.path.abspath(out_path)
    folder = os.path.dirname(out_path)
    if not os.path.isdir(folder):
        raise BackupError(f"no such folder: {folder}")
    now = time.time()
    result = BackupResult(out_path)
    checksums: dict[str, str] = {}
    fd, part = tempfile.mkstemp(prefix=".aimem-backup-", suffix=".part", dir=folder)
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory(prefix=".aimem-bundle-", dir=folder) as tmp:
            members: list[tuple[str, bytes]] = []
            for slug, paths, meta in projects:
                entry, files = _project_members(slug, paths, meta, tmp)
                result.projects.append(entry)
                members.extend(files)
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "aimem": __version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                "projects": [asdict(p) for p in result.projects],
                "files": {name: _sha256(data) for name, data in members},
            }
            checksums = manifest["files"]
            with tarfile.open(part, "w:gz") as tar:
                _tar_add(tar, MANIFEST, json.dumps(manifest, indent=1).encode(), now)
                for name, data in members:
                    _tar_add(tar, name, data, now)
        with open(part, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(part, out_path)
    finally:
        if os.path.exists(part):
            os.unlink(part)
    result.bytes = os.path.getsize(out_path)
    _remember(home, out_path, result, now, len(checksums))
    return result


def _project_members(
    slug: str, paths: ProjectPaths, meta: dict, tmp: str
) -> tuple[ProjectEntry, list[tuple[str, bytes]]]:
    prefix = f"projects/{slug}/"
    members: list[tuple[str, bytes]] = []
    name = str(meta.get("name") or slug)
    head = tree = None
    pid = ""
    if os.path.isdir(os.path.join(paths.wiki, ".git")):
        with wiki_lock(paths.state):
            repo = wikirepo.open_repo(paths.wiki, create=False)
            head = wikirepo.head_commit(repo)
            if head is not None:
                tree = str(repo[head].tree_id)
                target = os.path.join(tmp, slug + ".bundle")
                bundle.write_bundle(repo, target)
                with open(target, "rb") as fh:
                    members.append((prefix + "wiki.bundle", fh.read()))
                pid = identity.wiki_id(repo) or ""
    if os.path.exists(paths.meta):
        with open(paths.meta, "rb") as fh:
            members.append((prefix + "project.json", fh.read()))
    journals = _journals(paths)
    for journal in journals:
        with open(os.path.join(paths.raw, journal), "rb") as fh:
            members.append((prefix + "raw/" + journal, fh.read()))
    return ProjectEntry(slug, name, pid, head, tree, len(journals)), members


def _remember(home: str, out_path: str, result: BackupResult, now: float, files: int) -> None:
    """Add the backup to ``backups.json`` (what ``aimem purge`` warns about)."""
    listed = list_backups(home)
    listed = [b for b in listed if b.get("path") != out_path]
    listed.append(
        {
            "path": out_path,
            "created": now,
            "projects": [p.slug for p in result.projects],
            "ids": [p.id for p in result.projects if p.id],
            "files": files,
        }
    )
    os.makedirs(home, exist_ok=True)
    write_atomic(os.path.join(home, BACKUPS_FILE), json.dumps(listed, indent=1).encode())


def list_backups(home: str) -> list[dict]:
    """The backups this data root wrote (``[]`` when none, or the list is unreadable)."""
    try:
        with open(os.path.join(home, BACKUPS_FILE), encoding="utf-8") as fh:
            value = json.load(fh)
    except (OSError, ValueError):
        return []
    return [b for b in value if isinstance(b, dict)] if isinstance(value, list) else []


@dataclass
class RestoreResult:
    projects: list[ProjectEntry] = field(default_factory=list)
    objects: int = 0  # objects read back from the restored histories
    journals: int = 0
    merged: dict[str, str] = field(
        default_factory=dict
    )  # archive slug -> local project merged into

    def as_dict(self) -> dict:
        return asdict(self)


def _read_archive(path: str) -> tuple[dict, dict[str, bytes]]:
    """The manifest and every member, each checked against the manifest. Raises
    ``BackupError``."""
    if not path or os.path.isdir(path):
        raise BackupError(f"not a backup file: {path!r}")
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by the with block below
    except FileNotFoundError:
        raise BackupError(f"no such file: {path}") from None
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise BackupError(f"{path} is not an aimem backup ({exc})") from None
    with tar:
        data: dict[str, bytes] = {}
        try:
            for member in _members(tar):
                fh = tar.extractfile(member)
                if fh is None:
                    raise BackupError(f"{path}: {member.name} is not a file")
                data[member.name] = fh.read()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise BackupError(f"{path} is damaged ({exc})") from None
    try:
        manifest = json.loads(data.pop(MANIFEST))
    except (KeyError, ValueError):
        raise BackupError(f"{path} is not an aimem backup (no readable manifest)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not an aimem backup (wrong format)")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"{path}: backup format {manifest.get('version')!r} is not supported")
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != set(data):
        raise BackupError(f"{path}: the members do not match the manifest")
    for name, blob in data.items():
        if _sha256(blob) != files[name]:
            raise BackupError(f"{path}: {name} does not match its checksum (damaged)")
        _check_member(name)
    return manifest, data


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    for member in tar:
        if not member.isfile() or member.size > _MAX_MEMBER:
            raise BackupError(f"unexpected member in the backup: {member.name!r}")
        yield member


def _check_member(name: str) -> None:
    parts = name.split("/")
    ok = len(parts) >= 3 and parts[0] == "projects" and SLUG.match(parts[1])
    rest = parts[2:]
    ok = ok and (
        rest in (["wiki.bundle"], ["project.json"])
        or (len(rest) == 2 and rest[0] == "raw" and _JOURNAL.match(rest[1]))
    )
    if not ok:
        raise BackupError(f"unexpected member in the backup: {name!r}")


def restore(home: str, archive: str, merge: bool = False) -> RestoreResult:
    """Restore every project of ``archive`` into ``home``. A project already here (by folder,
    or by id under another folder) is refused (``BackupError``, nothing written), unless
    ``merge``: then the backup's wiki is merged into it the way a sync merges a remote (no page
    lost, both versions of a page edited on both sides kept) and its journals that are not
    here are added."""
    manifest, data = _read_archive(archive)
    entries = [ProjectEntry(**p) for p in manifest.get("projects") or []]
    if not entries:
        raise BackupError(f"{archive}: the backup holds no project")
    known_ids = {}
    for slug, paths, _ in list_projects(home):
        pid = identity.local_id(paths)
        if pid:
            known_ids[pid] = slug
    existing: dict[str, str] = {}  # archive slug -> the local project it merges into
    for entry in entries:
        if not SLUG.match(entry.slug):
            raise BackupError(f"{archive}: bad project folder name {entry.slug!r}")
        target = paths_for(home, entry.slug).base
        here = entry.slug if os.path.exists(target) and os.listdir(target) else None
        here = here or (known_ids.get(entry.id) if entry.id else None)
        if here is None:
            continue
        if not merge:
            raise BackupError(
                f"project {entry.slug} is already here"
                f"{'' if here == entry.slug else ' as ' + here}: restore into an empty data "
                "root, or pass --merge to merge the backup into it"
            )
        existing[entry.slug] = here
    for entry in entries:  # every bundle checked before any project changes
        blob = data.get(f"projects/{entry.slug}/wiki.bundle")
        if blob is not None:
            try:
                bundle.read_header(blob)
            except bundle.BundleError as exc:
                raise BackupError(f"project {entry.slug}: {exc}") from None
    result = RestoreResult()
    os.makedirs(projects_dir(home), exist_ok=True)
    for entry in entries:
        if entry.slug in existing:
            result.objects += _merge_project(home, existing[entry.slug], entry, data)
            result.merged[entry.slug] = existing[entry.slug]
        else:
            result.objects += _restore_project(home, entry, data)
        result.journals += entry.journals
        result.projects.append(entry)
    identity.refresh_map(home)
    return result


def _merge_project(home: str, slug: str, entry: ProjectEntry, data: dict[str, bytes]) -> int:
    """Merge the backup's wiki into the local project through a sync with a throwaway
    repository holding the bundle, then add the journals this project lacks (a journal here
    with other content is the newer one and is kept)."""
    from aimem.sync.config import Remote
    from aimem.sync.run import SyncError, sync_remote

    paths = paths_for(home, slug)
    name = str(load_meta(paths).get("name") or entry.name)
    prefix = f"projects/{entry.slug}/"
    objects = 0
    wiki_bundle = data.get(prefix + "wiki.bundle")
    if wiki_bundle is not None:
        with tempfile.TemporaryDirectory(prefix=".restore-merge-", dir=home) as tmp:
            source = pygit2.init_repository(tmp, bare=True)
            _, head = _unbundle(source, entry, wiki_bundle)
            objects = bundle.read_all(source, head)
            source.references.create("refs/heads/restore", head, force=True)
            remote = Remote("restore", "file://" + tmp, "all", "restore")
            try:
                sync_remote(paths, name, remote)
            except SyncError as exc:
                raise BackupError(f"project {slug}: merging the backup failed: {exc}") from None
            repo = wikirepo.open_repo(paths.wiki, create=False)
            if remote.tracking_ref in repo.references:
                repo.references.delete(remote.tracking_ref)
    os.makedirs(paths.raw, exist_ok=True)
    for member, blob in sorted(data.items()):
        if member.startswith(prefix + "raw/"):
            target = os.path.join(paths.raw, member[len(prefix) + 4 :])
            if not os.path.exists(target):
                write_atomic(target, blob)
    return objects


def _unbundle(
    repo: pygit2.Repository, entry: ProjectEntry, wiki_bundle: bytes
) -> tuple[bundle.BundleInfo, str]:
    """Unpack a project's bundle into ``repo``: what it held, and its branch's commit, which
    must be the manifest's."""
    try:
        info = bundle.unbundle(repo, wiki_bundle)
    except bundle.BundleError as exc:
        raise BackupError(f"project {entry.slug}: {exc}") from None
    head = info.refs.get("refs/heads/" + wikirepo.BRANCH) or info.refs.get("HEAD")
    if head is None or head != entry.head:
        raise BackupError(f"project {entry.slug}: the bundle's branch is not the manifest's")
    return info, head


def _restore_project(home: str, entry: ProjectEntry, data: dict[str, bytes]) -> int:
    prefix = f"projects/{entry.slug}/"
    # Beside projects/, not in it: a folder there is a project to every reader.
    staging = tempfile.mkdtemp(prefix=f".restore-{entry.slug}-", dir=home)
    try:
        paths = ProjectPaths(staging)
        objects = 0
        wiki_bundle = data.get(prefix + "wiki.bundle")
        if wiki_bundle is not None:
            repo = wikirepo.open_repo(paths.wiki, create=True)
            info, head = _unbundle(repo, entry, wiki_bundle)
            if str(repo[head].tree_id) != entry.tree:
                raise BackupError(
                    f"project {entry.slug}: the restored tree differs from the backup"
                )
            objects = bundle.read_all(repo, head)
            for name, target in info.refs.items():
                if name.startswith("refs/heads/"):
                    repo.references.create(name, target, force=True)
            repo.reset(head, pygit2.enums.ResetMode.HARD)
        os.makedirs(paths.raw, exist_ok=True)
        os.makedirs(paths.state, exist_ok=True)
        for name, blob in data.items():
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            if rest.startswith("raw/"):
                write_atomic(os.path.join(paths.raw, rest[4:]), blob)
            elif rest == "project.json":
                write_atomic(paths.meta, blob)
        if wiki_bundle is not None:
            sync_index(paths.index, paths.wiki, full=True)
            meta = load_meta(paths)
            write_brief(paths, str(meta.get("name") or entry.name), entries_after(paths.index, []))
        target = paths_for(home, entry.slug).base
        if os.path.isdir(target) and not os.listdir(target):
            os.rmdir(target)
        os.rename(staging, target)
        staging = ""
        return objects
    finally:
        if staging:
            shutil.rmtree(staging, ignore_errors=True)
