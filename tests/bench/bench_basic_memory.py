"""Optional: basic-memory beside aimem on the retrieval corpus of ``tests/eval``.

Runs basic-memory (PyPI ``basic-memory``, Basic Machines) on the same pages and graded queries as
``tests/eval/run_eval.py`` and prints, for both: indexing time, hit@1, hit@5, MRR (reciprocal rank
of the first relevant page within the top 10, 0 beyond) and median/p95 latency of one search.

basic-memory lives in its own venv, ``.bench/basic-memory-venv`` (created on first run, reused
after; ``BASIC_MEMORY_VERSION`` is pinned). Every release needs Python >= 3.12, so the venv is made
with ``-m venv`` by the first Python >= 3.12 found (``AIMEM_BENCH_BM_PYTHON``, ``python3.12``,
``python3.13``, pyenv's versions), not the 3.11 ``python3``. 0.24.x does not install here
(fastmcp 4.1.3 wants a certifi newer than the registry serves); 0.23.2 is the newest that does.
basic-memory is never imported into this process: a child run by the venv's python does all of it.

How basic-memory is driven (in that child, one asyncio loop, nothing but local files):

- the pages are written as they are (front matter and all) into a temporary folder, which is the
  ``main`` project (``BASIC_MEMORY_HOME``); config, SQLite database and logs go to a temporary
  ``BASIC_MEMORY_CONFIG_DIR`` and ``HOME``, so the user's own basic-memory is never touched;
- semantic search is off (``BASIC_MEMORY_SEMANTIC_SEARCH_ENABLED=false``, search type ``text``,
  no reranker, ``HF_HUB_OFFLINE=1``): its FastEmbed model would be downloaded from a hub, and
  the child reports whether fastembed or onnxruntime got imported at all;
- indexing: the coroutine behind ``basic-memory reindex --search --full`` (``cli.commands.db.
  _reindex``), timed alone: database creation and migrations run before the clock starts;
- search: the ``search_notes`` MCP tool function, called in-process with ``search_type="text"``,
  ``page_size=10`` (what ``basic-memory tool search-notes`` and an agent's MCP call run, minus the
  process start and the MCP transport): strict implicit-AND FTS5 first, then an OR of the
  non-stopword terms only if that finds nothing. Each query once after one warm-up call; the
  ``SearchService.search`` row times the service under the tool (no in-process HTTP hop, no
  count query) on the same queries.

Mapping results back to corpus paths: each result's ``file_path`` is the note's path relative to
the project folder, which is exactly the corpus path. Permalinks are not: basic-memory prefixes the
project (``main/``), drops ``.md`` and slugifies, so ``_rules/x.md`` becomes ``main/rules/x``, and
it writes that permalink into each copied file's front matter. The run checks the mapping: every
returned ``file_path`` must be a corpus page, and every corpus page must come back when its exact
title is searched (``search_type="title"``, up to 100 results: session titles repeat).

aimem: ``corpus.build`` in a temporary wiki, ``fts.search`` timed in-process the same way; its
indexing time is a full ``sync_index`` of that wiki into a fresh index (the git commit excluded).

Run: ``.venv/bin/python tests/bench/bench_basic_memory.py`` (about 75 s; the first install takes
about 2 minutes more). If basic-memory cannot be installed or run here it prints why and exits 0.
Environment: AIMEM_BENCH_BM_PYTHON (the interpreter for a new venv).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aimem.index import fts  # noqa: E402
from aimem.index.sync import sync_index  # noqa: E402
from aimem.wiki.pages import parse  # noqa: E402
from tests.eval import corpus  # noqa: E402

BASIC_MEMORY_VERSION = "0.23.2"
VENV = ROOT / ".bench" / "basic-memory-venv"
MIN_PYTHON = (3, 12)  # basic-memory's Requires-Python
DEPTH = 10
TITLE_DEPTH = 100  # the most pages sharing one title is ~25 (noise session titles repeat)
PIP_TIMEOUT = 1800
CHILD_TIMEOUT = 1800

CHILD = """
import asyncio, contextlib, json, sys, time

PROJECT = "main"


