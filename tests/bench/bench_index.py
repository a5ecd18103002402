"""``make bench``: the search index at scale.

For each wiki size (``AIMEM_BENCH_SIZES``, default ``1000,10000,100000``) a wiki of generated
pages (mixed types, sharded folders, front matter, code identifiers) is committed without a work
tree (``git fast-import`` for the bulk commit, pygit2 TreeBuilder commits for the edits), then
measured in the same run (about 3.5 minutes in all on 2 cores, 100,000 pages being most of it):

- full build: ``sync_index(full=True)`` time, and the index size on disk (with ``-wal``/``-shm``);
- queries: median and p95 of ``fts.search`` over ~50 varied queries (each asked ``REPEAT`` times)
  beside raw FTS5 ``MATCH ... ORDER BY rank LIMIT 10`` queries on the same table, and their ratio
  (target <= 1.5). Two baselines: the same match expressions search evaluates (all terms, then
  any term when fewer than 10 pages hold them all), which isolates what aimem adds (ranking by
  type and retention, snippets, results); and the query's plain words all required, which is
  cheaper than search for questions no page answers word for word;
- incremental update: change 1 page (median of 3) and 100 pages, commit, time ``sync_index``
  (target: flat across sizes);
- peak RSS (VmHWM) of a separate search process that opens the index and runs the queries.

Environment: AIMEM_BENCH_SIZES, AIMEM_BENCH_REPEAT (3).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pygit2

from aimem.index import fts
from aimem.index.query import parse_query
from aimem.index.sync import sync_index
from aimem.wiki import repo as wikirepo

SIZES = [int(s) for s in os.environ.get("AIMEM_BENCH_SIZES", "1000,10000,100000").split(",") if s]
REPEAT = int(os.environ.get("AIMEM_BENCH_REPEAT", "3"))
LIMIT = 10
MIX = [  # (type, folder, share): session logs dominate a real wiki
    ("session", "sessions", 0.60),
    ("handoff", "handoffs", 0.10),
    ("decision", "decisions", 0.10),
    ("gotcha", "gotchas", 0.08),
    ("concept", "concepts", 0.10),
    ("rule", "_rules", 0.02),
]
KINDS = [k for k, _, share in MIX for _ in range(round(share * 100))]
FOLDER = {k: f for k, f, _ in MIX}
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)]
RAW_SQL = "SELECT rowid FROM pages_fts WHERE pages_fts MATCH ? ORDER BY rank LIMIT ?"


# --- corpus ------------------------------------------------------------------------------------


def vocabulary(rng: random.Random, size: int = 8000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


class Corpus:
    """Deterministic page text: Zipf-distributed words plus code identifiers and file paths."""

    def __init__(self) -> None:
        rng = random.Random(20261123)
        self.words = vocabulary(rng)
        weights = [1.0 / (rank + 1) for rank in range(len(self.words))]
        self.cum = list(itertools.accumulate(weights))  # Zipf, summed once (choices is O(n))
        self.tags = self.words[:80]
        mid = self.words[100:600]
        self.idents = [
            f"{a}_{b}"
            if i % 3 == 0
            else f"{a}{b.capitalize()}"
            if i % 3 == 1
            else f"src/{a}/{b}.py"
            for i, (a, b) in enumerate(zip(mid[::2], mid[1::2], strict=False))
        ]

    def page(self, i: int, edit: int = 0) -> tuple[str, bytes]:
        rng = random.Random(i * 1_000_003 + edit)
        kind = KINDS[i % len(KINDS)]
        month = MONTHS[i % len(MONTHS)]
        title = " ".join(
            rng.choices(self.words, cum_weights=self.cum, k=rng.randint(4, 7))
        ).capitalize()
        paragraphs = []
        for _ in range(rng.randint(2, 5)):
            text = " ".join(rng.choices(self.words, cum_weights=self.cum, k=rng.randint(30, 80)))
            if rng.random() < 0.5:
                text += f" `{rng.choice(self.idents)}`"
            paragraphs.append(text)
        if edit:
            paragraphs.append(f"Edited ({edit}): {' '.join(rng.sample(self.words, 8))}.")
        if i % 7 == 0 and i:
            paragraphs.append(f"See [[{self.path(rng.randrange(i))[:-3]}]].")
        tags = rng.sample(self.tags, rng.randint(1, 4))
        meta = (
            f"---\ntitle: {title}\ntype: {kind}\ncreated: '{month}-01T00:00:00Z'\n"
            f"updated: '{month}-{1 + i % 28:02d}T00:00:00Z'\ntags: [{', '.join(tags)}]\n"
            f"salience: {0.3 + (i % 7) / 10:.1f}\npinned: {str(i % 97 == 0).lower()}\n"
            f"sources: [bench-{i % 800:04d}]\nstatus: {'superseded' if i % 31 == 0 else 'active'}"
            "\n---\n"
        )
        return self.path(i), (meta + f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n").encode()

    @staticmethod
    def path(i: int) -> str:
        kind = KINDS[i % len(KINDS)]
        shard = MONTHS[i % len(MONTHS)] if kind in ("session", "handoff") else f"{i % 32:02d}"
        return f"{FOLDER[kind]}/{shard}/page-{i:06d}.md"

    def queries(self) -> list[tuple[str, str]]:
        """(query for fts.search, the FTS5 expression for the raw MATCH): single words from
        common to rare, pairs, triples, a phrase, a prefix, identifiers, and stray syntax."""
        rng = random.Random(7)
        w = self.words
        out: list[tuple[str, str]] = []

        def plain(*terms: str) -> tuple[str, str]:
            return " ".join(terms), " ".join(f'"{t}"' for t in terms)

        for low, high in ((3, 30), (30, 300), (300, 3000), (3000, 8000)):
            for _ in range(4):
                out.append(plain(w[rng.randrange(low, high)]))
        for _ in range(12):
            out.append(plain(w[rng.randrange(3, 300)], w[rng.randrange(30, 3000)]))
        for _ in range(8):
            out.append(plain(*(w[rng.randrange(10, 2000)] for _ in range(3))))
        for _ in range(4):
            a, b = w[rng.randrange(2, 40)], w[rng.randrange(2, 40)]
            out.append((f'"{a} {b}"', f'"{a} {b}"'))
        for _ in range(4):
            stem = w[rng.randrange(40, 400)][:3]
            out.append((f"{stem}*", f'"{stem}"*'))
        for ident in rng.sample(self.idents, 4):
            parts = ident.replace("src/", "").replace(".py", "").replace("/", "_").split("_")
            out.append((ident, " ".join(f'"{p}"' for p in parts if p)))
        out.append(("how do I " + w[5] + " the " + w[200] + "?", plain(w[5], w[200])[1]))
        out.append((w[50] + " NEAR( -" + w[60] + ":", plain(w[50], w[60])[1]))
        return out


# --- wiki --------------------------------------------------------------------------------------


class Wiki:
    """A git wiki written through pygit2 objects only (blobs, TreeBuilder trees, commits): no work
    tree, so 100,000 pages commit in seconds."""

    def __init__(self, root: Path) -> None:
        self.dir = str(root / "wiki")
        self.repo = wikirepo.open_repo(self.dir)
        self.blobs: dict[str, pygit2.Oid] = {}
        self.sig = pygit2.Signature(*wikirepo.SIGNATURE)

    def bulk_commit(self, pages: dict[str, bytes], message: str) -> None:
        """The first commit through ``git fast-import`` (one pack file): pygit2 writes loose
        objects at ~1 ms each, which would dominate a 100,000-page run."""
        stream = bytearray()
        for mark, (path, data) in enumerate(pages.items(), 1):
            stream += b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data)
            self.blobs[path] = pygit2.hash(data)
        msg = message.encode()
        stream += b"commit refs/heads/%s\n" % wikirepo.BRANCH.encode()
        stream += b"committer aimem <aimem@localhost> 1700000000 +0000\n"
        stream += b"data %d\n%s\n" % (len(msg), msg)
        for mark, path in enumerate(pages, 1):
            stream += b"M 100644 :%d %s\n" % (mark, path.encode())
        stream += b"done\n"
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": self.dir}
        subprocess.run(
            ["git", "fast-import", "--quiet", "--done"],
            input=bytes(stream),
            cwd=self.dir,
            env=env,
            check=True,
        )

    def commit(self, pages: dict[str, bytes], message: str) -> str:
        for path, data in pages.items():
            self.blobs[path] = self.repo.create_blob(data)
        nested: dict = {}
        for path, oid in self.blobs.items():
            *folders, name = path.split("/")
            node = nested
            for folder in folders:
                node = node.setdefault(folder, {})
            node[name] = oid
        tree = self._tree(nested)
        parents = [] if self.repo.head_is_unborn else [self.repo.head.target]
        ref = "HEAD" if parents else f"refs/heads/{wikirepo.BRANCH}"
        return str(self.repo.create_commit(ref, self.sig, self.sig, message, tree, parents))

    def _tree(self, node: dict) -> pygit2.Oid:
        builder = self.repo.TreeBuilder()
        for name, value in node.items():
            if isinstance(value, dict):
                builder.insert(name, self._tree(value), pygit2.GIT_FILEMODE_TREE)
            else:
                builder.insert(name, value, pygit2.GIT_FILEMODE_BLOB)
        return builder.write()


def disk_size(index_path: str) -> int:
    return sum(
        os.path.getsize(index_path + suffix)
        for suffix in ("", "-wal", "-shm")
        if os.path.exists(index_path + suffix)
    )


# --- measurements ------------------------------------------------------------------------------


def same_match(conn, query: str) -> list[tuple[str, int]]:
    """The raw ``MATCH`` queries that cost SQLite what ``fts.search`` asks of it for ``query``:
    the all-terms expression, and the any-term one where search goes on to it."""
    items = parse_query(query)
    if not items:
        return []
    all_terms, any_term = fts.match_expressions(items)
    found = len(conn.execute(RAW_SQL, (all_terms, LIMIT)).fetchall())
    out = [(all_terms, LIMIT)]
    if found < LIMIT and any_term is not None:
        out.append((any_term, LIMIT + found))
    return out


def time_queries(index_path: str, queries: list[tuple[str, str]]) -> dict[str, list[float]]:
    """Per query asked: ``fts.search``; ``same``, the raw MATCH of the expressions search
    evaluates; ``plain``, a raw MATCH of the query's words, all required."""
    conn = fts.connect(index_path)
    times: dict[str, list[float]] = {"search": [], "same": [], "plain": []}
    try:
        same = [same_match(conn, q) for q, _ in queries]
        runs = {
            "search": [lambda q=q: fts.search(conn, q, limit=LIMIT) for q, _ in queries],
            "same": [
                lambda m=m: [conn.execute(RAW_SQL, args).fetchall() for args in m] for m in same
            ],
            "plain": [
                lambda raw=raw: conn.execute(RAW_SQL, (raw, LIMIT)).fetchall() for _, raw in queries
            ],
        }
        for calls in runs.values():  # warm the page cache and the statement cache
            for call in calls:
                call()
        for _ in range(REPEAT):
            for i in range(len(queries)):  # alternating, so load on the machine hits all alike
                for name, calls in runs.items():
                    started = time.perf_counter()
                    calls[i]()
                    times[name].append(time.perf_counter() - started)
    finally:
        conn.close()
    return times


