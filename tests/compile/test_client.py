"""The call and its retries, against the fake server with the real client."""

from __future__ import annotations

import pytest
from compile.conftest import Sleeps, answer
from fakes.anthropic_api import Reply, rate_limited, server_error, text_reply, tool_reply

from aimem.compile.client import CallError, call

BODY = {
    "model": "claude-haiku-4-5",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "x"}],
}


def test_a_retry_after_longer_than_the_cap_gives_up_without_waiting(fake, settings):
    fake.script = [rate_limited(3600)]
    sleeps = Sleeps()
    with pytest.raises(CallError) as err:
        call(settings, BODY, sleep=sleeps)
    assert err.value.kind == "rate_limited" and "3600" in err.value.detail
    assert sleeps.waits == [] and len(fake.messages()) == 1


def test_retries_are_bounded(fake, settings):
    fake.script = [server_error()]
    sleeps = Sleeps()
    with pytest.raises(CallError) as err:
        call(settings, BODY, sleep=sleeps)
    assert err.value.attempts == 3 and len(fake.messages()) == 3
    assert len(sleeps.waits) == 2 and sleeps.waits[1] > sleeps.waits[0]


def test_a_retry_after_ms_header_is_honoured(fake, settings):
    fake.script = [
        Reply(
            529,
            {"type": "error", "error": {"type": "overloaded_error", "message": "x"}},
            headers={"retry-after-ms": "250"},
        ),
        tool_reply(answer()),
    ]
    sleeps = Sleeps()
    got = call(settings, BODY, sleep=sleeps)
    assert got.tool_input == answer() and got.attempts == 2 and sleeps.waits == [0.25]
    assert got.usage.input_tokens == 1200


def test_an_answer_without_the_tool_or_cut_at_max_tokens_is_malformed_not_retried(fake, settings):
    fake.script = [text_reply("no tool")]
    with pytest.raises(CallError) as err:
        call(settings, BODY, sleep=Sleeps())
    assert err.value.kind == "malformed" and err.value.usage.output_tokens == 300
    cut = tool_reply(answer())
    cut.body["stop_reason"] = "max_tokens"
    fake.script = [cut]
    with pytest.raises(CallError, match="max_tokens"):
        call(settings, BODY, sleep=Sleeps())
    assert len(fake.messages()) == 2


def test_a_model_without_strict_tool_use_gets_the_same_forced_tool_without_the_flag(
    fake, settings, caplog
):
    tool = {"name": "record_memory", "strict": True, "input_schema": {"type": "object"}}
    body = {**BODY, "tools": [tool], "tool_choice": {"type": "tool", "name": "record_memory"}}
    text = "tools.0.strict: Extra inputs are not permitted"
    error = {"type": "error", "error": {"type": "invalid_request_error", "message": text}}
    fake.script = [Reply(400, error), tool_reply(answer())]
    got = call(settings, body, sleep=Sleeps())
    assert got.tool_input == answer()
    first, second = fake.messages()
    assert first.body["tools"][0]["strict"] is True and "strict" not in second.body["tools"][0]
    assert second.body["tool_choice"] == {"type": "tool", "name": "record_memory"}
