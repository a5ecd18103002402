"""Gemini CLI adapter, against every payload captured from the real 0.61.0 binary."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
from replay import run_hook

from aimem.capture import observation
from aimem.capture.adapters import gemini as adapter
from aimem.capture.adapters import load
from aimem.capture.observation import Observed

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads" / "gemini"

# What each captured event must become, written out independently of ``adapter.EVENTS``.
EXPECTED_KIND = {
    "SessionStart": "session_start",
    "BeforeAgent": "prompt",
    "BeforeTool": "tool_use",
    "AfterTool": "tool_result",
    "AfterAgent": "stop",
    "SessionEnd": "session_end",
    "PreCompress": None,  # fires before every model turn: not evidence of compaction
    "BeforeModel": None,
    "AfterModel": None,
    "BeforeToolSelection": None,
}

# The hook events Gemini CLI 0.61.0 knows (agent-protocols.md §3.1).
REAL_EVENTS = {
    "SessionStart", "SessionEnd", "BeforeAgent", "AfterAgent", "BeforeModel", "AfterModel",
    "BeforeToolSelection", "BeforeTool", "AfterTool", "PreCompress", "Notification",
}  # fmt: skip


def captured() -> list[tuple[str, dict]]:
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
    assert len(CAPTURED) >= 13
    assert load("gemini") is adapter
    assert adapter.AGENT == "gemini"


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


def test_events_are_real_gemini_events():
    assert set(adapter.EVENTS) <= REAL_EVENTS
    assert set(adapter.EVENTS.values()) - {None} <= set(observation.KINDS)
    for event, kind in EXPECTED_KIND.items():
        assert adapter.EVENTS[event] == kind
    assert adapter.EVENTS["PreCompress"] is None


def test_prompt_loses_the_injected_hook_context():
    prompt = adapter.observe("BeforeAgent", payload("BeforeAgent.json"))
    assert prompt.fields == {"text": "say hi"}
    raw = payload("BeforeAgent.json")
    raw["prompt"] = "<hook_context>a\nb</hook_context>\n\nfix it<hook_context>c</hook_context> now"
    assert adapter.observe("BeforeAgent", raw).fields["text"] == "fix it now"


def test_fields_of_each_kind():
    start = adapter.observe("SessionStart", payload("SessionStart.json"))
    assert start.fields == {"source": "startup"}
    assert adapter.observe("SessionStart", payload("SessionStart.resume.json")).fields == {
        "source": "resume"
    }
    use = adapter.observe("BeforeTool", payload("BeforeTool.json"))
    assert (use.fields["tool"], use.fields["input"]) == ("run_shell_command", "echo hi")

    result = adapter.observe("AfterTool", payload("AfterTool.json"))
    assert result.kind == "tool_result"
    assert result.fields["output"] == "hi"  # returnDisplay, not the <untrusted_context> wrapper
    assert result.fields["input"] == "echo hi"

    stop = adapter.observe("AfterAgent", payload("AfterAgent.json"))
    assert stop.fields == {"message": "Done: the command printed hi. hi from the fake model"}
    assert adapter.observe("SessionEnd", payload("SessionEnd.json")).fields == {"reason": "exit"}


def test_mcp_tool_result():
    use = adapter.observe("BeforeTool", payload("BeforeTool.mcp.json"))
    assert use.fields["tool"] == "mcp_tiny_remember"
    assert json.loads(use.fields["input"]) == {"fact": "blue"}
    result = adapter.observe("AfterTool", payload("AfterTool.mcp.json"))
    assert result.fields["output"] == "stored: blue"
    raw = payload("AfterTool.mcp.json")
    del raw["tool_response"]["returnDisplay"]
    assert "stored: blue" in adapter.observe("AfterTool", raw).fields["output"]  # llmContent parts


def test_tool_error_object_and_failed_shell_command():
    raw = payload("AfterTool.json")
    raw["tool_response"] = {
        "llmContent": "Error: file not found",
        "returnDisplay": "Error: file not found",
        "error": {"message": "File not found: /x/y.py", "type": "file_not_found"},
    }
    failed = adapter.observe("AfterTool", raw)
    assert failed.kind == "tool_error"
    assert failed.fields["error"] == "File not found: /x/y.py"
    assert "output" not in failed.fields

    raw = payload("AfterTool.json")
    raw["tool_input"] = {"command": "false"}
    raw["tool_response"] = {
        "llmContent": "Command: false\nOutput: (empty)\nExit Code: 1\nProcess Group PGID: 1",
        "returnDisplay": "",
    }
    shell = adapter.observe("AfterTool", raw)
    assert shell.kind == "tool_error"
    assert "Exit Code: 1" in shell.fields["error"]

    raw["tool_response"]["llmContent"] = "Output: ok\nExit Code: 0"
    assert adapter.observe("AfterTool", raw).kind == "tool_result"


def test_edited_files_are_collected():
    raw = payload("BeforeTool.json")
    raw["tool_name"] = "replace"
    raw["tool_input"] = {"file_path": "/srv/probe/proj-gemini/app.py", "old_string": "a"}
    assert adapter.observe("BeforeTool", raw).fields["files"] == ["/srv/probe/proj-gemini/app.py"]


def test_replays_share_a_key_and_later_identical_calls_do_not():
    one = adapter.observe("AfterTool", payload("AfterTool.json"))
    again = adapter.observe("AfterTool", payload("AfterTool.json"))
    later = payload("AfterTool.json")
    later["timestamp"] = "2026-11-22T22:55:40.001Z"  # the same command run a second time
    assert one.key == again.key
    assert adapter.observe("AfterTool", later).key != one.key


BAD_VALUES = [None, 0, 12345, 1.5, True, "", "text", [], ["a", 1], {}, {"error": 3}]


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


def test_unknown_fields_and_events_are_tolerated():
    raw = payload("AfterTool.json")
    raw["brand_new_field"] = {"nested": [1, 2]}
    assert adapter.observe("AfterTool", raw).kind == "tool_result"
    assert adapter.observe("SomeFutureEvent", raw) is None


def test_context_is_json_on_session_start_only():
    out = adapter.context_output("SessionStart", 'ctx "quoted"\n')
    assert json.loads(out) == {
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": 'ctx "quoted"\n',
        }
    }
    for event in adapter.EVENTS:
        if event != "SessionStart":
            assert adapter.context_output(event, "x") is None, event


def test_a_whole_gemini_session_through_the_executable(env, project, home):
    """Real payloads, one ``aimem hook gemini <event>`` process each: PreCompress and model events
    leave no line, the rest one each, and stdout is empty or one JSON object."""
    session = str(uuid.uuid4())
    order = [
        "SessionStart.json", "BeforeAgent.json", "PreCompress.json", "BeforeModel.json",
        "BeforeToolSelection.json", "AfterModel.json", "BeforeTool.json", "AfterTool.json",
        "PreCompress.json", "AfterAgent.json",
    ]  # fmt: skip
    for name in order:
        raw = dict(payload(name), cwd=str(project), session_id=session)
        result = run_hook("gemini", raw["hook_event_name"], raw, env)
        assert result.returncode == 0
        assert result.stderr == b""
        if result.stdout.strip():
            json.loads(result.stdout)
    (journal,) = home.glob(f"projects/*/raw/{session}.jsonl")
    kinds = [json.loads(line)["kind"] for line in journal.read_text().splitlines()]
    assert kinds == ["session_start", "prompt", "tool_use", "tool_result", "stop"]
    prompt = json.loads(journal.read_text().splitlines()[1])
    assert prompt["text"] == "say hi" and "MEMORY_MARKER" not in journal.read_text()
