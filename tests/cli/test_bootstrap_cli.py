"""``aimem bootstrap`` through the installed executable on a real git repository with an ADR, an
agent rule file, a README and a reverted commit: a dry run writes nothing, the run is one
commit, a second run changes nothing."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.anthropic_api import FakeAnthropic, auth_error, tool_reply
from replay import run_aimem


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)  # fmt: skip


def test_bootstrap_dry_run_then_one_commit_then_nothing(env: dict, project: Path) -> None:
    (project / "docs" / "adr").mkdir(parents=True)
    (project / "docs" / "adr" / "0001-use-postgres.md").write_text(
        "# Use Postgres\n\nWe need SQL.\n"
    )
    (project / "CLAUDE.md").write_text("Always run the tests before pushing.\n")
    (project / "README.md").write_text("# Proj\n\nA shop that sells socks.\n\n## Install\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "docs")
    (project / "flaky.txt").write_text("x\n")
    git(project, "add", "flaky.txt")
    git(project, "commit", "-qm", "Add a cache for prices")
    git(project, "revert", "--no-edit", "HEAD")
    cwd = str(project / "src")

    dry = run_aimem("bootstrap", "--dry-run", env=env, cwd=cwd)
    assert dry.returncode == 0, dry.stderr
    assert "would write decisions/use-postgres.md  <- docs/adr/0001-use-postgres.md" in dry.stdout
    assert not Path(env["AIMEM_HOME"], "projects").exists()  # a dry run creates nothing

    done = json.loads(run_aimem("bootstrap", "--json", env=env, cwd=cwd).stdout)
    kinds = {p["kind"] for p in done["pages"]}
    assert {"adr", "rules", "readme", "revert"} <= kinds, done
    assert done["commit"] and all(p["action"] == "written" for p in done["pages"])
    status = json.loads(run_aimem("status", "--json", env=env, cwd=cwd).stdout)
    assert status["memory"] is True and status["commits"] == 1
    found = json.loads(run_aimem("search", "socks", "--json", env=env, cwd=cwd).stdout)
    assert found and found[0]["type"] == "concept"

    again = run_aimem("bootstrap", env=env, cwd=cwd)
    assert again.returncode == 0, again.stderr
    assert all(line.startswith("kept ") for line in again.stdout.splitlines()), again.stdout
    assert json.loads(run_aimem("status", "--json", env=env, cwd=cwd).stdout)["commits"] == 1


def test_bootstrap_errors_are_one_line(env: dict, tmp_path: Path) -> None:
    result = run_aimem("bootstrap", "--project", "nope", env=env, cwd=str(tmp_path))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("aimem: error: ") and len(result.stderr.splitlines()) == 1


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic([tool_reply({"pages": []})]).start()
    try:
        yield server
    finally:
        server.stop()


def test_bootstrap_with_an_llm(env: dict, project: Path, fake: FakeAnthropic) -> None:
    """With an LLM configured, the LLM part runs after the zero-LLM pages: a dry run estimates
    and calls nothing; a run calls the (fake) model; `--no-llm` skips it."""
    (project / "src" / "app" / "config.py").write_text('"""Settings: DEBUG off in production."""\n')
    git(project, "commit", "-qam", "Document the settings module")
    llm_env = dict(
        env, AIMEM_LLM="anthropic", ANTHROPIC_API_KEY="sk-test-key", ANTHROPIC_BASE_URL=fake.url
    )
    cwd = str(project)
    dry = run_aimem("bootstrap", "--dry-run", env=llm_env, cwd=cwd)
    assert dry.returncode == 0, dry.stderr
    assert re.search(
        r"^llm: would send \d+ sources in \d+ chunks, ~[\d,]+ tokens", dry.stdout, re.M
    )
    assert fake.requests == []

    done = json.loads(run_aimem("bootstrap", "--json", env=llm_env, cwd=cwd).stdout)
    assert done["llm"]["status"] in ("done", "unchanged") and done["llm"]["calls"] >= 1
    assert len(fake.requests) == done["llm"]["calls"]
    skipped = json.loads(run_aimem("bootstrap", "--no-llm", "--json", env=llm_env, cwd=cwd).stdout)
    assert skipped["llm"] is None and len(fake.requests) == done["llm"]["calls"]


def test_a_stopped_llm_bootstrap_is_one_line_and_exit_1(env: dict, project: Path) -> None:
    (project / "src" / "app" / "config.py").write_text('"""Settings: DEBUG off in production."""\n')
    git(project, "commit", "-qam", "Document the settings module")
    server = FakeAnthropic([auth_error()]).start()
    try:
        llm_env = dict(env, AIMEM_LLM="anthropic", ANTHROPIC_API_KEY="sk-bad",
                       ANTHROPIC_BASE_URL=server.url)  # fmt: skip
        result = run_aimem("bootstrap", env=llm_env, cwd=str(project))
    finally:
        server.stop()
    assert result.returncode == 1
    assert result.stderr.startswith("aimem: error: the LLM part stopped: ")
    assert len(result.stderr.splitlines()) == 1
