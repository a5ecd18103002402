"""``aimem backup`` / ``restore``: one archive, stock git accepts its bundles, a restore on a
fresh data root searches exactly like the original."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pygit2
import pytest
from admin_world import TOPICS, git, make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimem.admin.backup import BackupError, backup, list_backups, restore
from aimem.project import paths_for
from aimem.recall import query
from aimem.wiki import bundle

# 20 queries: the topics, their words alone and in pairs, and phrases from the bodies.
QUERIES = [*TOPICS, "sqlite", "wal", "checkpoint", "retry", "backoff", "jitter", "rounding",
           "pygit2", "pack", "reason", "chose", "decision", "reason 3", "half even",
           "sqlite OR pygit2", "we chose"]  # fmt: skip


def _search(paths) -> list:  # noqa: ANN001
    assert len(QUERIES) == 20
    hits = [
        [(h.path, h.title, round(h.score, 9)) for h in query(paths, q, limit=20)] for q in QUERIES
    ]
    assert sum(map(bool, hits)) >= 18  # the comparison is not between empty results
    return hits


def test_backup_then_restore_on_a_fresh_root_gives_the_same_search(tmp_path: Path) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    pa = make_project(a, "alpha-00000001", "alpha")
    make_project(a, "beta-00000002", "beta", pages=3)
    out = str(tmp_path / "mem.tar.gz")
    done = backup(a, out)
    assert [p.slug for p in done.projects] == ["alpha-00000001", "beta-00000002"]
    assert list_backups(a)[0]["path"] == out

    restored = restore(b, out)
    pb = paths_for(b, "alpha-00000001")
    assert restored.objects > 0 and restored.journals == 2
    assert _search(pa) == _search(pb)
    ra, rb = pygit2.Repository(pa.wiki), pygit2.Repository(pb.wiki)
    assert (
        ra.head.target == rb.head.target
        and ra[ra.head.target].tree_id == rb[rb.head.target].tree_id
    )
    assert Path(pb.journal("s1")).read_bytes() == Path(pa.journal("s1")).read_bytes()
    assert (Path(pb.wiki) / "decisions" / "d0.md").read_text() == (
        Path(pa.wiki) / "decisions" / "d0.md"
    ).read_text()
    assert git("status", "--porcelain", cwd=pb.wiki) == ""
    assert "dangling" not in git("fsck", "--full", cwd=pb.wiki)
    for idx in (Path(pb.wiki) / ".git" / "objects" / "pack").glob("*.idx"):  # our own index
        git("verify-pack", str(idx))


def test_stock_git_verifies_and_clones_the_bundle(tmp_path: Path) -> None:
    pa = make_project(str(tmp_path / "a"), "alpha-00000001", "alpha")
    target = str(tmp_path / "w.bundle")
    info = bundle.write_bundle(pygit2.Repository(pa.wiki), target)
    git("init", "-q", str(tmp_path / "empty"))
    assert "complete history" in git("bundle", "verify", target, cwd=str(tmp_path / "empty"))
    git("clone", "-q", target, str(tmp_path / "clone"))
    assert git("rev-parse", "HEAD", cwd=str(tmp_path / "clone")).strip() == info.refs["HEAD"]
    assert (tmp_path / "clone" / "decisions" / "d5.md").exists()


def test_a_bundle_made_by_stock_git_with_deltas_is_read_back(tmp_path: Path) -> None:
    src = tmp_path / "src"
    git("init", "-q", "-b", "main", str(src))
    for i in range(1, 6):  # a growing file: git stores its versions as deltas
        (src / "f.txt").write_text("".join(f"line {n}\n" for n in range(i * 200)))
        git(
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qam" if i > 1 else "-qm",
            f"c{i}",
            *([] if i > 1 else []),
            cwd=str(src),
        ) if i > 1 else (
            git("add", ".", cwd=str(src)),
            git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c1", cwd=str(src)),
        )
    git("gc", "-q", "--aggressive", cwd=str(src))
    git("bundle", "create", str(tmp_path / "g.bundle"), "--all", cwd=str(src))
    repo = pygit2.init_repository(str(tmp_path / "dst"), bare=True)
    info = bundle.unbundle(repo, (tmp_path / "g.bundle").read_bytes())
    head = info.refs["refs/heads/main"]
    assert bundle.read_all(repo, head) > 10
    assert repo[head].message == "c5\n"


def test_restore_refuses_a_project_already_there_and_changes_nothing(tmp_path: Path) -> None:
    a = str(tmp_path / "a")
    pa = make_project(a, "alpha-00000001", "alpha")
    out = str(tmp_path / "mem.tar.gz")
    backup(a, out)
    before = _search(pa)
    with pytest.raises(BackupError, match="already here"):
        restore(a, out)
    assert _search(pa) == before
    assert sorted(os.listdir(a)) == sorted(os.listdir(a))  # no staging folder left
    assert not [n for n in os.listdir(a) if n.startswith(".restore")]


@pytest.mark.parametrize("damage", ["flip", "truncate", "extra", "junk"])
def test_a_damaged_archive_is_refused_before_anything_is_written(
    tmp_path: Path, damage: str
) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    make_project(a, "alpha-00000001", "alpha")
    out = tmp_path / "mem.tar.gz"
    backup(a, str(out))
    if damage == "junk":
        out.write_bytes(b"not an archive")
    elif damage == "truncate":
        out.write_bytes(out.read_bytes()[: out.stat().st_size // 2])
    else:
        members = {}
        with tarfile.open(out, "r:gz") as tar:
            for m in tar:
                members[m.name] = tar.extractfile(m).read()
        if damage == "flip":
            name = "projects/alpha-00000001/wiki.bundle"
            data = bytearray(members[name])
            data[-30] ^= 0xFF
            members[name] = bytes(data)
        else:
            members["projects/alpha-00000001/../../evil"] = b"x"
        with tarfile.open(out, "w:gz") as tar:
            import io

            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    with pytest.raises(BackupError):
        restore(b, str(out))
    assert not os.path.exists(os.path.join(b, "projects", "alpha-00000001"))


def test_restore_with_merge_keeps_the_pages_of_both_sides(tmp_path: Path) -> None:
    import json
    import time

    from admin_world import page

    from aimem.memory.transaction import transaction

    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    pa = make_project(a, "alpha-00000001", "alpha")
    first = str(tmp_path / "first.tar.gz")
    backup(a, first)
    restore(b, first)
    pb = paths_for(b, "alpha-00000001")
    for paths, rel in ((pa, "gotchas/only-a.md"), (pb, "gotchas/only-b.md")):
        with transaction(paths, "alpha", "test", now=time.time()) as txn:
            txn.write(page(rel, rel, f"written at {rel}\n", "gotcha"))
            txn.commit(f"test: {rel}\n")
    Path(pa.journal("s9")).write_text(json.dumps({"kind": "prompt", "text": "later"}) + "\n")
    second = str(tmp_path / "second.tar.gz")
    backup(a, second)
    done = restore(b, second, merge=True)
    assert done.merged == {"alpha-00000001": "alpha-00000001"}
    wiki = Path(pb.wiki)
    assert (wiki / "gotchas" / "only-a.md").exists() and (wiki / "gotchas" / "only-b.md").exists()
    assert all((wiki / "decisions" / f"d{i}.md").exists() for i in range(6))
    assert Path(pb.journal("s9")).exists()
    assert query(pb, "written")  # the index follows the merge
    assert "refs/aimem/remotes/restore/tip" not in pygit2.Repository(pb.wiki).references


@pytest.fixture(scope="module")
def bundle_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    root = tmp_path_factory.mktemp("bundle")
    pa = make_project(str(root / "a"), "alpha-00000001", "alpha", pages=3)
    bundle.write_bundle(pygit2.Repository(pa.wiki), str(root / "w.bundle"))
    return (root / "w.bundle").read_bytes()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0, max_value=10_000),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), max_size=3),
)
def test_a_damaged_bundle_is_refused_with_one_error_never_a_crash(
    bundle_bytes: bytes, tmp_path_factory: pytest.TempPathFactory, cut: int, flips: list
) -> None:
    data = bytearray(bundle_bytes[: max(len(bundle_bytes) - cut, 0)] if cut % 2 else bundle_bytes)
    for where, xor in flips:
        if data:
            data[where % len(data)] ^= xor
    repo = pygit2.init_repository(str(tmp_path_factory.mktemp("dst")), bare=True)
    try:
        info = bundle.unbundle(repo, bytes(data))
    except bundle.BundleError:
        return
    assert info.refs  # undamaged where it matters: the whole history reads back
    assert bundle.read_all(repo, next(iter(info.refs.values()))) > 0