async def run(request):
    from basic_memory import db
    from basic_memory.cli.commands.db import _reindex
    from basic_memory.config import ConfigManager
    from basic_memory.markdown.entity_parser import EntityParser
    from basic_memory.markdown.markdown_processor import MarkdownProcessor
    from basic_memory.mcp.tools import search_notes
    from basic_memory.repository import EntityRepository, ProjectRepository
    from basic_memory.repository.search_repository import create_search_repository
    from basic_memory.schemas.search import SearchItemType, SearchQuery, SearchRetrievalMode
    from basic_memory.services.file_service import FileService
    from basic_memory.services.initialization import reconcile_projects_with_config
    from basic_memory.services.search_service import SearchService
    from pathlib import Path

    config = ConfigManager().config
    if config.semantic_search_enabled or config.reranker_enabled:
        raise SystemExit("semantic search or reranker is on: it would download a model")
    # Setup, not indexing: register the project, create the database, run the migrations.
    await reconcile_projects_with_config(config)
    _, session_maker = await db.get_or_create_db(
        db_path=config.database_path, db_type=db.DatabaseType.FILESYSTEM
    )
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # its progress lines; stdout carries the JSON
        await _reindex(config, search=True, embeddings=False, full=True, project=PROJECT)
    index_s = time.perf_counter() - started

    async def tool(query, search_type="text", **kw):
        out = await search_notes(
            query=query, project=PROJECT, output_format="json", search_type=search_type, **kw
        )
        if isinstance(out, str):  # the tool reports errors as markdown text
            raise RuntimeError(out)
        return [(r.get("file_path"), r.get("permalink")) for r in out["results"]]

    async with db.scoped_session(session_maker) as session:
        project = next(
            p for p in await ProjectRepository().get_active_projects(session) if p.name == PROJECT
        )
    home = Path(project.path)
    markdown = MarkdownProcessor(EntityParser(home), app_config=config)
    service = SearchService(
        create_search_repository(session_maker, project_id=project.id, app_config=config),
        EntityRepository(project_id=project.id),
        FileService(home, markdown, app_config=config),
        session_maker=session_maker,
    )

    async def core(query):
        q = SearchQuery(
            text=query,
            retrieval_mode=SearchRetrievalMode.FTS,
            entity_types=[SearchItemType.ENTITY],  # the tool's default
        )
        return [(r.file_path, r.permalink) for r in await service.search(q, limit=10)]

    await tool("warm up the caches")  # the first call imports and builds the API app
    await core("warm up the caches")
    results = []
    for query in request["queries"]:
        started = time.perf_counter()
        hits = await tool(query, page_size=10)
        tool_s = time.perf_counter() - started
        started = time.perf_counter()
        core_hits = await core(query)
        core_s = time.perf_counter() - started
        results.append({"tool": hits, "tool_s": tool_s, "core": core_hits, "core_s": core_s})
    titles = {
        title: await tool(title, search_type="title", page_size=request["title_depth"])
        for title in request["titles"]
    }
    await db.shutdown_db()
    return {
        "index_s": index_s,
        "results": results,
        "titles": titles,
        "models_loaded": sorted({"fastembed", "onnxruntime"} & set(sys.modules)),
    }


