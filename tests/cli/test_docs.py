"""The docs match the CLI: every ``aimem <command>`` in README.md and docs/*.md is a real
command, every relative link and every repository file a doc names exists, and every command
is documented in docs/usage.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from aimem.cli import app as cli_app

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
# `aimem search ...`, `$(aimem path --wiki)`, `| aimem ...`: a command word after "aimem ".
COMMAND = re.compile(r"(?:^|[\s\"'`(|$;&])aimem ([a-z][a-z-]*)")
# Files of this repository named in code spans: aimem/..., tests/..., docs/..., and the top files.
REPO_PATH = re.compile(
    r"(?<![\w~./-])((?:aimem|tests|docs|hook_scripts|\.ci)/[\w./-]*"
    r"|Makefile|pyproject\.toml|README\.md)"
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def commands() -> set[str]:
    return set(typer.main.get_command(cli_app.app).commands)


def code_spans(doc: Path) -> list[str]:
    return CODE.findall(doc.read_text(encoding="utf-8"))


def mentioned_commands(doc: Path) -> set[str]:
    return {m.group(1) for span in code_spans(doc) for m in COMMAND.finditer(span)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_aimem_command_in_the_docs_exists(doc: Path) -> None:
    unknown = mentioned_commands(doc) - commands()
    assert not unknown, f"{doc.name} names commands the CLI lacks: {sorted(unknown)}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_file_a_doc_names_exists(doc: Path) -> None:
    missing = []
    for span in code_spans(doc):
        for match in REPO_PATH.finditer(span):
            name = match.group(1).rstrip(".")
            if name.startswith("docs/") and name.endswith("/"):
                continue  # docs/adr/: a folder in the user's repository (bootstrap reads it)
            if not (ROOT / name).exists():
                missing.append(name)
    for match in LINK.finditer(doc.read_text(encoding="utf-8")):
        target = match.group(1)
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # a web address, or a place in the same page
        if not (doc.parent / target.split("#", 1)[0]).exists():
            missing.append(target)
    assert not missing, f"{doc.name} refers to files the project lacks: {missing}"


def test_the_checks_see_what_they_check() -> None:
    """The patterns find the commands and paths the docs really contain (a pattern that
    matched nothing would pass every doc)."""
    found = set().union(*(mentioned_commands(doc) for doc in DOCS))
    assert {"search", "install", "log", "web", "status"} <= found
    named = [m.group(1) for d in DOCS for s in code_spans(d) for m in REPO_PATH.finditer(s)]
    assert "tests/e2e/fake_models.py" in named and len(named) > 20


def test_every_command_is_in_usage_md() -> None:
    usage = mentioned_commands(ROOT / "docs" / "usage.md")
    assert commands() - usage == set()


def test_getting_started_covers_the_first_steps() -> None:
    text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    for step in ("make install", "aimem install", "aimem status", "aimem search", "aimem web"):
        assert step in text, step
    assert "PATH" in text and "--install-completion" in text
