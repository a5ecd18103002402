"""What is left for a person: proposed rules and open contradictions."""

from __future__ import annotations

from compile.conftest import Sleeps, action, answer, claim, consolidated
from compile.test_compile_run import _seed
from fakes.anthropic_api import tool_reply

from aimem.compile.review import pending_review
from aimem.compile.rules import decide
from aimem.compile.run import compile_session


def test_a_contradiction_and_a_proposed_rule_are_listed_until_resolved(paths, fake, settings):
    consolidated(paths)
    assert pending_review(paths).empty
    _seed(paths, "decisions/money-as-floats.md", "Money as floats", "Money amounts are floats.")
    rule = action(
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
    contradiction = action(op="contradict", target="p1", reason="floats vs cents")
    fake.script = [tool_reply(answer(rule, contradiction))]
    from compile.conftest import SESSION

    result = compile_session(paths, "shop", SESSION, settings=settings, sleep=Sleeps())
    assert result.status == "applied", result.dropped

    review = pending_review(paths)
    assert [r.path for r in review.proposed_rules] == [
        "_rules/run-the-rounding-tests-before-pushing.md"
    ]
    (pair,) = review.contradictions
    assert (pair.path, pair.other) == (
        "decisions/money-as-floats.md",
        "decisions/money-is-integer-cents.md",
    )

    decide(paths, "shop", review.proposed_rules[0].path, "rejected")
    _seed(paths, "decisions/money-as-floats.md", "Money as floats", "Old.", status="superseded")
    assert pending_review(paths).empty


def test_no_wiki_nothing_to_review(paths):
    assert pending_review(paths).empty
