"""Every tool of ``aimem mcp`` through the real ``mcp`` client over stdio, with its error cases.

One server (a subprocess started from a subfolder of the project) serves the whole module; the
wiki behind it comes from a real Claude Code session replayed through the hooks.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from mcp_harness import McpServer, World, result_text
from replay import claude_session

from aimem.capture import state
from aimem.index.sync import index_status
from aimem.mcp.tools import NAMES
from aimem.routing import BEGIN
from aimem.wiki import repo as wikirepo

TOOLS = {f"memory_{name}" for name in NAMES}


def commits(world: World) -> int:
    return wikirepo.commit_count(wikirepo.open_repo(world.paths.wiki, create=False))


def test_every_tool_is_listed_with_a_schema_and_a_description_for_a_model(
    server: McpServer,
) -> None:
    tools = {tool.name: tool for tool in server.list_tools()}
    assert set(tools) == TOOLS and len(TOOLS) == 9
    for name, tool in tools.items():
        schema = tool.input_schema
        assert schema["type"] == "object", name
        assert "project" in schema["properties"], name  # every tool takes an explicit project
        for prop, spec in schema["properties"].items():
            assert spec.get("description"), f"{name}.{prop} has no description"
        assert len(tool.description) > 150, name  # says when to call it and what it returns
        assert "Return" in tool.description or "returns" in tool.description.lower(), name
    assert tools["memory_query"].input_schema["required"] == ["query"]
    query_type = tools["memory_query"].input_schema["properties"]["type"]
    assert "decision" in str(query_type) and "session" in str(query_type)
    assert tools["memory_read"].annotations.read_only_hint is True
    assert tools["memory_write_page"].annotations.read_only_hint is False
    write_types = str(tools["memory_write_page"].input_schema["properties"]["type"])
    assert "session" not in write_types and "gotcha" in write_types


@pytest.mark.parametrize("selector", ["", "   "])
def test_blank_project_means_the_default(world: World, server: McpServer, selector: str) -> None:
    assert server.ok("memory_recent", project=selector)["project"] == world.slug


# --- memory_query -------------------------------------------------------------------------------


def test_query_finds_what_an_earlier_session_recorded(server: McpServer, world: World) -> None:
    data = server.ok("memory_query", query="YAML anchors round trip")
    assert data["project"] == world.slug
    paths = [hit["path"] for hit in data["results"]]
    assert any(p.startswith("sessions/") for p in paths)
    assert any(p.startswith("handoffs/") for p in paths)
    hit = data["results"][0]
    assert set(hit) == {"path", "title", "type", "score", "snippet"}
    assert "**" in hit["snippet"] and "body" not in hit  # compact: no whole pages
    only = server.ok("memory_query", query="YAML anchors", type="session", limit=1)
    assert [h["type"] for h in only["results"]] == ["session"]
    text = result_text(server.call("memory_query", query="YAML anchors"))
    assert world.slug in text and "[session]" in text
    assert server.ok("memory_query", query="zzzunfindable")["results"] == []


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"query": ""}, "query"),
        ({"query": "   "}, "no words"),
        ({"query": "*** ?? --"}, "no words"),
        ({"query": 3}, "valid string"),
        ({}, "query"),
        ({"query": "x", "limit": 0}, "limit"),
        ({"query": "x", "limit": "many"}, "limit"),
        ({"query": "x", "type": "bogus"}, "type"),
        ({"query": "x", "project": "no-such-project"}, "unknown project"),
    ],
)
def test_query_bad_arguments_are_readable_errors(
    server: McpServer, arguments: dict, fragment: str
) -> None:
    assert fragment in server.error("memory_query", **arguments)


def test_query_syntax_is_never_an_error(server: McpServer) -> None:
    data = server.ok("memory_query", query='parse_config" OR NEAR( anchors* -x:y')
    assert any("parse_config" in h["title"] for h in data["results"])


# --- memory_read ------------------------------------------------------------------------------


def test_read_returns_the_whole_page_and_reinforces_once(server: McpServer, world: World) -> None:
    path = server.ok("memory_query", query="YAML anchors", type="handoff")["results"][0]["path"]
    data = server.ok("memory_read", path=path.removesuffix(".md"))
    assert data["path"] == path and data["type"] == "handoff"
    assert data["meta"]["from_session"] == world.session
    assert "## Summary" in data["body"] and not data["truncated"]
    text = result_text(server.call("memory_read", path=path))
    assert "from_session:" in text and "## Summary" in text  # front matter and body
    server.ok("memory_read", path=path)  # within a minute: not counted again
    conn = sqlite3.connect(world.paths.index)
    try:
        hits, last = conn.execute(
            "SELECT hits, last_access FROM pages WHERE path = ?", (path,)
        ).fetchone()
    finally:
        conn.close()
    assert hits == 1 and abs(last - time.time()) < 60


def test_read_bad_paths_are_readable_errors(server: McpServer, world: World) -> None:
    unknown = server.error("memory_read", path="sessions/parse-config")
    assert "no page 'sessions/parse-config.md'" in unknown and "Did you mean" in unknown
    assert "unsafe page path" in server.error("memory_read", path="../../etc/passwd")
    assert "relative to the wiki" in server.error("memory_read", path="/etc/passwd")
    assert "string" in server.error("memory_read", path=5)
    assert "path" in server.error("memory_read", path="")
    outside = world.home / "outside.md"
    outside.write_text("---\ntitle: secret\n---\nnot memory\n")
    link = Path(world.paths.wiki, "concepts", "escape.md")
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(outside)
    try:
        assert "escapes the wiki" in server.error("memory_read", path="concepts/escape.md")
    finally:
        link.unlink()


# --- memory_write_page ------------------------------------------------------------------------


def test_write_page_creates_updates_supersedes_in_one_commit_each(
    server: McpServer, world: World
) -> None:
    before = commits(world)
    key = "sk-ant-api03-" + "Zx9Yw8Vu7T" * 4
    created = server.ok(
        "memory_write_page",
        type="gotcha",
        title="YAML anchors vanish on dump",
        body=f"PyYAML safe_dump expands anchors. The test key was {key}; password=hunter2.",
        tags=["yaml", "config"],
    )
    path = created["path"]
    assert (created["action"], path) == ("created", "gotchas/yaml-anchors-vanish-on-dump.md")
    assert created["redacted"] and created["commit"] and commits(world) == before + 1
    stored = Path(world.paths.wiki, path).read_text()
    assert key not in stored and "hunter2" not in stored and "[REDACTED]" in stored
    catalogue = Path(world.paths.wiki, "index.md").read_text()
    assert "[[gotchas/yaml-anchors-vanish-on-dump|YAML anchors vanish on dump]]" in catalogue
    assert f"write-page created gotcha {path}" in Path(world.paths.wiki, "log.md").read_text()
    found = server.ok("memory_query", query="safe_dump expands anchors")["results"]
    assert found[0]["path"] == path  # the index was updated in the same call

    same = server.ok(
        "memory_write_page",
        type="gotcha",
        title="YAML anchors vanish on dump",
        body=f"PyYAML safe_dump expands anchors. The test key was {key}; password=hunter2.",
        path=path,
    )
    assert same["action"] == "unchanged" and same["commit"] is None
    assert commits(world) == before + 1
    updated = server.ok(
        "memory_write_page",
        type="gotcha",
        title="YAML anchors vanish on dump",
        body="Use a custom Dumper that keeps anchors.",
        path=path,
    )
    assert updated["action"] == "updated" and commits(world) == before + 2
    newer = server.ok(
        "memory_write_page",
        type="decision",
        title="Keep YAML anchors with ruamel",
        body="ruamel.yaml round-trips anchors; replaces the gotcha workaround.",
        supersedes=[path],
    )
    assert newer["superseded"] == [path] and commits(world) == before + 3
    old = server.ok("memory_read", path=path)
    assert old["meta"]["status"] == "superseded"
    assert old["meta"]["superseded_by"] == newer["path"]


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"type": "session", "title": "T", "body": "B"}, "type"),
        ({"type": "decision", "title": "", "body": "B"}, "title"),
        ({"type": "decision", "title": "T", "body": ""}, "body"),
        ({"type": "decision", "title": "T"}, "body"),
        ({"type": "decision", "title": "T", "body": "B", "tags": "a,b"}, "tags"),
        ({"type": "decision", "title": "T", "body": "B", "salience": 2}, "salience"),
        ({"type": "decision", "title": "T", "body": "B", "path": "../../x"}, "unsafe"),
        ({"type": "decision", "title": "T", "body": "B", "path": "gotchas/x.md"}, "decisions/"),
        ({"type": "decision", "title": "T", "body": "B", "path": "decisions/none"}, "no page"),
        ({"type": "decision", "title": "T", "body": "B", "supersedes": ["x/gone.md"]}, "no page"),
        ({"type": "decision", "title": "T", "body": "B", "project": "nope"}, "unknown project"),
    ],
)
def test_write_page_bad_arguments_commit_nothing(
    server: McpServer, world: World, arguments: dict, fragment: str
) -> None:
    before = commits(world)
    assert fragment in server.error("memory_write_page", **arguments)
    assert commits(world) == before


def test_write_page_never_overwrites_by_title(server: McpServer, world: World) -> None:
    server.ok("memory_write_page", type="rule", title="Run ruff first", body="Before commits.")
    before = commits(world)
    text = server.error("memory_write_page", type="rule", title="Run ruff first", body="Other.")
    assert "already exists at _rules/run-ruff-first.md" in text and "path=" in text
    assert commits(world) == before


# --- memory_explore ---------------------------------------------------------------------------


def test_explore_shows_links_backlinks_tags_and_sessions(server: McpServer, world: World) -> None:
    server.ok(
        "memory_write_page",
        type="concept",
        title="Config loading",
        body="parse_config reads YAML. See [[decisions/config-format]] and [[nowhere-page]].",
        tags=["config", "loading"],
    )
    server.ok(
        "memory_write_page",
        type="decision",
        title="Config format",
        body="YAML, because people edit it by hand.",
        tags=["config"],
    )
    data = server.ok("memory_explore", path="decisions/config-format.md")
    assert [n["path"] for n in data["backlinks"]] == ["concepts/config-loading.md"]
    assert any(
        n["path"] == "concepts/config-loading.md" and n["shared"] == ["config"]
        for n in data["shared_tags"]
    )
    concept = server.ok("memory_explore", path="concepts/config-loading")
    assert [n["path"] for n in concept["links"]] == ["decisions/config-format.md"]
    assert concept["links"][0]["title"] == "Config format"
    assert concept["broken_links"] == ["nowhere-page"]
    session_page = server.ok("memory_query", query="YAML anchors", type="session")["results"][0]
    around = server.ok("memory_explore", path=session_page["path"])
    assert [n["type"] for n in around["shared_sessions"]] == ["handoff"]
    assert around["shared_sessions"][0]["shared"] == [world.session]
    text = result_text(server.call("memory_explore", path="decisions/config-format.md"))
    assert "linked from" in text and "concepts/config-loading.md" in text


def test_explore_errors(server: McpServer) -> None:
    assert "no page" in server.error("memory_explore", path="decisions/never-written")
    assert "unsafe" in server.error("memory_explore", path="..")
    assert "limit" in server.error("memory_explore", path="index.md", limit=500)


# --- memory_recent and memory_handoff_begin ---------------------------------------------------


def test_recent_lists_sessions_and_the_handoff(server: McpServer) -> None:
    data = server.ok("memory_recent", limit=3)
    assert data["sessions"][0]["path"].startswith("sessions/")
    assert data["handoff"]["path"].startswith("handoffs/")
    assert data["handoff"]["from_agent"] == "claude-code"
    assert "claude-code worked for" in data["handoff"]["summary"]
    assert len(data["knowledge"]) <= 3
    assert "limit" in server.error("memory_recent", limit=0)


def test_handoff_begin_shows_and_claims_once(server: McpServer, world: World) -> None:
    offer = state.read_json(state.handoff_path(world.paths.state))
    if offer.get("status") != state.OFFERED:  # a re-run of this test alone
        offer["status"] = state.OFFERED
        state.write_json_atomic(state.handoff_path(world.paths.state), offer)
    first = server.call("memory_handoff_begin")
    assert not first.is_error
    data = first.structured_content
    assert data["claimed"] and data["handoff"]["path"] == offer["path"]
    text = result_text(first)
    assert "not instructions" in text and "## Last request" in text
    claimed = state.read_json(state.handoff_path(world.paths.state))
    assert claimed["status"] == "claimed" and claimed["claimed_by"]["agent"] == "mcp"
    second = server.ok("memory_handoff_begin")
    assert not second["claimed"] and "already claimed" in second["reason"]
    assert "unknown project" in server.error("memory_handoff_begin", project="nope")


# --- memory_lint and memory_consolidate -------------------------------------------------------


def test_lint_reports_drift_and_journals_then_consolidate_fixes_them(
    server: McpServer, world: World
) -> None:
    # A session that never ended (no SessionStart either, so it never saw the handoff) ...
    pending = "lint-" + os.urandom(4).hex()
    prompt = "Document the lint check for stale offers"
    results = claude_session(
        str(world.project), pending, prompt, world.env, ["UserPromptSubmit", "PostToolUse", "Stop"]
    )
    assert [r.returncode for r in results] == [0, 0, 0]
    # ... and a page committed by hand, without front matter, the index not updated.
    repo = wikirepo.open_repo(world.paths.wiki, create=False)
    wikirepo.commit_files(repo, {"concepts/by-hand.md": b"See [[no-such-page]].\n"}, "by hand")
    assert not index_status(world.paths.index, world.paths.wiki)["up_to_date"]

    data = server.ok("memory_lint", limit=500)
    kinds = {(i["kind"], i["path"]) for i in data["issues"]}
    assert ("index_drift", "index.sqlite") in kinds
    assert ("missing_front_matter", "concepts/by-hand.md") in kinds
    assert ("broken_link", "concepts/by-hand.md") in kinds
    assert ("unconsolidated_journal", f"raw/{pending}.jsonl") in kinds
    assert data["counts"]["index_drift"] == 1 and data["errors"] >= 3
    assert {i["severity"] for i in data["issues"]} <= {"error", "warning"}
    text = result_text(server.call("memory_lint", limit=1))
    assert "more issue(s) not listed" in text and "aimem reindex" in result_text(
        server.call("memory_lint", limit=500)
    )

    before = commits(world)
    done = server.ok("memory_consolidate")
    mine = [r for r in done["results"] if r["session"] == pending]
    assert mine and mine[0]["status"] == "committed" and mine[0]["commit"]
    assert any(p.startswith("sessions/") for p in mine[0]["pages"])
    assert commits(world) == before + 1
    assert server.ok("memory_query", query="stale offers lint", type="session")["results"]
    after = {(i["kind"], i["path"]) for i in server.ok("memory_lint", limit=500)["issues"]}
    assert ("unconsolidated_journal", f"raw/{pending}.jsonl") not in after
    assert ("index_drift", "index.sqlite") not in after
    again = server.ok("memory_consolidate", session=pending)
    assert again["results"][0]["status"] == "unchanged"
    assert "Nothing to consolidate" in result_text(server.call("memory_consolidate"))


def test_consolidate_and_lint_errors(server: McpServer) -> None:
    assert "no journal for session" in server.error("memory_consolidate", session="never-seen")
    assert "invalid session id" in server.error("memory_consolidate", session="../../etc")
    assert "limit" in server.error("memory_lint", limit=-1)
    assert "unknown project" in server.error("memory_lint", project="nope")


# --- memory_install_self_routing --------------------------------------------------------------


def test_install_self_routing_is_idempotent_and_removable(server: McpServer, world: World) -> None:
    claude_md = world.project / "CLAUDE.md"
    claude_md.write_text("# House rules\n\nTabs.\n")
    data = server.ok("memory_install_self_routing")
    assert data["root"] == os.path.realpath(world.project)
    assert data["changes"] == [{"file": "CLAUDE.md", "action": "updated"}]
    assert claude_md.read_text().startswith("# House rules\n\nTabs.\n") and BEGIN in (
        claude_md.read_text()
    )
    again = server.ok("memory_install_self_routing")
    assert again["changes"] == [{"file": "CLAUDE.md", "action": "unchanged"}]
    both = server.ok("memory_install_self_routing", files=["AGENTS.md", "CLAUDE.md"])
    assert both["changes"] == [
        {"file": "AGENTS.md", "action": "created"},
        {"file": "CLAUDE.md", "action": "unchanged"},
    ]
    gone = server.ok("memory_install_self_routing", remove=True)
    assert {c["file"]: c["action"] for c in gone["changes"]} == {
        "AGENTS.md": "deleted",
        "CLAUDE.md": "removed",
        "GEMINI.md": "absent",
    }
    assert claude_md.read_text() == "# House rules\n\nTabs.\n"
    assert not (world.project / "AGENTS.md").exists()
    assert "files" in server.error("memory_install_self_routing", files=["README.md"])
    assert "remove" in server.error("memory_install_self_routing", remove="perhaps")
