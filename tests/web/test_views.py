"""The views as pure functions (no server): what ``aimem export --html`` calls. A missing or
stale index is reported on the page, never created or synced."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from web_world import WebWorld

from aimem.lifecycle import lint
from aimem.project import paths_for
from aimem.web import lintview, store
from aimem.web.store import NotFound, Site
from aimem.web.views import Renderer, highlight_snippet


def test_views_render_without_a_server(world: WebWorld) -> None:
    views = Renderer(Site(str(world.home)))
    assert "<h1>Projects</h1>" in views.projects()
    page = views.page(world.main, world.pages["wal"])
    assert page.startswith("<!doctype html>") and "Use SQLite WAL mode for the index" in page
    with pytest.raises(NotFound):
        views.page(world.main, "../outside.md")
    with pytest.raises(NotFound):
        views.project_home("nope")


def test_static_rendering_links_to_files(world: WebWorld) -> None:
    views = Renderer(Site(str(world.home)), static=True)
    home = views.project_home(world.main)
    hrefs = re.findall(r'href="([^"]+)"', home)
    assert "../../index.html" in hrefs  # the project list
    assert "sessions/index.html" in hrefs
    assert f"page/{world.pages['wal']}.html" in hrefs
    assert all(not h.startswith("/") and "?" not in h for h in hrefs)
    page = views.page(world.main, world.pages["wal"])
    assert 'href="../../../../static/style.css"' in page


def copy_world(world: WebWorld, tmp_path: Path) -> Path:
    home = tmp_path / "data"
    shutil.copytree(world.home, home, symlinks=True)
    return home


def test_missing_index_is_reported_and_not_created(world: WebWorld, tmp_path: Path) -> None:
    home = copy_world(world, tmp_path)
    paths = paths_for(str(home), world.main)
    Path(paths.index).unlink()
    views = Renderer(Site(str(home)))
    page = views.page(world.main, world.pages["wal"])
    assert "Search index unavailable" in page
    assert 'class="wikilink"' in page  # links still resolve, from the work tree
    assert "Search index unavailable" in views.project_home(world.main)
    assert "run `aimem reindex`" in views.search("sqlite", project=world.main)
    views.projects()
    views.sessions(world.main)
    assert not Path(paths.index).exists()


def test_stale_index_is_reported_not_synced(world: WebWorld, tmp_path: Path) -> None:
    import subprocess

    home = copy_world(world, tmp_path)
    paths = paths_for(str(home), world.main)
    wiki = paths.wiki
    Path(wiki, "concepts", "fresh.md").write_text("---\ntitle: Fresh\ntype: concept\n---\nnew\n")
    git = ["git", "-C", wiki, "-c", "user.name=Carol", "-c", "user.email=c@example.org"]
    subprocess.run([*git, "add", "concepts/fresh.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "fresh page"], check=True)
    before = Path(paths.index).read_bytes()
    views = Renderer(Site(str(home)))
    assert "lags the wiki" in views.project_home(world.main)
    assert "lags the wiki" in views.search("fresh", project=world.main)
    assert "Carol" in views.project_home(world.main)  # recent changes come from git itself
    assert "new" in views.page(world.main, "concepts/fresh.md")  # pages from the work tree
    assert Path(paths.index).read_bytes() == before


def test_lint_summary_matches_aimem_lint(world: WebWorld, tmp_path: Path) -> None:
    home = copy_world(world, tmp_path)
    site = Site(str(home))
    ref = site.project(world.main)
    with store.open_index(ref.paths) as index:
        mine = lintview.summary(site, ref, index)
    theirs = lint.lint(ref.paths)  # opens the index read-write: fine on a copy
    assert mine.counts == theirs.counts()
    assert mine.counts["broken_link"] == 1 and mine.errors == theirs.errors


def test_offer_age_is_shown_without_expiring_it(world: WebWorld) -> None:
    from aimem.capture import state

    paths = world.paths[world.main]
    raw = Path(state.handoff_path(paths.state)).read_bytes()
    offer = store.current_offer(paths, max_age_days=0.0, now=4e9)
    assert offer is not None and offer.status == "expired" and not offer.pending
    assert store.current_offer(paths, 7.0).pending
    assert Path(state.handoff_path(paths.state)).read_bytes() == raw


def test_folder_listing_escapes_like_patterns(world: WebWorld) -> None:
    with store.open_index(world.paths[world.main]) as index:
        assert index.conn is not None
        rules = store.folder_pages(index.conn, "_rules")
        assert [r.path for r in rules] == [world.pages["rule"]]
        assert store.folder_pages(index.conn, "%") == []
        assert store.folder_pages(index.conn, "_") == []
        root = store.folder_pages(index.conn, "")
        assert all("/" not in r.path for r in root)


def test_snippet_marks_only_the_hits() -> None:
    html = str(highlight_snippet("a **<b>hit</b>** and <script>x</script>"))
    assert html == "a <mark>&lt;b&gt;hit&lt;/b&gt;</mark> and &lt;script&gt;x&lt;/script&gt;"
