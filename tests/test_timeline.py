"""``aimem.timeline``: sessions and wiki commits, newest first, filtered; ``--since`` values."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pygit2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimem import timeline
from aimem.project import ProjectPaths

NOW = 1_800_000_000.0


def commit(wiki: str, name: str, email: str, message: str, when: int) -> str:
    repo = pygit2.Repository(wiki) if os.path.isdir(os.path.join(wiki, ".git")) else None
    if repo is None:
        repo = pygit2.init_repository(wiki)
    blob = repo.create_blob(message.encode())
    builder = (
        repo.TreeBuilder(repo.head.peel().tree) if not repo.head_is_unborn else repo.TreeBuilder()
    )
    builder.insert(f"{when}-{abs(hash(message))}.md", blob, pygit2.enums.FileMode.BLOB)
    sig = pygit2.Signature(name, email, when, 0)
    parents = [] if repo.head_is_unborn else [repo.head.target]
    return str(repo.create_commit("HEAD", sig, sig, message, builder.write(), parents))


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    paths = ProjectPaths(str(tmp_path / "proj-1"))
    os.makedirs(paths.state)
    os.makedirs(paths.wiki)
    sessions = {
        "s-old": {"agent": "codex", "status": "consolidated", "started_ts": NOW - 7200,
                  "ended_ts": NOW - 3600, "consolidated_ts": NOW - 3590, "page": "sessions/a.md"},
        "s-new": {"agent": "claude-code", "status": "open", "started_ts": NOW - 60},
        "s-bad": {"agent": 3, "status": None, "started_ts": "yesterday"},
    }  # fmt: skip
    Path(paths.state, "sessions.json").write_text(json.dumps(sessions))
    commit(
        paths.wiki,
        "aimem",
        "aimem@localhost",
        "consolidate: codex session s-old (3 observations)\n\nT\n",
        int(NOW - 3590),
    )  # noqa: E501
    commit(paths.wiki, "Bob", "bob@example.com", "Fix a typo", int(NOW - 1800))
    commit(paths.wiki, "aimem", "aimem@localhost", "sweep: archive 1, drop 0", int(NOW - 30))
    return paths


def test_timeline_merges_sessions_and_commits(paths: ProjectPaths) -> None:
    found = timeline.timeline(paths)
    assert [(e.kind, e.agent) for e in found] == [
        ("sweep", None),
        ("session", "claude-code"),
        ("commit", None),
        ("consolidate", "codex"),
        ("session", "codex"),
    ]  # a record without a usable time is left out
    old = found[-1]
    assert old.summary == "session s-old consolidated after 1 h 00 min"
    assert old.page == "sessions/a.md" and old.status == "consolidated"
    assert found[2].author == "Bob <bob@example.com>"
    assert (
        found[0]
        .as_dict()["time"]
        .startswith(dt.datetime.fromtimestamp(NOW - 30).astimezone().strftime("%Y-%m-%dT"))
    )


def test_filters(paths: ProjectPaths) -> None:
    assert [e.kind for e in timeline.timeline(paths, agent="codex")] == ["consolidate", "session"]
    assert [e.summary for e in timeline.timeline(paths, author="BOB")] == ["Fix a typo"]
    assert [e.kind for e in timeline.timeline(paths, since=NOW - 100)] == ["sweep", "session"]
    assert len(timeline.timeline(paths, limit=2)) == 2
    assert timeline.last_activity(paths) == NOW - 30


def test_an_empty_project(tmp_path: Path) -> None:
    paths = ProjectPaths(str(tmp_path / "nothing"))
    assert timeline.timeline(paths) == [] and timeline.last_activity(paths) is None
    os.makedirs(paths.wiki)
    pygit2.init_repository(paths.wiki)  # a wiki without a commit
    assert timeline.timeline(paths) == []


def test_parse_since() -> None:
    assert timeline.parse_since("30m", NOW) == NOW - 1800
    assert timeline.parse_since(" 2W ", NOW) == NOW - 14 * 86400
    assert timeline.parse_since("7d", NOW) == NOW - 7 * 86400
    midnight = dt.datetime.fromtimestamp(NOW).replace(hour=0, minute=0, second=0, microsecond=0)
    assert timeline.parse_since("today", NOW) == midnight.timestamp()
    assert timeline.parse_since("yesterday", NOW) == (midnight - dt.timedelta(days=1)).timestamp()
    assert (
        timeline.parse_since("2026-11-01T09:30+00:00")
        == dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC).timestamp()
    )
    with pytest.raises(ValueError, match="use 30m, 12h"):
        timeline.parse_since("last week", NOW)


@given(st.text(max_size=40))
def test_parse_since_never_raises_anything_but_value_error(text: str) -> None:
    try:
        value = timeline.parse_since(text, NOW)
    except ValueError:
        return
    assert isinstance(value, float)


def test_commits_in_the_same_second_keep_their_order(tmp_path: Path) -> None:
    paths = ProjectPaths(str(tmp_path / "same"))
    os.makedirs(paths.wiki)
    for n in range(6):
        commit(paths.wiki, "aimem", "aimem@localhost", f"write-page: step {n}", int(NOW))
    summaries = [e.summary for e in timeline.timeline(paths)]
    assert summaries == [f"write-page: step {n}" for n in reversed(range(6))]
