"""``aimem explore`` through the installed executable: neighbours of a page, and clean errors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from replay import claude_session, run_aimem


def test_explore_shows_the_session_page_linked_from_its_handoff(env: dict, project: Path) -> None:
    claude_session(str(project), str(uuid.uuid4()), "Teach the exporter to retry", env)
    assert run_aimem("consolidate", "--pending", env=env, cwd=str(project)).returncode == 0
    status = json.loads(run_aimem("status", "--json", env=env, cwd=str(project)).stdout)
    handoff = status["handoff"]["path"]
    out = run_aimem("explore", handoff, "--json", env=env, cwd=str(project))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    linked = [n["path"] for n in data["links"]]
    assert linked and linked[0].startswith("sessions/")  # the handoff's [[session]] link
    text = run_aimem("explore", handoff, env=env, cwd=str(project)).stdout
    assert "links to:" in text and linked[0] in text
    back = json.loads(run_aimem("explore", linked[0], "--json", env=env, cwd=str(project)).stdout)
    assert handoff in [n["path"] for n in back["backlinks"]]


def test_explore_errors_are_one_line(env: dict, project: Path) -> None:
    claude_session(str(project), str(uuid.uuid4()), "Anything at all", env)
    run_aimem("consolidate", "--pending", env=env, cwd=str(project))
    for page in ("decisions/nope.md", "../../etc/passwd"):
        out = run_aimem("explore", page, env=env, cwd=str(project))
        assert out.returncode == 1 and out.stdout == ""
        assert out.stderr.startswith("aimem: error:") and out.stderr.count("\n") == 1
