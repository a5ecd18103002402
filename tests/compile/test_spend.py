"""Prices, the ledger across projects, the done file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aimem.compile import spend
from aimem.compile.spend import Usage

DAY = time.mktime(time.strptime("2026-12-01 12:00", "%Y-%m-%d %H:%M")) - time.timezone


def test_cost_uses_the_price_table_and_the_cache_multipliers():
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_creation_input_tokens=1_000_000,
        cache_read_input_tokens=1_000_000,
    )
    assert spend.cost("claude-haiku-4-5", usage) == pytest.approx(1 + 5 + 1.25 + 0.1)
    assert spend.cost("claude-opus-4-5-20251101", usage) == pytest.approx(5 + 25 + 6.25 + 0.5)
    assert spend.cost("claude-opus-4-1", usage) == pytest.approx(15 + 75 + 18.75 + 1.5)
    assert spend.cost("mystery-model", usage) is None


def test_the_ledger_sums_days_and_months_over_every_project(tmp_path: Path):
    a = str(tmp_path / "projects" / "a-1" / "state")
    b = str(tmp_path / "projects" / "b-2" / "state")
    spend.record_call(
        a, session="s", model="claude-haiku-4-5", usage=Usage(100, 10), outcome="ok", ts=DAY
    )
    spend.record_call(
        b, session="t", model="claude-haiku-4-5", usage=Usage(200, 20), outcome="ok", ts=DAY
    )
    spend.record_call(
        a, session="u", model="claude-haiku-4-5", usage=Usage(1, 1), outcome="ok", ts=DAY - 86400
    )
    spend.record_call(a, session="v", model="x", usage=Usage(), outcome="timeout", ts=DAY)
    with open(Path(a, "llm", "ledger-2026-12.jsonl"), "a") as fh:
        fh.write('{"torn": ')  # a line being written is not counted
    status = spend.status(a, now=DAY)
    assert status["today"]["calls"] == 3 and status["today"]["tokens"] == 330
    assert status["month"]["calls"] == 3  # Nov 30 is another month
    assert status["today"]["cost_usd"] == pytest.approx((300 * 1 + 30 * 5) / 1e6)
    assert spend.all_state_dirs(a) == sorted([a, b])


def test_the_done_file_counts_attempts_and_keys_differ_by_each_part(tmp_path: Path):
    state = str(tmp_path / "state")
    key = spend.compile_key("s", "abc", "v1", "m")
    assert (
        len(
            {
                key,
                spend.compile_key("s", "abd", "v1", "m"),
                spend.compile_key("s", "abc", "v2", "m"),
                spend.compile_key("s", "abc", "v1", "n"),
                spend.compile_key("t", "abc", "v1", "m"),
            }
        )
        == 5
    )
    assert spend.done_entry(state, key) is None
    spend.mark_done(state, key, "s", "server")
    spend.mark_done(state, key, "s", "ok")
    assert spend.done_entry(state, key)["outcome"] == "ok"
    assert spend.done_entry(state, key)["attempts"] == 2
