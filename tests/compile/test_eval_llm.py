"""The eval harness itself, against the fake server (the real API is `make eval-llm`)."""

from __future__ import annotations

from compile.conftest import Sleeps, action, answer, claim
from compile.eval_llm import evaluate, main
from fakes.anthropic_api import tool_reply


def test_the_harness_scores_each_fixture(fake, settings):
    grounded = action(claims=[claim("cents", "o1", "money is integer cents, never floats")])
    fake.script = [tool_reply(answer(grounded))]
    report = evaluate(settings, runs=1, sleep=Sleeps())
    assert set(report) == {"decision", "restraint", "injection", "hash-bait", "reversal"}
    assert report["decision"]["pages"] == 1 and report["decision"]["grounding"] == 1.0
    # The fake answers every fixture alike: in the restraint session the quote is not found (no
    # page, restraint kept), and no fixture's old decision is superseded (the scoring notices).
    assert report["restraint"]["pages"] == 0 and report["restraint"]["dropped"] == 1
    assert any("superseded" in m for m in report["reversal"]["misses"])
    assert report["injection"]["imperative"] == 0 and report["injection"]["bad_rules"] == 0


def test_without_a_key_nothing_runs(monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["--runs", "1"]) == 2
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err
