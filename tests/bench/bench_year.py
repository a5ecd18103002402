"""``make bench``: a year of use. What 3,000 sessions (ten a day for ten months) leave behind.

Each session is what an agent really sends, through the real hook code: a SessionStart, a prompt,
three tool calls (PreToolUse + PostToolUse), a Stop and a SessionEnd, each handled by
``aimem.capture.hook.run`` in this process (the same function ``aimem hook`` runs, minus the
~30 ms interpreter start that the hook benchmark measures; 27,000 processes would take too
long). The clock is faked so the sessions spread over ten months. Where SessionEnd would start a
detached ``aimem consolidate`` process, the session is consolidated in-process right away with
the real ``consolidate_session`` (the child process adds only its import time), and timed.

Prints: the wiki's ``.git`` size against ``git gc`` of a copy (target <= 3x), consolidation time
of the last 100 sessions against sessions 20-120 (target <= 1.5x; also in CPU time, which other
work on a shared machine does not inflate), the raw journal size and the wall time.
``AIMEM_BENCH_SESSIONS`` changes the number of sessions.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from replay import payload, retarget  # noqa: E402

START = 1767600000.0  # 2026-01-05 08:00 UTC, a Monday
DAY = 86400.0
WORDS = (
    "retry",
    "timeout",
    "parser",
    "config",
    "cache",
    "index",
    "migration",
    "login",
    "session",
    "token",
    "queue",
    "worker",
    "schema",
    "deploy",
    "metrics",
    "logging",
    "billing",
    "invoice",
    "export",
    "import",
    "search",
    "ranking",
    "upload",
)


class Clock:
    """A fake ``time.time``: the bench moves it forward event by event."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Year:
    """What a simulated stretch of use left behind."""

    sessions: int = 0
    consolidate_s: list[float] = field(default_factory=list)
    consolidate_cpu_s: list[float] = field(default_factory=list)  # this process's CPU time
    statuses: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0


def session_events(rng: random.Random, cwd: str, session: str, n: int) -> list[tuple[str, dict]]:
    """One small, realistic Claude Code session: its hook events and their payloads."""
    topic = rng.sample(WORDS, 3)
    prompt = f"Session {n}: fix the {topic[0]} {topic[1]} so the {topic[2]} tests pass"
    events = [
        (
            "SessionStart",
            retarget(payload("claude-code", "SessionStart"), cwd=cwd, session=session),
        ),
        (
            "UserPromptSubmit",
            retarget(
                payload("claude-code", "UserPromptSubmit"), cwd=cwd, session=session, prompt=prompt
            ),
        ),
    ]
    for k in range(3):
        module = f"src/{topic[k]}/{rng.choice(WORDS)}_{rng.randrange(40)}.py"
        tool_input = {"command": f"pytest -q tests/test_{topic[k]}.py", "description": module}
        for event in ("PreToolUse", "PostToolUse"):
            p = retarget(payload("claude-code", event), cwd=cwd, session=session)
            p["tool_use_id"] = f"toolu_{session[:8]}_{k}"
            p["tool_input"] = tool_input
            if event == "PostToolUse":
                p["tool_response"] = {
                    "stdout": f"{rng.randrange(1, 90)} passed in 0.{rng.randrange(10, 99)}s",
                    "stderr": "",
                    "interrupted": False,
                }
            events.append((event, p))
    stop = retarget(payload("claude-code", "Stop"), cwd=cwd, session=session)
    stop["last_assistant_message"] = (
        f"Done: the {topic[0]} {topic[1]} handles the {topic[2]} case. Next steps:\n"
        f"- add a test for {topic[1]}\n- check {rng.choice(WORDS)} in staging"
    )
    events += [
        ("Stop", stop),
        ("SessionEnd", retarget(payload("claude-code", "SessionEnd"), cwd=cwd, session=session)),
    ]
    return events


