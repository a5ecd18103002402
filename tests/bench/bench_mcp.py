"""``make bench``: what the MCP server costs an agent.

Prints, measured in the same run on the same machine:
- cold start: spawn ``aimem mcp``, ``initialize``, first ``tools/list`` answered (what an agent
  waits for), beside the same server started through the typer app and a bare
  ``python -c 'import mcp.server.mcpserver'`` (the floor: the mcp package's own import), taken
  in alternating rounds so drift on a busy machine hits all three alike;
- ``memory_query`` on a generated 10,000-page wiki: the median round trip through the real
  ``mcp`` client over stdio, beside the same queries answered in-process by ``fts.search`` and
  by a bare SQLite FTS5 ``MATCH ... ORDER BY rank`` on the same index file.

Environment: AIMEM_BENCH_PAGES (10000), AIMEM_BENCH_STARTS (7), AIMEM_BENCH_QUERIES (40 distinct
queries, each asked AIMEM_BENCH_REPEAT=3 times).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from replay import aimem_exe, clean_env  # noqa: E402

PAGES = int(os.environ.get("AIMEM_BENCH_PAGES", "10000"))
STARTS = int(os.environ.get("AIMEM_BENCH_STARTS", "7"))
QUERIES = int(os.environ.get("AIMEM_BENCH_QUERIES", "40"))
REPEAT = int(os.environ.get("AIMEM_BENCH_REPEAT", "3"))
LIMIT = 8
MIX = [  # (type, folder, share of the pages): session logs dominate a real wiki
    ("session", "sessions", 0.60),
    ("handoff", "handoffs", 0.10),
    ("decision", "decisions", 0.10),
    ("gotcha", "gotchas", 0.08),
    ("concept", "concepts", 0.10),
    ("rule", "_rules", 0.02),
]


# --- a 10,000-page wiki --------------------------------------------------------------------------


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def build_wiki(root: Path) -> tuple[object, list[str]]:
    """Pages with front matter in month/type folders, committed once, then indexed."""
    from aimem.index.sync import sync_index
    from aimem.project import ProjectPaths
    from aimem.wiki import repo as wikirepo

    rng = random.Random(20261123)
    words = vocabulary(rng)
    weights = [1.0 / (rank + 1) for rank in range(len(words))]  # Zipf: a few very common words
    tags = words[:60]
    paths = ProjectPaths(str(root / "data" / "projects" / "bench-00000000"))
    changes: dict[str, bytes] = {}
    kinds = [k for k, _, share in MIX for _ in range(round(share * 100))]
    for i in range(PAGES):
        kind = kinds[i % len(kinds)]
        folder = dict((k, f) for k, f, _ in MIX)[kind]
        month = f"2026-{1 + i % 12:02d}"
        title = " ".join(rng.choices(words, weights, k=rng.randint(4, 7))).capitalize()
        body = " ".join(rng.choices(words, weights, k=rng.randint(150, 250)))
        if i % 7 == 0 and changes:
            body += f"\n\nSee [[{rng.choice(list(changes))[:-3]}]]."
        page_tags = rng.sample(tags, rng.randint(1, 3))
        meta = (
            f"---\ntitle: {title}\ntype: {kind}\ncreated: '{month}-01T00:00:00Z'\n"
            f"updated: '{month}-{1 + i % 28:02d}T00:00:00Z'\ntags: [{', '.join(page_tags)}]\n"
            f"salience: 0.5\npinned: false\nsources: [bench-{i % 800:04d}]\nstatus: active\n---\n"
        )
        shard = f"{folder}/{month}" if kind in ("session", "handoff") else f"{folder}/{i % 20:02d}"
        changes[f"{shard}/page-{i:05d}.md"] = (meta + f"# {title}\n\n{body}\n").encode()
    started = time.perf_counter()
    repo = wikirepo.open_repo(paths.wiki)
    wikirepo.commit_files(repo, changes, f"bench: {PAGES} pages")
    committed = time.perf_counter() - started
    result = sync_index(paths.index, paths.wiki, full=True)
    indexed = time.perf_counter() - started - committed
    print(f"wiki: {result.added} pages committed in {committed:.1f} s, indexed in {indexed:.1f} s")
    return paths, words


def pick_queries(words: list[str]) -> list[str]:
    """Rare, middling and common words, alone and in pairs, as agents ask."""
    rng = random.Random(7)
    out: list[str] = []
    bands = [(2, 30), (30, 300), (300, 3000)]  # common, middling, rare ranks
    while len(out) < QUERIES:
        low, high = bands[len(out) % 3]
        first = words[rng.randrange(low, high)]
        out.append(first if len(out) % 2 else f"{first} {words[rng.randrange(30, 3000)]}")
    return out


# --- cold start ----------------------------------------------------------------------------------

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "0"},
    },
}
TAIL = [
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]
VIA_TYPER = (
    "import sys; sys.argv = ['aimem', 'mcp']; from aimem.cli.app import run; sys.exit(run())"
)


def first_tools_list(cmd: list[str], env: dict, cwd: str) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((json.dumps(INIT) + "\n").encode())
    proc.stdin.flush()
    proc.stdout.readline()
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in TAIL).encode())
    proc.stdin.flush()
    reply = json.loads(proc.stdout.readline())
    elapsed = time.perf_counter() - started
    assert len(reply["result"]["tools"]) == 9, reply
    proc.stdin.close()
    proc.wait(timeout=30)
    return elapsed


def import_floor(env: dict) -> float:
    started = time.perf_counter()
    # os._exit: the clock stops at "imported", as it stops at "answered" for the server.
    code = "import os, mcp.server.mcpserver; os._exit(0)"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - started


def bench_cold_start(env: dict, cwd: str) -> dict[str, list[float]]:
    runs: dict[str, list[float]] = {"aimem mcp": [], "via typer app": [], "import mcp only": []}
    first_tools_list([aimem_exe(), "mcp"], env, cwd)  # warm the OS cache
    for _ in range(STARTS):
        runs["aimem mcp"].append(first_tools_list([aimem_exe(), "mcp"], env, cwd))
        runs["via typer app"].append(first_tools_list([sys.executable, "-c", VIA_TYPER], env, cwd))
        runs["import mcp only"].append(import_floor(env))
    return runs


# --- query latency -------------------------------------------------------------------------------


def bench_mcp_queries(env: dict, cwd: str, queries: list[str]) -> list[float]:
    import anyio
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=aimem_exe(), args=["mcp"], env=env, cwd=cwd)
    times: list[float] = []

    async def run() -> None:
        async with Client(params, mode="legacy") as client:
            first = await client.call_tool("memory_query", {"query": queries[0], "limit": LIMIT})
            assert not first.is_error, first.content
            for _ in range(REPEAT):
                for q in queries:
                    started = time.perf_counter()
                    res = await client.call_tool("memory_query", {"query": q, "limit": LIMIT})
                    times.append(time.perf_counter() - started)
                    assert not res.is_error and res.structured_content["results"], q

    anyio.run(run)
    return times


def bench_direct(index: str, queries: list[str]) -> tuple[list[float], list[float]]:
    from aimem.index import fts

    conn = fts.connect(index)
    search_t, raw_t = [], []
    raw_sql = "SELECT rowid FROM pages_fts WHERE pages_fts MATCH ? ORDER BY rank LIMIT ?"
    try:
        for _ in range(REPEAT):
            for q in queries:
                started = time.perf_counter()
                hits = fts.search(conn, q, limit=LIMIT)
                search_t.append(time.perf_counter() - started)
                assert hits, q
                match = " ".join(f'"{t}"' for t in q.split())  # all terms, as search tries first
                started = time.perf_counter()
                conn.execute(raw_sql, (match, LIMIT)).fetchall()  # may be empty: no OR pass
                raw_t.append(time.perf_counter() - started)
    finally:
        conn.close()
    return search_t, raw_t


# --- report --------------------------------------------------------------------------------------


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f}"


def p90(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{ordered[int(0.9 * (len(ordered) - 1))] * 1000:8.1f}"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="aimem-bench-mcp-") as tmp:
        root = Path(tmp)
        project = root / "proj"
        project.mkdir()
        env = clean_env(str(root / "data"), AIMEM_PROJECT="bench", AIMEM_CONFIG=str(root / "x"))
        from aimem.project import slugify

        slug = slugify("bench", "name:bench")
        os.makedirs(root / "data" / "projects")
        paths, words = build_wiki(root)
        os.rename(paths.base, root / "data" / "projects" / slug)  # AIMEM_PROJECT's folder
        index = str(root / "data" / "projects" / slug / "index.sqlite")
        queries = pick_queries(words)

        print(f"cold start to first tools/list ({STARTS} rounds, alternating)...")
        starts = bench_cold_start(env, str(project))
        print(f"memory_query: {len(queries)} queries x {REPEAT} on {PAGES} pages...")
        over_mcp = bench_mcp_queries(env, str(project), queries)
        search_t, raw_t = bench_direct(index, queries)

    print()
    print(f"{'cold start':44} {'median ms':>9} {'p90 ms':>8}")
    for name, values in starts.items():
        label = {
            "aimem mcp": "aimem mcp -> initialize -> tools/list",
            "via typer app": "same, through the typer app",
            "import mcp only": "python -c 'import mcp.server.mcpserver'",
        }[name]
        print(f"{label:44} {ms(values):>9} {p90(values):>8}")
    print()
    print(f"{f'query, {PAGES} pages, limit {LIMIT}':44} {'median ms':>9} {'p90 ms':>8}")
    print(f"{'memory_query over stdio (mcp client)':44} {ms(over_mcp):>9} {p90(over_mcp):>8}")
    print(f"{'fts.search in-process (same index)':44} {ms(search_t):>9} {p90(search_t):>8}")
    print(f"{'SQLite FTS5 MATCH ORDER BY rank (same)':44} {ms(raw_t):>9} {p90(raw_t):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
