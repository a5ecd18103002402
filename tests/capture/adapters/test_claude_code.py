"""Claude Code adapter, against every payload captured from the real 2.1.197 binary."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from aimem.capture import observation
from aimem.capture.adapters import claude_code as adapter
from aimem.capture.adapters import load
from aimem.capture.observation import Observed

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads" / "claude"

# What each captured event must become, written out independently of ``adapter.EVENTS``.
EXPECTED_KIND = {
    "SessionStart": "session_start",
    "UserPromptSubmit": "prompt",
    "PreToolUse": "tool_use",
    "PostToolUse": "tool_result",
    "PostToolUseFailure": "tool_error",
    "PreCompact": "compact",
    "PostCompact": "compact",
    "Stop": "stop",
    "SessionEnd": "session_end",
    "PostToolBatch": None,  # repeats PostToolUse
    "MessageDisplay": None,  # UI only
    "SubagentStop": None,
    "PermissionRequest": None,
}

# The hook events Claude Code documents (agent-protocols.md §1.1).
DOCUMENTED_EVENTS = {
    "SessionStart", "Setup", "UserPromptSubmit", "UserPromptExpansion", "PreToolUse",
    "PermissionRequest", "PermissionDenied", "PostToolUse", "PostToolUseFailure", "PostToolBatch",
    "Notification", "MessageDisplay", "SubagentStart", "SubagentStop", "TaskCreated",
    "TaskCompleted", "Stop", "StopFailure", "TeammateIdle", "InstructionsLoaded", "ConfigChange",
    "CwdChanged", "DirectoryAdded", "FileChanged", "WorktreeCreate", "WorktreeRemove",
    "PreCompact", "PostCompact", "Elicitation", "ElicitationResult", "SessionEnd",
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
    assert len(CAPTURED) >= 15
    assert load("claude-code") is adapter
    assert adapter.AGENT == "claude-code"


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
    assert result.key  # something to recognise a replay by
    record = observation.build(adapter.AGENT, event, result, "proj-12345678")
    assert json.loads(observation.encode(record))["kind"] == result.kind


def test_every_captured_event_is_known():
    events = {p["hook_event_name"] for _, p in CAPTURED}
    assert events <= set(adapter.EVENTS)


def test_events_are_real_claude_events():
    assert set(adapter.EVENTS) <= DOCUMENTED_EVENTS
    assert set(adapter.EVENTS.values()) - {None} <= set(observation.KINDS)
    for event, kind in EXPECTED_KIND.items():
        assert adapter.EVENTS[event] == kind


def test_fields_of_each_kind():
    start = adapter.observe("SessionStart", payload("SessionStart.json"))
    assert start.fields["source"] == "startup"
    compacted = [p for n, p in CAPTURED if n.startswith("SessionStart.resume")][1]
    assert adapter.observe("SessionStart", compacted).fields["model"] == "claude-opus-4-8"

    prompt = adapter.observe("UserPromptSubmit", payload("UserPromptSubmit.json"))
    assert prompt.fields == {"text": "say hi"}

    use = adapter.observe("PreToolUse", payload("PreToolUse.json"))
    assert use.fields["tool"] == "Bash"
    assert use.fields["input"] == "echo hi"
    assert use.key == "toolu_fake_28e871d1207f"

    stop = adapter.observe("Stop", payload("Stop.json"))
    assert stop.fields["message"].startswith("Done: the command printed hi")

    pre = adapter.observe("PreCompact", payload("PreCompact.json"))
    post = adapter.observe("PostCompact", payload("PostCompact.json"))
    assert (pre.fields["phase"], pre.fields["trigger"]) == ("pre", "manual")
    assert post.fields["phase"] == "post"
    assert "printed hi" in post.fields["summary"]

    end = adapter.observe("SessionEnd", payload("SessionEnd.json"))
    assert end.fields == {"reason": "other"}


def test_post_tool_use_output_is_the_command_output():
    result = adapter.observe("PostToolUse", payload("PostToolUse.json"))
    assert result.kind == "tool_result"
    assert "hi" in result.fields["output"]
    assert "stdout" not in result.fields["output"]  # the text, not the response object
    assert result.fields["input"] == "echo hi"


def test_stderr_is_kept_in_the_output():
    raw = payload("PostToolUse.json")
    raw["tool_response"]["stderr"] = "warning: careful"
    output = adapter.observe("PostToolUse", raw).fields["output"]
    assert "hi" in output and "warning: careful" in output


def test_post_tool_use_failure_is_a_tool_error():
    result = adapter.observe("PostToolUseFailure", payload("PostToolUseFailure.json"))
    assert result.kind == "tool_error"
    assert "Exit code 1" in result.fields["error"]
    assert result.fields["input"] == "false"
    assert "output" not in result.fields
    assert "interrupted" not in result.fields


def test_interrupted_failure_is_flagged():
    raw = payload("PostToolUseFailure.json")
    raw["is_interrupt"] = True
    assert adapter.observe("PostToolUseFailure", raw).fields["interrupted"] is True


def test_mcp_tool_result_is_readable_text():
    use = adapter.observe("PreToolUse", payload("PreToolUse.mcp.json"))
    assert use.fields["tool"] == "mcp__tiny__remember"
    assert "blue" in use.fields["input"]
    result = adapter.observe("PostToolUse", payload("PostToolUse.mcp.json"))
    assert result.kind == "tool_result"
    assert "stored: blue" in result.fields["output"]


def test_mcp_content_list_and_is_error():
    raw = payload("PostToolUse.mcp.json")
    raw["tool_response"] = {"content": [{"type": "text", "text": "stored: blue"}], "isError": False}
    assert adapter.observe("PostToolUse", raw).fields["output"] == "stored: blue"
    raw["tool_response"] = {"content": [{"type": "text", "text": "no such fact"}], "isError": True}
    failed = adapter.observe("PostToolUse", raw)
    assert failed.kind == "tool_error"
    assert failed.fields["error"] == "no such fact"


def test_edited_file_paths_are_collected():
    raw = payload("PreToolUse.json")
    raw["tool_name"] = "Edit"
    raw["tool_input"] = {"file_path": "/srv/probe/proj-cc/app.py", "old_string": "a"}
    assert adapter.observe("PreToolUse", raw).fields["files"] == ["/srv/probe/proj-cc/app.py"]


def test_replays_share_a_key_and_different_calls_do_not():
    one = adapter.observe("PostToolUse", payload("PostToolUse.json"))
    again = adapter.observe("PostToolUse", payload("PostToolUse.json"))
    other = payload("PostToolUse.json")
    other["tool_use_id"] = "toolu_another"
    assert one.key == again.key
    assert adapter.observe("PostToolUse", other).key != one.key


BAD_VALUES = [None, 0, 12345, 1.5, True, "", "text", [], ["a", 1], {}, {"x": [1, {"y": None}]}]


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
    assert adapter.observe("SessionStart", raw) is None  # no usable session: nothing recorded

    raw = payload("PreToolUse.json")
    raw["tool_input"] = "echo as a string"
    assert adapter.observe("PreToolUse", raw).fields["input"] == "echo as a string"

    raw = payload("PostToolUse.json")
    raw["tool_response"] = ["hi", {"n": 1}]
    result = adapter.observe("PostToolUse", raw)
    assert result.kind == "tool_result" and "hi" in result.fields["output"]

    raw = payload("UserPromptSubmit.json")
    raw["prompt"] = None
    result = adapter.observe("UserPromptSubmit", raw)
    assert result.kind == "prompt" and result.fields["text"] == ""

    assert adapter.observe("PostToolUse", {}) is None
    assert adapter.observe("NoSuchEvent", payload("Stop.json")) is None


def test_session_start_context_output():
    out = adapter.context_output("SessionStart", "x")
    assert out is not None and "\n" not in out
    assert json.loads(out) == {
        "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "x"}
    }
    text = 'multi\nline "quoted" é </aimem-handoff>'
    assert (
        json.loads(adapter.context_output("SessionStart", text))["hookSpecificOutput"][
            "additionalContext"
        ]
        == text
    )


def test_no_output_for_other_events():
    assert adapter.context_output("Stop", "x") is None
    for event in adapter.EVENTS:
        if event != "SessionStart":
            assert adapter.context_output(event, "x") is None, event
