"""opencode: the adapter against the payloads the plugin builds, and the plugin itself run under
Node with a fake opencode host, calling the real ``aimem`` (Node is required, as for `make e2e`)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from replay import aimem_exe, claude_session, run_aimem

from aimem.capture import observation
from aimem.capture.adapters import load
from aimem.capture.adapters import opencode as adapter
from aimem.capture.observation import Observed
from aimem.install.common import text_template

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads" / "opencode"
EXPECTED_KIND = {
    "session.created": "session_start",
    "chat.message": "prompt",
    "tool.execute.after.edit": "tool_result",
    "tool.execute.after.failed": "tool_error",
    "experimental.session.compacting": "compact",
    "session.compacted": "compact",
    "session.idle": "stop",
    "session.deleted": "session_end",
    "plugin.exit": "session_end",
}


def fixtures() -> list[tuple[str, dict]]:
    return [
        (p.name[: -len(".json")], json.loads(p.read_text())["payload"])
        for p in sorted(PAYLOADS.glob("*.json"))
    ]


FIXTURES = fixtures()


def payload(name: str) -> dict:
    return copy.deepcopy(dict(FIXTURES)[name])


def test_fixtures_are_there():
    assert {n for n, _ in FIXTURES} == set(EXPECTED_KIND)
    assert load("opencode") is adapter


@pytest.mark.parametrize(("name", "payload_"), FIXTURES, ids=[n for n, _ in FIXTURES])
def test_every_plugin_payload(name, payload_):
    event = payload_["hook_event_name"]
    result = adapter.observe(event, payload_)
    assert result.kind == EXPECTED_KIND[name]
    assert result.session == payload_["session_id"] and result.cwd == payload_["cwd"]
    record = observation.build(adapter.AGENT, event, result, "proj-12345678")
    assert json.loads(observation.encode(record))["kind"] == result.kind


def test_fields():
    assert adapter.observe("session.created", payload("session.created")).fields["source"] == (
        "startup"
    )
    prompt = adapter.observe("chat.message", payload("chat.message"))
    assert prompt.fields == {"text": "Fix the failing parse_config test"}
    failed = adapter.observe("tool.execute.after", payload("tool.execute.after.failed"))
    assert failed.fields["tool"] == "bash" and failed.fields["input"] == "pytest -q"
    assert failed.fields["error"].startswith("exit code 1\n1 failed")
    assert failed.key == "call_1"
    edit = adapter.observe("tool.execute.after", payload("tool.execute.after.edit"))
    assert edit.fields["files"] == ["/home/dev/proj-opencode/src/config.py"]  # filePath
    assert adapter.observe("experimental.session.compacting", payload(
        "experimental.session.compacting")).fields["phase"] == "pre"  # fmt: skip
    assert adapter.observe("session.compacted", payload("session.compacted")).fields["phase"] == (
        "post"
    )
    stop = adapter.observe("session.idle", payload("session.idle"))
    assert stop.fields == {"message": "Fixed: anchors survive."}
    assert adapter.observe("plugin.exit", payload("plugin.exit")).fields == {"reason": "exit"}


def test_two_turns_with_the_same_answer_are_two_stops():
    one = payload("session.idle")
    two = dict(one, turn_id="msg_09")
    assert adapter.observe("session.idle", one).key != adapter.observe("session.idle", two).key


def test_unknown_events_and_bad_types():
    assert adapter.observe("session.error", payload("session.idle")) is None
    assert adapter.observe("tui.toast.show", payload("session.idle")) is None
    for name, raw in FIXTURES:
        for key in raw:
            for bad in (None, 3, [], {}, "x"):
                broken = dict(copy.deepcopy(raw), **{key: bad})
                result = adapter.observe(raw["hook_event_name"], broken)
                assert result is None or isinstance(result, Observed), name


def test_context_output():
    out = json.loads(adapter.context_output("session.created", "ctx"))
    assert out["hookSpecificOutput"]["additionalContext"] == "ctx"
    assert adapter.context_output("session.idle", "ctx") is None


NODE = shutil.which("node")
HOST = Path(__file__).resolve().parents[2] / "fixtures" / "opencode" / "host.mjs"


def test_generated_plugin_under_node_records_and_injects_the_handoff(env, project, home, tmp_path):
    """A Claude Code session leaves a handoff; opencode, started in the same project through the
    generated plugin, gets it in its system prompt and records its own session."""
    earlier = str(uuid.uuid4())
    asked = "Refactor parse_config so YAML anchors survive"
    assert all(r.returncode == 0 for r in claude_session(str(project), earlier, asked, env))
    assert run_aimem("consolidate", "--pending", env=env, cwd=str(project)).returncode == 0
    deadline = time.monotonic() + 60
    while not list(home.glob("projects/*/state/handoff.json")):
        assert time.monotonic() < deadline
        time.sleep(0.1)

    (tmp_path / "aimem.mjs").write_text(text_template("opencode/aimem.js", aimem_exe()))
    shutil.copy(HOST, tmp_path / "host.mjs")
    session = "ses_" + uuid.uuid4().hex[:20]
    result = subprocess.run(
        [NODE, "host.mjs", session, "Carry on with the YAML anchors"],
        cwd=tmp_path,
        env={**env, "PROJECT": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["system"][0] == "You are opencode."
    assert len(shown["system"]) == 2 and "<aimem-handoff>" in shown["system"][1]
    assert asked in shown["system"][1]  # Claude's last request reached opencode's system prompt
    assert shown["child"] == []  # subagent sessions get nothing and record nothing

    (journal,) = home.glob(f"projects/*/raw/{session}.jsonl")
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [r["kind"] for r in records] == [
        "session_start", "prompt", "tool_error", "stop", "session_end",
    ]  # fmt: skip
    assert records[-1]["reason"] == "exit" and records[-2]["message"] == "All done."
    assert not list(home.glob("projects/*/raw/ses_child.jsonl"))
