"""Keep the wiki's git object store packed, through libgit2's pack builder (no git binary).

Every commit writes its new objects loose, one zlib file each, and nothing in libgit2 ever packs
them; a year of sessions left hundreds of MiB of loose objects where ``git gc`` needs a few. So
after each commit (under the wiki lock, where no other aimem writer can add objects) aimem
estimates the loose objects the way ``git gc --auto`` does, by counting a few ``objects/xx``
folders, and past ``LOOSE_LIMIT`` writes them into one new pack (deltas between versions of the
same file make it small) and removes the loose copies. When more than ``PACK_LIMIT`` packs have
piled up, they are merged into one. ``aimem sweep`` packs whatever is loose, ``aimem doctor``
reports a store that needs it.

Safety: a loose object is removed only once the new pack is written and fsynced and its index
lists that object; an old pack only once the merged pack's index lists all of its objects (the
same rule ``git prune-packed`` and ``git repack -d`` follow). Packing is an optimisation: a
failure is logged and the loose objects stay.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from dataclasses import dataclass

import pygit2

log = logging.getLogger("aimem.wiki")

LOOSE_LIMIT = 1024  # loose objects (estimated) that make a commit pack them: ~80 commits
PACK_LIMIT = 16  # packs that make the next packing merge them into one
SAMPLE = ("17", "4c", "a3", "e8")  # objects/xx folders counted to estimate (git counts "17")
_HEX38 = re.compile(r"^[0-9a-f]{38}$")
_HEX2 = re.compile(r"^[0-9a-f]{2}$")


@dataclass(frozen=True)
class StoreStats:
    loose: int  # loose objects
    loose_bytes: int
    packs: int
    pack_bytes: int


@dataclass(frozen=True)
class PackResult:
    packed: int  # objects written into the new pack
    removed_loose: int  # loose files removed (their objects are in a pack now)
    removed_packs: int  # packs merged into the new one and removed


def objects_dir(repo: pygit2.Repository) -> str:
    return os.path.join(repo.path, "objects")


def estimate_loose(repo: pygit2.Repository) -> int:
    """Loose objects, estimated from ``len(SAMPLE)`` of the 256 fan-out folders (cheap enough to
    run after every commit: a few directory listings)."""
    base = objects_dir(repo)
    found = 0
    for name in SAMPLE:
        try:
            found += sum(1 for entry in os.scandir(os.path.join(base, name)) if entry.is_file())
        except FileNotFoundError:
            continue
    return found * 256 // len(SAMPLE)


def _loose_files(base: str) -> list[tuple[str, str]]:
    """``(object id, file path)`` of every loose object."""
    out = []
    try:
        folders = [e for e in os.scandir(base) if e.is_dir() and _HEX2.match(e.name)]
    except OSError:
        return out
    for folder in folders:
        for entry in os.scandir(folder.path):
            if _HEX38.match(entry.name) and entry.is_file():
                out.append((folder.name + entry.name, entry.path))
    return out


def _packs(base: str) -> list[str]:
    """Paths of the ``.pack`` files that have their ``.idx``."""
    folder = os.path.join(base, "pack")
    try:
        names = os.listdir(folder)
    except OSError:  # missing, or not a folder: no packs to count
        return []
    return sorted(
        os.path.join(folder, n) for n in names if n.endswith(".pack") and n[:-5] + ".idx" in names
    )


def store_stats(repo: pygit2.Repository) -> StoreStats:
    """Exact counts (every fan-out folder is listed: for doctor and sweep, not per commit)."""
    base = objects_dir(repo)
    loose = _loose_files(base)
    loose_bytes = sum(_size(path) for _, path in loose)
    packs = _packs(base)
    return StoreStats(len(loose), loose_bytes, len(packs), sum(_size(p) for p in packs))


def needs_packing(stats: StoreStats) -> bool:
    """Whether the store is clearly past the thresholds ``maybe_pack`` keeps it under (twice
    the loose limit: commits go by an estimate that may read a quarter low)."""
    return stats.loose > 2 * LOOSE_LIMIT or stats.packs > PACK_LIMIT


def maybe_pack(repo: pygit2.Repository) -> PackResult | None:
    """After a commit, under the wiki lock: pack when the loose objects passed ``LOOSE_LIMIT``
    (estimated). Never raises: a failed packing is logged and left for the next commit."""
    try:
        if estimate_loose(repo) <= LOOSE_LIMIT:
            return None
        return pack(repo)
    except Exception as exc:  # noqa: BLE001 - packing must never fail the write it follows
        log.warning("packing the wiki's objects failed (left loose): %s", exc)
        return None


def keep_packed(repo: pygit2.Repository, min_loose: int = 64) -> PackResult | None:
    """What ``aimem sweep`` runs (daily, from the timer), under the wiki lock: pack what is
    loose, exactly counted, once it is more than a handful, and merge piled-up packs. Never
    raises (logged)."""
    try:
        stats = store_stats(repo)
        if stats.loose < min_loose and stats.packs <= PACK_LIMIT:
            return None
        return pack(repo, merge=stats.packs > PACK_LIMIT or None)
    except Exception as exc:  # noqa: BLE001 - a sweep must not fail on an optimisation
        log.warning("packing the wiki's objects failed (left loose): %s", exc)
        return None


def pack(repo: pygit2.Repository, merge: bool | None = None) -> PackResult:
    """Write the loose objects into a new pack and remove them; with ``merge`` (default: when
    more than ``PACK_LIMIT`` packs exist) merge every pack into the new one. Caller holds the
    wiki lock."""
    base = objects_dir(repo)
    old_packs = _packs(base)
    if merge is None:
        merge = len(old_packs) + 1 > PACK_LIMIT
    loose = _loose_files(base)
    if not loose and (not merge or len(old_packs) <= 1):
        return PackResult(0, 0, 0)
    builder = pygit2.PackBuilder(repo)
    builder.set_threads(1)  # the pack is small; threads would compete with the agent's work
    loose_ids = {hexid for hexid, _ in loose}
    wanted = {str(oid) for oid in repo.odb} if merge else loose_ids
    names = _paths_of(repo, wanted, everything=merge)
    # Objects that share a path go in first and together: libgit2 looks for deltas among
    # neighbours of the same name, so each version of index.md is stored as a small delta.
    for hexid in sorted(wanted, key=lambda h: (names.get(h, "\uffff"), h)):
        _insert(builder, pygit2.Oid(hex=hexid), names.get(hexid))
    folder = os.path.join(base, "pack")
    _remove_leftovers(folder)
    before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    builder.write()
    written = builder.written_objects_count
    new_files = sorted(set(os.listdir(folder)) - before)
    new_idx = [os.path.join(folder, n) for n in new_files if n.endswith(".idx")]
    if len(new_idx) != 1:  # an identical pack already existed: nothing changes hands
        return PackResult(0, 0, 0)
    _make_durable(folder, new_files)
    in_pack = idx_object_ids(new_idx[0])
    removed_loose = 0
    for hexid, path in loose:
        if bytes.fromhex(hexid) not in in_pack:
            continue  # added after the builder read the store, or unreadable: keep it
        try:
            os.unlink(path)
            removed_loose += 1
        except FileNotFoundError:
            pass
    removed_packs = 0
    if merge:
        for pack_path in old_packs:
            if pack_path[:-5] + ".idx" == new_idx[0]:
                continue
            if not idx_object_ids(pack_path[:-5] + ".idx") <= in_pack:
                log.warning("pack %s not merged whole; kept", os.path.basename(pack_path))
                continue
            for suffix in (".keep", ".idx", ".pack", ".rev", ".bitmap"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(pack_path[:-5] + suffix)
            removed_packs += 1
    log.info(
        "packed %d objects (%d loose removed, %d packs merged)",
        written,
        removed_loose,
        removed_packs,
    )
    return PackResult(written, removed_loose, removed_packs)


_PACK_FILE = re.compile(r"^pack-[0-9a-f]{40}\.(pack|idx|keep|rev|bitmap|mtimes|promisor)$")
LEFTOVER_AGE = 3600  # seconds: a temporary file this old belongs to no running writer


def _remove_leftovers(folder: str) -> None:
    """Temporary files of a packing that was killed, and a pack whose index was removed before
    it by a killed merge: what ``git gc`` cleans up too, left alone while they are recent."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    old = time.time() - LEFTOVER_AGE
    for name in names:
        orphan = name.endswith(".pack") and name[:-5] + ".idx" not in names
        if _PACK_FILE.match(name) and not orphan:
            continue
        path = os.path.join(folder, name)
        with contextlib.suppress(OSError):
            if os.lstat(path).st_mtime < old:
                os.unlink(path)
                log.info("removed %s, left in the wiki's pack folder by a killed packing", name)


