"""Keep the wiki's ``.git/index`` at HEAD for plain git, in time that follows the change.

The index lists every file of the wiki (one entry each), and libgit2 reads and rewrites all of it
for any change: in a year of sessions (~6,500 files) that was ~9 ms of every commit, growing with
the wiki. Here a commit's few entries are spliced into the index's bytes instead: a side file
(``.git/aimem-index.offsets``) records where each entry starts, for the index whose checksum it
names, so the entries to replace, insert or remove are found by binary search, and the new file
is hashed and written whole at C speed (SHA-1 and a write of ~800 KB: ~1 ms). Without a side file
for this exact index (git rewrote it, or a killed writer left none), the entries are walked once.

The file written is what libgit2 writes for these entries (version 2 or 3, as found; no stat data,
so git compares the files' contents the first time it looks), minus the optional extensions, which
are caches git rebuilds (the cached trees, the untracked cache). Whatever this module does not
handle (another index version, a merge conflict, a split or sparse index, a file that turns into a
folder) is left to libgit2: ``update`` returns ``False`` and changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
from array import array

SIDE_FILE = "aimem-index.offsets"
TMP_DIR = "aimem-tmp"  # the wiki's temporary folder under .git (repo.TMP_DIR), emptied by recover
_HEADER = struct.Struct(">4sII")
_FIXED = 62  # bytes of an entry before its path: stat fields, mode, object id, flags
# ctime s/ns, mtime s/ns, dev, ino, mode, uid, gid, size, object id, flags (name length)
_STAT = struct.Struct(">10I20sH")


class _Layout:
    """Where the entries of one index file start (``starts[i]``; ``starts[-1]`` is where the
    entries end), with the version and the file's bytes."""

    def __init__(self, data: bytes, version: int, starts: array) -> None:
        self.data, self.version, self.starts = data, version, starts

    def count(self) -> int:
        return len(self.starts) - 1

    def name(self, i: int) -> bytes:
        start = self.starts[i]
        flags = int.from_bytes(self.data[start + 60 : start + 62], "big")
        head = _FIXED + (2 if flags & 0x4000 else 0)
        end = self.starts[i + 1]
        return self.data[start + head : self.data.index(b"\0", start + head, end)]

    def find(self, path: bytes) -> int:
        """The position of ``path``, or where it would go (entries are sorted by path)."""
        lo, hi = 0, self.count()
        while lo < hi:
            mid = (lo + hi) // 2
            if self.name(mid) < path:
                lo = mid + 1
            else:
                hi = mid
        return lo


