"""Observation records: redact, then cap, then one JSON line of at most 64 KiB."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest
from replay import payload, retarget, run_hook

from aimem.capture.observation import (
    EXCERPT_CAP,
    LINE_CAP,
    PROMPT_CAP,
    Observed,
    build,
    encode,
)

_rng = random.Random(20261122)
ANTHROPIC_KEY = (
    "sk-ant-api03-"
    + "".join(_rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(88))
    + "AA"
)
AWS_KEY = "AKIA" + "".join(_rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
assert len(ANTHROPIC_KEY) == len("sk-ant-api03-") + 90 and len(AWS_KEY) == 20


def leaked_pieces(secret: str, text: str, width: int = 8) -> list[str]:
    """Every ``width``-character piece of ``secret`` that still appears in ``text``."""
    return [
        secret[i : i + width]
        for i in range(len(secret) - width + 1)
        if secret[i : i + width] in text
    ]


def record_for(kind: str, fields: dict, key: str = "k1", cwd: str = "/srv/app") -> dict:
    return build("claude-code", "PostToolUse", Observed(kind, "s-1", cwd, fields, key), "app-1")


def test_record_shape():
    record = record_for("tool_result", {"tool": "Bash", "input": "ls", "output": "", "files": []})
    assert record["v"] == 1
    assert (record["agent"], record["event"], record["kind"]) == (
        "claude-code",
        "PostToolUse",
        "tool_result",
    )
    assert (record["session"], record["project"], record["cwd"]) == ("s-1", "app-1", "/srv/app")
    assert len(record["id"]) == 16
    assert "output" not in record and "files" not in record  # empty values are left out
    assert isinstance(record["ts"], float)


def test_secrets_are_redacted_in_every_string_field_and_in_files():
    fields = {
        "text": f"my key is {ANTHROPIC_KEY} ok",
        "message": f"export ANTHROPIC_API_KEY={ANTHROPIC_KEY}",
        "summary": f"aws id {AWS_KEY}",
        "tool": f"weird {AWS_KEY}",
        "input": f"curl -H 'x-api-key: {ANTHROPIC_KEY}' https://api.anthropic.com",
        "output": f"AWS_ACCESS_KEY_ID={AWS_KEY}\nAWS_REGION=eu-west-1",
        "error": f"401 for key {ANTHROPIC_KEY}",
        "reason": f"{AWS_KEY}",
        "files": [
            f"/srv/app/keys/{AWS_KEY}.txt",
            f"/srv/app/{ANTHROPIC_KEY}/x.py",
            "/srv/app/ok.py",
        ],
    }
    record = record_for("tool_result", fields, cwd=f"/srv/{AWS_KEY}/app")
    line = encode(dict(record)).decode()
    for secret in (ANTHROPIC_KEY, AWS_KEY):
        assert leaked_pieces(secret, line) == []
    for name in ("text", "message", "summary", "tool", "input", "output", "error", "reason", "cwd"):
        assert "[REDACTED]" in record[name], name
    assert record["files"][0] == "/srv/app/keys/[REDACTED].txt"
    assert "[REDACTED]" in record["files"][1]
    assert record["files"][2] == "/srv/app/ok.py"
    # What is around a secret survives.
    assert record["output"].endswith("AWS_REGION=eu-west-1")
    assert record["text"] == "my key is [REDACTED] ok"


@pytest.mark.parametrize(("name", "cap"), [("text", PROMPT_CAP), ("output", EXCERPT_CAP)])
def test_secret_straddling_the_cut_is_fully_gone(name, cap):
    # Without redaction the head of the excerpt would end inside the key, about cap/2 in.
    head_cut = cap // 2 - 20
    for offset in (5, 30, 60, 100):
        start = head_cut - offset
        value = "." * start + " " + ANTHROPIC_KEY + " " + "." * (cap * 3)
        record = record_for("tool_result" if name == "output" else "prompt", {name: value})
        kept = record[name]
        assert len(kept) <= cap
        assert "…[" in kept  # it really was cut
        assert "[REDACTED]" in kept
        assert "sk-ant" not in kept
        assert leaked_pieces(ANTHROPIC_KEY, kept, width=6) == []


def test_secret_straddling_the_tail_cut_is_fully_gone():
    value = "." * (EXCERPT_CAP * 3) + " " + ANTHROPIC_KEY + " " + "." * (EXCERPT_CAP // 2 - 40)
    kept = record_for("tool_result", {"output": value})["output"]
    assert len(kept) <= EXCERPT_CAP
    assert leaked_pieces(ANTHROPIC_KEY, kept, width=6) == []
    assert "[REDACTED]" in kept


def test_prompt_cap_keeps_head_and_tail():
    prompt = "BEGIN-PROMPT " + "word " * 10_000 + " END-PROMPT"
    text = record_for("prompt", {"text": prompt})["text"]
    assert len(text) <= PROMPT_CAP
    assert len(text) > PROMPT_CAP - 100  # the budget is used, not thrown away
    assert text.startswith("BEGIN-PROMPT ")
    assert text.endswith(" END-PROMPT")
    assert "chars cut]" in text


def test_short_values_are_untouched():
    exact = "x" * EXCERPT_CAP
    record = record_for("tool_result", {"input": exact, "output": "hi"})
    assert record["input"] == exact
    assert record["output"] == "hi"


@pytest.mark.parametrize("name", ["input", "output", "error"])
def test_excerpt_cap_keeps_head_and_tail(name):
    value = "HEAD>" + "0123456789" * 1000 + "<TAIL"
    kept = record_for("tool_error", {name: value})[name]
    assert len(kept) <= EXCERPT_CAP
    assert len(kept) > EXCERPT_CAP - 100
    assert kept.startswith("HEAD>") and kept.endswith("<TAIL")


def check_line(line: bytes) -> dict:
    assert len(line) <= LINE_CAP, len(line)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    return json.loads(line)


def test_encode_keeps_a_huge_multibyte_prompt_under_the_line_cap():
    prompt = "🙂" * 40_000 + "日本語"  # 4-byte characters: 16 Ki of them are > 64 KiB
    record = record_for("prompt", {"text": prompt})
    assert len(json.dumps(record, ensure_ascii=False).encode()) > LINE_CAP  # it needs shrinking
    decoded = check_line(encode(record))
    assert decoded["truncated"] is True
    assert decoded["text"].startswith("🙂🙂") and decoded["text"].endswith("日本語")
    assert decoded["kind"] == "prompt" and decoded["id"] == record["id"]


def test_encode_shrinks_every_long_field_together():
    big = "€" * 100_000
    record = record_for(
        "tool_error",
        {"text": big, "message": big, "summary": big, "input": big, "output": big, "error": big},
    )
    check_line(encode(record))


def test_encode_bounds_many_long_multibyte_file_paths():
    files = [f"/srv/{'📁' * 1000}/{i}.py" for i in range(200)]  # 4 KB each, after the caps
    record = record_for("tool_use", {"tool": "apply_patch", "input": "x", "files": files})
    decoded = check_line(encode(record))
    assert decoded["files"]  # shortened, not dropped
    assert decoded["files"][0].startswith("/srv/")


def test_small_records_are_not_marked_truncated():
    decoded = check_line(encode(record_for("prompt", {"text": "say hi"})))
    assert "truncated" not in decoded and decoded["text"] == "say hi"


def record_id(agent="codex", event="PreToolUse", session="s-1", key="call_1", ts=1.0) -> dict:
    fields = {"tool": "Bash", "input": "echo hi"}
    return build(agent, event, Observed("tool_use", session, "/w", fields, key), "p", ts=ts)


def test_same_input_same_id_and_different_tool_use_id_different_id():
    first, replay = record_id(ts=1.0), record_id(ts=99.0)
    assert first["id"] == replay["id"]
    assert first["ts"] != replay["ts"]
    others = [
        record_id(key="call_2"),  # another tool call
        record_id(event="PostToolUse"),
        record_id(session="s-2"),
        record_id(agent="claude-code"),
    ]
    assert len({first["id"], *(o["id"] for o in others)}) == 5


def test_a_lone_surrogate_is_replaced_not_dropped() -> None:
    # Half an emoji: what JSON "\ud83d" decodes to when an agent cuts a tool result mid-pair.
    line = encode(record_for("tool_result", {"tool": "Bash", "output": "party \ud83d"}))
    assert json.loads(line)["output"] == "party \ufffd"
    huge = encode(record_for("prompt", {"text": "x" * 70000 + "\udc00"}))
    assert len(huge) <= LINE_CAP and "\ufffd" in json.loads(huge)["text"]


def test_hook_keeps_a_tool_result_that_ends_in_a_cut_emoji(env: dict, project: Path) -> None:
    p = retarget(payload("claude-code", "PostToolUse"), cwd=str(project), session="cut-emoji-1")
    p["tool_response"] = {"stdout": "deployed \U0001f680 then cut <CUT>", "stderr": ""}
    raw = json.dumps(p).encode().replace(b"<CUT>", b"\\ud83d")
    assert b'cut \\ud83d"' in raw  # the output really ends in half a surrogate pair
    done = run_hook("claude-code", "PostToolUse", raw, env)
    assert done.returncode == 0 and done.stdout == b""
    (segment,) = Path(env["AIMEM_HOME"]).glob("projects/*/raw/cut-emoji-1.jsonl")
    (record,) = [json.loads(x) for x in segment.read_bytes().splitlines()]
    assert record["output"] == "deployed \U0001f680 then cut \ufffd"
