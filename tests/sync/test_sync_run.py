"""``aimem sync`` with ``--share all`` between data roots through a real bare remote: pulls,
fast-forwards, merges by file class, conflicts kept on both sides, an edit beating an archive,
handoff claims, push races, an unreachable remote and a refused secret."""

from __future__ import annotations

import time
from pathlib import Path

import pygit2
import pytest
from sync_world import Machine, bare, committed_blobs, fresh_index_rows, index_rows

from aimem.sync import conflicts
from aimem.sync.run import SyncError
from aimem.timeline import timeline
from aimem.wiki import repo as wikirepo
from aimem.wiki.merge import CONFLICT_INFIX


@pytest.fixture
def two(tmp_path: Path) -> tuple[Machine, Machine, str]:
    url = bare(tmp_path / "remote.git")
    a, b = Machine.make(tmp_path, "alpha"), Machine.make(tmp_path, "beta")
    for m in (a, b):
        m.add_remote("origin", url, "all")
    return a, b, url


def test_a_page_travels_and_both_wikis_end_identical(two) -> None:  # noqa: ANN001
    a, b, _ = two
    path = a.write("decision", "Use WAL mode", "SQLite in WAL mode for readers.")
    assert a.sync().status == "pushed"
    pulled = b.sync()
    assert pulled.status == "pulled" and path in pulled.pulled
    assert "SQLite in WAL mode for readers." in b.page(path).body
    assert b.tree_id() == a.tree_id()
    assert index_rows(b.paths) == fresh_index_rows(b.paths, b.home / "fresh")
    assert b.sync().status == "up-to-date" and a.sync().status == "up-to-date"


def test_edits_on_both_sides_merge_with_two_parents(two) -> None:  # noqa: ANN001
    a, b, _ = two
    shared = a.write("concept", "Retry budget", "Three retries, then give up.", tags=["net"])
    a.sync()
    b.sync()
    a_only = a.write("gotcha", "Clock skew", "CI clocks drift by seconds.")
    b_only = b.write("decision", "Pin httpx", "Pinned to 0.27.")
    b.edit(shared, "Three retries, then give up.", tags=["net", "retry"])
    a.sync()
    merged = b.sync()
    assert merged.status == "merged" and a_only in merged.pulled
    head = b.repo()[wikirepo.head_commit(b.repo())]
    assert len(head.parents) == 2
    assert head.author.name == "Beta" and head.message.rstrip().endswith("Machine: beta")
    a.sync()
    assert a.tree_id() == b.tree_id()
    files = a.files()
    assert {shared, a_only, b_only} <= files.keys()
    assert a.page(shared).tags == ["net", "retry"]
    index = files["index.md"].decode()
    assert "Clock skew" in index and "Pin httpx" in index  # regenerated from the merged pages
    log_md = files["log.md"].decode()
    assert "Clock skew" in log_md or "gotchas/clock-skew.md" in log_md
    assert "gotchas/clock-skew.md" in log_md and "decisions/pin-httpx.md" in log_md
    for m in (a, b):
        assert index_rows(m.paths) == fresh_index_rows(m.paths, m.home / "fresh")
    # Who learned what: the merge commit is the person's, and `aimem log --author` finds it.
    events = timeline(b.paths, author="beta@example.org")
    assert any(e.kind == "sync" for e in events)


def test_a_body_edited_on_both_sides_is_kept_whole_on_both(two) -> None:  # noqa: ANN001
    a, b, _ = two
    path = a.write("decision", "Queue choice", "We use Redis streams.", tags=["queue"])
    a.sync()
    b.sync()
    a.edit(path, "We use Redis streams, with consumer groups.", tags=["queue", "redis"])
    time.sleep(1.1)  # b's edit is the newer one: it stays at the path
    b.edit(path, "We moved to NATS JetStream.", tags=["queue", "nats"])
    a.sync()
    outcome = b.sync()
    assert outcome.status == "merged"
    assert len(outcome.conflicts) == 1
    conflict = outcome.conflicts[0]
    assert conflict.path == path and CONFLICT_INFIX in conflict.sibling
    page, sibling = b.page(path), b.page(conflict.sibling)
    assert "We moved to NATS JetStream." in page.body and "Redis" not in page.body
    assert f"[[{conflict.sibling[:-3]}]]" in page.body
    assert "We use Redis streams, with consumer groups." in sibling.body
    assert "NATS" not in sibling.body
    assert sibling.meta["conflict_of"] == path
    assert page.tags == ["queue", "nats", "redis"]  # front matter merged key by key
    a.sync()
    assert a.tree_id() == b.tree_id()
    assert conflicts.unresolved(a.paths) == conflicts.unresolved(b.paths) == outcome.conflicts
    for m in (a, b):
        for blob in committed_blobs(m.repo()):
            assert b"<<<<<<<" not in blob and b">>>>>>>" not in blob
    # Synced again: the same conflict is not made twice.
    assert a.sync().status == "up-to-date" and b.sync().status == "up-to-date"


