"""Growth: what sessions leave in the wiki's git store, checked in sizes and counts.

A smaller ``make bench`` year of use (tests/bench/bench_year.py): 200 sessions, ten a day,
through the real hook code and the real consolidation, with the packing thresholds lowered so
that both packing and merging happen within the run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
from bench.bench_year import gc_copy_bytes, simulate, tree_bytes

from aimem.index import fts
from aimem.wiki import pack
from aimem.wiki import repo as wikirepo

SESSIONS = 200


def new_objects(repo: pygit2.Repository) -> list[tuple[str, int]]:
    """``(path, size)`` of the objects HEAD's commit added to its parent's tree: the changed
    blobs and every tree on their paths (the commit object itself aside)."""
    head = repo[repo.head.target].peel(pygit2.Commit)
    parent = head.parents[0].id if head.parents else None
    changes = wikirepo.changed_paths(repo, str(parent) if parent else None, str(head.id))
    out: dict[str, int] = {"/": repo.odb.read_header(head.tree_id)[1]}
    for change in changes:
        if change.blob is None:
            continue
        out[change.path] = repo.odb.read_header(pygit2.Oid(hex=change.blob))[1]
        parts = change.path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            out[folder + "/"] = repo.odb.read_header(head.tree[folder].id)[1]
    return sorted(out.items())


def test_a_stretch_of_sessions_grows_the_store_by_what_changed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pack, "LOOSE_LIMIT", 256)
    monkeypatch.setattr(pack, "PACK_LIMIT", 4)
    per_commit: list[list[tuple[str, int]]] = []
    packs_seen: set[int] = set()

    def wiki() -> pygit2.Repository:
        return pygit2.Repository(str(next((tmp_path / "data").glob("projects/*/wiki"))))

    def after(n: int) -> None:
        repo = wiki()
        per_commit.append(new_objects(repo))
        packs_seen.add(pack.store_stats(repo).packs)

    year = simulate(tmp_path, SESSIONS, after_each=after)

    assert year.statuses == {"committed": SESSIONS}
    repo = wiki()
    assert wikirepo.commit_count(repo) == SESSIONS

    # Each commit adds the same few objects, whatever the history behind it: a session page, its
    # handoff, the previous handoff (closed), index.md, log.md, the day's log file, and the
    # folders on their paths.
    for objects in per_commit:
        paths = [p for p, _ in objects if not p.endswith("/")]
        assert len(paths) <= 6, paths
        assert len(objects) <= 16, objects
    log_md = [dict(objects).get("log.md", 0) for objects in per_commit]
    assert max(log_md) < 8192  # the newest 20 lines, never the whole history
    day_files = [s for objects in per_commit for p, s in objects if p.startswith("log/2")]
    assert max(day_files) < 4096  # one day's ten sessions
    index_md = [dict(objects)["index.md"] for objects in per_commit]
    assert max(index_md[-50:]) <= max(index_md[100:150]) * 1.05  # 50 a type: full and flat
    biggest = max(size for objects in per_commit for _, size in objects)
    assert biggest < 48 * 1024  # a month's folder of sessions is the largest object

    # The store was packed as it went, merged when packs piled up, and stays near `git gc`.
    stats = pack.store_stats(repo)
    assert stats.packs >= 1 and max(packs_seen) <= pack.PACK_LIMIT + 1
    assert stats.loose <= 4 * pack.LOOSE_LIMIT
    git_dir = Path(repo.path)
    # against what `git gc` makes of it searching every delta anew (not reusing aimem's)
    assert tree_bytes(git_dir) <= 3 * gc_copy_bytes(git_dir, tmp_path, fresh=True)
    fsck = subprocess.run(
        ["git", "--git-dir", str(git_dir), "fsck", "--full"], capture_output=True, text=True
    )
    assert fsck.returncode == 0 and "error" not in fsck.stdout + fsck.stderr


def test_the_catalogue_reads_the_newest_pages_of_a_type_by_index(tmp_path: Path) -> None:
    """Each consolidation asks the index for the newest pages of every type: through an index
    on (type, updated), never a scan of the type's pages and a sort, which grow with the wiki."""
    conn = fts.connect(str(tmp_path / "index.sqlite"))
    for n in range(300):
        kind = ("session", "handoff", "rule")[n % 3]
        stamp = f"2026-01-{1 + n % 28:02d}T10:{n % 60:02d}:00Z" if n % 7 else None
        fts.upsert(conn, fts.IndexedPage(f"{kind}s/p{n:03d}.md", f"page {n}", kind, updated=stamp))
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    newest = fts.newest_entries(conn, "session", 20)
    fts.type_counts(conn)
    conn.set_trace_callback(None)

    sessions = [e for e in fts.list_entries(conn) if e.type == "session"]
    assert newest == sorted(sessions, key=lambda e: (e.updated, e.path), reverse=True)[:20]
    for sql in statements:
        plan = " ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "TEMP B-TREE" not in plan, (sql, plan)
        assert "SCAN pages " not in plan + " " or "COVERING INDEX" in plan, (sql, plan)
    conn.close()
