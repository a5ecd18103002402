"""Git bundles (format v2), written and read with pygit2 alone: no git binary needed.

libgit2 has no bundle writer or reader, but the format is small (``git help bundle-format``)::

    # v2 git bundle\\n
    <oid> <refname>\\n          one line per ref (no prerequisites: the bundle is complete)
    \\n
    <a pack file>

The pack comes from pygit2's ``PackBuilder`` (every commit reachable from the refs, each with
its whole tree), so stock ``git bundle verify`` and ``git clone`` accept the file. Reading
parses the pack here (whole objects and both delta kinds), hashes every object, and installs
the pack as it is with an index written here (git's ``.idx`` version 2): one file, not
thousands of loose objects. The pack's SHA-1 trailer is checked first, and the history is
read back through libgit2 afterwards (``read_all``), so a damaged or incomplete bundle is
refused rather than installed half.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from dataclasses import dataclass

import pygit2

SIGNATURE = b"# v2 git bundle\n"
_TYPES = {1: pygit2.enums.ObjectType.COMMIT, 2: pygit2.enums.ObjectType.TREE}
_TYPES |= {3: pygit2.enums.ObjectType.BLOB, 4: pygit2.enums.ObjectType.TAG}
_NAMES = {1: "commit", 2: "tree", 3: "blob", 4: "tag"}
_OFS_DELTA, _REF_DELTA = 6, 7
_CHUNK = 1 << 16


class BundleError(ValueError):
    """A file that is not a whole, valid bundle; one line."""


@dataclass(frozen=True)
class BundleInfo:
    refs: dict[str, str]  # ref name -> commit id
    objects: int  # objects in the pack


def default_refs(repo: pygit2.Repository) -> dict[str, str]:
    """The branches, and ``HEAD`` so that a clone checks the branch out."""
    refs = {}
    for name in repo.references:
        if name.startswith("refs/heads/"):
            refs[name] = str(repo.references[name].resolve().target)
    if not repo.head_is_unborn:
        refs = {"HEAD": str(repo.head.target), **refs}
    return refs


def write_bundle(
    repo: pygit2.Repository, out_path: str, refs: dict[str, str] | None = None
) -> BundleInfo:
    """Write a complete bundle of ``refs`` (default: the branches and HEAD) to ``out_path``,
    atomically (a temporary file renamed in)."""
    refs = default_refs(repo) if refs is None else refs
    if not refs:
        raise BundleError("nothing to bundle: the repository has no commits")
    builder = pygit2.PackBuilder(repo)
    builder.set_threads(1)
    seen: set[pygit2.Oid] = set()
    for target in sorted(set(refs.values())):
        for commit in repo.walk(pygit2.Oid(hex=target), pygit2.enums.SortMode.TOPOLOGICAL):
            if commit.id in seen:
                continue
            seen.add(commit.id)
            builder.add_recur(commit.id)  # the commit and its whole tree (not its parents)
    header = SIGNATURE + b"".join(f"{oid} {name}\n".encode() for name, oid in refs.items())
    folder = os.path.dirname(os.path.abspath(out_path))
    with tempfile.TemporaryDirectory(dir=folder, prefix=".bundle-") as tmp:
        builder.write(tmp)
        packs = [n for n in os.listdir(tmp) if n.endswith(".pack")]
        if len(packs) != 1:
            raise BundleError(f"the pack builder wrote {len(packs)} packs")
        part = os.path.join(tmp, "bundle.part")
        with open(part, "wb") as out, open(os.path.join(tmp, packs[0]), "rb") as pack:
            out.write(header + b"\n")
            while chunk := pack.read(_CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, out_path)
    return BundleInfo(dict(refs), builder.written_objects_count)


def read_header(data: bytes) -> tuple[dict[str, str], int]:
    """The refs a bundle holds and where its pack starts. Raises ``BundleError``."""
    if not data.startswith(SIGNATURE):
        raise BundleError("not a git bundle (v2): the first line is not '# v2 git bundle'")
    refs: dict[str, str] = {}
    pos = len(SIGNATURE)
    while True:
        end = data.find(b"\n", pos)
        if end < 0:
            raise BundleError("the bundle's header is cut short")
        line = data[pos:end]
        pos = end + 1
        if not line:
            break
        if line.startswith(b"-"):
            raise BundleError("the bundle needs prerequisite commits (not a complete bundle)")
        oid, _, name = line.decode("utf-8", "replace").partition(" ")
        if len(oid) != 40 or any(c not in "0123456789abcdef" for c in oid) or not name:
            raise BundleError(f"bad ref line in the bundle header: {line[:80]!r}")
        refs[name] = oid
    if not refs:
        raise BundleError("the bundle names no refs")
    return refs, pos


def unbundle(repo: pygit2.Repository, data: bytes) -> BundleInfo:
    """Write every object of the bundle ``data`` into ``repo`` and check that each ref's
    history is whole there (every commit, tree and blob read). Refs are not set: the caller
    decides where they go. Raises ``BundleError``."""
    refs, start = read_header(data)
    count = unpack(repo, memoryview(data)[start:])
    for target in set(refs.values()):
        read_all(repo, target)
    return BundleInfo(refs, count)


def unpack(repo: pygit2.Repository, pack: memoryview) -> int:
    """Parse a version 2 pack, hash every object, and install the pack with an index of our
    making in ``repo`` (one file instead of thousands of loose objects); returns how many
    objects it holds."""
    if len(pack) < 32 or bytes(pack[:4]) != b"PACK":
        raise BundleError("the bundle holds no pack")
    if int.from_bytes(pack[4:8], "big") != 2:
        raise BundleError("unsupported pack version")
    if hashlib.sha1(pack[:-20]).digest() != bytes(pack[-20:]):
        raise BundleError("the pack's checksum does not match (the file is damaged)")
    total = int.from_bytes(pack[8:12], "big")
    body = pack[:-20]
    by_offset: dict[int, tuple[int, bytes]] = {}  # offset -> (type, whole object)
    by_id: dict[bytes, int] = {}  # object id -> offset
    entries: list[tuple[bytes, int, int]] = []  # (object id, crc32 of its packed bytes, offset)
    pos = 12
    for _ in range(total):
        start = pos
        kind, pos = _object_header(body, pos)
        base: tuple[int, bytes] | None = None
        if kind == _OFS_DELTA:
            distance, pos = _offset(body, pos)
            base = by_offset.get(start - distance)
            if base is None:
                raise BundleError(f"a delta at {start} names a base the pack does not hold")
        elif kind == _REF_DELTA:
            base_raw = bytes(body[pos : pos + 20])
            pos += 20
            if base_raw in by_id:
                base = by_offset[by_id[base_raw]]
            else:
                try:
                    found = repo.odb.read(pygit2.Oid(raw=base_raw))
                except KeyError:
                    raise BundleError(
                        f"a delta names object {base_raw.hex()} the pack lacks"
                    ) from None
                base = (int(found[0]), found[1])
        elif kind not in _TYPES:
            raise BundleError(f"unknown object type {kind} at {start}")
        data, pos = _inflate(body, pos)
        if base is not None:
            kind, data = base[0], apply_delta(base[1], data)
        by_offset[start] = (kind, data)
        header = f"{_NAMES[kind]} {len(data)}\0".encode()
        oid = hashlib.sha1(header + data).digest()
        by_id[oid] = start
        entries.append((oid, zlib.crc32(body[start:pos]), start))
    if pos != len(body):
        raise BundleError("the pack has bytes after its last object")
    _install(repo, pack, entries)
    return total


def _install(
    repo: pygit2.Repository, pack: memoryview, entries: list[tuple[bytes, int, int]]
) -> None:
    """Write ``pack`` and its index (version 2) into the repository's ``objects/pack``: the
    pack first, the index last, since git and libgit2 see a pack by its index."""
    entries = sorted(entries)
    fanout = [0] * 256
    for oid, _, _ in entries:
        fanout[oid[0]] += 1
    running = 0
    for i in range(256):
        running += fanout[i]
        fanout[i] = running
    large = [off for _, _, off in entries if off >= 0x80000000]
    small = []
    for _, _, off in entries:
        small.append(0x80000000 | large.index(off) if off >= 0x80000000 else off)
    idx = bytearray(b"\377tOc" + (2).to_bytes(4, "big"))
    idx += b"".join(n.to_bytes(4, "big") for n in fanout)
    idx += b"".join(oid for oid, _, _ in entries)
    idx += b"".join(crc.to_bytes(4, "big") for _, crc, _ in entries)
    idx += b"".join(n.to_bytes(4, "big") for n in small)
    idx += b"".join(n.to_bytes(8, "big") for n in large)
    idx += bytes(pack[-20:])
    idx += hashlib.sha1(idx).digest()
    folder = os.path.join(repo.path, "objects", "pack")
    os.makedirs(folder, exist_ok=True)
    name = os.path.join(folder, "pack-" + bytes(pack[-20:]).hex())
    for suffix, blob in ((".pack", pack), (".idx", idx)):
        part = name + suffix + ".part"
        with open(part, "wb") as out:
            out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(part, 0o444)
        os.replace(part, name + suffix)


def _object_header(buf: memoryview, pos: int) -> tuple[int, int]:
    byte = buf[pos]
    pos += 1
    kind = (byte >> 4) & 7
    while byte & 0x80:  # the size, which the inflated data gives us anyway
        byte = buf[pos]
        pos += 1
    return kind, pos


def _offset(buf: memoryview, pos: int) -> tuple[int, int]:
    byte = buf[pos]
    pos += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = buf[pos]
        pos += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, pos


def _inflate(buf: memoryview, pos: int) -> tuple[bytes, int]:
    inflater = zlib.decompressobj()
    out = []
    fed = pos
    while not inflater.eof:
        if fed >= len(buf):
            raise BundleError("the pack is cut short inside an object")
        chunk = buf[fed : fed + _CHUNK]
        fed += len(chunk)
        out.append(inflater.decompress(chunk))
    return b"".join(out), fed - len(inflater.unused_data)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """git's delta: copy ranges of ``base`` and insert literal bytes."""
    size, pos = _varint(delta, 0)
    if size != len(base):
        raise BundleError("a delta does not fit its base")
    size, pos = _varint(delta, pos)
    out = bytearray()
    while pos < len(delta):
        op = delta[pos]
        pos += 1
        if op & 0x80:
            offset = length = 0
            for i in range(4):
                if op & (1 << i):
                    offset |= delta[pos] << (8 * i)
                    pos += 1
            for i in range(3):
                if op & (0x10 << i):
                    length |= delta[pos] << (8 * i)
                    pos += 1
            length = length or 0x10000
            if offset + length > len(base):
                raise BundleError("a delta copies past its base")
            out += base[offset : offset + length]
        elif op:
            out += delta[pos : pos + op]
            pos += op
        else:
            raise BundleError("a delta holds a reserved instruction")
    if len(out) != size:
        raise BundleError("a delta's result has the wrong size")
    return bytes(out)


def read_all(repo: pygit2.Repository, target: str) -> int:
    """Read every commit, tree and blob reachable from ``target``; returns how many objects.
    Raises ``BundleError`` naming the first one missing."""
    seen: set[pygit2.Oid] = set()
    try:
        for commit in repo.walk(pygit2.Oid(hex=target), pygit2.enums.SortMode.NONE):
            seen.add(commit.id)
            stack = [commit.tree_id]
            while stack:
                oid = stack.pop()
                if oid in seen:
                    continue
                seen.add(oid)
                obj = repo[oid]
                obj.read_raw()
                if isinstance(obj, pygit2.Tree):
                    stack.extend(entry.id for entry in obj)
    except (KeyError, pygit2.GitError) as exc:
        raise BundleError(f"the history of {target[:12]} is incomplete: {exc}") from None
    return len(seen)