print(json.dumps(asyncio.run(run(json.load(sys.stdin)))))
"""


# --- basic-memory's venv -----------------------------------------------------------------------


def python_version(python: str) -> tuple[int, int] | None:
    """(major, minor) of an interpreter that runs, else None (a pyenv shim whose version is not
    selected exits non-zero)."""
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError:
        return None
    if out.returncode:
        return None
    major, minor = out.stdout.split()
    return int(major), int(minor)


def find_python() -> str | None:
    """The oldest Python >= 3.12 here (the release was tried on 3.12), or the one named."""
    if named := os.environ.get("AIMEM_BENCH_BM_PYTHON"):
        return named
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python3.{minor}") for minor in range(12, 16)]
    candidates += sorted(glob.glob(f"{pyenv}/versions/3.*/bin/python3"))
    found = []
    for python in dict.fromkeys(c for c in candidates if c):
        version = python_version(python)
        if version and version >= MIN_PYTHON:
            found.append((version, python))
    return min(found)[1] if found else None


def installed_version(python: Path) -> str | None:
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('basic-memory'))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() if out.returncode == 0 else None


def ensure_venv() -> tuple[Path | None, str]:
    """basic-memory's python, or None and the reason it cannot be had."""
    python = VENV / "bin" / "python"
    version = python_version(str(python)) if python.exists() else None
    if version is None or version < MIN_PYTHON:
        interpreter = find_python()
        if interpreter is None:
            return None, "basic-memory needs Python >= 3.12 and none was found"
        shutil.rmtree(VENV, ignore_errors=True)  # a broken or too-old venv is rebuilt
        made = subprocess.run(
            [interpreter, "-m", "venv", str(VENV)], capture_output=True, text=True
        )
        if made.returncode:
            return None, f"{interpreter} -m venv failed: {last_line(made.stderr)}"
    if installed_version(python) != BASIC_MEMORY_VERSION:
        print(f"installing basic-memory=={BASIC_MEMORY_VERSION} into {VENV} ...", flush=True)
        try:
            pip = subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    f"basic-memory=={BASIC_MEMORY_VERSION}",
                ],
                capture_output=True,
                text=True,
                timeout=PIP_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return None, f"pip install timed out after {PIP_TIMEOUT} s"
        if pip.returncode or installed_version(python) != BASIC_MEMORY_VERSION:
            errors = [ln for ln in pip.stderr.splitlines() if ln.startswith("ERROR")]
            return None, f"pip install failed: {errors[-1] if errors else last_line(pip.stderr)}"
    return python, ""


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


# --- the two systems ---------------------------------------------------------------------------


