"""A ``--share knowledge`` remote: decisions, gotchas, concepts and rules travel; no journal
line, prompt, session page or handoff text ever reaches the remote, in any object."""

from __future__ import annotations

from pathlib import Path

import pygit2
from sync_world import Machine, all_objects, bare

from aimem.sync.knowledge import is_knowledge

PROMPT_MARK = "zebra-prompt-7f3a"
ANSWER_MARK = "quokka-answer-91c2"


def objects_text(git_dir: Path) -> bytes:
    return b"".join(all_objects(git_dir))


def test_only_knowledge_reaches_a_team_remote(tmp_path: Path) -> None:
    url = bare(tmp_path / "team.git")
    a, b = Machine.make(tmp_path, "alpha"), Machine.make(tmp_path, "beta")
    a.session("sess-know-0001", f"Refactor the billing module {PROMPT_MARK}", ANSWER_MARK)
    decision = a.write("decision", "Money in cents", "Store money as integer cents.")
    gotcha = a.write("gotcha", "Float rounding", "0.1 + 0.2 is not 0.3 in floats.")
    a.add_remote("team", url, "knowledge")
    b.add_remote("team", url, "knowledge")
    assert a.sync("team").status == "pushed"

    remote = pygit2.Repository(str(tmp_path / "team.git"))
    tip = remote.references["refs/heads/aimem/shared-memory"].peel(pygit2.Commit)
    paths = {p for p, _ in _files(remote, tip.tree)}
    assert paths == {decision, gotcha}
    assert all(is_knowledge(p) for p in paths)
    text = objects_text(tmp_path / "team.git")
    assert PROMPT_MARK.encode() not in text and ANSWER_MARK.encode() not in text
    assert b"sess-know" not in text and b"consolidate" not in text  # no local commit message
    assert "Machine: alpha" in tip.message and tip.author.email == "alpha@example.org"

    # Beta learns the knowledge, and only it; its own sessions stay home.
    b.session("sess-know-0002", f"Look at the cache {PROMPT_MARK}-beta", "ok")
    outcome = b.sync("team")
    assert {decision, gotcha} <= set(outcome.pulled)
    assert "Store money as integer cents." in b.page(decision).body
    assert not any(p.startswith(("sessions/", "handoffs/")) for p in outcome.pulled)
    # Both edit knowledge; they converge on the remote, which still holds no session text.
    b.edit(gotcha, "0.1 + 0.2 is not 0.3 in floats; use Decimal.")
    concept = b.write("concept", "Ledger", "Double-entry ledger for refunds.")
    a.write("rule", "Run the rounding tests", "Before pushing billing code.")
    b.sync("team")
    a.sync("team")
    b.sync("team")
    assert _knowledge(a) == _knowledge(b)  # the same knowledge, byte for byte
    assert {concept, gotcha} <= a.files().keys()
    assert "use Decimal" in a.page(gotcha).body
    text = objects_text(tmp_path / "team.git")
    assert PROMPT_MARK.encode() not in text and ANSWER_MARK.encode() not in text
    for m in (a, b):  # session pages never crossed over
        own = {p for p in m.files() if p.startswith("sessions/")}
        assert len(own) == 1

    # Syncing again with nothing new adds no commit on the remote.
    tip = str(remote.references["refs/heads/aimem/shared-memory"].target)
    assert a.sync("team").status == "up-to-date" and b.sync("team").status == "up-to-date"
    assert str(remote.references["refs/heads/aimem/shared-memory"].target) == tip


def _knowledge(m: Machine) -> dict[str, bytes]:
    return {p: data for p, data in m.files().items() if is_knowledge(p)}


def _files(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str = ""):  # noqa: ANN202
    for entry in tree:
        if entry.type_str == "tree":
            yield from _files(repo, repo[entry.id], prefix + entry.name + "/")
        else:
            yield prefix + entry.name, entry.id


def test_the_project_id_travels_with_knowledge_and_nothing_else_of_its_folder(
    tmp_path: Path,
) -> None:
    from aimem.wiki import projectid

    url = bare(tmp_path / "team.git")
    a, b = Machine.make(tmp_path, "alpha"), Machine.make(tmp_path, "beta")
    a.write("decision", "Money in cents", "Store money as integer cents.")
    pid = projectid.ProjectId("4b1d", "shop", ["abc123"], ["github.com/acme/shop"])
    a.put(projectid.PATH, projectid.render(pid))
    a.put(".aimem/local-notes.md", b"machine-local, not shared\n")
    for m in (a, b):
        m.add_remote("team", url, "knowledge")
    a.sync("team")
    remote = pygit2.Repository(str(tmp_path / "team.git"))
    tip = remote.references["refs/heads/aimem/shared-memory"].peel(pygit2.Commit)
    assert {p for p, _ in _files(remote, tip.tree)} == {
        "decisions/money-in-cents.md",
        projectid.PATH,
    }
    b.sync("team")
    assert projectid.parse(b.files()[projectid.PATH]) == pid
    assert ".aimem/local-notes.md" not in b.files()