def test_an_edit_beats_a_concurrent_archive(two) -> None:  # noqa: ANN001
    a, b, _ = two
    path = a.write("concept", "Old cache", "Memcached in front of the API.")
    a.sync()
    b.sync()
    a.sweep(now=time.time() + 400 * 86400)  # long unused: archived on alpha
    assert wikirepo.read_file(a.repo(), "_archive/" + path) is not None
    b.edit(path, "Memcached in front of the API; still used by billing.")
    a.sync()
    b.sync()
    a.sync()
    for m in (a, b):
        assert "still used by billing" in m.page(path).body
        assert wikirepo.read_file(m.repo(), "_archive/" + path) is None
    assert a.tree_id() == b.tree_id()


def test_a_handoff_claimed_on_one_machine_is_claimed_everywhere(two) -> None:  # noqa: ANN001
    from aimem.capture import state

    a, b, _ = two
    a.session("sess-claim-0001", "Add the refund endpoint", "Open question: cents?")
    offer = state.read_json(state.handoff_path(a.paths.state))
    assert offer["status"] == "offered"
    a.sync()
    b.sync()
    assert b.page(offer["path"]).meta["status"] == "offered"
    assert state.claim(a.paths.state, "sess-next-0002", "codex")
    a.sync()
    b.sync()
    page = b.page(offer["path"])
    assert page.meta["status"] == "claimed"
    assert page.meta["claimed_by"]["session"] == "sess-next-0002"
    assert page.meta["claimed_by"]["machine"] == "alpha"


def test_a_rejected_push_fetches_merges_and_retries(two) -> None:  # noqa: ANN001
    a, b, url = two
    a.write("concept", "First", "one")
    a.sync()
    b.sync()
    a.write("concept", "From alpha", "alpha's")
    b.write("concept", "From beta", "beta's")
    raced = []

    def race(attempt: int) -> None:
        if attempt == 1 and not raced:  # beta pushes after alpha fetched: alpha is rejected
            raced.append(b.sync())

    outcome = a.sync(on_fetched=race)
    assert raced and raced[0].status == "pushed"
    assert outcome.attempts == 2 and outcome.pushed
    b.sync()
    assert a.tree_id() == b.tree_id()
    assert {"concepts/from-alpha.md", "concepts/from-beta.md"} <= a.files().keys()


def test_an_unreachable_remote_is_one_line_and_changes_nothing(two, tmp_path: Path) -> None:  # noqa: ANN001
    a, _, _ = two
    a.write("concept", "Local", "only here")
    a.add_remote("gone", "file://" + str(tmp_path / "nowhere.git"), "all")
    before = (a.tree_id(), sorted(r for r in a.repo().references))
    with pytest.raises(SyncError) as err:
        a.sync("gone")
    assert "\n" not in str(err.value) and str(err.value).startswith("gone: cannot fetch")
    assert (a.tree_id(), sorted(r for r in a.repo().references)) == before


def test_a_secret_refuses_the_push_and_names_the_page(two, tmp_path: Path) -> None:  # noqa: ANN001
    a, _, _ = two
    a.write("concept", "Fine", "nothing to see")
    a.sync()
    remote_tip = (
        pygit2.Repository(str(tmp_path / "remote.git"))
        .references["refs/heads/aimem/shared-memory"]
        .target
    )
    leaked = "AKIA" + "IOSFODNN7EXAMPLE"
    a.put("concepts/creds.md", f"---\ntitle: Creds\n---\nkey {leaked}\n".encode())
    with pytest.raises(SyncError) as err:
        a.sync()
    assert "concepts/creds.md" in str(err.value) and leaked not in str(err.value)
    bare_repo = pygit2.Repository(str(tmp_path / "remote.git"))
    assert bare_repo.references["refs/heads/aimem/shared-memory"].target == remote_tip


def test_the_project_id_file_combines_and_a_purged_remote_needs_force(two) -> None:  # noqa: ANN001
    from aimem.sync import config
    from aimem.wiki import projectid

    a, b, _ = two
    a.write("concept", "Start", "so both have history")
    a.sync()
    b.sync()
    mine = projectid.ProjectId("id-b", "shop", ["r1"], ["github.com/acme/shop"])
    theirs = projectid.ProjectId("id-a", "shop", ["r2"], [])
    a.put(projectid.PATH, projectid.render(theirs))
    b.put(projectid.PATH, projectid.render(mine))
    a.sync()
    assert b.sync().conflicts == []
    a.sync()
    combined = projectid.parse(a.files()[projectid.PATH])
    assert combined == projectid.ProjectId("id-a", "shop", ["r1", "r2"], ["github.com/acme/shop"])
    assert a.tree_id() == b.tree_id()
    # After `aimem purge`, the remote holds what was purged: a plain sync would merge it back.
    state = Path(a.paths.state, config.FORCE_FILE)
    state.write_text('{"origin": "2026-12-01T00:00:00Z"}')
    with pytest.raises(SyncError) as err:
        a.sync()
    assert "aimem sync --force --remote origin" in str(err.value)
    assert a.sync(force=True).status in ("forced", "up-to-date")
    assert not state.exists() and a.sync().status == "up-to-date"
