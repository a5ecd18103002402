"""The three-way merge by file class (``wiki/merge.py``) on real git trees: each rule alone,
then hypothesis-made page versions: the merge is the same whichever side merges, never writes
a conflict marker, and every body survives whole somewhere."""

from __future__ import annotations

from pathlib import Path

import pygit2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimem.wiki import merge
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import Page, parse, render


def tree(repo: pygit2.Repository, files: dict[str, bytes]) -> pygit2.Tree:
    return repo[wikirepo.build_tree(repo, None, files)]


def page(title: str, body: str, **meta: object) -> bytes:
    return render(Page("x.md", {"title": title, "type": "decision", **meta}, body)).encode()


def merged_files(repo, base: dict, ours: dict, theirs: dict) -> tuple[dict, merge.Merged]:  # noqa: ANN001
    out = merge.merge_trees(repo, tree(repo, base), tree(repo, ours), tree(repo, theirs))
    files = dict(ours)
    for path, data in out.changes.items():
        if data is None:
            files.pop(path, None)
        else:
            files[path] = data
    return files, out


def test_front_matter_merges_key_by_key(tmp_path: Path) -> None:
    repo = wikirepo.open_repo(str(tmp_path / "w"))
    base = {"decisions/q.md": page("Q", "Body.", tags=["a"], updated="2026-01-01T00:00:00Z")}
    ours = {
        "decisions/q.md": page(
            "Q", "Body.", tags=["a", "b"], updated="2026-01-02T00:00:00Z", pinned=True
        )
    }
    theirs = {
        "decisions/q.md": page(
            "Q", "Body.", tags=["a", "c"], updated="2026-01-03T00:00:00Z", sources=["s1"]
        )
    }
    files, out = merged_files(repo, base, ours, theirs)
    meta = parse(files["decisions/q.md"].decode(), "decisions/q.md").meta
    assert meta["tags"] == ["a", "c", "b"]  # the newer side's order first
    assert str(meta["updated"]).startswith("2026-01-03") and meta["pinned"] is True
    assert meta["sources"] == ["s1"] and out.conflicts == []


def test_log_is_a_union_and_index_is_left_to_the_transaction(tmp_path: Path) -> None:
    repo = wikirepo.open_repo(str(tmp_path / "w"))
    day = "log/2026-01/2026-01-01.md"
    head = b"# Log 2026-01-01\n\n"
    base = {day: head + b"- 2026-01-01T01:00:00Z one\n", "index.md": b"i0\n"}
    ours = {day: base[day] + b"- 2026-01-01T03:00:00Z ours\n", "index.md": b"i1\n"}
    theirs = {day: base[day] + b"- 2026-01-01T02:00:00Z theirs\n", "index.md": b"i2\n"}
    files, _ = merged_files(repo, base, ours, theirs)
    assert files[day] == head + (
        b"- 2026-01-01T01:00:00Z one\n- 2026-01-01T02:00:00Z theirs\n- 2026-01-01T03:00:00Z ours\n"
    )
    assert files["index.md"] == b"i1\n"  # untouched here: regenerated at commit


def test_deleted_here_edited_there_is_kept(tmp_path: Path) -> None:
    repo = wikirepo.open_repo(str(tmp_path / "w"))
    base = {"concepts/c.md": page("C", "one")}
    files, _ = merged_files(repo, base, {}, {"concepts/c.md": page("C", "two")})
    assert b"two" in files["concepts/c.md"]
    files, _ = merged_files(repo, base, {"concepts/c.md": page("C", "two")}, {})
    assert b"two" in files["concepts/c.md"]