CHILD = """
import json, sys
from aimem.index import fts
from aimem.index.query import parse_query
queries = json.load(sys.stdin)
conn = fts.connect(sys.argv[1])
for _ in range(int(sys.argv[2])):
    for q in queries:
        fts.search(conn, q, limit=10)
conn.close()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec, so a child of this (large)
# benchmark process would report the parent's peak.
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def search_rss_mib(index_path: str, queries: list[tuple[str, str]]) -> float:
    """Peak RSS (MiB) of a fresh process that opens the index and runs every query."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, index_path, str(REPEAT)],
        input=json.dumps([q for q, _ in queries]),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip()) / 1024  # VmHWM is in kB


def incremental(wiki: Wiki, corpus: Corpus, index_path: str, n: int, edits: list[int]) -> float:
    rng = random.Random(n * 31 + len(edits))
    chosen = rng.sample(range(n_pages(wiki)), min(n, n_pages(wiki)))
    edits[0] += 1
    wiki.commit(dict(corpus.page(i, edit=edits[0]) for i in chosen), f"bench: edit {len(chosen)}")
    started = time.perf_counter()
    result = sync_index(index_path, wiki.dir)
    elapsed = time.perf_counter() - started
    assert not result.full and result.updated == len(chosen), result
    return elapsed


