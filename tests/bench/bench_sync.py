"""``make bench``: ``aimem sync`` on a big wiki over a loopback remote, beside plain git.

A wiki of ``AIMEM_BENCH_SYNC_PAGES`` generated pages (default 10,000; ``bench_index.py``'s corpus)
on machine A is pushed to a bare repository served by ``git daemon`` on 127.0.0.1 (``git://``),
and synced into an empty data root B. Then, ``REPEAT`` times each:

- one changed page: A's ``sync_remote`` (fetch, nothing to merge, secret scan, push) and B's
  (fetch, fast-forward, index update), beside ``git push`` and ``git fetch`` + ``git merge`` of
  the same change between two plain clones of the same wiki (their own bare remote);
- 100 pages edited on both sides (A appends to each body, B adds a tag to each): B's sync
  (fetch, merge in memory, one commit with two parents, index, push), beside ``git fetch`` +
  ``git merge`` (a clean text merge: the hunks are apart) in the plain clones.

Figures are medians in milliseconds. Environment: AIMEM_BENCH_SYNC_PAGES, AIMEM_BENCH_REPEAT (3).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_index import Corpus, Wiki

from aimem.index.sync import sync_index
from aimem.memory.transaction import transaction
from aimem.project import ProjectPaths, paths_for
from aimem.sync import config
from aimem.sync.run import sync_remote
from aimem.wiki import repo as wikirepo

PAGES = int(os.environ.get("AIMEM_BENCH_SYNC_PAGES", "10000"))
REPEAT = int(os.environ.get("AIMEM_BENCH_REPEAT", "3"))
SLUG = "bench-sync-0000cafe"
NAME = "bench-sync"
BRANCH = "aimem/bench-sync"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "gc.auto=0"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_daemon(served: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--export-all",
            "--enable=receive-pack",
            "--reuseaddr",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={served}",
            str(served),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"git://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("git daemon did not start")


def project(home: Path) -> ProjectPaths:
    paths = paths_for(str(home), SLUG)
    os.makedirs(paths.state, exist_ok=True)
    meta = {"name": NAME, "identity": NAME, "root": str(home), "slug": SLUG, "source": "bench"}
    Path(paths.meta).write_text(json.dumps(meta))
    return paths


def git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


def timed(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def commit_changes(paths: ProjectPaths, changes: dict[str, bytes]) -> None:
    with transaction(paths, NAME, "bench") as txn:
        for path, data in changes.items():
            txn.put(path, data)
        txn.commit("bench: edit\n")


def read(paths: ProjectPaths, path: str) -> bytes:
    data = wikirepo.read_file(wikirepo.open_repo(paths.wiki, create=False), path)
    assert data is not None, path
    return data


def append_body(data: bytes, note: str) -> bytes:
    return data.rstrip(b"\n") + f"\n\nEdited on A: {note}.\n".encode()


def add_tag(data: bytes) -> bytes:
    return data.replace(b"\ntags: [", b"\ntags: [merged, ", 1)


def main() -> int:
    corpus = Corpus()
    results: dict[str, list[float]] = {}

    def record(name: str, ms: float) -> None:
        results.setdefault(name, []).append(ms)

    with tempfile.TemporaryDirectory(prefix="aimem-bench-sync-") as tmp_name:
        tmp = Path(tmp_name)
        served = tmp / "served"
        served.mkdir()
        for name in ("memory.git", "plain.git"):
            git("init", "-q", "--bare", str(served / name))
        daemon, base = start_daemon(served)
        try:
            os.environ["AIMEM_MACHINE"] = "bench"
            a, b = project(tmp / "a"), project(tmp / "b")
            wiki = Wiki(Path(a.base))
            pages = dict(corpus.page(i) for i in range(PAGES))
            wiki.bulk_commit(pages, f"bench: {PAGES} pages")
            git("-C", a.wiki, "reset", "-q", "--hard")
            sync_index(a.index, a.wiki, full=True)
            remotes = {}
            for paths in (a, b):
                remotes[paths] = config.add(paths, NAME, "lan", f"{base}/memory.git", "all", BRANCH)
            first_push = timed(lambda: sync_remote(a, NAME, remotes[a]))
            first_pull = timed(lambda: sync_remote(b, NAME, remotes[b]))
            # The plain-git side: the same wiki in two clones of their own bare remote.
            git("-C", a.wiki, "push", "-q", f"{base}/plain.git", f"HEAD:refs/heads/{BRANCH}")
            g1, g2 = tmp / "g1", tmp / "g2"
            for clone in (g1, g2):
                git("clone", "-q", "-b", BRANCH, f"{base}/plain.git", str(clone))
            paths_list = list(pages)
            for r in range(REPEAT):
                # One changed page.
                path = paths_list[(r * 7919) % PAGES]
                changed = append_body(read(a, path), f"round {r}")
                commit_changes(a, {path: changed})
                record(
                    "1 page: aimem sync (push side)",
                    timed(lambda: sync_remote(a, NAME, remotes[a])),
                )
                record(
                    "1 page: aimem sync (pull side)",
                    timed(lambda: sync_remote(b, NAME, remotes[b])),
                )
                (g1 / path).write_bytes(changed)
                git("commit", "-qam", "edit", cwd=g1)
                record("1 page: git push", timed(lambda: git("push", "-q", cwd=g1)))
                record(
                    "1 page: git fetch + git merge",
                    timed(
                        lambda: (
                            git("fetch", "-q", cwd=g2),
                            git("merge", "-q", "--ff-only", "FETCH_HEAD", cwd=g2),
                        )
                    ),
                )
                # 100 pages edited on both sides.
                chosen = [paths_list[(r * 100 + k) * 37 % PAGES] for k in range(100)]
                theirs = {p: append_body(read(a, p), f"both {r}") for p in chosen}
                ours = {p: add_tag(read(b, p)) for p in chosen}
                commit_changes(a, theirs)
                sync_remote(a, NAME, remotes[a])
                commit_changes(b, ours)
                outcome = None

                def merge_b() -> None:
                    nonlocal outcome
                    outcome = sync_remote(b, NAME, remotes[b])

                record("100 pages both sides: aimem sync (merge + push)", timed(merge_b))
                assert outcome is not None and outcome.status == "merged" and not outcome.conflicts
                for p in chosen:
                    (g1 / p).write_bytes(theirs[p])
                    (g2 / p).write_bytes(add_tag((g2 / p).read_bytes()))
                git("commit", "-qam", "A edits", cwd=g1)
                git("push", "-q", cwd=g1)
                git("commit", "-qam", "B edits", cwd=g2)
                record(
                    "100 pages both sides: git fetch + git merge",
                    timed(
                        lambda: (
                            git("fetch", "-q", cwd=g2),
                            git("merge", "-q", "--no-edit", "FETCH_HEAD", cwd=g2),
                        )
                    ),
                )
                git("push", "-q", cwd=g2)
                git("pull", "-q", "--ff-only", cwd=g1)
                sync_remote(a, NAME, remotes[a])
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)
    print(f"# aimem sync, {PAGES:,} pages, loopback git daemon, median of {REPEAT}\n")
    print(f"first push of the whole wiki: {first_push:,.0f} ms")
    print(f"first sync into an empty data root: {first_pull:,.0f} ms\n")
    print("| what | median ms |")
    print("|---|---:|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):,.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
