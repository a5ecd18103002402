"""``aimem purge``: a secret planted in a page body, a commit message, the journal and the index
is found 0 times afterwards in loose and packed objects, reflogs, the index file's bytes and the
journals; other pages keep their history; ``--dry-run`` changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import time
import zlib
from pathlib import Path

import pygit2
import pytest
from admin_world import git, make_project, page

from aimem.admin.backup import backup
from aimem.admin.purge import PurgeError, purge
from aimem.memory.transaction import transaction
from aimem.recall import query

SECRET = "PLANTED-leak-7f3a9c2e"


def plant(paths) -> None:  # noqa: ANN001
    with transaction(paths, "alpha", "test", now=time.time()) as txn:
        txn.write(
            page("gotchas/leak.md", "Leaky gotcha", f"The token was {SECRET} here.\n", "gotcha")
        )
        txn.log("wrote gotchas/leak.md")
        txn.commit(f"test: a message naming {SECRET}\n")
    with open(paths.journal("s2"), "w", encoding="utf-8") as fh:
        fh.write(
            json.dumps({"kind": "prompt", "text": f'use "{SECRET}" ünïcode'}, ensure_ascii=True)
            + "\n"
        )
    assert query(paths, SECRET.split("-")[-1])  # the index holds it too
    logs = Path(paths.base).parent.parent / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "aimem.log").write_text(f"a log line quoting {SECRET}\n")


def occurrences(paths, needle: bytes) -> dict[str, int]:  # noqa: ANN001
    """Where the bytes are: every loose object inflated, every pack's objects (via git), every
    other file of the project folder read raw (reflogs, index.sqlite, journals, state)."""
    found: dict[str, int] = {}
    objects = Path(paths.wiki) / ".git" / "objects"
    for path in objects.glob("??/*"):
        if needle in zlib.decompress(path.read_bytes()):
            found[str(path)] = found.get(str(path), 0) + 1
    for idx in objects.glob("pack/*.idx"):
        listing = git("verify-pack", "-v", str(idx)).split("\n")
        for line in listing:
            parts = line.split()
            if len(parts) >= 3 and len(parts[0]) == 40 and parts[1] in ("blob", "commit", "tree"):
                raw = subprocess.run(["git", "cat-file", parts[1], parts[0]], cwd=paths.wiki,
                                     capture_output=True, check=True).stdout  # fmt: skip
                if needle in raw:
                    found[f"pack:{parts[0]}"] = 1
    for root, _, files in os.walk(paths.base):
        if "/objects" in root:
            continue
        for name in files:
            if needle in Path(root, name).read_bytes():
                found[os.path.join(root, name)] = 1
    return found


def snapshot(paths) -> dict[str, bytes]:  # noqa: ANN001
    """Every file of the project folder and the data root's logs, lock files aside."""
    out = {}
    for root in (paths.base, os.path.join(os.path.dirname(os.path.dirname(paths.base)), "logs")):
        for folder, _, files in os.walk(root):
            for name in files:
                if not name.endswith(".lock"):
                    out[os.path.join(folder, name)] = Path(folder, name).read_bytes()
    return out


def test_purge_match_removes_the_secret_everywhere_and_keeps_history(tmp_path: Path) -> None:
    home = str(tmp_path / "data")
    paths = make_project(home, "alpha-00000001", "alpha")
    plant(paths)
    repo = pygit2.Repository(paths.wiki)
    before = [(c.author.name, c.author.time, c.message) for c in repo.walk(repo.head.target)]
    assert occurrences(paths, SECRET.encode())
    backup(home, str(tmp_path / "old.tar.gz"))

    before_bytes = snapshot(paths)
    dry = purge(home, paths, "alpha", match=SECRET, dry_run=True)
    assert snapshot(paths) == before_bytes
    assert dry.found and dry.messages == 1 and dry.journals == ["s2.jsonl"]
    assert occurrences(paths, SECRET.encode())  # the dry run changed nothing

    report = purge(home, paths, "alpha", match=SECRET)
    assert report.messages == 1 and report.blobs >= 1 and report.journals == ["s2.jsonl"]
    assert report.backups == [str(tmp_path / "old.tar.gz")]
    assert occurrences(paths, SECRET.encode()) == {}
    assert occurrences(paths, b"7f3a9c2e") == {}
    assert report.logs == ["aimem.log"]
    assert SECRET not in (Path(home) / "logs" / "aimem.log").read_text()
    repo = pygit2.Repository(paths.wiki)
    after = [(c.author.name, c.author.time, c.message) for c in repo.walk(repo.head.target)]
    assert [(a, t) for a, t, _ in after] == [(a, t) for a, t, _ in before]
    assert [m for _, _, m in after] == [m.replace(SECRET, "[purged]") for _, _, m in before]
    assert "[purged]" in (Path(paths.wiki) / "gotchas" / "leak.md").read_text()
    assert git("status", "--porcelain", cwd=paths.wiki) == ""
    assert "error" not in git("fsck", "--full", cwd=paths.wiki)
    assert query(paths, "sqlite wal checkpoint")  # the index was rebuilt, other pages found
    assert not query(paths, "7f3a9c2e")


