"""Crash suite: ``aimem consolidate``, ``reindex``, ``sweep`` and ``write-page`` SIGKILLed at
random points, then run again cleanly; memory must come out whole every time.

Each operation is killed at least ``AIMEM_CRASH_KILLS`` (default 50) times, seeded by
``AIMEM_CRASH_SEED``. Most kills are made at a named kill point (``aimem/wiki/killpoint.py``,
via ``AIMEM_TEST_KILL_AT``), picked at random with the occurrence to stop at: the windows that
matter (between a commit's objects and its ref, between the ref and the work tree, between the
commit and the state written after it) last microseconds, while a timed kill from outside lands in
Python's start-up more often than not. The rest are timed kills after a random delay within the
operation's measured run time, for the points nobody named (SQLite, packing, the brief). The
killed run is always the real ``aimem`` executable; the clean re-run is the library call that
command makes, in this process (the same lock and commit path, without another second of
start-up per kill), and every tenth one is the real command again. One kill in five also
leaves a git lock file behind, as a kill inside libgit2's ref or index write would (a window too
short to hit from outside): the re-run must not be blocked by it.

After each kill and re-run: ``git fsck`` clean, no lock, journal or temporary file left, a clean
``git status``, the index equal to a fresh ``reindex --full``, every session consolidated exactly
once (one page, one commit), one handoff offered (and it is the offer in ``state/``), every
fading page archived exactly once, every page written exactly once.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
import pytest
from replay import aimem_exe, clean_env

from aimem.capture import state
from aimem.capture.journal import append_line
from aimem.capture.observation import Observed, build, encode
from aimem.consolidate.run import consolidate_pending
from aimem.index.sync import sync_index
from aimem.lifecycle.sweep import sweep
from aimem.memory.write import PageExists, PageWrite, ensure_project_folder, write_page
from aimem.project import paths_for, resolve_project
from aimem.wiki import repo as wikirepo
from aimem.wiki.killpoint import ENV as KILL_ENV
from aimem.wiki.lock import wiki_lock
from aimem.wiki.pages import ARCHIVE_DIR, Page, parse, render

SEED = int(os.environ.get("AIMEM_CRASH_SEED", "20261123"))
KILLS = int(os.environ.get("AIMEM_CRASH_KILLS", "50"))
TIMED_SHARE = 0.3  # of the kills, made by a timer rather than a kill point
STALE_LOCK_SHARE = 0.2  # of the kills, followed by a git lock file left behind
CLI_EVERY = 10  # every n-th clean re-run is the real command rather than the library call
NAME = "crashproj"
# Kill points and how often each is reached per commit ("worktree.file": once per file written).
COMMIT_POINTS = {
    "commit.before-ref": 1,
    "commit.after-ref": 1,
    "worktree.file": 3,
    "worktree.index": 1,
}
CONSOLIDATE_POINTS = {**COMMIT_POINTS, "consolidate.committed": 1, "consolidate.offered": 1}
DAY = 86400.0


@dataclass
class Memory:
    home: Path
    env: dict[str, str]
    paths: object
    rng: random.Random
    run_time: float = 1.0  # seconds a clean run of the operation took (for timed kills)
    kills: Counter = field(default_factory=Counter)  # how each kill was made
    sessions: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # pages created by write-page


@pytest.fixture
def memory(home: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Memory:
    env = clean_env(str(home), AIMEM_CONFIG=str(tmp_path / "no-config.toml"))
    project = resolve_project(str(tmp_path), env={"AIMEM_PROJECT": NAME})
    assert project is not None
    paths = paths_for(str(home), project.slug)
    ensure_project_folder(paths, project)
    return Memory(home, env, paths, random.Random(f"{SEED}-{request.node.name}"))


# --- killing ---------------------------------------------------------------------------------


def aimem(mem: Memory, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [aimem_exe(), *args, "--project", NAME],
        env={**mem.env, **extra},
        capture_output=True,
        text=True,
        timeout=120,
    )


def measure(mem: Memory, *args: str) -> None:
    """A clean run of the real command: it must succeed, and its time bounds the timed kills."""
    start = time.monotonic()
    done = aimem(mem, *args)
    mem.run_time = max(time.monotonic() - start, 0.2)
    assert done.returncode == 0, done.stderr


def kill_once(mem: Memory, args: list[str], points: dict[str, int], commits: int = 1) -> bool:
    """Run ``aimem args`` and SIGKILL it, at a kill point (the ``#n``-th time it is reached,
    within ``commits`` commits) or after a random delay; ``True`` if it was killed (a run may
    finish first)."""
    if mem.rng.random() < TIMED_SHARE:
        return timed_kill(mem, args, 0.3, 1.0)  # the first third is mostly Python's start-up
    name = mem.rng.choice(sorted(points))
    point = f"{name}#{mem.rng.randint(1, points[name] * commits)}"
    done = aimem(mem, *args, **{KILL_ENV: point})
    if done.returncode == -signal.SIGKILL:
        mem.kills[point.split("#")[0]] += 1
        return True
    assert done.returncode == 0, done.stderr  # not killed: it must have succeeded
    return False


def timed_kill(mem: Memory, args: list[str], low: float, high: float) -> bool:
    """SIGKILL ``aimem args`` after a random delay between ``low`` and ``high`` times the
    operation's measured run time; ``True`` if it was killed before it finished."""
    proc = subprocess.Popen(
        [aimem_exe(), *args, "--project", NAME],
        env=mem.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(mem.rng.uniform(low * mem.run_time, high * mem.run_time))
    proc.send_signal(signal.SIGKILL)  # our own child, by its handle
    _, err = proc.communicate(timeout=120)
    if proc.returncode == -signal.SIGKILL:
        mem.kills["timed"] += 1
        return True
    assert proc.returncode == 0, err.decode(errors="replace")
    return False


def crash_loop(mem: Memory, step, check) -> None:  # noqa: ANN001 - callables
    """``step(i)`` prepares work and makes one killed attempt; ``check(i)`` re-runs cleanly and
    checks. Until ``KILLS`` kills happened."""
    attempts = 0
    while sum(mem.kills.values()) < KILLS:
        attempts += 1
        assert attempts <= 4 * KILLS, f"only {sum(mem.kills.values())} kills in {attempts} runs"
        step(attempts)
        if mem.rng.random() < STALE_LOCK_SHARE:
            lock = mem.rng.choice(["index.lock", "refs/heads/main.lock", "HEAD.lock"])
            Path(mem.paths.wiki, ".git", lock).write_bytes(b"")
        check(attempts)
    print(f"\n{sum(mem.kills.values())} kills in {attempts} runs: {dict(mem.kills)}")


# --- what must hold after every crash ---------------------------------------------------------


def git(wiki: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", wiki, *args], capture_output=True, text=True)


def head_pages(repo: pygit2.Repository) -> dict[str, dict]:
    head = wikirepo.head_commit(repo)
    if head is None:
        return {}
    tree = repo[head].peel(pygit2.Commit).tree
    return {
        rel: parse(repo[blob].data.decode("utf-8", "replace"), rel).meta
        for rel, blob in wikirepo.iter_tree(repo, tree)
        if rel.endswith(".md")
    }


def commits_touching(repo: pygit2.Repository) -> tuple[Counter, list[str]]:
    """How many commits changed each path, and every commit message, oldest first."""
    touched: Counter = Counter()
    messages = []
    for commit in repo.walk(wikirepo.head_commit(repo), pygit2.enums.SortMode.REVERSE):
        parent = str(commit.parents[0].id) if commit.parents else None
        for change in wikirepo.changed_paths(repo, parent, str(commit.id)):
            touched[change.path] += 1
        messages.append(commit.message)
    return touched, messages


def index_rows(db: str) -> tuple[list, list, str | None]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        pages = conn.execute(
            "SELECT path, title, type, tags, created, updated, salience, pinned, status,"
            " updated_day, weight FROM pages ORDER BY path"
        ).fetchall()
        texts = conn.execute(
            "SELECT p.path, f.title, f.tags, f.body, f.idents FROM pages AS p"
            " JOIN pages_fts AS f ON f.rowid = p.id ORDER BY p.path"
        ).fetchall()
        last = conn.execute("SELECT value FROM meta WHERE key = 'last_commit'").fetchone()
    finally:
        conn.close()
    return pages, texts, last[0] if last else None


def check_store(mem: Memory, tmp: Path) -> pygit2.Repository:
    """What every operation must leave, whatever was killed before it."""
    wiki = mem.paths.wiki
    fsck = git(wiki, "fsck", "--no-dangling", "--no-progress")
    assert fsck.returncode == 0 and not fsck.stdout.strip(), fsck.stdout + fsck.stderr
    repo = wikirepo.open_repo(wiki, create=False)
    gitdir = Path(repo.path)
    assert [p.name for p in gitdir.rglob("*.lock")] == []
    assert not (gitdir / wikirepo.JOURNAL).exists()
    assert list((gitdir / wikirepo.TMP_DIR).glob("*")) == []
    assert [p for p in Path(wiki).rglob("*.tmp") if ".git" not in p.parts] == []
    assert list(Path(mem.paths.state).glob("*.tmp")) == []
    status = git(wiki, "status", "--porcelain", "--untracked-files=all")
    assert status.stdout == "", status.stdout
    fresh = tmp / f"fresh-{time.monotonic_ns()}.sqlite"
    sync_index(str(fresh), wiki, full=True)
    live = index_rows(mem.paths.index)
    assert live == index_rows(str(fresh))
    assert live[2] == wikirepo.head_commit(repo)
    fresh.unlink()
    return repo


def rerun(mem: Memory, attempt: int, library, *cli: str) -> None:  # noqa: ANN001
    if attempt % CLI_EVERY == 0:
        done = aimem(mem, *cli)
        assert done.returncode == 0, done.stderr
    else:
        library()


# --- consolidate ------------------------------------------------------------------------------


def add_session(mem: Memory, n: int) -> None:
    """A finished session written to the journal the way hooks write it. Every third one
    shares its short id with another (``edit-sess-0007`` and ``open-sess-0007``)."""
    prefix = ("edit", "open", "fix")[n % 3]
    session = f"{prefix}-sess-{n // 3:04d}"
    cwd = "/work/proj"

    def add(kind: str, **fields: object) -> None:
        key = f"{kind}-{time.monotonic_ns()}"
        record = build("claude-code", kind, Observed(kind, session, cwd, fields, key=key), NAME)
        assert append_line(mem.paths.journal(session), encode(record), record["id"])

    add("session_start", source="startup")
    add("prompt", text=f"Task {n}: make the parser handle case {n}")
    add("tool_use", tool="Bash", input=f"pytest -q -k case{n}")
    add("tool_result", tool="Bash", input=f"pytest -q -k case{n}", output="1 passed")
    add("stop", message=f"Case {n} handled. Next steps:\n- case {n + 1}")
    add("session_end", reason="exit")
    state.update_session(mem.paths.state, session, agent="claude-code", status="ended")
    mem.sessions.append(session)


def check_consolidated(mem: Memory, tmp: Path) -> None:
    repo = check_store(mem, tmp)
    pages = head_pages(repo)
    touched, messages = commits_touching(repo)
    for session in mem.sessions:
        own = [
            p for p, m in pages.items() if p.startswith("sessions/") and m.get("session") == session
        ]
        assert len(own) == 1, (session, own)
        assert touched[own[0]] == 1, (session, own[0], touched[own[0]])
        handoffs = [
            p
            for p, m in pages.items()
            if p.startswith("handoffs/") and m.get("from_session") == session
        ]
        assert len(handoffs) == 1, (session, handoffs)
        assert state.sessions(mem.paths.state)[session]["status"] == "consolidated"
    assert sum(m.startswith("consolidate:") for m in messages) == len(mem.sessions)
    offered = [
        p for p, m in pages.items() if p.startswith("handoffs/") and m.get("status") == "offered"
    ]
    assert len(offered) == 1, offered
    offer = state.read_json(state.handoff_path(mem.paths.state))
    assert (offer.get("path"), offer.get("status")) == (offered[0], "offered")


def test_consolidate_survives_sigkill_anywhere(memory: Memory, tmp_path: Path) -> None:
    mem = memory
    add_session(mem, 0)
    measure(mem, "consolidate")
    n = 1

    def step(attempt: int) -> None:
        nonlocal n
        for _ in range(2):
            add_session(mem, n)
            n += 1
        kill_once(mem, ["consolidate"], CONSOLIDATE_POINTS, commits=2)

    def check(attempt: int) -> None:
        rerun(mem, attempt, lambda: consolidate_pending(mem.paths, NAME), "consolidate")
        check_consolidated(mem, tmp_path)

    crash_loop(mem, step, check)


# --- reindex ----------------------------------------------------------------------------------


def test_reindex_survives_sigkill_anywhere(memory: Memory, tmp_path: Path) -> None:
    mem = memory
    # Enough pages that a full rebuild takes a good part of the run, made in one commit.
    pages = [
        Page(
            f"concepts/concept-{i}.md",
            {"title": f"Concept {i}", "type": "concept", "salience": 0.6},
            f"# Concept {i}\n\n" + f"About parse_config_{i} and WAL mode {i}.\n" * 20,
        )
        for i in range(120)
    ]
    repo = wikirepo.open_repo(mem.paths.wiki)
    with wiki_lock(mem.paths.state):
        wikirepo.commit_files(repo, {p.path: render(p).encode() for p in pages}, "concepts")
    measure(mem, "reindex", "--full")

    def step(attempt: int) -> None:
        # A change for the incremental kind to apply, and sometimes a rebuild from scratch.
        write_page(mem.paths, NAME, PageWrite("gotcha", f"Gotcha {attempt}", f"Body {attempt}."))
        args = ["reindex", "--full"] if attempt % 2 else ["reindex"]
        if mem.rng.random() < 0.5:
            os.remove(mem.paths.index)  # the next run rebuilds; the one after diffs
        # No kill point inside the index sync (one SQLite transaction): every kill is timed,
        # aimed past Python's start-up, at the part of the run that writes the index.
        timed_kill(mem, args, 0.3, 0.95)

    def check(attempt: int) -> None:
        def library() -> None:
            with wiki_lock(mem.paths.state):
                sync_index(mem.paths.index, mem.paths.wiki)

        rerun(mem, attempt, library, "reindex")
        check_store(mem, tmp_path)

    crash_loop(mem, step, check)


# --- sweep ------------------------------------------------------------------------------------


def test_sweep_survives_sigkill_anywhere(memory: Memory, tmp_path: Path) -> None:
    mem = memory
    long_ago = time.time() - 200 * DAY
    fading: list[str] = []

    def add_fading(count: int) -> None:
        for _ in range(count):
            i = len(fading)
            done = write_page(
                mem.paths,
                NAME,
                PageWrite("concept", f"Faded idea {i}", f"Nobody read this {i}.", salience=0.3),
                now=long_ago,
            )
            fading.append(done.path)

    write_page(mem.paths, NAME, PageWrite("rule", "Keep it", "Rules never fade.", salience=0.3))
    add_fading(2)
    measure(mem, "sweep")

    def step(attempt: int) -> None:
        add_fading(mem.rng.randint(1, 3))
        kill_once(mem, ["sweep"], COMMIT_POINTS)

    def check(attempt: int) -> None:
        rerun(mem, attempt, lambda: sweep(mem.paths, NAME), "sweep")
        repo = check_store(mem, tmp_path)
        pages = head_pages(repo)
        touched, messages = commits_touching(repo)
        archived_lines = Counter(
            line.split()[2]
            for m in messages
            if m.startswith("sweep:")
            for line in m.splitlines()
            if line.startswith("sweep archived ")
        )
        for path in fading:
            assert path not in pages, path
            assert ARCHIVE_DIR + path in pages, path
            assert touched[ARCHIVE_DIR + path] == 1, path
            assert archived_lines[path] == 1, (path, archived_lines[path])
        assert "_rules/keep-it.md" in pages

    crash_loop(mem, step, check)


# --- write-page -------------------------------------------------------------------------------


def test_write_page_survives_sigkill_anywhere(memory: Memory, tmp_path: Path) -> None:
    mem = memory
    measure(mem, "write-page", "-t", "decision", "--title", "First", "--body", "One.")
    mem.written.append("decisions/first.md")

    def step(attempt: int) -> None:
        title = f"Decision {attempt}"
        args = ["write-page", "-t", "decision", "--title", title, "--body", f"Because {attempt}."]
        kill_once(mem, args, COMMIT_POINTS)

    def check(attempt: int) -> None:
        title = f"Decision {attempt}"

        def library() -> None:
            with contextlib.suppress(PageExists):  # the killed run got its commit in
                write_page(mem.paths, NAME, PageWrite("decision", title, f"Because {attempt}."))

        cli = ["write-page", "-t", "decision", "--title", title, "--body", f"Because {attempt}."]
        if attempt % CLI_EVERY == 0:
            done = aimem(mem, *cli)
            assert done.returncode == 0 or "already exists" in done.stderr, done.stderr
        else:
            library()
        mem.written.append(f"decisions/decision-{attempt}.md")
        repo = check_store(mem, tmp_path)
        pages = head_pages(repo)
        _, messages = commits_touching(repo)
        created = Counter(m.split()[3] for m in messages if m.startswith("write-page: created"))
        for path in mem.written:
            assert path in pages, path
            assert created[path] == 1, (path, created[path])

    crash_loop(mem, step, check)