def update(git_dir: str, entries: dict[str, tuple[bytes, int] | None]) -> bool:
    """Set ``entries`` (path -> (20-byte object id, file mode); ``None`` removes the path) in
    the index of ``git_dir``. ``False`` when this index is not one this module edits (nothing
    was changed: use libgit2); raises ``OSError`` when the file cannot be written."""
    index_path = os.path.join(git_dir, "index")
    try:
        with open(index_path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return False
    layout = _layout(git_dir, data)
    if layout is None:
        return False
    edits = _edits(layout, entries)
    if edits is None:
        return False
    parts, starts = _splice(layout, edits)
    parts.insert(0, _HEADER.pack(b"DIRC", layout.version, len(starts) - 1))
    digest = hashlib.sha1()  # noqa: S324 - git's own checksum
    for part in parts:
        digest.update(part)
    checksum = digest.digest()
    _write_locked(git_dir, [*parts, checksum])
    _write_side(git_dir, checksum, starts)
    return True


def _layout(git_dir: str, data: bytes) -> _Layout | None:
    if len(data) < _HEADER.size + 20:
        return None
    signature, version, count = _HEADER.unpack_from(data)
    if signature != b"DIRC" or version not in (2, 3):
        return None
    starts = _read_side(git_dir, data[-20:], count)
    if starts is None:
        starts = _walk(data, version, count)
    if starts is None or starts[-1] > len(data) - 20:
        return None
    if not _extensions_optional(data, starts[-1]):
        return None
    return _Layout(data, version, starts)


def _walk(data: bytes, version: int, count: int) -> array | None:
    """Entry starts found by reading each entry's flags; ``None`` for an index this module does
    not edit (a conflict stage, a checksum that does not match, a truncated file)."""
    if hashlib.sha1(data[:-20]).digest() != data[-20:]:  # noqa: S324 - git's own checksum
        return None
    starts = array("I")
    pos = _HEADER.size
    end = len(data) - 20
    for _ in range(count):
        if pos + _FIXED > end:
            return None
        starts.append(pos)
        flags = int.from_bytes(data[pos + 60 : pos + 62], "big")
        if flags & 0x3000:  # a merge conflict's stages: git's business
            return None
        head = _FIXED
        if flags & 0x4000:  # extended flags (intent-to-add, skip-worktree): version 3
            if version < 3:
                return None
            head += 2
        length = flags & 0xFFF
        if length == 0xFFF:
            length = data.find(b"\0", pos + head, end) - (pos + head)
            if length < 0:
                return None
        pos += (head + length + 8) & ~7
    starts.append(pos)
    return starts


def _extensions_optional(data: bytes, pos: int) -> bool:
    """Whether every extension after the entries is an optional one (a cache git rebuilds,
    signature in capitals); a mandatory one (``link`` of a split index, ``sdir`` of a sparse
    one) changes what the entries mean."""
    end = len(data) - 20
    while pos < end:
        if pos + 8 > end:
            return False
        signature = data[pos : pos + 4]
        if not (65 <= signature[0] <= 90):
            return False
        pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
    return pos == end


def _edits(
    layout: _Layout, entries: dict[str, tuple[bytes, int] | None]
) -> list[tuple[int, int, bytes]] | None:
    """``(position, entries replaced, new bytes)`` per changed path, by position; ``None`` when
    a path would collide with a file or a folder already in the index (libgit2 resolves those)."""
    edits = []
    for rel in sorted(entries):
        path = rel.encode("utf-8")
        at = layout.find(path)
        present = at < layout.count() and layout.name(at) == path
        value = entries[rel]
        if value is None:
            if present:
                edits.append((at, 1, b""))
            continue
        if not present and _collides(layout, path, at):
            return None
        edits.append((at, int(present), _entry(path, *value)))
    return edits


def _collides(layout: _Layout, path: bytes, at: int) -> bool:
    """A new ``path`` where a folder of it is a file in the index, or the path is a folder."""
    if at < layout.count() and layout.name(at).startswith(path + b"/"):
        return True
    parts = path.split(b"/")[:-1]
    for depth in range(1, len(parts) + 1):
        folder = b"/".join(parts[:depth])
        i = layout.find(folder)
        if i < layout.count() and layout.name(i) == folder:
            return True
    return False


def _entry(path: bytes, oid: bytes, mode: int) -> bytes:
    """An entry as libgit2 writes one without stat data: git checks the file's content once."""
    head = _STAT.pack(0, 0, 0, 0, 0, 0, mode, 0, 0, 0, oid, min(len(path), 0xFFF))
    return head + path + b"\0" * (8 - (_FIXED + len(path)) % 8)


def _splice(
    layout: _Layout, edits: list[tuple[int, int, bytes]]
) -> tuple[list[memoryview | bytes], array]:
    """The new entries, as pieces (views of the old file between the edits, and the new
    entries: nothing is copied before the write), and where each entry starts."""
    data, old = memoryview(layout.data), layout.starts
    parts: list[memoryview | bytes] = []
    starts = array("I")
    done = 0  # entries copied so far
    shift = _HEADER.size - old[0]  # new start minus old start of the entries being copied
    for at, replaced, new in edits:
        parts.append(data[old[done] : old[at]])
        starts.extend([s + shift for s in old[done:at]])
        if new:
            starts.append(old[at] + shift)
        shift += len(new) - (old[at + replaced] - old[at])
        parts.append(new)
        done = at + replaced
    parts.append(data[old[done] : old[-1]])
    starts.extend([s + shift for s in old[done:]])
    return parts, starts


def _write_locked(git_dir: str, parts: list[memoryview | bytes]) -> None:
    """Write the index the way git does: through ``index.lock``, renamed over ``index``. A
    lock held by someone else (a person's git) raises ``FileExistsError``."""
    lock = os.path.join(git_dir, "index.lock")
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        try:
            for part in parts:
                view = memoryview(part)
                while view:
                    view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(lock, os.path.join(git_dir, "index"))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(lock)
        raise


def _read_side(git_dir: str, checksum: bytes, count: int) -> array | None:
    try:
        with open(os.path.join(git_dir, SIDE_FILE), "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    starts = array("I")
    if raw[:20] != checksum or (len(raw) - 20) != (count + 1) * starts.itemsize:
        return None
    starts.frombytes(raw[20:])
    return starts if starts[0] == _HEADER.size else None


def _write_side(git_dir: str, checksum: bytes, starts: array) -> None:
    """The side file, replaced atomically (a stale or torn one names another checksum, and is
    ignored)."""
    folder = os.path.join(git_dir, TMP_DIR)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f"{SIDE_FILE}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, checksum + starts.tobytes())
    finally:
        os.close(fd)
    os.replace(tmp, os.path.join(git_dir, SIDE_FILE))


def remove_side(git_dir: str) -> None:
    """Forget the side file (after libgit2 rewrote the index, it names an old checksum anyway)."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(git_dir, SIDE_FILE))
