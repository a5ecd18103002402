"""The raw journal: append-only JSONL segments that survive torn writes, replays and races."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aimem.capture.journal import append_line, read_journal, valid_session_id


def line(record: dict) -> bytes:
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def test_append_and_read_roundtrip(tmp_path):
    path = str(tmp_path / "raw" / "s1.jsonl")  # the raw/ folder does not exist yet
    records = [{"id": f"r{i}", "kind": "prompt", "text": f"hello é {i}"} for i in range(3)]
    for record in records:
        assert append_line(path, line(record), record["id"]) is True
    result = read_journal(path)
    assert result.records == records
    assert (result.torn_tail, result.bad_lines, result.duplicates) == (False, [], 0)


def test_line_without_newline_is_refused(tmp_path):
    with pytest.raises(ValueError):
        append_line(str(tmp_path / "s.jsonl"), b'{"id":"x"}')


def test_missing_segment_reads_empty(tmp_path):
    result = read_journal(str(tmp_path / "nope.jsonl"))
    assert result.records == [] and not result.torn_tail


def test_torn_tail_is_skipped_then_cut_by_next_append(tmp_path):
    path = tmp_path / "s.jsonl"
    append_line(str(path), line({"id": "a", "n": 1}), "a")
    with open(path, "ab") as fh:  # a writer killed mid-line
        fh.write(b'{"id":"torn","text":"half a li')

    before = read_journal(str(path))
    assert before.torn_tail is True
    assert [r["id"] for r in before.records] == ["a"]
    assert before.bad_lines == []

    assert append_line(str(path), line({"id": "b", "n": 2}), "b") is True
    data = path.read_bytes()
    assert b"torn" not in data
    assert data.endswith(b"\n")
    assert all(json.loads(raw) for raw in data.splitlines())
    after = read_journal(str(path))
    assert [r["id"] for r in after.records] == ["a", "b"]
    assert after.torn_tail is False


def test_file_that_is_one_torn_line_is_reset(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"id":"to')
    assert read_journal(str(path)).torn_tail is True
    append_line(str(path), line({"id": "ok"}), "ok")
    assert path.read_bytes() == line({"id": "ok"})


def test_replayed_record_is_not_appended_twice(tmp_path):
    path = str(tmp_path / "s.jsonl")
    first = line({"id": "dup1", "kind": "tool_use"})
    assert append_line(path, first, "dup1") is True
    assert append_line(path, line({"id": "other"}), "other") is True
    assert append_line(path, first, "dup1") is False
    assert [r["id"] for r in read_journal(path).records] == ["dup1", "other"]
    # An id that only appears inside another record's text is not a replay.
    path2 = str(tmp_path / "s2.jsonl")
    append_line(path2, line({"id": "x", "text": 'said "id":"y" once'}), "x")
    assert append_line(path2, line({"id": "y"}), "y") is True


def test_reader_drops_duplicates_that_slipped_in(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(line({"id": "a"}) + line({"id": "a"}) + line({"id": "b"}))
    result = read_journal(str(path))
    assert [r["id"] for r in result.records] == ["a", "b"]
    assert result.duplicates == 1


def test_a_boundary_is_a_replay_only_as_the_last_line(tmp_path):
    path = str(tmp_path / "s.jsonl")
    start = line({"id": "st", "kind": "session_start"})
    end = line({"id": "en", "kind": "session_end"})
    assert append_line(path, start, "st", last_only=True) is True
    assert append_line(path, start, "st", last_only=True) is False  # the same hook twice
    assert append_line(path, line({"id": "p1", "kind": "prompt"}), "p1") is True
    assert append_line(path, end, "en", last_only=True) is True
    assert append_line(path, end, "en", last_only=True) is False
    # Resumed: the same start and end again, each after other lines, are new.
    assert append_line(path, start, "st", last_only=True) is True
    assert append_line(path, line({"id": "p2", "kind": "prompt"}), "p2") is True
    assert append_line(path, end, "en", last_only=True) is True
    ids = [r["id"] for r in read_journal(path).records]
    assert ids == ["st", "p1", "en", "st", "p2", "en"]


def test_reader_keeps_resumed_boundaries_and_drops_adjacent_repeats(tmp_path):
    path = tmp_path / "s.jsonl"
    start = line({"id": "st", "kind": "session_start"})
    end = line({"id": "en", "kind": "session_end"})
    prompt = line({"id": "p1", "kind": "prompt"})
    path.write_bytes(start + start + prompt + end + end + start + prompt + end)
    result = read_journal(str(path))
    assert [r["id"] for r in result.records] == ["st", "p1", "en", "st", "en"]
    assert result.duplicates == 3


def test_bad_middle_lines_are_reported_and_skipped(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(
        line({"id": "a"})
        + b"not json at all\n"
        + b"\n"  # blank lines are not errors
        + b"[1, 2, 3]\n"  # JSON, but not an object
        + b"\xff\xfe garbage\n"
        + line({"id": "b"})
    )
    result = read_journal(str(path))
    assert [r["id"] for r in result.records] == ["a", "b"]
    assert result.bad_lines == [2, 4, 5]
    assert result.torn_tail is False


@pytest.mark.parametrize(
    "session",
    [
        "2d7e7e66-02f9-497d-97f3-5bac042e8559",  # Claude Code
        "01a20576-655f-76b0-865f-6ee5b2f9581b",  # Codex
        "session_1.part-2",
        "a" * 128,
    ],
)
def test_valid_session_ids(session):
    assert valid_session_id(session) is True


@pytest.mark.parametrize(
    "session",
    [
        "../x",
        "a/b",
        ".hidden",
        "-rf",
        "",
        None,
        42,
        b"abc",
        "a" * 129,
        "x" * 200,
        "a b",
        "é",
        "a\0b",
    ],
)
def test_invalid_session_ids(session):
    assert valid_session_id(session) is False


WRITER = """
import json, sys
from aimem.capture.journal import append_line
path, worker = sys.argv[1], sys.argv[2]
for i in range(200):
    rid = f"{worker}-{i}"
    rec = {"id": rid, "worker": worker, "i": i, "pad": "x" * (i % 50) * 37}
    assert append_line(path, json.dumps(rec, separators=(",", ":")).encode() + b"\\n", rid)
"""


def test_concurrent_appends_from_four_processes(tmp_path):
    path = tmp_path / "raw" / "shared.jsonl"
    root = str(Path(__file__).resolve().parents[2])
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{n}"], cwd=root)
        for n in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]

    raw_lines = path.read_bytes().split(b"\n")
    assert raw_lines[-1] == b""
    assert len(raw_lines) - 1 == 800
    result = read_journal(str(path))
    assert (result.bad_lines, result.torn_tail, result.duplicates) == ([], False, 0)
    assert len(result.records) == 800
    for worker in range(4):
        mine = [r["i"] for r in result.records if r["worker"] == f"w{worker}"]
        assert mine == list(range(200))  # each writer's lines whole and in order
