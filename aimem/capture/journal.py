"""The raw journal: one append-only JSONL segment per session, ``raw/<session>.jsonl``.

Writers append one whole line with a single ``os.write`` under ``fcntl.flock`` and ``fsync``.
A writer killed mid-line leaves a torn tail; the next writer (holding the lock) cuts it off before
appending, and readers skip a last line without ``\\n``. Standard library only.

A replayed hook (the same call delivered twice) is recognised by its record id. Session
boundaries (``session_start``, ``session_end``) carry no per-call id, and a resumed session sends
the same ones again, so for them only a repeat of the journal's *last* line is a replay:
``end, start(resume), ..., end`` is all recorded, ``end, end`` once.
"""

from __future__ import annotations

import fcntl
import os

from aimem.capture import jsonfast

_TAIL = 72 * 1024  # > the 64 KiB line cap: the window always reaches the previous newline
SESSION_ID_MAX = 128
BOUNDARY_KINDS = ("session_start", "session_end")  # replayed only as the journal's last line


def valid_session_id(session: object) -> bool:
    """Session ids become file names, so only a safe alphabet is accepted."""
    if not isinstance(session, str) or not 0 < len(session) <= SESSION_ID_MAX:
        return False
    if session[0] in ".-":
        return False
    return all(c.isascii() and (c.isalnum() or c in "._-") for c in session)


def append_line(
    path: str, line: bytes, record_id: str | None = None, last_only: bool = False
) -> bool:
    """Append ``line`` (ending in ``\\n``) under an exclusive lock; ``False`` if ``record_id`` was
    already among the recent lines (a replayed hook), or with ``last_only`` (session boundaries)
    if it is the id of the last line."""
    if not line.endswith(b"\n"):
        raise ValueError("a journal line must end with a newline")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocking: the kernel queues waiters fairly
        size = os.fstat(fd).st_size
        if size:
            start = max(0, size - _TAIL)
            tail = os.pread(fd, size - start, start)
            if not tail.endswith(b"\n"):
                cut = tail.rfind(b"\n")
                # No newline in the whole window: the torn line began earlier, or the file is one
                # torn line. Only cut what is certainly torn.
                if cut >= 0:
                    os.ftruncate(fd, start + cut + 1)
                    tail = tail[: cut + 1]
                elif start == 0:
                    os.ftruncate(fd, 0)
                    tail = b""
            if record_id:
                if last_only:
                    tail = tail[tail.rfind(b"\n", 0, len(tail) - 1) + 1 :]
                if b'"id":"' + record_id.encode() + b'"' in tail:
                    return False
        # A cut write (a full disk writes what fits, then fails) must not leave part of a line:
        # on any failure the file goes back to its size before the write.
        before = os.lseek(fd, 0, os.SEEK_END)
        try:
            if os.write(fd, line) != len(line):
                raise OSError(28, "No space left on device (short write)", path)
            os.fsync(fd)
        except BaseException:
            try:  # noqa: SIM105 - no contextlib on the hook path (~4 ms)
                os.ftruncate(fd, before)
            except OSError:
                pass  # the reader and the next writer cut a torn tail anyway
            raise
        return True
    finally:
        os.close(fd)  # closing releases the flock


class JournalRead:
    """What ``read_journal`` found (a plain class: ``dataclasses`` is too slow to import here)."""

    __slots__ = ("records", "torn_tail", "bad_lines", "duplicates")

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.torn_tail = False
        self.bad_lines: list[int] = []  # 1-based numbers of lines that did not parse
        self.duplicates = 0


def read_journal(path: str) -> JournalRead:
    """Parse a segment, skipping a torn last line, unparsable lines and replayed ids."""
    result = JournalRead()
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return result
    lines = data.split(b"\n")
    if lines and lines[-1] != b"":
        result.torn_tail = True
    seen: set[str] = set()
    previous = None  # id of the line before: a boundary record repeats only that one
    for number, raw in enumerate(lines[:-1], start=1):
        if not raw.strip():
            continue
        try:
            record = jsonfast.loads(raw)
        except ValueError:
            result.bad_lines.append(number)
            continue
        if not isinstance(record, dict):
            result.bad_lines.append(number)
            continue
        rid = record.get("id")
        last, previous = previous, rid
        if isinstance(rid, str):
            boundary = record.get("kind") in BOUNDARY_KINDS
            if rid == last or (rid in seen and not boundary):
                result.duplicates += 1
                continue
            seen.add(rid)
        result.records.append(record)
    return result


def list_segments(raw_dir: str) -> list[str]:
    """Session ids that have a journal segment, oldest first by modification time."""
    try:
        names = [n for n in os.listdir(raw_dir) if n.endswith(".jsonl")]
    except FileNotFoundError:
        return []
    entries = []
    for name in names:
        try:
            entries.append((os.stat(os.path.join(raw_dir, name)).st_mtime, name[:-6]))
        except FileNotFoundError:
            continue
    return [session for _, session in sorted(entries)]
