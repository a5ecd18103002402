"""Faults: damaged derived files, damaged state, broken pages, a read-only data root, bad config.

Every case: hooks exit 0 and record what they can; the CLI either works or says what is wrong in
one line (never a traceback); nothing stored is lost (the wiki's history is kept, only extended).

One project is built per module (a real Claude Code session replayed through the hooks and
consolidated, plus pages written through the library); each test works on its own copy of the
data root. The damaged-index matrix runs in-process over every way a command opens the index;
the real ``aimem`` executable is run on a sample of it.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from replay import claude_session, clean_env, run_aimem

from aimem import recall
from aimem.capture import journal, state
from aimem.index import fts
from aimem.index.sync import index_status, sync_index
from aimem.lifecycle.lint import lint
from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectPaths, paths_for, resolve_project
from aimem.wiki import repo as wikirepo

PROMPT = "Refactor parse_config in src/app/config.py so YAML anchors survive a round trip"
SHORT_SESSION = ["SessionStart", "UserPromptSubmit", "PostToolUse", "SessionEnd"]
DECISION = "Use WAL journaling for the index"


@dataclass
class World:
    home: Path
    project: Path
    env: dict[str, str]
    slug: str
    name: str
    paths: ProjectPaths
    head: str  # the wiki's HEAD when the world was copied
    pages: int  # indexable pages at that HEAD


def wait_status(paths: ProjectPaths, session: str, timeout: float = 60) -> dict:
    """The session's state entry once its detached consolidation has finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = state.sessions(paths.state).get(session, {})
        if entry.get("status") in ("consolidated", "failed"):
            return entry
        time.sleep(0.1)
    raise AssertionError(f"session {session} not consolidated: {state.sessions(paths.state)}")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, str]:
    root = tmp_path_factory.mktemp("faults")
    home, project = root / "data", root / "proj"
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "config.py").write_text("DEBUG = False\n")
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    env = clean_env(str(home), AIMEM_CONFIG=str(root / "no-config.toml"))
    session = str(uuid.uuid4())
    assert all(r.returncode == 0 for r in claude_session(str(project), session, PROMPT, env))
    found = resolve_project(str(project), {})
    assert found is not None
    paths = paths_for(str(home), found.slug)
    assert wait_status(paths, session)["status"] == "consolidated"
    for kind, title, body in [
        ("decision", DECISION, "Readers never block the writer. See [[lock-order]]."),
        ("gotcha", "Lock order", "Take the wiki lock before the index lock, never after."),
    ]:
        write_page(paths, found.name, PageWrite(type=kind, title=title, body=body))
    return home, project, found.slug, found.name


@pytest.fixture
def world(template: tuple[Path, Path, str, str], tmp_path: Path) -> World:
    """A private copy of the module's data root."""
    source, project, slug, name = template
    home = tmp_path / "data"
    shutil.copytree(source, home, symlinks=True)
    paths = paths_for(str(home), slug)
    head = wikirepo.head_commit(wikirepo.open_repo(paths.wiki, create=False))
    assert head is not None
    pages = index_status(paths.index, paths.wiki)["pages"]
    assert pages >= 4  # session, handoff, decision, gotcha
    env = clean_env(str(home), AIMEM_CONFIG=str(tmp_path / "no-config.toml"))
    return World(home, project, env, slug, name, paths, head, pages)