def test_archived_there_edited_here_stays_live_with_both_edits(tmp_path: Path) -> None:
    repo = wikirepo.open_repo(str(tmp_path / "w"))
    base = {"concepts/c.md": page("C", "Line one.", tags=["t"])}
    archived = page("C", "Line one.", tags=["t", "old"], archived="2027-01-01T00:00:00Z")
    theirs = {"_archive/concepts/c.md": archived}
    ours = {"concepts/c.md": page("C", "Line one. Edited.", tags=["t"])}
    files, out = merged_files(repo, base, ours, theirs)
    assert "_archive/concepts/c.md" not in files
    live = parse(files["concepts/c.md"].decode(), "concepts/c.md")
    assert live.body.strip() == "Line one. Edited." and "archived" not in live.meta
    assert live.meta["tags"] == ["t", "old"] and out.conflicts == []
    # The same pair merged from the other side.
    files, _ = merged_files(repo, base, theirs, ours)
    assert files["concepts/c.md"] == merged_files(repo, base, ours, theirs)[0]["concepts/c.md"]
    assert "_archive/concepts/c.md" not in files


def test_a_file_that_is_not_a_page_keeps_both_versions(tmp_path: Path) -> None:
    repo = wikirepo.open_repo(str(tmp_path / "w"))
    files, out = merged_files(
        repo, {"img/a.png": b"\x89a"}, {"img/a.png": b"\x89b"}, {"img/a.png": b"\x89c"}
    )
    assert len(out.conflicts) == 1 and out.conflicts[0].sibling.endswith(".png")
    assert {files["img/a.png"], files[out.conflicts[0].sibling]} == {b"\x89b", b"\x89c"}


def test_handoff_status_by_rank_and_one_claim(tmp_path: Path) -> None:
    repo = wikirepo.open_repo(str(tmp_path / "w"))
    h = "handoffs/2026-01/h.md"
    mk = lambda status, **m: page("H", "Body.", status=status, **m)  # noqa: E731
    base = {h: mk("offered")}
    a = {h: mk("claimed", claimed_by={"session": "s2", "at": "2026-01-01T02:00:00Z"})}
    b = {h: mk("claimed", claimed_by={"session": "s1", "at": "2026-01-01T01:00:00Z"})}
    for ours, theirs in ((a, b), (b, a)):
        meta = parse(merged_files(repo, base, ours, theirs)[0][h].decode(), h).meta
        assert meta["status"] == "claimed" and meta["claimed_by"]["session"] == "s1"
    expired = {h: mk("expired")}
    meta = parse(merged_files(repo, base, a, expired)[0][h].decode(), h).meta
    assert meta["status"] == "expired"


BODY = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=80)
TAGS = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3, unique=True)
STAMP = st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    base=BODY,
    ours=BODY,
    theirs=BODY,
    tags=st.tuples(TAGS, TAGS, TAGS),
    stamps=st.tuples(STAMP, STAMP),
)
def test_any_two_versions_merge_the_same_from_both_sides(
    tmp_path_factory, base: str, ours: str, theirs: str, tags: tuple, stamps: tuple
) -> None:  # noqa: ANN001
    repo = wikirepo.open_repo(str(tmp_path_factory.mktemp("w")))
    path = "decisions/p.md"
    b = {path: page("P", base, tags=tags[0], updated="2026-01-01T00:00:00Z")}
    o = {path: page("P", ours, tags=tags[1], updated=stamps[0])}
    t = {path: page("P", theirs, tags=tags[2], updated=stamps[1])}
    one, out = merged_files(repo, b, o, t)
    two, _ = merged_files(repo, b, t, o)
    assert one == two  # whichever machine merges, the same wiki
    text = b"".join(one.values()).decode()
    assert "<<<<<<<" not in text and ">>>>>>>" not in text or "<<<<<<<" in ours + theirs
    bodies = [parse(d.decode(), p).body.rstrip("\n") for p, d in one.items()]
    for side in (ours, theirs):
        if side.strip() != base.strip():  # an edited body survives whole, at the path or beside it
            expected = parse(page("P", side).decode(), path).body.rstrip("\n")
            assert any(expected in body for body in bodies), (side, bodies)
    if o[path] != b[path] and t[path] != b[path]:  # changed on both sides: tags unioned
        for tag in set(tags[1]) | set(tags[2]):
            assert tag in parse(one[path].decode(), path).meta.get("tags", [])
