"""Cursor adapter, against payloads written from Cursor's documented shapes (no Cursor binary
runs here; see tests/fixtures/README.md)."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
from replay import run_hook

from aimem.capture import observation
from aimem.capture.adapters import cursor as adapter
from aimem.capture.adapters import load
from aimem.capture.observation import Observed

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads" / "cursor"

EXPECTED_KIND = {
    "sessionStart": "session_start",
    "beforeSubmitPrompt": "prompt",
    "afterShellExecution": "tool_result",
    "afterMCPExecution": "tool_result",
    "afterFileEdit": "tool_result",
    "postToolUse": "tool_result",
    "postToolUseFailure": "tool_error",
    "afterAgentResponse": "stop",
    "stop": "stop",
    "preCompact": "compact",
    "sessionEnd": "session_end",
    "beforeShellExecution": None,  # a permission gate; the result event records the call
}
# Cursor's documented agent and Tab hook events (agent-protocols.md §5.1).
DOCUMENTED_EVENTS = {
    "sessionStart", "sessionEnd", "preToolUse", "postToolUse", "postToolUseFailure",
    "subagentStart", "subagentStop", "beforeShellExecution", "afterShellExecution",
    "beforeMCPExecution", "afterMCPExecution", "beforeReadFile", "afterFileEdit",
    "beforeSubmitPrompt", "preCompact", "stop", "afterAgentResponse", "afterAgentThought",
    "beforeTabFileRead", "afterTabFileEdit",
}  # fmt: skip


def documented() -> list[tuple[str, dict]]:
    return [
        (path.name, json.loads(path.read_text())["payload"])
        for path in sorted(PAYLOADS.glob("*.json"))
    ]


FIXTURES = documented()


def payload(name: str) -> dict:
    return copy.deepcopy(next(p for n, p in FIXTURES if n == name))


def test_fixtures_are_there():
    assert len(FIXTURES) >= 12
    assert load("cursor") is adapter


@pytest.mark.parametrize(("name", "payload_"), FIXTURES, ids=[n for n, _ in FIXTURES])
def test_every_documented_payload(name, payload_):
    event = payload_["hook_event_name"]
    assert name.split(".")[0] == event
    result = adapter.observe(event, payload_)
    kind = "tool_error" if name == "afterShellExecution.failed.json" else EXPECTED_KIND[event]
    if kind is None:
        assert result is None
        return
    assert result.kind == kind
    assert result.session == payload_["conversation_id"]
    assert result.cwd == "/home/dev/proj-cursor"
    assert result.key
    record = observation.build(adapter.AGENT, event, result, "proj-12345678")
    assert json.loads(observation.encode(record))["kind"] == kind


def test_events_are_documented_cursor_events():
    assert set(adapter.EVENTS) <= DOCUMENTED_EVENTS
    assert set(adapter.EVENTS.values()) - {None} <= set(observation.KINDS)
    assert not any(e[0].isupper() for e in adapter.EVENTS)  # camelCase, never Claude's names


def test_empty_cwd_falls_back_to_the_workspace_root():
    raw = payload("afterShellExecution.json")
    assert raw["cwd"] == ""
    assert adapter.observe("afterShellExecution", raw).cwd == "/home/dev/proj-cursor"
    raw["cwd"] = "/home/dev/proj-cursor/sub"
    assert adapter.observe("afterShellExecution", raw).cwd == "/home/dev/proj-cursor/sub"
    raw["cwd"], raw["workspace_roots"] = "", []
    assert adapter.observe("afterShellExecution", raw) is None


def test_session_is_the_conversation():
    raw = payload("sessionStart.json")
    del raw["conversation_id"]
    assert adapter.observe("sessionStart", raw).session == raw["session_id"]


def test_fields_of_each_kind():
    assert adapter.observe("beforeSubmitPrompt", payload("beforeSubmitPrompt.json")).fields == {
        "text": "Fix the failing parse_config test"
    }
    shell = adapter.observe("afterShellExecution", payload("afterShellExecution.json"))
    assert shell.fields["tool"] == "Shell"
    assert shell.fields["input"] == "pytest -q tests/test_config.py"
    assert shell.fields["output"] == "1 passed in 0.12s\n"

    failed = adapter.observe("afterShellExecution", payload("afterShellExecution.failed.json"))
    assert failed.kind == "tool_error" and "yaml anchor lost" in failed.fields["error"]

    mcp = adapter.observe("afterMCPExecution", payload("afterMCPExecution.json"))
    assert mcp.fields["tool"] == "memory_query"
    assert json.loads(mcp.fields["input"]) == {"query": "parse_config yaml"}
    assert mcp.fields["output"] == "decisions/keep-yaml-anchors.md"  # decoded JSON string

    edit = adapter.observe("afterFileEdit", payload("afterFileEdit.json"))
    assert edit.fields["files"] == ["/home/dev/proj-cursor/src/config.py"]
    assert edit.fields["output"] == "1 edit(s)"

    generic = adapter.observe("postToolUse", payload("postToolUse.json"))
    assert (generic.fields["tool"], generic.fields["output"]) == ("Read", "# proj-cursor\n")
    assert generic.key == "tool_0f3e9a"

    failure = adapter.observe("postToolUseFailure", payload("postToolUseFailure.json"))
    assert failure.fields["error"] == "make: *** [lint] Error 1"

    answer = adapter.observe("afterAgentResponse", payload("afterAgentResponse.json"))
    assert answer.fields == {"message": "parse_config now keeps YAML anchors; the test passes."}
    assert adapter.observe("stop", payload("stop.json")).fields == {"message": ""}
    assert adapter.observe("preCompact", payload("preCompact.json")).fields["phase"] == "pre"
    assert adapter.observe("sessionEnd", payload("sessionEnd.json")).fields == {
        "reason": "user_close"
    }


def test_mcp_error_result_is_a_tool_error():
    raw = payload("afterMCPExecution.json")
    raw["result_json"] = json.dumps(
        {"content": [{"type": "text", "text": "boom"}], "isError": True}
    )
    result = adapter.observe("afterMCPExecution", raw)
    assert (result.kind, result.fields["error"]) == ("tool_error", "boom")


def test_alternative_result_field_names():
    for key in ("tool_response", "result", "output"):
        raw = payload("postToolUse.json")
        raw[key] = raw.pop("tool_output")
        assert adapter.observe("postToolUse", raw).fields["output"] == "# proj-cursor\n", key


def test_two_identical_shell_calls_are_two_records_but_a_replay_is_one():
    one = adapter.observe("afterShellExecution", payload("afterShellExecution.json"))
    again = adapter.observe("afterShellExecution", payload("afterShellExecution.json"))
    later = payload("afterShellExecution.json")
    later["duration"] = 790
    assert one.key == again.key
    assert adapter.observe("afterShellExecution", later).key != one.key


BAD_VALUES = [None, 0, 12345, 1.5, True, "", "text", [], ["a", 1], {}, "{not json"]


@pytest.mark.parametrize(("name", "payload_"), FIXTURES, ids=[n for n, _ in FIXTURES])
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


def test_context_output_is_additional_context_at_session_start_only():
    assert json.loads(adapter.context_output("sessionStart", "ctx")) == {
        "additional_context": "ctx"
    }
    for event in adapter.EVENTS:
        if event != "sessionStart":
            assert adapter.context_output(event, "x") is None, event


def test_a_whole_cursor_session_through_the_executable(env, project, home):
    conversation = str(uuid.uuid4())
    order = [
        "sessionStart.json", "beforeSubmitPrompt.json", "beforeShellExecution.json",
        "afterShellExecution.failed.json", "afterFileEdit.json", "afterShellExecution.json",
        "afterAgentResponse.json", "stop.json",
    ]  # fmt: skip
    for name in order:
        raw = payload(name)
        raw.update(conversation_id=conversation, workspace_roots=[str(project)])
        raw.pop("cwd", None)
        result = run_hook("cursor", raw["hook_event_name"], raw, env)
        assert result.returncode == 0 and result.stderr == b""
        if result.stdout.strip():
            assert set(json.loads(result.stdout)) == {"additional_context"}
    (journal,) = home.glob(f"projects/*/raw/{conversation}.jsonl")
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [r["kind"] for r in records] == [
        "session_start", "prompt", "tool_error", "tool_result", "tool_result", "stop", "stop",
    ]  # fmt: skip
    assert all(r["agent"] == "cursor" for r in records)