def n_pages(wiki: Wiki) -> int:
    return len(wiki.blobs)


def bench_size(size: int, corpus: Corpus, queries: list[tuple[str, str]]) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"aimem-bench-index-{size}-") as tmp:
        root = Path(tmp)
        wiki = Wiki(root)
        started = time.perf_counter()
        wiki.bulk_commit(dict(corpus.page(i) for i in range(size)), f"bench: {size} pages")
        generated = time.perf_counter() - started
        index_path = str(root / "index.sqlite")
        started = time.perf_counter()
        result = sync_index(index_path, wiki.dir, full=True)
        build = time.perf_counter() - started
        assert result.full and result.added == size, result
        size_mib = disk_size(index_path) / 2**20
        times = time_queries(index_path, queries)
        edits = [0]
        one = statistics.median(incremental(wiki, corpus, index_path, 1, edits) for _ in range(3))
        hundred = incremental(wiki, corpus, index_path, 100, edits)
        rss = search_rss_mib(index_path, queries)
        print(
            f"  {size:,} pages: generated+committed {generated:.1f} s, built {build:.1f} s",
            flush=True,
        )
    return {
        "pages": size,
        "build_s": build,
        "size_mib": size_mib,
        **{f"{name}_med": statistics.median(t) * 1000 for name, t in times.items()},
        **{f"{name}_p95": p95(t) * 1000 for name, t in times.items()},
        "inc1": one * 1000,
        "inc100": hundred * 1000,
        "rss": rss,
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[round(0.95 * (len(ordered) - 1))]


# --- report ------------------------------------------------------------------------------------

COLUMNS = [
    ("pages", "{:,}"),
    ("build s", "{:.1f}"),
    ("size MiB", "{:.1f}"),
    ("search med/p95 ms", "{:.2f} / {:.2f}"),
    ("raw same MATCH med/p95 ms", "{:.2f} / {:.2f}"),
    ("ratio med/p95", "{:.2f} / {:.2f}"),
    ("raw words-AND med/p95 ms", "{:.2f} / {:.2f}"),
    ("ratio to it med/p95", "{:.2f} / {:.2f}"),
    ("+1 page ms", "{:.0f}"),
    ("+100 pages ms", "{:.0f}"),
    ("search RSS MiB", "{:.0f}"),
]


def row(r: dict) -> list[str]:
    return [
        COLUMNS[0][1].format(r["pages"]),
        COLUMNS[1][1].format(r["build_s"]),
        COLUMNS[2][1].format(r["size_mib"]),
        COLUMNS[3][1].format(r["search_med"], r["search_p95"]),
        COLUMNS[4][1].format(r["same_med"], r["same_p95"]),
        COLUMNS[5][1].format(r["search_med"] / r["same_med"], r["search_p95"] / r["same_p95"]),
        COLUMNS[6][1].format(r["plain_med"], r["plain_p95"]),
        COLUMNS[7][1].format(r["search_med"] / r["plain_med"], r["search_p95"] / r["plain_p95"]),
        COLUMNS[8][1].format(r["inc1"]),
        COLUMNS[9][1].format(r["inc100"]),
        COLUMNS[10][1].format(r["rss"]),
    ]


def main() -> int:
    corpus = Corpus()
    queries = corpus.queries()
    print(f"search index at scale: sizes {SIZES}, {len(queries)} queries x {REPEAT}, limit {LIMIT}")
    started = time.perf_counter()
    results = [bench_size(size, corpus, queries) for size in SIZES]
    rows = [row(r) for r in results]
    heads = [name for name, _ in COLUMNS]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    print()
    print("| " + " | ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\ntotal {time.perf_counter() - started:.0f} s; this process peaked at {own:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
