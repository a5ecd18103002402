"""Proposed rules: listed, accepted or rejected by a person, one commit each."""

from __future__ import annotations

from pathlib import Path

import pytest
from compile.conftest import SESSION, Sleeps, action, answer, claim, consolidated
from fakes.anthropic_api import tool_reply

from aimem.compile.rules import RuleError, decide, list_rules
from aimem.compile.run import compile_session
from aimem.wiki.pages import parse

RULE = "_rules/run-the-rounding-tests-before-pushing.md"


def proposed(paths, fake, settings) -> None:
    consolidated(paths)
    fake.script = [
        tool_reply(
            answer(
                action(
                    type="rule",
                    title="Run the rounding tests before pushing",
                    body="Run the rounding tests before every push.",
                    claims=[
                        claim(
                            "Run the rounding tests before pushing.",
                            "o1",
                            "Always run the rounding tests before pushing.",
                        )
                    ],
                )
            )
        )
    ]
    result = compile_session(paths, "shop", SESSION, settings=settings, sleep=Sleeps())
    assert result.pages == [RULE]


def meta(paths, rel: str) -> dict:
    return parse(Path(paths.wiki, rel).read_text(encoding="utf-8"), rel).meta


def test_a_proposed_rule_is_listed_and_accepted_once(paths, fake, settings):
    proposed(paths, fake, settings)
    (entry,) = list_rules(paths)
    assert (entry.path, entry.status, entry.origin) == (RULE, "proposed", "llm")
    assert list_rules(paths, "accepted") == []

    assert decide(paths, "shop", RULE, "accepted")
    after = meta(paths, RULE)
    assert after["status"] == "accepted" and after["author"] == "human"
    assert f"rules accept {RULE}" in Path(paths.wiki, "log.md").read_text()
    with pytest.raises(RuleError, match="is accepted, not proposed"):
        decide(paths, "shop", RULE, "rejected")


def test_a_rejected_rule_stays_as_a_record(paths, fake, settings):
    proposed(paths, fake, settings)
    assert decide(paths, "shop", RULE.removesuffix(".md"), "rejected")
    assert meta(paths, RULE)["status"] == "rejected"
    assert [e.status for e in list_rules(paths)] == ["rejected"]


def test_bad_requests_are_one_clear_error(paths, fake, settings):
    proposed(paths, fake, settings)
    with pytest.raises(RuleError, match="not a rule"):
        decide(paths, "shop", "decisions/x.md", "accepted")
    with pytest.raises(RuleError, match="no rule at"):
        decide(paths, "shop", "_rules/nope.md", "accepted")
    with pytest.raises(RuleError, match="verdict"):
        decide(paths, "shop", RULE, "maybe")
    with pytest.raises(ValueError):
        decide(paths, "shop", "../_rules/x.md", "accepted")


def test_no_wiki_no_rules(paths):
    assert list_rules(paths) == []
