"""What a real ``aimem hook`` process imports: an ordinary event loads neither ``json`` nor ``re``
(together ~15 ms, as much as starting Python; ``make bench`` holds the hook to 2x a bare Python),
and a payload that holds a secret still loads ``re`` and is redacted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from replay import aimem_exe, payload, retarget, run_hook

SESSION = "imports-0000-4000-8000-000000000001"
HEAVY = {"json", "json.decoder", "re", "enum", "functools", "collections", "typing"}
GITHUB_TOKEN = "ghp_" + "k3Jd9sLqP0aZx7Vb2NcR5tYw8HuE1mFg4OiQ"


def imported_by_hook(event: str, data: dict, env: dict) -> set[str]:
    """The modules ``aimem hook claude-code <event>`` imported (from ``-X importtime``)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", aimem_exe(), "hook", "claude-code", event],
        input=json.dumps(data).encode(),
        env=env,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0 and result.stdout == b""
    lines = result.stderr.decode().splitlines()
    return {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}


@pytest.fixture
def started(project: Path, env: dict) -> dict:
    """A session that has started (its first hook wrote the project's metadata)."""
    start = retarget(payload("claude-code", "SessionStart"), cwd=str(project), session=SESSION)
    assert run_hook("claude-code", "SessionStart", start, env).returncode == 0
    return env


@pytest.mark.parametrize("event", ["PostToolUse", "UserPromptSubmit", "PreToolUse", "Stop"])
def test_ordinary_event_imports_neither_json_nor_re(
    event: str, project: Path, home: Path, started: dict
) -> None:
    data = retarget(payload("claude-code", event), cwd=str(project), session=SESSION)
    modules = imported_by_hook(event, data, started)
    assert "aimem.capture.hook" in modules  # the parse worked: this is the hook's import list
    assert "_json" in modules
    assert HEAVY.isdisjoint(modules), sorted(HEAVY & modules)
    journal = next(home.glob("projects/*/raw/*.jsonl")).read_text().splitlines()
    assert json.loads(journal[-1])["event"] == event  # and the event was recorded


def test_secret_loads_re_and_is_redacted(project: Path, home: Path, started: dict) -> None:
    prompt = f"push with GITHUB_TOKEN={GITHUB_TOKEN} please"
    data = retarget(
        payload("claude-code", "UserPromptSubmit"), cwd=str(project), session=SESSION, prompt=prompt
    )
    modules = imported_by_hook("UserPromptSubmit", data, started)
    assert "re" in modules
    assert "json" not in modules
    journal = next(home.glob("projects/*/raw/*.jsonl")).read_text()
    record = json.loads(journal.splitlines()[-1])
    assert record["kind"] == "prompt"
    assert record["text"] == "push with GITHUB_TOKEN=[REDACTED] please"
    assert GITHUB_TOKEN not in journal


def test_apply_patch_files_still_found(project: Path, home: Path, started: dict) -> None:
    """The apply_patch header regex is imported lazily; the files are still listed."""
    data = retarget(payload("claude-code", "PostToolUse"), cwd=str(project), session=SESSION)
    data["tool_input"] = {
        "command": "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: src/app.py\n"
        "@@\n-a\n+b\n*** Add File: docs/new.md\n+hi\n*** End Patch\nEOF"
    }
    data["tool_use_id"] = "toolu_patch_1"
    modules = imported_by_hook("PostToolUse", data, started)
    assert "re" in modules
    journal = next(home.glob("projects/*/raw/*.jsonl")).read_text()
    assert json.loads(journal.splitlines()[-1])["files"] == ["src/app.py", "docs/new.md"]
