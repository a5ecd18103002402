"""``aimem export --html``: the files of the static site, checked without a browser (the browser
suite crawls the same export over ``file://``): every link lands on a file, every page of memory
is there, nothing can run but the site's own script files, and memory is untouched."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from replay import run_aimem

sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
from browser_harness import SCRIPT, World, build_world  # noqa: E402

from aimem.web import urls  # noqa: E402
from aimem.web.export import (  # noqa: E402
    INDEX_FILE,
    MARKER,
    ExportError,
    export_html,
    file_route,
)

_ATTR = re.compile(r"""\s(href|src|action)="([^"]*)\"""")
_TAG_WITH_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)
_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("export-world"))


@pytest.fixture(scope="module")
def site(world: World) -> Path:
    before = world.wiki_fingerprint()
    out = world.root / "site-all"
    result = export_html(str(world.home), str(out))
    assert world.wiki_fingerprint() == before  # exporting changed nothing stored
    assert result.missing == []
    assert sorted(result.projects) == sorted(world.paths)
    return out


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def wiki_pages(world: World, slug: str) -> list[str]:
    out = subprocess.run(
        ["git", "-C", world.paths[slug].wiki, "ls-files", "*.md"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [p for p in out if not p.startswith("log") and p != "index.md"]


def test_every_link_lands_on_a_file_of_the_export(site: Path) -> None:
    dead = []
    checked = 0
    for file in html_files(site):
        for _attr, value in _ATTR.findall(file.read_text(encoding="utf-8")):
            parts = urlsplit(value)
            if parts.scheme or parts.netloc or not parts.path:
                assert parts.scheme in ("", "http", "https", "mailto"), (file, value)
                continue
            assert not value.startswith("/"), f"absolute link {value} in {file}"
            target = (file.parent / unquote(parts.path)).resolve()
            if value.endswith("/"):
                target = target / "index.html"
            assert site.resolve() in target.parents, f"{value} leaves the export ({file})"
            checked += 1
            if not target.is_file():
                dead.append(f"{file.relative_to(site)} -> {value}")
    assert dead == []
    assert checked > 500


def test_every_page_has_its_view_and_history(site: Path, world: World) -> None:
    for slug in world.paths:
        pages = wiki_pages(world, slug)
        assert len(pages) >= 3
        for path in pages:
            assert (site / urls.route_file(urls.page_route(slug, path))).is_file(), path
            assert (site / urls.route_file(urls.history_route(slug, path))).is_file(), path
        assert (site / "p" / slug / "index.html").is_file()
        assert (site / "p" / slug / "sessions" / "index.html").is_file()
    assert (site / "index.html").is_file() and (site / "search.html").is_file()
    assert (site / MARKER).is_file()
    # At least one diff between two versions (the superseded page changed twice).
    assert list(site.glob("p/*/diff/*/*/**/*.html"))


def test_nothing_in_the_export_can_run_but_its_own_script_files(site: Path) -> None:
    allowed = {"static/theme.js", "static/export-search.js", INDEX_FILE}
    for file in html_files(site):
        text = file.read_text(encoding="utf-8")
        assert SCRIPT not in text, file  # the planted script is shown escaped, never raw
        assert not _TAG_WITH_HANDLER.search(text), file
        for _attr, value in _ATTR.findall(text):
            scheme = urlsplit(value.strip().lower()).scheme
            assert scheme not in ("javascript", "vbscript", "data"), (file, value)
        for attrs in _SCRIPT_TAG.findall(text):
            src = re.search(r'src="([^"]+)"', attrs)
            assert src, f"inline script in {file}"
            target = (file.parent / src.group(1)).resolve().relative_to(site.resolve())
            assert target.as_posix() in allowed, (file, src.group(1))
    hostile = next(site.rglob("pasted-web-page-with-scripts.md.html")).read_text()
    assert "&lt;script&gt;window.__pwned" in hostile


def test_search_index_holds_every_indexed_page_with_its_file(site: Path, world: World) -> None:
    text = (site / INDEX_FILE).read_text(encoding="utf-8")
    prefix = "window.AIMEM_INDEX = "
    assert text.startswith(prefix) and text.rstrip().endswith(";")
    index = json.loads(text[len(prefix) :].rstrip().rstrip(";"))
    docs = index["docs"]
    by_project: dict[str, set[str]] = {}
    for doc in docs:
        assert set(doc) >= {"project", "path", "title", "type", "status", "url", "text"}
        assert (site / doc["url"]).is_file(), doc["url"]
        by_project.setdefault(doc["project"], set()).add(doc["path"])
    for slug in world.paths:
        assert set(wiki_pages(world, slug)) <= by_project[slug]
    hostile = next(d for d in docs if d["path"] == world.pages["hostile"])
    assert SCRIPT in hostile["text"]  # data for textContent, not markup


def test_one_project_only(world: World, tmp_path: Path) -> None:
    out = tmp_path / "one"
    result = export_html(str(world.home), str(out), only=(world.main,))
    assert result.projects == [world.main]
    assert (out / "p" / world.main / "index.html").is_file()
    assert not (out / "p" / world.other).exists()
    index = (out / INDEX_FILE).read_text()
    assert world.other not in index and world.main in index


def test_target_folder_rules(world: World, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export_html(str(world.home), str(busy))
    assert (busy / "notes.txt").read_text() == "mine"
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ExportError, match="not a folder"):
        export_html(str(world.home), str(afile))
    # An earlier export is replaced whole: a file it held that the new one does not is gone.
    out = tmp_path / "again"
    export_html(str(world.home), str(out))
    (out / "stale.html").write_text("old")
    export_html(str(world.home), str(out), only=(world.other,))
    assert not (out / "stale.html").exists()
    assert not (out / "p" / world.main).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".aimem-export")] == []


def test_cli_export(world: World, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    done = run_aimem(
        "export", "--html", str(out), "--all", "--json", env=world.env, cwd=str(world.root)
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert sorted(result["projects"]) == sorted(world.paths) and result["missing"] == []
    assert (out / "index.html").is_file()
    # From inside a project, without flags: that project.
    one = tmp_path / "cli-one"
    done = run_aimem(
        "export", "--html", str(one), env=world.env, cwd=str(world.projects[world.main])
    )
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and os.listdir(one / "p") == [world.main]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--all", "--project", "x"], "cannot be used together"),
        (["--project", "no-such-project"], "no-such-project"),
    ],
)
def test_cli_bad_input_is_one_line(world: World, tmp_path: Path, args, message) -> None:
    done = run_aimem(
        "export", "--html", str(tmp_path / "x"), *args, env=world.env, cwd=str(world.root)
    )
    assert done.returncode != 0
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "x").exists()


def test_cli_help_has_an_example(world: World) -> None:
    done = run_aimem("export", "--help", env=world.env)
    assert done.returncode == 0
    assert "aimem export --html" in done.stdout and "--all" in done.stdout


_SEGMENT = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in (".", ".."))


@given(
    slug=_SEGMENT,
    folders=st.lists(_SEGMENT, max_size=3),
    name=_SEGMENT,
    view=st.sampled_from(["page", "history"]),
)
def test_file_route_inverts_route_file(slug: str, folders: list[str], name: str, view: str) -> None:
    """The export finds views by following links to files, so every page route must map back
    from its file exactly (whatever a slug or a page's name holds)."""
    path = "/".join([*folders, name + ".md"])
    route = f"/p/{slug}/{view}/{path}"
    assert file_route(urls.route_file(route)) == route
    for other in ("/", urls.project_route(slug), urls.sessions_route(slug), urls.SEARCH):
        assert file_route(urls.route_file(other)) == other