@pytest.fixture
def in_process(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("AIMEM_HOME", str(world.home))
    monkeypatch.setenv("AIMEM_CONFIG", world.env["AIMEM_CONFIG"])
    monkeypatch.delenv("AIMEM_PROJECT", raising=False)
    return world


def mcp_server_class() -> type:
    """``tests/mcp/mcp_harness.McpServer``: the real ``mcp`` client driving ``aimem mcp``."""
    import sys

    folder = str(Path(__file__).parents[1] / "mcp")
    if folder not in sys.path:
        sys.path.append(folder)
    from mcp_harness import McpServer

    return McpServer


# --- checks ---------------------------------------------------------------------------------


def assert_kept(world: World) -> None:
    """Nothing stored is lost: the wiki's history before the fault is all still there."""
    repo = wikirepo.open_repo(world.paths.wiki, create=False)
    head = wikirepo.head_commit(repo)
    assert head is not None
    assert head == world.head or repo.descendant_of(head, world.head), "wiki history rewritten"
    fsck = subprocess.run(
        ["git", "-C", world.paths.wiki, "fsck", "--no-progress"], capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def assert_one_line(proc: subprocess.CompletedProcess) -> None:
    """Fails cleanly, or succeeds: never a traceback, at most one line on stderr."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 1, proc.stderr


def assert_index_healthy(world: World) -> None:
    """The index is a sound database holding every page of the wiki's HEAD."""
    conn = sqlite3.connect(world.paths.index)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    finally:
        conn.close()
    head = wikirepo.head_commit(wikirepo.open_repo(world.paths.wiki, create=False))
    assert index_status(world.paths.index, world.paths.wiki) == {
        "pages": pages,
        "last_commit": head,
        "head": head,
        "up_to_date": True,
    }
    assert pages >= world.pages


def set_aside_copies(world: World) -> list[str]:
    return sorted(p.name for p in Path(world.paths.base).glob("index.sqlite.corrupt-*"))


def log_text(world: World) -> str:
    logs = world.home / "logs"
    return (
        "".join(p.read_text(errors="replace") for p in logs.glob("*.log")) if logs.is_dir() else ""
    )


# --- ways to damage the index ---------------------------------------------------------------


def damage(index: str, form: str) -> None:
    """Damage the index file the way a crash, a bad disk or a stray command could."""
    rng = random.Random(form)
    data = Path(index).read_bytes() if os.path.isfile(index) else b""
    for side in ("-wal", "-shm"):
        if os.path.lexists(index + side) and form not in ("garbage-wal", "garbage-shm"):
            os.remove(index + side)
    if form == "truncated":
        assert len(data) > 8192
        Path(index).write_bytes(data[:1000])
    elif form == "random-bytes":
        Path(index).write_bytes(rng.randbytes(len(data) or 20000))
    elif form == "directory":
        os.remove(index)
        os.mkdir(index)
        Path(index, "stray").write_text("x")
    elif form == "wal-directory":
        os.mkdir(index + "-wal")
    elif form == "garbage-pages":  # the header and schema intact: opening it works
        page = int.from_bytes(data[16:18], "big") or 65536
        Path(index).write_bytes(data[:page] + rng.randbytes(len(data) - page))
    elif form in ("garbage-wal", "garbage-shm"):
        Path(index + form[-4:]).write_bytes(rng.randbytes(40000))
    else:
        raise ValueError(form)


SET_ASIDE_FORMS = ["truncated", "random-bytes", "directory", "wal-directory", "garbage-pages"]
FORMS = [*SET_ASIDE_FORMS, "garbage-wal", "garbage-shm"]


def _query(w: World) -> object:
    hits = recall.query(w.paths, "WAL journaling", project=w.slug)
    assert hits and hits[0].title == DECISION
    return hits


OPERATIONS: dict[str, Callable[[World], object]] = {
    "status": lambda w: index_status(w.paths.index, w.paths.wiki),
    "sync": lambda w: sync_index(w.paths.index, w.paths.wiki),
    "reindex-full": lambda w: sync_index(w.paths.index, w.paths.wiki, full=True),
    "query": _query,
    "explore": lambda w: recall.explore(w.paths, "decisions/use-wal-journaling-for-the-index.md"),
    "recent": lambda w: recall.recent(w.paths),
    "read": lambda w: recall.read_page(w.paths, "gotchas/lock-order.md"),
    "lint": lambda w: lint(w.paths),
    "write-page": lambda w: write_page(
        w.paths, w.name, PageWrite(type="rule", title="Tabs", body="Indent with tabs.")
    ),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("form", FORMS)
def test_a_damaged_index_is_set_aside_and_rebuilt_by_every_command(
    in_process: World, form: str, operation: str, caplog: pytest.LogCaptureFixture
) -> None:
    world = in_process
    damage(world.paths.index, form)
    OPERATIONS[operation](world)  # must not raise
    _query(world)  # the next search answers from a sound, complete index
    assert_index_healthy(world)
    copies = set_aside_copies(world)
    if form in SET_ASIDE_FORMS:
        assert copies, "the damaged file was not set aside"
        lines = [r for r in caplog.records if "is damaged" in r.getMessage()]
        assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    else:  # SQLite itself ignores a WAL or shared-memory file that is not its own
        assert not copies
    assert_kept(world)


def test_damage_deep_inside_a_large_index_is_found_by_the_search_that_reads_it(
    in_process: World,
) -> None:
    """Opening checks only the header and the schema: a page damaged deep inside the full-text
    index is met by a search, which must still answer."""
    world = in_process
    repo = wikirepo.open_repo(world.paths.wiki, create=False)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    rng = random.Random(7)
    changes = {
        f"concepts/c{i:03}.md": (
            f"---\ntitle: Concept {i}\ntype: concept\n---\n"
            + " ".join(rng.choice(words) + str(rng.randrange(500)) for _ in range(400))
            + " marker\n"
        ).encode()
        for i in range(300)
    }
    wikirepo.commit_files(repo, changes, "many concepts")
    sync_index(world.paths.index, world.paths.wiki)
    size = os.path.getsize(world.paths.index)
    assert size > 400_000
    with open(world.paths.index, "r+b") as fh:  # the second half of the file
        fh.seek(size // 2)
        fh.write(random.Random(3).randbytes(size - size // 2))
    fts.connect(world.paths.index).close()  # still opens: nothing is set aside yet
    assert not set_aside_copies(world)
    hits = recall.query(world.paths, "marker", limit=50)
    assert len(hits) == 50
    assert set_aside_copies(world)
    conn = fts.connect(world.paths.index)
    try:
        assert fts.page_count(conn) == world.pages + 300
    finally:
        conn.close()


def test_set_aside_copies_are_bounded(in_process: World) -> None:
    world = in_process
    for _ in range(fts.KEEP_SET_ASIDE + 3):
        damage(world.paths.index, "random-bytes")
        sync_index(world.paths.index, world.paths.wiki)
    assert len(set_aside_copies(world)) == fts.KEEP_SET_ASIDE
    assert_index_healthy(world)


# --- the same through the real executable, a sample of the matrix ---------------------------

CLI_CASES = [
    ("truncated", ["status"]),
    ("random-bytes", ["search", "WAL journaling"]),
    ("directory", ["lint"]),
    ("garbage-pages", ["reindex", "--full"]),
    ("truncated", ["reindex"]),
    ("wal-directory", ["write-page", "-t", "rule", "--title", "Tabs", "-b", "Use tabs."]),
    ("random-bytes", ["explore", "gotchas/lock-order.md"]),
    ("directory", ["show", "gotchas/lock-order.md"]),
    ("garbage-pages", ["search", "--all", "WAL journaling"]),
]


@pytest.mark.parametrize(("form", "args"), CLI_CASES, ids=[" ".join(c[1][:2]) for c in CLI_CASES])
def test_cli_commands_work_on_a_damaged_index(world: World, form: str, args: list[str]) -> None:
    damage(world.paths.index, form)
    done = run_aimem(*args, env=world.env, cwd=str(world.project))
    assert done.returncode == 0 or (args[0] == "lint" and done.returncode == 1), done.stderr
    assert "Traceback" not in done.stderr and done.stderr == "", done.stderr
    if args[0] == "search":
        assert DECISION in done.stdout
    searched = run_aimem("search", "WAL journaling", env=world.env, cwd=str(world.project))
    assert DECISION in searched.stdout, searched.stderr
    assert set_aside_copies(world)  # by the command, or the search after it (show never reads it)
    assert log_text(world).count("is damaged") == 1
    assert_index_healthy(world)
    assert_kept(world)


def test_session_end_consolidates_over_a_damaged_index(world: World) -> None:
    damage(world.paths.index, "random-bytes")
    session = str(uuid.uuid4())
    prompt = "Explain why the index lock order matters"
    done = claude_session(str(world.project), session, prompt, world.env)
    assert [r.returncode for r in done] == [0] * len(done)
    entry = wait_status(world.paths, session)
    assert entry["status"] == "consolidated", entry
    page = Path(world.paths.wiki, entry["page"]).read_text()
    assert prompt in page
    assert_index_healthy(world)
    assert_kept(world)


def test_mcp_query_works_on_a_damaged_index(world: World, tmp_path: Path) -> None:
    McpServer = mcp_server_class()
    damage(world.paths.index, "truncated")
    with McpServer(world.env, str(world.project), tmp_path / "server.err") as server:
        found = server.ok("memory_query", query="WAL journaling")
        assert found["results"][0]["title"] == DECISION
        read = server.ok("memory_read", path="gotchas/lock-order.md")
        assert "wiki lock" in read["body"]
    assert set_aside_copies(world)
    assert_index_healthy(world)


# --- a read-only data root ------------------------------------------------------------------


@contextmanager
def read_only(world: World, tmp_path: Path) -> Iterator[World]:
    """The world's data root made read-only: through a read-only bind mount where the test runs
    as root (root ignores file modes), else by taking away every write permission."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [world.home, *world.home.rglob("*")]}
        for path, mode in modes.items():
            path.chmod(mode & ~0o222)
        try:
            yield world
        finally:
            for path, mode in sorted(modes.items(), key=lambda kv: len(kv[0].parts)):
                path.chmod(mode)
        return
    view = tmp_path / "ro-data"
    view.mkdir()
    mount = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(world.home), str(view)], capture_output=True
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount: {mount.stderr.decode().strip()}")
    try:
        env = dict(world.env, AIMEM_HOME=str(view))
        yield World(
            view,
            world.project,
            env,
            world.slug,
            world.name,
            paths_for(str(view), world.slug),
            world.head,
            world.pages,
        )
    finally:
        subprocess.run(["umount", str(view)], check=True)


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("index", ["sound", "missing", "damaged", "stale"])
def test_reading_works_on_a_read_only_data_root(world: World, tmp_path: Path, index: str) -> None:
    if index == "missing":
        os.remove(world.paths.index)
    elif index == "damaged":
        damage(world.paths.index, "random-bytes")
    elif index == "stale":  # the index is behind HEAD and cannot be synced
        conn = sqlite3.connect(world.paths.index)
        conn.execute("UPDATE meta SET value = 'f' || value WHERE key = 'last_commit'")
        conn.commit()
        conn.close()
    before = _files(world.home)
    with read_only(world, tmp_path) as view:
        cwd = str(view.project)
        found = run_aimem("search", "WAL journaling", env=view.env, cwd=cwd)
        assert found.returncode == 0 and DECISION in found.stdout, found.stderr
        assert_one_line(found)
        shown = run_aimem("show", "gotchas/lock-order.md", env=view.env, cwd=cwd)
        assert shown.returncode == 0 and "wiki lock" in shown.stdout, shown.stderr
        status = run_aimem("status", "--json", env=view.env, cwd=cwd)
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["slug"] == world.slug
        refused = run_aimem("reindex", env=view.env, cwd=cwd)
        assert refused.returncode == 1 and refused.stderr.startswith("aimem: error:")
        assert_one_line(refused)
    assert _files(world.home) == before


def test_mcp_reads_on_a_read_only_data_root(world: World, tmp_path: Path) -> None:
    McpServer = mcp_server_class()
    with (
        read_only(world, tmp_path) as view,
        McpServer(view.env, str(view.project), tmp_path / "server.err") as server,
    ):
        found = server.ok("memory_query", query="WAL journaling")
        assert found["results"][0]["title"] == DECISION
        assert "wiki lock" in server.ok("memory_read", path="gotchas/lock-order.md")["body"]
        assert server.ok("memory_recent")["project"] == world.slug


# --- damaged state files --------------------------------------------------------------------

STATE_DAMAGE = {
    "sessions-garbage": ("sessions.json", b"\x00\xffnot json at all{{{"),
    "sessions-truncated": ("sessions.json", None),
    "sessions-list": ("sessions.json", b"[1, 2, 3]\n"),
    "handoff-garbage": ("handoff.json", b"<<<>>>\xfe"),
    "handoff-truncated": ("handoff.json", None),
    "handoff-wrong-types": ("handoff.json", b'{"path": 7, "status": [], "created_ts": "x"}'),
}


@pytest.mark.parametrize("case", list(STATE_DAMAGE))
def test_damaged_state_files_do_not_stop_recording(world: World, case: str) -> None:
    name, data = STATE_DAMAGE[case]
    target = Path(world.paths.state, name)
    if data is None:
        data = target.read_bytes()[: target.stat().st_size // 2]
    target.write_bytes(data)
    session = str(uuid.uuid4())
    prompt = f"Check the state case {case}"
    done = claude_session(str(world.project), session, prompt, world.env, events=SHORT_SESSION)
    assert [r.returncode for r in done] == [0] * len(done)
    for r in done:
        assert r.stdout == b"" or json.loads(r.stdout), r.stdout
    records = journal.read_journal(world.paths.journal(session)).records
    assert any(r.get("kind") == "prompt" for r in records)
    entry = wait_status(world.paths, session)
    assert entry["status"] == "consolidated", entry
    assert prompt in Path(world.paths.wiki, entry["page"]).read_text()
    for args in (["status"], ["consolidate", "--pending"]):
        proc = run_aimem(*args, env=world.env, cwd=str(world.project))
        assert proc.returncode == 0, proc.stderr
        assert_one_line(proc)
    assert_kept(world)


# --- torn and garbage journal lines ---------------------------------------------------------


def test_consolidation_keeps_the_good_lines_around_torn_and_garbage_ones(world: World) -> None:
    session = str(uuid.uuid4())
    prompt = "Find the flaky lock test"
    first = ["SessionStart", "UserPromptSubmit"]
    rest = ["PreToolUse", "PostToolUse", "Stop", "SessionEnd"]
    done = claude_session(str(world.project), session, prompt, world.env, events=first)
    segment = world.paths.journal(session)
    with open(segment, "ab") as fh:  # what a bad disk, an editor or another tool could leave
        fh.write(b'{not json\n\x00\x01\x02\n[1, 2]\n"a string"\n{}\n\xff\xfe\n')
        fh.write(b'{"kind": "prompt", "text": "torn in the midd')  # no newline: a torn write
    done += claude_session(str(world.project), session, prompt, world.env, events=rest)
    assert [r.returncode for r in done] == [0] * len(done)
    entry = wait_status(world.paths, session)
    assert entry["status"] == "consolidated", entry
    page = Path(world.paths.wiki, entry["page"]).read_text()
    assert prompt in page and "torn in the midd" not in page
    read = journal.read_journal(segment)
    assert not read.torn_tail  # the next writer cut it off
    kinds = [r.get("kind") for r in read.records]
    assert kinds[0] == "session_start" and kinds[-1] == "session_end" and "prompt" in kinds
    assert_kept(world)


# --- broken pages in the wiki ---------------------------------------------------------------

BROKEN_PAGES = {
    "concepts/broken-yaml.md": b"---\ntitle: [unclosed\ntype: concept\n---\nzebrafish yaml\n",
    "concepts/latin1.md": b"---\ntitle: Caf\xe9\n---\nzebrafish caf\xe9 \xff\xfe\n",
    "decisions/no-front-matter.md": b"zebrafish with no front matter at all\n",
    "concepts/unterminated.md": b"---\ntitle: Never closed\nzebrafish\n",
    "concepts/bom-and-nul.md": b"\xef\xbb\xbf---\ntitle: Bom\n---\nzebrafish \x00 nul\n",
    "concepts/list-front.md": b"---\n- a\n- b\n---\nzebrafish list front matter\n",
    "concepts/binary.md": bytes(range(256)) * 4 + b" zebrafish",
}


def test_broken_and_non_utf8_pages_do_not_stop_any_command(world: World) -> None:
    repo = wikirepo.open_repo(world.paths.wiki, create=False)
    wikirepo.commit_files(repo, dict(BROKEN_PAGES), "hand-edited pages")
    world.head = wikirepo.head_commit(repo) or world.head
    cwd = str(world.project)
    full = run_aimem("reindex", "--full", env=world.env, cwd=cwd)
    assert full.returncode == 0, full.stderr
    found = run_aimem("search", "zebrafish", "--json", "-n", "50", env=world.env, cwd=cwd)
    assert found.returncode == 0, found.stderr
    assert {h["path"] for h in json.loads(found.stdout)} >= set(BROKEN_PAGES) - {
        "concepts/binary.md"
    }
    for path in BROKEN_PAGES:
        shown = run_aimem("show", path, env=world.env, cwd=cwd)
        assert shown.returncode == 0, (path, shown.stderr)
        assert_one_line(shown)
    shown = run_aimem("show", "concepts/latin1.md", "--json", env=world.env, cwd=cwd)
    assert "zebrafish" in json.loads(shown.stdout)["body"]
    linted = run_aimem("lint", env=world.env, cwd=cwd)
    assert linted.returncode in (0, 1)
    assert_one_line(linted)
    assert "concepts/broken-yaml.md" in linted.stdout  # one line where it must complain
    session = str(uuid.uuid4())
    done = claude_session(cwd, session, "Tidy the zebrafish notes", world.env)
    assert [r.returncode for r in done] == [0] * len(done)
    assert wait_status(world.paths, session)["status"] == "consolidated"
    for path, data in BROKEN_PAGES.items():  # nobody "repaired" a page the user wrote
        assert wikirepo.read_file(repo, path) == data
    assert_kept(world)


# --- bad configuration (config loading is helper B's; the cross-cutting behaviour here) -----

BAD_CONFIGS = {
    "wrong-type": b'handoff_max_age_days = "seven"\nlog_level = "NOPE"\n',
    "syntax-error": b"handoff_max_age_days = = 3\n[[[\n",
    "not-utf8": b'log_level = "\xff\xfe"\n',
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_hooks_record_and_the_cli_says_one_line(
    world: World, tmp_path: Path, case: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(BAD_CONFIGS[case])
    env = dict(world.env, AIMEM_CONFIG=str(config))
    session = str(uuid.uuid4())
    done = claude_session(
        str(world.project), session, "Bad config still records", env, events=SHORT_SESSION
    )
    assert [r.returncode for r in done] == [0] * len(done)
    assert all(b"Traceback" not in r.stderr for r in done)
    assert any(
        r.get("kind") == "prompt"
        for r in journal.read_journal(world.paths.journal(session)).records
    )
    bad_keys = max(1, BAD_CONFIGS[case].count(b" = "))
    for args in (["status"], ["search", "WAL"], ["show", "gotchas/lock-order.md"]):
        proc = run_aimem(*args, env=env, cwd=str(world.project))
        assert "Traceback" not in proc.stderr, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) <= bad_keys, proc.stderr  # one line per problem, each naming the file
        assert all(str(config) in line for line in lines), proc.stderr
        if proc.returncode != 0:
            assert proc.stderr.startswith("aimem: error:"), proc.stderr
    assert_kept(world)