def idx_object_ids(idx_path: str) -> set[bytes]:
    """The object ids a pack index (version 2, SHA-1) lists; empty if it is not one."""
    with open(idx_path, "rb") as fh:
        data = fh.read()
    if len(data) < 8 + 256 * 4 or data[:8] != b"\xfftOc\x00\x00\x00\x02":
        return set()
    count = int.from_bytes(data[8 + 255 * 4 : 8 + 256 * 4], "big")
    start = 8 + 256 * 4
    names = data[start : start + 20 * count]
    return {names[i : i + 20] for i in range(0, len(names), 20)}


def _paths_of(repo: pygit2.Repository, wanted: set[str], everything: bool) -> dict[str, str]:
    """The path of each wanted blob and tree, from the commits that added them: walking back
    from HEAD through the commits that are still loose (all of them with ``everything``) and
    the paths each changed, so the cost follows the objects being packed."""
    from aimem.wiki.repo import changed_paths

    names: dict[str, str] = {}
    if repo.head_is_unborn:
        return names
    for commit in repo.walk(repo.head.target):
        if not everything and str(commit.id) not in wanted:
            break  # this commit and everything before it were packed already
        parent = str(commit.parents[0].id) if commit.parents else None
        names.setdefault(str(commit.tree_id), "")
        try:
            changes = changed_paths(repo, parent, str(commit.id))
        except (KeyError, ValueError, pygit2.GitError):
            continue
        for change in changes:
            if change.blob is not None:
                names.setdefault(change.blob, change.path)
            parts = change.path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                folder = "/".join(parts[:depth])
                try:
                    names.setdefault(str(commit.tree[folder].id), folder)
                except KeyError:
                    continue
    return names


def _insert(builder: pygit2.PackBuilder, oid: pygit2.Oid, name: str | None) -> None:
    """``builder.add`` with the object's path, which pygit2 does not pass on: libgit2 groups
    delta candidates by a hash of it. Falls back to a plain ``add`` if pygit2's internals differ."""
    try:
        from pygit2.errors import check_error
        from pygit2.ffi import C, ffi

        c_oid = ffi.new("git_oid *")
        ffi.buffer(c_oid)[:] = oid.raw
        c_name = ffi.new("char[]", name.encode("utf-8")) if name else ffi.NULL
        check_error(C.git_packbuilder_insert(builder._packbuilder, c_oid, c_name))
    except (ImportError, AttributeError):
        builder.add(oid)


def _make_durable(folder: str, names: list[str]) -> None:
    """fsync the new pack and index and the folder entry, before any copy is removed."""
    for name in names:
        fd = os.open(os.path.join(folder, name), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