def test_purge_page_drops_it_from_every_commit_and_keeps_the_others(tmp_path: Path) -> None:
    home = str(tmp_path / "data")
    paths = make_project(home, "alpha-00000001", "alpha")
    plant(paths)
    repo = pygit2.Repository(paths.wiki)
    d1_history = git("log", "--format=%an %at %s", "--", "decisions/d1.md", cwd=paths.wiki)
    count = len(list(repo.walk(repo.head.target)))
    report = purge(home, paths, "alpha", page="gotchas/leak")
    assert report.dropped_entries >= 1
    assert git("log", "--all", "--format=%H", "--", "gotchas/leak.md", cwd=paths.wiki) == ""
    assert git("log", "--format=%an %at %s", "--", "decisions/d1.md", cwd=paths.wiki) == d1_history
    repo = pygit2.Repository(paths.wiki)
    assert len(list(repo.walk(repo.head.target))) == count + 1  # + the catalogue commit
    assert not (Path(paths.wiki) / "gotchas" / "leak.md").exists()
    assert "Leaky gotcha" not in (Path(paths.wiki) / "index.md").read_text()
    assert not [o for o in occurrences(paths, b"The token was") if "raw" not in o]


def test_bad_purges_are_refused_and_change_nothing(tmp_path: Path) -> None:
    home = str(tmp_path / "data")
    paths = make_project(home, "alpha-00000001", "alpha")
    head = pygit2.Repository(paths.wiki).head.target
    for kwargs, why in [({"page": "nope/none"}, "no page"), ({"match": "ab"}, "at least"),
                        ({}, "not both"), ({"page": "../x"}, "not a page")]:  # fmt: skip
        with pytest.raises(PurgeError, match=why):
            purge(home, paths, "alpha", **kwargs)
    assert pygit2.Repository(paths.wiki).head.target == head


def test_a_remote_needs_a_forced_sync_after_a_purge_and_then_holds_no_trace(tmp_path: Path) -> None:
    from aimem.sync import config
    from aimem.sync.run import SyncError, sync_remote

    home = str(tmp_path / "data")
    paths = make_project(home, "alpha-00000001", "alpha")
    plant(paths)
    bare = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(bare))
    remote = config.add(paths, "alpha", "backup", bare.as_uri(), "all", "aimem/alpha")
    sync_remote(paths, "alpha", remote)
    assert SECRET in git("log", "--all", "--format=%B", cwd=str(bare))

    report = purge(home, paths, "alpha", match=SECRET)
    assert report.remotes == ["backup"]
    with pytest.raises(SyncError, match="--force"):
        sync_remote(paths, "alpha", remote)
    sync_remote(paths, "alpha", remote, force=True)
    git("reflog", "expire", "--expire=now", "--all", cwd=str(bare))
    git("gc", "-q", "--prune=now", cwd=str(bare))
    assert SECRET not in git("log", "--all", "--format=%B", cwd=str(bare))
    assert git("grep", SECRET, "aimem/alpha", cwd=str(bare), check=False) == ""
    assert config.force_needed(paths) == {}


def test_a_wiki_with_edits_by_hand_is_refused_and_the_edit_kept(tmp_path: Path) -> None:
    home = str(tmp_path / "data")
    paths = make_project(home, "alpha-00000001", "alpha")
    edited = Path(paths.wiki) / "decisions" / "d1.md"
    edited.write_text(edited.read_text() + "\nmy own note\n")
    with pytest.raises(PurgeError, match="uncommitted edits"):
        purge(home, paths, "alpha", match="reason 1")
    assert "my own note" in edited.read_text()
    (Path(paths.wiki) / "scratch.txt").write_text("untracked, kept\n")
    git("checkout", "--", "decisions/d1.md", cwd=paths.wiki)
    assert purge(home, paths, "alpha", match="reason 1").blobs >= 1
    assert (Path(paths.wiki) / "scratch.txt").read_text() == "untracked, kept\n"
