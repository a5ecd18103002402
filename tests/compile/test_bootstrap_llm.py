"""LLM bootstrap: chunked, resumable, grounded in the repository's tracked files and commits;
the real client against the fake Messages API, a real git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from compile.conftest import PLANTED, Sleeps
from compile.test_bootstrap import git
from fakes.anthropic_api import server_error, tool_reply

from aimem.compile.bootstrap_llm import bootstrap_llm, collect_sources

FILLER = " Refunds, carts and invoices share this code." * 6


def make_repo(root: Path) -> Path:
    repo = root / "shop"
    (repo / "docs").mkdir(parents=True)
    (repo / "src" / "shop").mkdir(parents=True)
    (repo / "README.md").write_text("# Shop\n\nA shop that keeps money in integer cents." + FILLER)
    (repo / "docs" / "money.md").write_text("# Money\n\nAll amounts are integer cents." + FILLER)
    (repo / "docs" / "cache.md").write_text("# Cache\n\nResponses are cached for 60 s." + FILLER)
    (repo / "src" / "shop" / "money.py").write_text('"""Money helpers: cents in, cents out."""\n')
    (repo / ".gitignore").write_text(".env\n")
    (repo / ".env").write_text(f"ANTHROPIC_API_KEY={PLANTED}\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: refunds in integer cents")
    return repo


def page(source: str, quote: str, title: str = "Money is integer cents", body: str = "") -> dict:
    body = body or "All amounts are integer cents."
    return {
        "type": "decision",
        "title": title,
        "body": body,
        "evidence": [{"source": source, "quote": quote}],
    }


def test_sources_are_tracked_files_docstrings_and_substantive_commits(tmp_path):
    sources = collect_sources(str(make_repo(tmp_path)))
    labels = [s.label for s in sources]
    assert labels[:4] == ["README.md", "docs/cache.md", "docs/money.md", "src/shop/money.py"]
    assert labels[4].startswith("commit ") and len(labels) == 5  # "init" is not substantive
    assert sources[3].text == "Money helpers: cents in, cents out."
    assert PLANTED not in json.dumps([s.text for s in sources])  # .env is not tracked


def test_dry_run_makes_no_call_and_estimates_what_the_run_sends(paths, fake, settings, tmp_path):
    repo = make_repo(tmp_path)
    dry = bootstrap_llm(paths, "shop", str(repo), settings, dry_run=True, chunk_tokens=150)
    assert dry.status == "dry_run" and dry.chunks >= 4 and dry.sources == 5
    assert dry.estimated_usd > 0 and fake.messages() == []
    assert not Path(paths.wiki).exists()

    fake.script = [tool_reply({"pages": []})]
    run = bootstrap_llm(paths, "shop", str(repo), settings, chunk_tokens=150, sleep=Sleeps())
    assert run.calls == dry.chunks
    sent = sum(int(len(json.dumps(m.body)) / 3 / 0.8) + 1 for m in fake.messages())
    assert abs(dry.estimated_tokens - sent) <= 0.15 * sent


def test_a_stopped_run_resumes_where_it_stopped_and_a_second_run_calls_nothing(
    paths, fake, settings, tmp_path
):
    repo = make_repo(tmp_path)
    n = bootstrap_llm(paths, "shop", str(repo), settings, dry_run=True, chunk_tokens=150).chunks
    assert n >= 4
    fake.script = [
        tool_reply({"pages": [page("s1", "keeps money in integer cents")]}),
        tool_reply({"pages": []}),
        server_error(),
        server_error(),
        server_error(),
    ]
    first = bootstrap_llm(paths, "shop", str(repo), settings, chunk_tokens=150, sleep=Sleeps())
    assert first.status == "stopped" and "chunk 3" in first.reason
    assert first.pages == ["decisions/money-is-integer-cents.md"]
    assert len(fake.messages()) == 5  # chunks 1, 2, then 3 attempts at chunk 3

    fake.script = [tool_reply({"pages": []})]
    steps: list[tuple[int, int]] = []
    resumed = bootstrap_llm(
        paths, "shop", str(repo), settings, chunk_tokens=150, sleep=Sleeps(),
        progress=lambda i, n: steps.append((i, n)),
    )  # fmt: skip
    assert resumed.status == "done" and resumed.calls == n - 3 + 1  # chunks 3..n
    assert steps == [(i, n) for i in range(n)]

    again = bootstrap_llm(paths, "shop", str(repo), settings, chunk_tokens=150, sleep=Sleeps())
    assert again.status == "unchanged" and again.calls == 0
    assert len(fake.messages()) == 5 + n - 2


def test_pages_must_quote_their_sources_and_invent_no_identifier(paths, fake, settings, tmp_path):
    repo = make_repo(tmp_path)
    good = page("s3", "All amounts are integer cents.")
    fake.script = [
        tool_reply(
            {
                "pages": [
                    good,
                    page("s3", "amounts are floats", title="Floats"),
                    page("s9", "All amounts", title="Unknown source"),
                    page("s3", "All amounts are integer cents.", title="Hash",
                         body="Introduced in commit 9e8d7c6b5a4f."),
                    {**good, "type": "rule", "title": "A rule"},
                ]
            }
        )
    ]  # fmt: skip
    run = bootstrap_llm(paths, "shop", str(repo), settings, chunk_tokens=100_000, sleep=Sleeps())
    assert run.chunks == 1 and run.pages == ["decisions/money-is-integer-cents.md"]
    assert len(run.dropped) == 4 and any("9e8d7c6b5a4f" in d for d in run.dropped)
    text = Path(paths.wiki, run.pages[0]).read_text()
    assert "origin: bootstrap" in text and "docs/money.md" in text
    sent = json.dumps(fake.messages()[0].body)
    assert fake.messages()[0].body["tools"][0]["strict"] is True and PLANTED not in sent
