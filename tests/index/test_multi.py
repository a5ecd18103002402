"""Cross-project search: ``aimem search --all`` and ``multi.search_all``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from aimem.index import multi
from aimem.project import paths_for
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import Page, render


def make_project(home, slug, pages):
    paths = paths_for(str(home), slug)
    repo = wikirepo.open_repo(paths.wiki)
    files = {
        path: render(Page(path=path, meta={"title": title, "type": kind}, body=body)).encode()
        for path, title, kind, body in pages
    }
    wikirepo.commit_files(repo, files, "pages")


def test_search_all_merges_and_labels(home):
    make_project(home, "alpha-1", [("gotchas/a.md", "Redis eviction", "gotcha", "redis evicts")])
    make_project(home, "beta-2", [("concepts/b.md", "Cache", "concept", "we use redis as cache")])
    (home / "projects" / "empty-3").mkdir(parents=True)  # no wiki yet: skipped
    hits = multi.search_all(str(home), "redis")
    assert [(h.project, h.path) for h in hits] == [
        ("alpha-1", "gotchas/a.md"),
        ("beta-2", "concepts/b.md"),
    ]
    assert [h.path for h in multi.search_all(str(home), "redis", limit=1)] == ["gotchas/a.md"]
    assert [h.project for h in multi.search_all(str(home), "redis", type="concept")] == ["beta-2"]
    assert multi.search_all(str(home), "nothinghere") == []


def test_cli_search_all(home, monkeypatch):
    from aimem.cli.app import app

    make_project(home, "alpha-1", [("gotchas/a.md", "Redis eviction", "gotcha", "redis evicts")])
    make_project(home, "beta-2", [("concepts/b.md", "Cache", "concept", "we use redis as cache")])
    runner = CliRunner()
    out = runner.invoke(app, ["search", "redis", "--all", "--json"])
    assert out.exit_code == 0, out.output
    hits = json.loads(out.stdout)
    assert {h["project"] for h in hits} == {"alpha-1", "beta-2"}
    assert set(hits[0]) == {"path", "title", "type", "score", "snippet", "project"}
    text = runner.invoke(app, ["search", "redis", "--all"])
    assert text.exit_code == 0 and "alpha-1" in text.stdout and "beta-2" in text.stdout
    both = runner.invoke(app, ["search", "redis", "--all", "--project", "alpha-1"])
    assert both.exit_code != 0
