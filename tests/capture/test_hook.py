"""``aimem hook`` as a subprocess: bad input fails open, secrets never reach the disk, and the
fast path imports nothing outside the standard library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import pytest
from replay import payload, retarget, run_aimem, run_hook

ANTHROPIC_KEY = "sk-ant-api03-" + "Zq9" * 30 + "AA"
AWS_KEY = "AKIAQ3EXAMPLE7PLANTD"
GITHUB_TOKEN = "ghp_" + "k2" * 18


def journal_files(home: Path) -> list[Path]:
    return sorted(home.glob("projects/*/raw/*.jsonl"))


def start_session(env: dict, project: Path) -> tuple[str, Path]:
    session = str(uuid.uuid4())
    p = retarget(payload("claude-code", "UserPromptSubmit"), cwd=str(project), session=session)
    assert run_hook("claude-code", "UserPromptSubmit", p, env).returncode == 0
    (segment,) = [j for j in journal_files(Path(env["AIMEM_HOME"])) if session in j.name]
    return session, segment


def wrong_types() -> bytes:
    return json.dumps(
        {
            "session_id": 12,
            "cwd": ["/"],
            "tool_name": {"x": 1},
            "tool_input": "str",
            "hook_event_name": 5,
        }
    ).encode()


BAD_INPUTS = {
    "empty": b"",
    "whitespace": b"  \n ",
    "not-json": b"this is not json {",
    "binary": bytes(range(256)) * 40,
    "json-array": b"[1, 2, 3]",
    "json-string": b'"PostToolUse"',
    "deeply-nested": b"[" * 100000 + b"]" * 100000,
    "wrong-field-types": wrong_types(),
    "invalid-utf8": b'{"session_id": "\xff\xfe", "cwd": "/tmp"}',
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_stdin_fails_open_without_writing(name: str, env: dict, project: Path) -> None:
    _, segment = start_session(env, project)
    before = segment.read_bytes()
    result = run_hook("claude-code", "PostToolUse", BAD_INPUTS[name], env)
    assert result.returncode == 0
    assert result.stdout == b""
    assert segment.read_bytes() == before
    log = (Path(env["AIMEM_HOME"]) / "logs" / "aimem.log").read_text()
    assert "hook:" in log


def test_20_mb_of_garbage_is_drained_and_ignored(env: dict, project: Path) -> None:
    _, segment = start_session(env, project)
    before = segment.read_bytes()
    started = time.perf_counter()
    result = run_hook("claude-code", "PostToolUse", os.urandom(20 * 1024 * 1024), env)
    assert result.returncode == 0 and result.stdout == b""
    assert segment.read_bytes() == before
    assert time.perf_counter() - started < 20


def test_a_real_payload_with_a_20_mb_tool_response_records_only_its_size(env, project) -> None:
    session, segment = start_session(env, project)
    p = retarget(payload("claude-code", "PostToolUse"), cwd=str(project), session=session)
    p["tool_response"] = {"stdout": "x" * (20 * 1024 * 1024)}
    result = run_hook("claude-code", "PostToolUse", p, env)
    assert result.returncode == 0 and result.stdout == b""
    last = json.loads(segment.read_bytes().splitlines()[-1])
    assert last["kind"] == "tool_result" and last["oversized"] > 20 * 1024 * 1024
    assert "output" not in last


def test_unknown_event_and_unknown_agent_write_nothing(env: dict, project: Path) -> None:
    session, segment = start_session(env, project)
    before = segment.read_bytes()
    p = retarget(payload("claude-code", "PostToolUse"), cwd=str(project), session=session)
    assert run_hook("claude-code", "NoSuchEvent", p, env).stdout == b""
    assert run_hook("vim", "PostToolUse", p, env).returncode == 0
    assert segment.read_bytes() == before


def test_replayed_hook_is_recorded_once(env: dict, project: Path) -> None:
    session, segment = start_session(env, project)
    p = retarget(payload("claude-code", "PostToolUse"), cwd=str(project), session=session)
    for _ in range(3):
        run_hook("claude-code", "PostToolUse", p, env)
    kinds = [json.loads(line)["kind"] for line in segment.read_bytes().splitlines()]
    assert kinds == ["prompt", "tool_result"]


def test_session_id_that_escapes_raw_is_refused(env: dict, project: Path) -> None:
    p = retarget(
        payload("claude-code", "UserPromptSubmit"), cwd=str(project), session="../../../escape"
    )
    assert run_hook("claude-code", "UserPromptSubmit", p, env).returncode == 0
    assert not list(Path(env["AIMEM_HOME"]).rglob("escape*"))


def test_unwritable_data_root_still_exits_zero(tmp_path: Path, env: dict, project: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    env = dict(env, AIMEM_HOME=str(blocker / "data"))
    p = retarget(payload("claude-code", "UserPromptSubmit"), cwd=str(project), session="s1")
    result = run_hook("claude-code", "UserPromptSubmit", p, env)
    assert result.returncode == 0 and result.stdout == b""


def _all_git_objects(wiki: Path) -> bytes:
    """Every object in the wiki repository, decompressed (loose and packed)."""
    out = subprocess.run(
        ["git", "-C", str(wiki), "cat-file", "--batch-all-objects", "--batch"],
        capture_output=True,
        check=True,
    )
    loose = b"".join(
        zlib.decompress(p.read_bytes()) for p in (wiki / ".git" / "objects").glob("??/*")
    )
    return out.stdout + loose


def test_planted_secrets_appear_nowhere_under_the_data_root(env: dict, project: Path) -> None:
    session = str(uuid.uuid4())
    secret_prompt = f"deploy with ANTHROPIC_API_KEY={ANTHROPIC_KEY} and {AWS_KEY} please"
    events = [
        ("SessionStart", {}),
        ("UserPromptSubmit", {"prompt": secret_prompt}),
        (
            "PostToolUse",
            {
                "tool_input": {"command": f"curl -H 'Authorization: Bearer {GITHUB_TOKEN}'"},
                "tool_response": {
                    "stdout": f"token={GITHUB_TOKEN}\nkey {ANTHROPIC_KEY}",
                    "stderr": "",
                },
            },
        ),
        ("Stop", {"last_assistant_message": f"Used {AWS_KEY} to deploy."}),
        ("SessionEnd", {}),
    ]
    for event, changes in events:
        p = retarget(payload("claude-code", event), cwd=str(project), session=session)
        p.update(changes)
        assert run_hook("claude-code", event, p, env).returncode == 0
    home = Path(env["AIMEM_HOME"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = json.loads(run_aimem("status", "--json", env=env, cwd=str(project)).stdout)
        if info["sessions"].get("consolidated"):
            break
        time.sleep(0.2)
    assert run_aimem("search", "deploy", env=env, cwd=str(project)).returncode == 0
    wikis = list(home.glob("projects/*/wiki"))
    assert wikis and any((w / "sessions").exists() for w in wikis)
    blobs = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    blobs += b"".join(_all_git_objects(w) for w in wikis)
    assert b"deploy with ANTHROPIC_API_KEY=" in blobs  # the prompt itself was kept...
    for secret in (ANTHROPIC_KEY, AWS_KEY, GITHUB_TOKEN):
        assert secret.encode() not in blobs  # ...but no secret, anywhere
        assert secret[:16].encode() not in blobs  # not even a prefix left by truncation


def test_hook_fast_path_imports_only_the_standard_library() -> None:
    code = (
        "import sys; before = set(sys.modules); import aimem.capture.hook; "
        "new = set(sys.modules) - before; "
        "print('\\n'.join(sorted(m for m in new if m.split('.')[0] not in "
        "sys.stdlib_module_names and not m.startswith('aimem'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_hook_help_and_missing_agent_exit_zero(env: dict) -> None:
    out = run_aimem("hook", env=env)
    assert out.returncode == 0 and "usage: aimem hook" in out.stdout
