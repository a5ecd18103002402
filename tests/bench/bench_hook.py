"""``make bench``: what the hook costs an agent, and what consolidation costs at session end.

Prints, measured in the same run on the same machine:
- the median wall time of ``aimem hook claude-code PostToolUse`` (a real payload, a new
  tool-use id each run so every call really appends) against the median of a bare
  ``python -c pass`` from the same venv, taken in alternating pairs so drift cancels out;
- the time to consolidate a 1,000-observation session, in-process and as a whole CLI process.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from replay import aimem_exe, clean_env, payload, retarget  # noqa: E402

RUNS = int(os.environ.get("AIMEM_BENCH_RUNS", "40"))


def timed(cmd: list[str], stdin_path: str | None, env: dict) -> float:
    with open(stdin_path or os.devnull, "rb") as stdin:
        started = time.perf_counter()
        subprocess.run(cmd, stdin=stdin, stdout=subprocess.DEVNULL, env=env, check=True)
        return time.perf_counter() - started


def bench_hook(root: Path, env: dict) -> dict:
    project = root / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    session = "bench-0000-4000-8000-000000000001"
    payloads = []
    for i in range(RUNS + 1):
        p = retarget(payload("claude-code", "PostToolUse"), cwd=str(project), session=session)
        p["tool_use_id"] = f"toolu_bench_{i:05d}"
        path = root / f"p{i}.json"
        path.write_text(json.dumps(p))
        payloads.append(str(path))
    hook = [aimem_exe(), "hook", "claude-code", "PostToolUse"]
    bare = [sys.executable, "-c", "pass"]
    # What a hook that imports the json module pays (aimem's parses with _json directly).
    json_import = [sys.executable, "-c", "import json"]
    timed(hook, payloads[-1], env)  # warm-up (creates the project folder)
    timed(bare, None, env)
    hook_t, bare_t, json_t, ratios = [], [], [], []
    for i in range(RUNS):
        b = timed(bare, payloads[i], env)
        h = timed(hook, payloads[i], env)
        json_t.append(timed(json_import, payloads[i], env))
        hook_t.append(h)
        bare_t.append(b)
        ratios.append(h / b)
    lines = list((root / "data").glob("projects/*/raw/*.jsonl"))[0].read_bytes().splitlines()
    assert len(lines) == RUNS + 1, f"expected {RUNS + 1} journal lines, found {len(lines)}"
    return {
        "hook_ms": statistics.median(hook_t) * 1000,
        "bare_ms": statistics.median(bare_t) * 1000,
        "json_ms": statistics.median(json_t) * 1000,
        "ratio_of_medians": statistics.median(hook_t) / statistics.median(bare_t),
        "median_pair_ratio": statistics.median(ratios),
    }


def make_session(journal: Path, n: int, cwd: str) -> None:
    from aimem.capture import observation
    from aimem.capture.observation import Observed

    session = journal.stem
    t0 = time.time() - n
    lines = []
    for i in range(n):
        if i == 0:
            obs = Observed("session_start", session, cwd, {"source": "startup"}, "start")
        elif i % 20 == 1:
            text = f"Step {i}: change module_{i % 37}.py to handle retries and timeouts"
            obs = Observed("prompt", session, cwd, {"text": text}, f"p{i}")
        elif i % 20 == 19:
            obs = Observed("stop", session, cwd, {"message": f"Finished step {i}. Next?"}, f"s{i}")
        elif i % 7 == 0:
            fields = {"tool": "Bash", "input": f"pytest tests/test_{i}.py", "error": "Exit code 1"}
            obs = Observed("tool_error", session, cwd, fields, f"t{i}")
        else:
            fields = {
                "tool": "Edit",
                "input": f"src/module_{i % 37}.py",
                "files": [f"{cwd}/src/module_{i % 37}.py"],
                "output": "ok " * 50,
            }
            obs = Observed("tool_result", session, cwd, fields, f"t{i}")
        record = observation.build("claude-code", "X", obs, "bench", ts=t0 + i)
        lines.append(observation.encode(record))
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_bytes(b"".join(lines))


def bench_consolidate(root: Path, env: dict, n: int = 1000) -> dict:
    from aimem.consolidate.run import consolidate_session
    from aimem.project import paths_for

    home = root / "data"
    paths = paths_for(str(home), "bench-consolidate-00000000")
    make_session(Path(paths.journal("in-process-session")), n, str(root / "proj"))
    started = time.perf_counter()
    result = consolidate_session(paths, "bench", "in-process-session")
    in_process = time.perf_counter() - started
    assert result.status == "committed", result

    make_session(Path(paths.journal("cli-session")), n, str(root / "proj"))
    cmd = [
        aimem_exe(),
        "consolidate",
        "--project",
        "bench-consolidate-00000000",
        "--session",
        "cli-session",
    ]
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    whole = time.perf_counter() - started
    return {"observations": n, "in_process_ms": in_process * 1000, "cli_ms": whole * 1000}


def main() -> int:
    # As an installed package would be: bytecode compiled ahead (see the Makefile's install).
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parents[2] / "aimem"), quiet=1)
    root = Path(tempfile.mkdtemp(prefix="aimem-bench-"))
    env = clean_env(str(root / "data"), AIMEM_CONFIG=str(root / "none.toml"))
    os.environ.update({"AIMEM_HOME": env["AIMEM_HOME"], "AIMEM_CONFIG": env["AIMEM_CONFIG"]})
    hook = bench_hook(root, env)
    cons = bench_consolidate(root, env)
    print(
        f"aimem benchmark ({RUNS} paired runs, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]})"
    )
    print(f"  bare `python -c pass` (same venv)        median {hook['bare_ms']:7.1f} ms")
    print(
        f"  `python -c 'import json'` (for comparison) median {hook['json_ms']:7.1f} ms  "
        f"({hook['json_ms'] / hook['bare_ms']:.2f}x bare)"
    )
    print(f"  `aimem hook claude-code PostToolUse`     median {hook['hook_ms']:7.1f} ms")
    print(
        f"  hook / bare python: ratio of medians {hook['ratio_of_medians']:.2f}, "
        f"median of paired ratios {hook['median_pair_ratio']:.2f}  (target <= 2.0)"
    )
    print(
        f"  consolidate a {cons['observations']:,}-observation session: "
        f"{cons['in_process_ms']:.0f} ms in-process, {cons['cli_ms']:.0f} ms as `aimem "
        "consolidate` (whole process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
