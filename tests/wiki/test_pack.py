"""Packing the wiki's object store through libgit2's pack builder (wiki/pack.py).

Real repositories; checked with the real git binary (fsck, count-objects, show-index).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

import pygit2
import pytest

from aimem.wiki import pack
from aimem.wiki import repo as wikirepo


@pytest.fixture
def repo(tmp_path: Path) -> pygit2.Repository:
    return wikirepo.open_repo(str(tmp_path / "wiki"))


def git(repo: pygit2.Repository, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", repo.path, *args], capture_output=True, text=True, check=True
    )
    return done.stdout + done.stderr


def counts(repo: pygit2.Repository) -> dict[str, int]:
    """``git count-objects -v`` as numbers."""
    out = {}
    for line in git(repo, "count-objects", "-v").splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = int(value)
    return out


def commit_many(repo: pygit2.Repository, n: int, start: int = 0) -> list[str]:
    commits = []
    for i in range(start, start + n):
        body = f"# Page {i}\n\n" + "a line of text that repeats\n" * (20 + i % 7)
        changes = {f"sessions/2026-01/p{i:04d}.md": body.encode(), "index.md": f"{i}\n".encode()}
        commits.append(wikirepo.commit_files(repo, changes, f"commit {i}"))
    return commits


def everything_readable(repo: pygit2.Repository, commits: list[str]) -> None:
    fresh = pygit2.Repository(repo.path)
    for commit in commits:
        for _, oid in wikirepo.iter_tree(fresh, fresh[commit].peel(pygit2.Commit).tree):
            assert fresh[oid].data is not None
    assert "error" not in git(repo, "fsck", "--full").lower()


def test_pack_moves_every_loose_object_into_one_pack(repo, monkeypatch) -> None:
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 10**9)  # only the explicit call below packs
    commits = commit_many(repo, 30)
    loose_before = counts(repo)["count"]
    assert loose_before >= 90 and pack.store_stats(repo).loose == loose_before

    result = pack.pack(repo)

    assert result.packed == loose_before and result.removed_loose == loose_before
    after = counts(repo)
    assert after["count"] == 0 and after["packs"] == 1 and after["in-pack"] == loose_before
    stats = pack.store_stats(repo)
    assert stats.loose == 0 and stats.packs == 1 and not pack.needs_packing(stats)
    everything_readable(repo, commits)
    # the pack index we read ourselves lists what git lists
    idx = next(Path(repo.path, "objects", "pack").glob("*.idx"))
    with open(idx, "rb") as fh:
        shown = subprocess.run(
            ["git", "show-index"], stdin=fh, capture_output=True, text=True, check=True
        ).stdout.split()
    assert {bytes.fromhex(h) for h in shown[1::3]} == pack.idx_object_ids(str(idx))
    # nothing left to do: a second call writes nothing
    assert pack.pack(repo) == pack.PackResult(0, 0, 0)


def test_commits_pack_the_store_past_the_threshold(repo, monkeypatch) -> None:
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 256)  # ~1 object in the 4 sampled folders
    commits = commit_many(repo, 120)  # ~4 new objects a commit: several packings
    stats = pack.store_stats(repo)
    assert stats.packs >= 1
    assert stats.loose < 4 * 256  # the estimate is coarse, but the store never runs away
    everything_readable(repo, commits)


def test_too_many_packs_are_merged_into_one(repo, monkeypatch) -> None:
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 10**9)
    monkeypatch.setattr(pack, "PACK_LIMIT", 3)
    commits = []
    for round_ in range(3):
        commits += commit_many(repo, 5, start=round_ * 5)
        pack.pack(repo)
    assert pack.store_stats(repo).packs == 3
    commits += commit_many(repo, 5, start=15)

    result = pack.pack(repo)  # a fourth pack would pass the limit: merge

    assert result.removed_packs == 3
    stats = pack.store_stats(repo)
    assert stats.packs == 1 and stats.loose == 0
    assert counts(repo)["in-pack"] == result.packed
    everything_readable(repo, commits)


def test_leftovers_of_a_killed_packing_are_removed_once_old(repo, monkeypatch) -> None:
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 10**9)
    commit_many(repo, 3)
    folder = Path(repo.path, "objects", "pack")
    old_tmp, new_tmp = folder / "pack_git2_a1b2c3", folder / "pack_git2_d4e5f6"
    orphan = folder / ("pack-" + "ab" * 20 + ".pack")  # its .idx went first, then the kill
    for path in (old_tmp, new_tmp, orphan):
        path.write_bytes(b"partial")
    hour_ago = time.time() - 2 * pack.LEFTOVER_AGE
    os.utime(old_tmp, (hour_ago, hour_ago))
    os.utime(orphan, (hour_ago, hour_ago))

    pack.pack(repo)

    assert not old_tmp.exists() and not orphan.exists()
    assert new_tmp.exists()  # may belong to a packing running right now (a person's git gc)
    assert pack.store_stats(repo).packs == 1


def test_a_failed_packing_leaves_the_objects_and_the_commit(repo, monkeypatch, caplog) -> None:
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 10**9)
    commits = commit_many(repo, 10)
    folder = Path(repo.path, "objects", "pack")
    shutil.rmtree(folder)
    folder.write_text("not a folder")  # libgit2 cannot write a pack here
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 0)

    with caplog.at_level(logging.WARNING, logger="aimem.wiki"):
        commits += commit_many(repo, 1, start=10)  # packs after the commit, and fails

    assert commits[-1] is not None and wikirepo.head_commit(repo) == commits[-1]
    assert any("packing" in r.getMessage() for r in caplog.records)
    loose = pack.store_stats(repo).loose
    folder.unlink()
    folder.mkdir()
    assert counts(repo)["count"] == loose > 30
    everything_readable(repo, commits)


def test_estimate_follows_the_loose_count(repo, monkeypatch) -> None:
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 10**9)
    commit_many(repo, 400)  # ~1,600 loose objects
    exact = pack.store_stats(repo).loose
    assert exact / 3 < pack.estimate_loose(repo) < exact * 3


def test_doctor_reports_an_unpacked_store_and_sweep_packs_it(tmp_path: Path, monkeypatch) -> None:
    from aimem.install import doctor
    from aimem.lifecycle.sweep import sweep
    from aimem.project import ProjectPaths

    paths = ProjectPaths(str(tmp_path / "data" / "projects" / "proj-12345678"))
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 10**9)  # as an aimem before packing left it
    repo = wikirepo.open_repo(paths.wiki)
    commits = commit_many(repo, 60)  # ~240 loose objects
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 100)

    check = doctor.check_wiki_store(paths.wiki, "proj-12345678")
    assert check.status == "warn" and "0 pack(s)" in check.detail
    assert check.fix == "aimem sweep --project proj-12345678"

    sweep(paths, "proj")

    stats = pack.store_stats(repo)
    assert stats.packs == 1 and stats.loose < 64  # at most what the sweep's own commit added
    check = doctor.check_wiki_store(paths.wiki, "proj-12345678")
    assert check.status == "ok" and "1 pack(s)" in check.detail
    everything_readable(repo, commits)
    # a dry run changes nothing, packing included
    commits += commit_many(repo, 30, start=60)
    loose = pack.store_stats(repo).loose
    sweep(paths, "proj", dry_run=True)
    assert pack.store_stats(repo).loose == loose
