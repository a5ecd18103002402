"""``aimem search`` for people: a rank and a relevance bar instead of a raw BM25 score; the
JSON keeps DESIGN.md's keys and the raw score."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from replay import run_aimem

from aimem.cli.commands.search import BAR_CELLS, relevance_bar


def test_relevance_bar() -> None:
    assert relevance_bar(2.0, 2.0) == "■■■■■"
    assert relevance_bar(1.0, 2.0) == "■■□□□"  # round half to even: 2.5 cells are 2
    assert relevance_bar(3.98e-06, 1.2e-05) == "■■□□□"
    assert relevance_bar(1e-12, 5.0) == "■□□□□"  # every hit gets a cell
    assert relevance_bar(0.0, 0.0) == "■□□□□"


@given(st.floats(min_value=0, max_value=1e6), st.floats(min_value=0, max_value=1e6))
def test_relevance_bar_is_always_five_cells(score: float, best: float) -> None:
    bar = relevance_bar(min(score, best), best)
    assert len(bar) == BAR_CELLS and set(bar) <= {"■", "□"} and bar.startswith("■")


def test_search_shows_ranks_and_bars(env: dict, project: Path) -> None:
    cwd = str(project)
    for title, body in [
        ("Retry backoff overflows", "retry backoff retry backoff doubling overflows"),
        ("Use SQLite FTS5", "We chose FTS5; retry backoff is unrelated"),
    ]:
        made = run_aimem("write-page", "-t", "gotcha", "--title", title, "-b", body,
                         env=env, cwd=cwd)  # fmt: skip
        assert made.returncode == 0, made.stderr
    text = run_aimem("search", "retry backoff", env=env, cwd=cwd)
    assert text.returncode == 0, text.stderr
    ranked = [line for line in text.stdout.splitlines() if re.match(r"^\d+\. [■□]{5} ", line)]
    assert [line.split()[0] for line in ranked] == ["1.", "2."]
    assert ranked[0].startswith("1. ■■■■■ Retry backoff overflows")
    assert not re.search(r"\d\.\d+e-\d\d", text.stdout)  # no raw score for people
    hits = json.loads(run_aimem("search", "retry backoff", "--json", env=env, cwd=cwd).stdout)
    assert set(hits[0]) == {"path", "title", "type", "score", "snippet", "project"}
    assert hits[0]["score"] >= hits[1]["score"] > 0
