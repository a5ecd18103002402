"""Agent-facing reads: query, read (with reinforcement), suggestions, recent, handoff claim."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aimem import recall
from aimem.capture import state
from aimem.index import fts
from aimem.index.reads import counters
from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectPaths
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import PagePathError
from aimem.wiki.read import PageNotFound

HANDOFF = "handoffs/2026-01/2026-01-01-456789ab.md"


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    paths = ProjectPaths(str(tmp_path / "proj"))
    write_page(paths, "proj", PageWrite("decision", "Use WAL", "Readers never block writers."))
    repo = wikirepo.open_repo(paths.wiki)
    handoff = (
        "---\ntitle: 'Handoff: fix the lock'\ntype: handoff\nstatus: offered\n---\n"
        "# Handoff\n\n## Summary\n\nFixed half of the lock.\n\n## Next steps\n\n- finish\n"
    )
    session = "---\ntitle: Fix the lock\ntype: session\nupdated: '2026-01-01T10:00:00Z'\n---\nx\n"
    wikirepo.commit_files(
        repo,
        {HANDOFF: handoff.encode(), "sessions/2026-01/2026-01-01-x-456789ab.md": session.encode()},
        "consolidate",
    )
    offer = {
        "path": HANDOFF,
        "status": state.OFFERED,
        "from_agent": "codex",
        "from_session": "s1",
        "created": "2026-01-01T10:00:00Z",
        "created_ts": time.time(),
    }
    state.write_json_atomic(state.handoff_path(paths.state), offer)
    return paths


def test_query_syncs_first_and_rejects_wordless_queries(paths: ProjectPaths) -> None:
    hits = recall.query(paths, "writers", project="p")
    assert [h.path for h in hits] == ["decisions/use-wal.md"] and hits[0].project == "p"
    # The handoff was committed after the last index sync: the query syncs first.
    assert [h.path for h in recall.query(paths, "lock", type="handoff")] == [HANDOFF]
    for bad in ("", "   ", "*** --- ?"):
        with pytest.raises(recall.EmptyQuery):
            recall.query(paths, bad)
    with pytest.raises(ValueError, match="unknown page type"):
        recall.query(paths, "lock", type="bogus")


def test_read_page_reinforces_and_checks_paths(paths: ProjectPaths) -> None:
    read = recall.read_page(paths, "decisions/use-wal", now=1000.0)
    assert read.page.path == "decisions/use-wal.md" and read.reinforced
    assert read.text.startswith("---\ntitle: Use WAL") and not read.truncated
    assert not recall.read_page(paths, "decisions/use-wal.md", now=1001.0).reinforced
    conn = fts.connect(paths.index)
    assert counters(conn, "decisions/use-wal.md") == (1, 1000.0)
    conn.close()
    with pytest.raises(PageNotFound):
        recall.read_page(paths, "decisions/nope")
    with pytest.raises(PagePathError):
        recall.read_page(paths, "../../etc/passwd")


def test_read_page_cuts_very_long_pages(paths: ProjectPaths) -> None:
    long_body = "word " * (recall.MAX_PAGE_CHARS // 4)
    write_page(paths, "proj", PageWrite("concept", "Long", long_body))
    read = recall.read_page(paths, "concepts/long.md")
    assert read.truncated and len(read.text) < recall.MAX_PAGE_CHARS + 100


def test_read_page_refuses_a_symlink_out_of_the_wiki(paths: ProjectPaths, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: secret\n---\nnope\n")
    Path(paths.wiki, "concepts").mkdir(exist_ok=True)
    Path(paths.wiki, "concepts", "leak.md").symlink_to(secret)
    with pytest.raises(PagePathError, match="escapes the wiki"):
        recall.read_page(paths, "concepts/leak.md")


def test_suggest_paths(paths: ProjectPaths) -> None:
    assert recall.suggest_paths(paths, "gotchas/zzz.md") == []  # no shared word
    assert recall.suggest_paths(paths, "---.md") == []
    assert recall.suggest_paths(paths, "decisions/wal.md")[0] == "decisions/use-wal.md"


def test_section() -> None:
    body = "# T\n\n## Summary\n\nOne  two\nthree.\n\n## Next\n\n- x\n"
    assert recall.section(body, "Summary") == "One two three."
    assert recall.section(body, "Missing") == ""
    assert recall.section("## Summary\n" + "a" * 700, "Summary").endswith("…")


def test_recent_lists_sessions_knowledge_handoff_and_pending(paths: ProjectPaths) -> None:
    Path(paths.raw).mkdir(parents=True)
    Path(paths.journal("pending-1")).write_text('{"v":1}\n')
    found = recall.recent(paths, limit=5)
    assert [r.path for r in found.sessions] == ["sessions/2026-01/2026-01-01-x-456789ab.md"]
    assert [r.path for r in found.knowledge] == ["decisions/use-wal.md"]
    assert found.handoff.path == HANDOFF and found.handoff.status == "offered"
    assert found.handoff.summary == "Fixed half of the lock."
    assert found.pending_sessions == ["pending-1"]


def test_begin_handoff_claims_once(paths: ProjectPaths) -> None:
    first = recall.begin_handoff(paths, "mcp-1", "claude-code")
    assert first.claimed and first.handoff.path == HANDOFF
    assert "Fixed half of the lock." in first.page
    assert first.handoff.status == "claimed"
    assert first.handoff.claimed_by["agent"] == "claude-code"
    second = recall.begin_handoff(paths, "mcp-2", "codex")
    assert not second.claimed and second.page == ""
    assert "already claimed by claude-code session mcp-1" in second.reason


def test_begin_handoff_expired_and_none(paths: ProjectPaths, tmp_path: Path) -> None:
    later = time.time() + 8 * 86400
    gone = recall.begin_handoff(paths, "mcp-1", "x", max_offer_age_days=7, now=later)
    assert not gone.claimed and "expired" in gone.reason
    empty = recall.begin_handoff(ProjectPaths(str(tmp_path / "empty")), "mcp-1", "x")
    assert not empty.claimed and empty.handoff is None and "no handoff" in empty.reason