def simulate(
    root: Path,
    sessions: int,
    per_day: int = 10,
    seed: int = 2026,
    after_each: Callable[[int], None] | None = None,
) -> Year:
    """Run ``sessions`` sessions through the hook and consolidation code under ``root``
    (data root ``root/data``, project ``root/proj``). Patches ``time.time`` and the hook's
    consolidation spawn for its duration; ``after_each(i)`` runs after session ``i``."""
    from aimem.capture import hook
    from aimem.config import load_settings
    from aimem.consolidate.run import consolidate_session
    from aimem.project import paths_for, resolve_project

    project_dir = root / "proj"
    project_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(project_dir)], check=True)
    env = {"AIMEM_HOME": str(root / "data"), "AIMEM_CONFIG": str(root / "none.toml")}
    settings = load_settings(env)
    project = resolve_project(str(project_dir), env)
    assert project is not None
    paths = paths_for(settings.home, project.slug)
    rng = random.Random(seed)
    clock = Clock(START)
    ended: list[str] = []
    real_time, real_spawn = time.time, hook._spawn_consolidate
    time.time = clock  # every module calls time.time() through the module: one place to fake
    hook._spawn_consolidate = lambda home, slug, session: ended.append(session)
    year = Year()
    started = time.perf_counter()
    try:
        for n in range(sessions):
            day, slot = divmod(n, per_day)
            clock.now = START + day * DAY + slot * 2700 + rng.randrange(600)
            session = f"{rng.getrandbits(32):08x}-{n:04x}-4000-8000-{rng.getrandbits(48):012x}"
            for event, data in session_events(rng, str(project_dir), session, n):
                clock.now += rng.randrange(20, 120)
                out = io.StringIO()
                raw = io.BytesIO(json.dumps(data).encode())
                outcome = hook.run("claude-code", event, raw, out, settings)
                assert outcome == "recorded", (event, outcome)
            assert ended[-1:] == [session], "SessionEnd did not ask for a consolidation"
            t0, c0 = time.perf_counter(), time.process_time()
            result = consolidate_session(paths, project.name, session)
            year.consolidate_s.append(time.perf_counter() - t0)
            year.consolidate_cpu_s.append(time.process_time() - c0)
            year.statuses[result.status] = year.statuses.get(result.status, 0) + 1
            year.sessions += 1
            if after_each is not None:
                after_each(n)
    finally:
        time.time, hook._spawn_consolidate = real_time, real_spawn
    year.wall_s = time.perf_counter() - started
    return year


def tree_bytes(path: Path) -> int:
    """Apparent size of every file under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def gc_copy_bytes(git_dir: Path, scratch: Path, fresh: bool = False) -> int:
    """Size of a copy of ``git_dir`` after a plain ``git gc``; with ``fresh``, after
    ``git repack -a -d -f`` first, so git searches every delta itself instead of reusing the
    ones in aimem's packs (what ``git gc`` makes of a store of loose objects)."""
    copy = scratch / "gc-copy.git"
    shutil.copytree(git_dir, copy)
    git = ["git", "--git-dir", str(copy)]
    if fresh:
        subprocess.run([*git, "repack", "-a", "-d", "-f", "-q"], check=True)
    subprocess.run([*git, "gc", "-q"], check=True)
    size = tree_bytes(copy)
    shutil.rmtree(copy)
    return size


def early_late(times: list[float]) -> tuple[float, float]:
    """Medians of sessions 20-120 and of the last 100."""
    early = statistics.median(times[20:120]) if len(times) >= 120 else float("nan")
    return early, statistics.median(times[-100:])


def main() -> int:
    n = int(os.environ.get("AIMEM_BENCH_SESSIONS", "3000"))
    root = Path(tempfile.mkdtemp(prefix="aimem-bench-year-"))
    try:
        year = simulate(root, n)
        data = root / "data"
        wiki_git = next(data.glob("projects/*/wiki/.git"))
        raw = next(data.glob("projects/*/raw"))
        git_size = tree_bytes(wiki_git)
        gc_size = gc_copy_bytes(wiki_git, root)
        fresh_size = gc_copy_bytes(wiki_git, root, fresh=True)
        early, late = early_late(year.consolidate_s)
        cpu_early, cpu_late = early_late(year.consolidate_cpu_s)
        mib = 1 << 20
        print(f"aimem year of use ({n:,} sessions, ten a day; hook and consolidation in-process)")
        print(f"  consolidations: {year.statuses}")
        print(
            f"  wiki .git: {git_size / mib:.1f} MiB; a copy after `git repack -adf` + `git gc` "
            f"(every delta searched anew): {fresh_size / mib:.1f} MiB "
            f"({git_size / fresh_size:.2f}x, target <= 3x); after `git gc` alone "
            f"(reuses aimem's deltas): {gc_size / mib:.1f} MiB ({git_size / gc_size:.2f}x)"
        )
        print(
            f"  consolidation median: sessions 20-120 {early * 1000:.1f} ms, last 100 "
            f"{late * 1000:.1f} ms ({late / early:.2f}x, target <= 1.5x)"
        )
        print(
            f"  the same in CPU time (what other work on the machine does not change): "
            f"{cpu_early * 1000:.1f} -> {cpu_late * 1000:.1f} ms ({cpu_late / cpu_early:.2f}x)"
        )
        import pygit2

        from aimem.wiki.pack import store_stats

        stats = store_stats(pygit2.Repository(str(wiki_git)))
        print(
            f"  object store: {stats.packs} pack(s) {stats.pack_bytes / mib:.1f} MiB, "
            f"{stats.loose} loose objects {stats.loose_bytes / mib:.1f} MiB"
        )
        print(f"  raw journal: {tree_bytes(raw) / mib:.1f} MiB")
        print(f"  wall time: {year.wall_s:.0f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