def run_basic_memory(python: Path, pages: dict[str, bytes], queries: list[str]) -> dict | str:
    """The child's JSON, or the reason it failed."""
    titles = sorted({parse(data.decode(), path).meta["title"] for path, data in pages.items()})
    with tempfile.TemporaryDirectory(prefix="aimem-bench-bm-") as tmp:
        notes = Path(tmp) / "notes"
        for path, data in pages.items():
            (notes / path).parent.mkdir(parents=True, exist_ok=True)
            (notes / path).write_bytes(data)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(
            HOME=tmp,  # nothing may land in the user's ~/basic-memory or ~/.basic-memory
            BASIC_MEMORY_HOME=str(notes),  # becomes the "main" project
            BASIC_MEMORY_CONFIG_DIR=str(Path(tmp) / "config"),
            BASIC_MEMORY_SEMANTIC_SEARCH_ENABLED="false",
            BASIC_MEMORY_DEFAULT_SEARCH_TYPE="text",
            BASIC_MEMORY_RERANKER_ENABLED="false",
            BASIC_MEMORY_AUTO_UPDATE="false",
            BASIC_MEMORY_NO_PROMOS="1",  # also turns its CLI analytics off
            BASIC_MEMORY_LOGFIRE_ENABLED="false",
            HF_HUB_OFFLINE="1",  # should anything reach for a model anyway, fail at once
            FASTEMBED_CACHE_PATH=str(Path(tmp) / "fastembed"),
        )
        request = {"queries": queries, "titles": titles, "title_depth": TITLE_DEPTH}
        try:
            out = subprocess.run(
                [str(python), "-c", CHILD],
                input=json.dumps(request),
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp,
                timeout=CHILD_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return f"basic-memory did not finish in {CHILD_TIMEOUT} s"
        if out.returncode:
            return f"basic-memory failed: {last_line(out.stderr)}"
        result = json.loads(last_line(out.stdout))
    result["page_titles"] = {
        path: parse(data.decode(), path).meta["title"] for path, data in pages.items()
    }
    return result


def check_mapping(result: dict, pages: dict[str, bytes]) -> list[str]:
    """Problems with mapping basic-memory's results to corpus paths (none: the numbers hold)."""
    problems = []
    returned = {p for r in result["results"] for key in ("tool", "core") for p, _ in r[key]}
    returned |= {p for hits in result["titles"].values() for p, _ in hits}
    if stray := returned - set(pages):
        problems.append(f"{len(stray)} result paths are not corpus pages, e.g. {min(stray)}")
    lost = [
        path
        for path, title in result["page_titles"].items()
        if path not in {p for p, _ in result["titles"][title]}
    ]
    if lost:
        problems.append(f"{len(lost)} pages not found by their exact title, e.g. {lost[0]}")
    return problems


def run_aimem(queries: list[tuple[str, set[str]]]) -> dict:
    with tempfile.TemporaryDirectory(prefix="aimem-bench-bm-aimem-") as tmp:
        wiki, index = str(Path(tmp) / "wiki"), str(Path(tmp) / "index.sqlite")
        built = corpus.build(wiki, index)
        assert [q for q, _ in built] == [q for q, _ in queries]
        started = time.perf_counter()  # a full index of the same wiki into a fresh file
        sync_index(str(Path(tmp) / "fresh.sqlite"), wiki, full=True)
        index_s = time.perf_counter() - started
        conn = fts.connect(index)
        try:
            fts.search(conn, "warm up the caches", limit=DEPTH)
            paths, seconds = [], []
            for query, _ in queries:
                started = time.perf_counter()
                hits = fts.search(conn, query, limit=DEPTH)
                seconds.append(time.perf_counter() - started)
                paths.append([h.path for h in hits])
        finally:
            conn.close()
    return {"index_s": index_s, "paths": paths, "seconds": seconds}


# --- report ------------------------------------------------------------------------------------


def scores(
    name: str,
    index_s: float | None,
    paths: list[list[str]],
    seconds: list[float],
    queries: list[tuple[str, set[str]]],
) -> dict:
    ranks = [
        next((i + 1 for i, p in enumerate(found[:DEPTH]) if p in relevant), 0)
        for found, (_, relevant) in zip(paths, queries, strict=True)
    ]
    n = len(ranks)
    return {
        "name": name,
        "index_s": index_s,
        "hit1": sum(r == 1 for r in ranks) / n,
        "hit5": sum(1 <= r <= 5 for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "med_ms": statistics.median(seconds) * 1000,
        "p95_ms": p95(seconds) * 1000,
        "empty": sum(not found for found in paths),
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[round(0.95 * (len(ordered) - 1))]


def table(rows: list[dict]) -> None:
    heads = ["system", "index s", "hit@1", "hit@5", "MRR", "search med ms", "search p95 ms"]
    cells = [
        [
            r["name"],
            "-" if r["index_s"] is None else f"{r['index_s']:.2f}",
            f"{r['hit1']:.3f}",
            f"{r['hit5']:.3f}",
            f"{r['mrr']:.3f}",
            f"{r['med_ms']:.2f}",
            f"{r['p95_ms']:.2f}",
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)) + " |")
    print(
        "|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths)) + "|"
    )
    for c in cells:
        cols = [c[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(c[1:], widths[1:], strict=True)
        ]
        print("| " + " | ".join(cols) + " |")


def main() -> int:
    pages, queries = corpus.generate()
    print(f"basic-memory vs aimem: {len(queries)} queries over {len(pages)} pages, top {DEPTH}")
    python, reason = ensure_venv()
    if python is None:
        print(f"basic-memory benchmark skipped: {reason}")
        return 0
    started = time.perf_counter()
    result = run_basic_memory(python, pages, [q for q, _ in queries])
    if isinstance(result, str):
        print(f"basic-memory benchmark skipped: {result}")
        return 0
    if problems := check_mapping(result, pages):
        print("basic-memory results do not map to corpus paths: " + "; ".join(problems))
        return 1
    print(
        f"mapping check: all {len(pages)} pages found by exact title via file_path; "
        f"models loaded in basic-memory: {', '.join(result['models_loaded']) or 'none'}"
    )
    mine = run_aimem(queries)
    res = result["results"]
    rows = [
        scores("aimem fts.search", mine["index_s"], mine["paths"], mine["seconds"], queries),
        scores(
            f"basic-memory {BASIC_MEMORY_VERSION} search_notes",
            result["index_s"],
            [[p for p, _ in r["tool"]] for r in res],
            [r["tool_s"] for r in res],
            queries,
        ),
        scores(
            f"basic-memory {BASIC_MEMORY_VERSION} SearchService",
            None,
            [[p for p, _ in r["core"]] for r in res],
            [r["core_s"] for r in res],
            queries,
        ),
    ]
    print()
    table(rows)
    print()
    for r in rows:
        print(f"{r['name']}: {r['empty']} of {len(queries)} queries returned nothing")
    print(f"(total {time.perf_counter() - started:.0f} s, venv install excluded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
