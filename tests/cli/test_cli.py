"""The ``aimem`` command line through the installed executable: help, JSON output, and one-line
errors with a non-zero exit on bad input."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import pytest
from replay import claude_session, run_aimem

PROMPT = "Refactor parse_config so YAML anchors survive a round trip"
COMMANDS = {
    "hook": "usage: aimem hook",
    "consolidate": "Usage: aimem consolidate",
    "search": "Usage: aimem search",
    "reindex": "Usage: aimem reindex",
    "show": "Usage: aimem show",
    "status": "Usage: aimem status",
    "projects": "Usage: aimem projects",
    "path": "Usage: aimem path",
}
HIT_KEYS = {"path", "title", "type", "score", "snippet", "project"}


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aimem: error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def ok_json(*args: str, env: dict, cwd: str | None = None):
    result = run_aimem(*args, "--json", env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def memory(env: dict, project: Path) -> dict:
    """A replayed Claude Code session, consolidated: the project has a wiki and an index."""
    session = str(uuid.uuid4())
    assert all(r.returncode == 0 for r in claude_session(str(project), session, PROMPT, env))
    result = run_aimem("consolidate", "--pending", env=env, cwd=str(project))
    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 60  # SessionEnd also started a detached consolidation
    while True:
        info = ok_json("status", env=env, cwd=str(project))
        if info["sessions"].get("consolidated") and not info["pending"]:
            return {"session": session, "status": info}
        assert time.monotonic() < deadline, info
        time.sleep(0.1)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str, env: dict, tmp_path: Path) -> None:
    result = run_aimem(command, "--help", env=env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert COMMANDS[command] in result.stdout
    assert len(result.stdout.splitlines()) >= 2
    assert result.stderr == ""


def test_version(env: dict) -> None:
    from aimem import __version__

    result = run_aimem("--version", env=env)
    assert result.returncode == 0
    assert result.stdout.strip() == f"aimem {__version__}"


def test_unknown_project_is_a_one_line_error(env: dict, project: Path) -> None:
    for command in ("status", "search x", "show index.md", "consolidate", "reindex"):
        result = run_aimem(*command.split(), "--project", "nope", env=env, cwd=str(project))
        assert_one_line_error(result, "unknown project 'nope'")


def test_status_of_a_project_without_memory_says_so_and_succeeds(env: dict, project: Path) -> None:
    """A real project nobody has recorded in yet is a normal state, not a failure: people run
    `aimem status` right after installing, and scripts should not see an error."""
    result = run_aimem("status", env=env, cwd=str(project))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no memory yet for project proj (proj-")
    assert "aimem install" in result.stdout and result.stderr == ""
    info = ok_json("status", env=env, cwd=str(project / "src"))
    assert info["memory"] is False and info["project"] == "proj"
    assert info["commits"] == 0 and info["sessions"] == {} and info["handoff"] is None
    by_path = ok_json("status", "--project", str(project), env=env, cwd="/")
    assert by_path == info
    assert not Path(env["AIMEM_HOME"], "projects").exists()  # status created nothing
    # Other commands still need memory.
    assert_one_line_error(run_aimem("search", "x", env=env, cwd=str(project)), "no memory")


def test_a_folder_that_is_not_a_project(env: dict, tmp_path: Path) -> None:
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    env = dict(env, HOME=str(user_home))
    assert_one_line_error(
        run_aimem("status", env=env, cwd=str(user_home)), "is not inside a project"
    )
    assert_one_line_error(run_aimem("path", "--wiki", env=env, cwd=str(user_home)))
    # The data root itself is still known.
    assert run_aimem("path", env=env, cwd=str(user_home)).stdout.strip() == env["AIMEM_HOME"]


def test_session_and_pending_together_is_an_error(env: dict, project: Path) -> None:
    result = run_aimem("consolidate", "--session", "x", "--pending", env=env, cwd=str(project))
    assert_one_line_error(result, "--session", "--pending")


def test_search_finds_the_consolidated_session(env: dict, project: Path, memory: dict) -> None:
    text = run_aimem("search", "anchors", env=env, cwd=str(project))
    assert text.returncode == 0, text.stderr
    assert "parse_config" in text.stdout and "sessions/" in text.stdout

    hits = ok_json("search", "YAML anchors", env=env, cwd=str(project))
    assert isinstance(hits, list) and len(hits) >= 2
    assert all(isinstance(h, dict) and set(h) == HIT_KEYS for h in hits)
    assert {h["type"] for h in hits} >= {"session", "handoff"}
    assert all(h["project"] == memory["status"]["slug"] for h in hits)
    assert all(isinstance(h["score"], (int, float)) for h in hits)
    assert any("anchors" in h["snippet"].lower() for h in hits)

    single = ok_json("search", "anchors", env=env, cwd=str(project))
    scores = [h["score"] for h in single]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)  # best first
    only = ok_json("search", "anchors", "--type", "handoff", env=env, cwd=str(project))
    assert only and {h["type"] for h in only} == {"handoff"}
    assert ok_json("search", "anchors", "--limit", "1", env=env, cwd=str(project))[1:] == []
    assert ok_json("search", "zzzqqqnothing", env=env, cwd=str(project)) == []
    # FTS syntax in a query is never an error.
    assert run_aimem("search", 'NEAR( "x* AND', env=env, cwd=str(project)).returncode == 0


def test_search_with_an_unknown_type(env: dict, project: Path, memory: dict) -> None:
    result = run_aimem("search", "anchors", "--type", "bogus", env=env, cwd=str(project))
    assert_one_line_error(result, "bogus")


def test_show_prints_a_page_and_its_json(env: dict, project: Path, memory: dict) -> None:
    handoff = memory["status"]["handoff"]["path"]
    text = run_aimem("show", handoff[:-3], env=env, cwd=str(project))
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("---\ntitle: ")
    assert "## Last request" in text.stdout and PROMPT in text.stdout

    page = ok_json("show", handoff, env=env, cwd=str(project))
    assert page["path"] == handoff
    assert page["meta"]["type"] == "handoff" and page["meta"]["status"] == "offered"
    assert page["meta"]["from_session"] == memory["session"]
    assert "## Summary" in page["body"] and not page["body"].startswith("---")


def test_show_rejects_unknown_and_escaping_pages(env: dict, project: Path, memory: dict) -> None:
    cwd = str(project)
    assert_one_line_error(run_aimem("show", "decisions/nope", env=env, cwd=cwd), "no page")
    for bad in ("../../etc/passwd", "/etc/passwd", ".git/config"):
        assert_one_line_error(run_aimem("show", bad, env=env, cwd=cwd))
    wiki = memory["status"]["wiki"]
    os.symlink("/etc/passwd", os.path.join(wiki, "leak.md"))
    assert_one_line_error(run_aimem("show", "leak.md", env=env, cwd=cwd), "escapes")


def test_status_json(env: dict, project: Path, memory: dict) -> None:
    info = ok_json("status", env=env, cwd=str(project / "src" / "app"))
    assert set(info) == {
        "project",
        "slug",
        "memory",
        "data",
        "wiki",
        "commits",
        "sessions",
        "pending",
        "handoff",
        "index",
        "llm",
        "conflicts",
    }
    assert info["project"] == "proj" and info["slug"].startswith("proj-")
    assert info["memory"] is True
    assert info["commits"] == 1
    assert info["sessions"] == {"consolidated": 1}
    assert info["pending"] == []
    assert info["handoff"]["status"] == "offered"
    assert info["handoff"]["from_agent"] == "claude-code"
    assert info["index"]["up_to_date"] is True and info["index"]["pages"] == 2
    assert Path(info["wiki"]) == Path(env["AIMEM_HOME"], "projects", info["slug"], "wiki")
    text = run_aimem("status", env=env, cwd=str(project))
    assert text.returncode == 0 and info["slug"] in text.stdout


def test_projects_json(env: dict, project: Path, memory: dict) -> None:
    (row,) = ok_json("projects", env=env, cwd="/")  # independent of the current directory
    assert set(row) == {
        "slug",
        "name",
        "root",
        "source",
        "data",
        "pages",
        "sessions",
        "last_activity",
        "last_activity_ts",
    }
    assert row["pages"] == 2 and row["sessions"] == 1
    assert abs(row["last_activity_ts"] - time.time()) < 600
    assert row["last_activity"].startswith(time.strftime("%Y-%m-%d"))
    assert row["slug"] == memory["status"]["slug"] and row["name"] == "proj"
    assert os.path.realpath(row["root"]) == os.path.realpath(project)
    assert row["source"] == "git"
    assert row["data"] == memory["status"]["data"]


def test_projects_when_there_are_none(env: dict) -> None:
    assert ok_json("projects", env=env) == []
    result = run_aimem("projects", env=env)
    assert result.returncode == 0 and "no projects yet" in result.stdout


def test_path_prints_the_data_root_and_the_wiki(env: dict, project: Path, memory: dict) -> None:
    assert run_aimem("path", env=env, cwd=str(project)).stdout == env["AIMEM_HOME"] + "\n"
    wiki = memory["status"]["wiki"]
    assert run_aimem("path", "--wiki", env=env, cwd=str(project)).stdout == wiki + "\n"
    sub = run_aimem("path", "--wiki", env=env, cwd=str(project / "src" / "app"))
    assert sub.stdout == wiki + "\n"
    slug = memory["status"]["slug"]
    assert run_aimem("path", "--wiki", "--project", slug, env=env).stdout == wiki + "\n"
    assert Path(wiki, ".git").is_dir()


def test_consolidate_again_and_unknown_session(env: dict, project: Path, memory: dict) -> None:
    cwd = str(project)
    again = ok_json("consolidate", "--session", memory["session"], env=env, cwd=cwd)
    assert [r["status"] for r in again] == ["unchanged"]
    assert ok_json("consolidate", env=env, cwd=cwd) == []
    assert_one_line_error(
        run_aimem("consolidate", "--session", "no-such-session", env=env, cwd=cwd), "no journal"
    )
    assert_one_line_error(
        run_aimem("consolidate", "--session", "../x", env=env, cwd=cwd), "invalid session id"
    )
    assert ok_json("status", env=env, cwd=cwd)["commits"] == 1


def test_consolidate_says_what_it_committed_once(env: dict, project: Path) -> None:
    """One line per session: ``<id>: committed <commit> (<n> observations)``, then
    ``unchanged`` (it once read ``committed commit <sha>``)."""
    session = str(uuid.uuid4())
    events = ["SessionStart", "UserPromptSubmit", "Stop"]  # no SessionEnd: nothing detached
    assert all(
        r.returncode == 0 for r in claude_session(str(project), session, PROMPT, env, events)
    )
    first = run_aimem("consolidate", "--session", session, env=env, cwd=str(project))
    assert first.returncode == 0, first.stderr
    words = first.stdout.split()
    assert words[:2] == [f"{session}:", "committed"] and len(words[2]) == 10, first.stdout
    again = run_aimem("consolidate", "--session", session, env=env, cwd=str(project))
    assert again.stdout.startswith(f"{session}: unchanged ("), again.stdout
