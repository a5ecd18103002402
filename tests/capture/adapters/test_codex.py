"""Codex CLI adapter, against every payload captured from the real 0.169.0 binary."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from aimem.capture import observation
from aimem.capture.adapters import codex as adapter
from aimem.capture.adapters import load
from aimem.capture.observation import Observed

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads" / "codex"

# What each captured event must become, written out independently of ``adapter.EVENTS``.
EXPECTED_KIND = {
    "SessionStart": "session_start",
    "UserPromptSubmit": "prompt",
    "PreToolUse": "tool_use",
    "PostToolUse": "tool_result",
    "PreCompact": "compact",
    "PostCompact": "compact",
    "Stop": "stop",
    "SessionEnd": "session_end",
    "PermissionRequest": None,
    "SubagentStop": None,
}

# Documented hook events (May 2026 docs) plus the ones the 0.169.0 binary also fires
# (agent-protocols.md §2.1). Codex has no PostToolUseFailure.
REAL_EVENTS = {
    "SessionStart", "SubagentStart", "PreToolUse", "PermissionRequest", "PostToolUse",
    "PreCompact", "PostCompact", "UserPromptSubmit", "SubagentStop", "Stop",
    "SessionEnd", "Interrupt", "PreModelRequest",
}  # fmt: skip


def captured() -> list[tuple[str, dict]]:
    """``(file name, payload)`` for every captured payload (a file may hold several)."""
    out = []
    for path in sorted(PAYLOADS.glob("*.json")):
        data = json.loads(path.read_text())
        for item in data if isinstance(data, list) else [data]:
            out.append((path.name, item["payload"]))
    return out


CAPTURED = captured()


def payload(name: str) -> dict:
    return copy.deepcopy(next(p for n, p in CAPTURED if n == name))


def test_fixtures_are_there():
    assert len(CAPTURED) >= 14
    assert load("codex") is adapter
    assert adapter.AGENT == "codex"


@pytest.mark.parametrize(("name", "payload_"), CAPTURED, ids=[n for n, _ in CAPTURED])
def test_every_captured_payload(name, payload_):
    event = payload_["hook_event_name"]
    assert name.split(".")[0] == event
    assert event in EXPECTED_KIND, f"new captured event {event}: add its expected kind"
    result = adapter.observe(event, payload_)
    if EXPECTED_KIND[event] is None:
        assert result is None
        return
    assert isinstance(result, Observed)
    assert result.kind == EXPECTED_KIND[event]
    assert result.session == payload_["session_id"]
    assert result.cwd == payload_["cwd"]
    assert result.key
    record = observation.build(adapter.AGENT, event, result, "proj-12345678")
    assert json.loads(observation.encode(record))["kind"] == result.kind


def test_every_captured_event_is_known():
    events = {p["hook_event_name"] for _, p in CAPTURED}
    assert events <= set(adapter.EVENTS)


def test_events_are_real_codex_events():
    assert set(adapter.EVENTS) <= REAL_EVENTS
    assert "PostToolUseFailure" not in adapter.EVENTS
    assert set(adapter.EVENTS.values()) - {None} <= set(observation.KINDS)
    for event, kind in EXPECTED_KIND.items():
        assert adapter.EVENTS[event] == kind


def test_fields_of_each_kind():
    assert adapter.observe("SessionStart", payload("SessionStart.json")).fields == {
        "source": "startup",
        "model": "gpt-5.1-codex",
    }
    assert (
        adapter.observe("SessionStart", payload("SessionStart.resume.json")).fields["source"]
        == "resume"
    )
    sources = [
        adapter.observe("SessionStart", p).fields["source"]
        for n, p in CAPTURED
        if n == "SessionStart.startup+compact.json"
    ]
    assert sources == ["startup", "compact"]

    prompt = adapter.observe("UserPromptSubmit", payload("UserPromptSubmit.json"))
    assert prompt.fields == {"text": "say hi"}
    assert prompt.key.startswith("01a20576-6594-71d2-a29f-e5c778836185:")  # the turn id

    use = adapter.observe("PreToolUse", payload("PreToolUse.json"))
    assert (use.fields["tool"], use.fields["input"]) == ("Bash", "echo hi")
    assert use.key == "call_fake_f769f174"

    pre = adapter.observe("PreCompact", payload("PreCompact.json"))
    post = adapter.observe("PostCompact", payload("PostCompact.json"))
    assert (pre.fields["phase"], post.fields["phase"]) == ("pre", "post")
    assert pre.fields["trigger"] == "auto"

    stop = adapter.observe("Stop", payload("Stop.json"))
    assert stop.fields["message"].startswith("Done: the command printed hi")
    assert adapter.observe("SessionEnd", payload("SessionEnd.json")).fields == {"reason": "other"}


def test_post_tool_use_output_is_the_plain_string():
    result = adapter.observe("PostToolUse", payload("PostToolUse.json"))
    assert result.kind == "tool_result"
    assert "hi" in result.fields["output"]
    assert result.fields["output"].strip() == "hi"


def test_mcp_result_is_readable_text():
    use = adapter.observe("PreToolUse", payload("PreToolUse.mcp.json"))
    assert use.fields["tool"] == "mcp__tiny__remember"
    assert json.loads(use.fields["input"]) == {"fact": "blue"}
    result = adapter.observe("PostToolUse", payload("PostToolUse.mcp.json"))
    assert result.kind == "tool_result"
    assert result.fields["output"] == "stored: blue"  # the content text, not a JSON dump


def test_mcp_is_error_becomes_tool_error():
    raw = payload("PostToolUse.mcp.json")
    raw["tool_response"]["isError"] = True
    raw["tool_response"]["content"][0]["text"] = "remember failed: disk full"
    result = adapter.observe("PostToolUse", raw)
    assert result.kind == "tool_error"
    assert result.fields["error"] == "remember failed: disk full"
    assert "output" not in result.fields
    record = observation.build(adapter.AGENT, "PostToolUse", result, "p-1")
    assert record["kind"] == "tool_error" and "disk full" in record["error"]


def test_apply_patch_names_its_files():
    raw = payload("PreToolUse.json")
    raw["tool_name"] = "apply_patch"
    raw["tool_input"] = {
        "command": "*** Begin Patch\n*** Update File: src/app.py\n@@\n-a\n+b\n"
        "*** Add File: docs/new.md\n+hello\n*** Update File: src/app.py\n*** End Patch\n"
    }
    assert adapter.observe("PreToolUse", raw).fields["files"] == ["src/app.py", "docs/new.md"]


def test_command_given_as_argv_list():
    raw = payload("PreToolUse.json")
    raw["tool_input"] = {"command": ["bash", "-lc", "echo hi"]}
    assert adapter.observe("PreToolUse", raw).fields["input"] == "bash -lc echo hi"


def test_replays_share_a_key_and_different_calls_do_not():
    one = adapter.observe("PostToolUse", payload("PostToolUse.json"))
    again = adapter.observe("PostToolUse", payload("PostToolUse.json"))
    other = payload("PostToolUse.json")
    other["tool_use_id"] = "call_another"
    assert one.key == again.key
    assert adapter.observe("PostToolUse", other).key != one.key


BAD_VALUES = [None, 0, 12345, 1.5, True, "", "text", [], ["a", 1], {}, {"isError": "yes"}]


@pytest.mark.parametrize(("name", "payload_"), CAPTURED, ids=[n for n, _ in CAPTURED])
def test_wrong_field_types_never_raise(name, payload_):
    event = payload_["hook_event_name"]
    for key in payload_:
        for bad in BAD_VALUES:
            raw = copy.deepcopy(payload_)
            raw[key] = bad
            result = adapter.observe(event, raw)
            assert result is None or isinstance(result, Observed)
            if result is not None:
                observation.encode(observation.build(adapter.AGENT, event, result, "p"))


def test_specific_wrong_types():
    raw = payload("SessionStart.json")
    raw["session_id"] = 12345
    assert adapter.observe("SessionStart", raw) is None

    raw = payload("PreToolUse.json")
    raw["tool_input"] = "echo as a string"
    assert adapter.observe("PreToolUse", raw).fields["input"] == "echo as a string"

    raw = payload("PostToolUse.json")
    raw["tool_response"] = ["hi", 2]
    result = adapter.observe("PostToolUse", raw)
    assert result.kind == "tool_result" and "hi" in result.fields["output"]

    raw = payload("PostToolUse.mcp.json")
    raw["tool_response"]["content"] = "not a list"
    assert "stored: blue" in adapter.observe("PostToolUse", raw).fields["output"]

    raw = payload("UserPromptSubmit.json")
    raw["prompt"] = None
    assert adapter.observe("UserPromptSubmit", raw).fields["text"] == ""

    raw = payload("Stop.json")
    raw["turn_id"] = {"nested": True}
    assert adapter.observe("Stop", raw).kind == "stop"


def test_session_start_context_output():
    out = adapter.context_output("SessionStart", "x")
    assert out is not None and "\n" not in out
    assert json.loads(out) == {
        "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "x"}
    }


def test_stop_never_prints():
    assert adapter.context_output("Stop", "x") is None
    for event in adapter.EVENTS:
        if event != "SessionStart":
            assert adapter.context_output(event, "x") is None, event
