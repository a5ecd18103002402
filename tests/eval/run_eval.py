"""``make eval``: graded retrieval evaluation of ``aimem search`` on the corpus of ``corpus.py``.

Builds the corpus in a temporary git wiki, indexes it through ``sync_index``, asks every query
through ``fts.search`` and prints hit@1, hit@5 and MRR (reciprocal rank of the first relevant page
within the top 10, 0 beyond). ``-v`` lists the queries whose relevant page is not first.
Environment: ``AIMEM_FTS=fts4`` runs the same evaluation on the FTS4 fallback, if there is one.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aimem.index import fts  # noqa: E402
from tests.eval import corpus  # noqa: E402

DEPTH = 10


@dataclass
class Result:
    queries: int
    pages: int
    hit1: float
    hit5: float
    mrr: float
    seconds: float
    misses: list[tuple[str, int, list[str]]]  # query, rank (0: not in top DEPTH), top 3 paths


def evaluate() -> Result:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="aimem-eval-") as tmp:
        index = str(Path(tmp) / "index.sqlite")
        queries = corpus.build(str(Path(tmp) / "wiki"), index)
        conn = fts.connect(index)
        try:
            pages = fts.page_count(conn)
            ranks: list[int] = []
            misses = []
            for query, relevant in queries:
                paths = [h.path for h in fts.search(conn, query, limit=DEPTH)]
                rank = next((i + 1 for i, p in enumerate(paths) if p in relevant), 0)
                ranks.append(rank)
                if rank != 1:
                    misses.append((query, rank, paths[:3]))
        finally:
            conn.close()
    n = len(ranks)
    return Result(
        queries=n,
        pages=pages,
        hit1=sum(r == 1 for r in ranks) / n,
        hit5=sum(1 <= r <= 5 for r in ranks) / n,
        mrr=sum(1 / r for r in ranks if r) / n,
        seconds=time.perf_counter() - start,
        misses=misses,
    )


def main(argv: list[str]) -> int:
    res = evaluate()
    print(f"retrieval evaluation: {res.queries} queries over {res.pages} pages")
    print(f"  hit@1 {res.hit1:.3f}   hit@5 {res.hit5:.3f}   MRR {res.mrr:.3f}")
    print(f"  ({res.seconds:.1f} s including corpus build and indexing)")
    if "-v" in argv:
        for query, rank, top in res.misses:
            print(f"  rank {rank or '-':>2}  {query!r}  top: {', '.join(top)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
