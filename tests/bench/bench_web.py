"""``make bench``: the read-only web view (``aimem web``) on a big project.

A project of ``AIMEM_BENCH_WEB_PAGES`` generated pages (default 10,000; the same corpus as
``bench_index.py``: mixed types, sharded folders, front matter, wikilinks) is committed with
``git fast-import`` into a data root and indexed. Then ``aimem web --project P`` runs as a
separate process, as a person starts it, and this process asks it over one keep-alive HTTP
connection, the way a browser does:

- page view: ``PAGES`` pages drawn at random, each rendered (markdown, wikilinks, backlinks);
- search: the ~50 varied queries of ``bench_index.py`` through the search view;
- the same views rendered in this process (``Renderer.page``/``Renderer.search``, no HTTP), and
  ``aimem search`` in-process (``with_index`` + ``fts.search``, what the CLI runs after its
  start-up): the differences are what rendering and HTTP add.

Then ``export_html`` writes the same project as a static site (seconds, files, size).

Each figure is the median (p50) and p95 of ``REPEAT`` rounds; targets: page view p50 <= 50 ms,
search p50 <= 100 ms. Environment: AIMEM_BENCH_WEB_PAGES, AIMEM_BENCH_REPEAT (3).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench_index import Corpus, Wiki

from aimem.index import fts
from aimem.index.reads import with_index
from aimem.index.sync import sync_index
from aimem.project import paths_for
from aimem.web.export import export_html
from aimem.web.store import Site
from aimem.web.views import Renderer

PAGES = int(os.environ.get("AIMEM_BENCH_WEB_PAGES", "10000"))
REPEAT = int(os.environ.get("AIMEM_BENCH_REPEAT", "3"))
VIEWS = 100  # pages viewed per round
SLUG = "bench-web-0000beef"
TARGETS = {"page view": 50.0, "search (web)": 100.0}


def build(home: Path, corpus: Corpus) -> None:
    """The data root: one project folder with its wiki, index and ``project.json``."""
    paths = paths_for(str(home), SLUG)
    os.makedirs(paths.state, exist_ok=True)
    Path(paths.meta).write_text(
        json.dumps(
            {
                "name": "bench-web",
                "identity": "bench-web",
                "root": str(home),
                "slug": SLUG,
                "source": "bench",
                "created": "2026-01-01T00:00:00Z",
            }
        )
    )
    wiki = Wiki(Path(paths.base))
    assert wiki.dir == paths.wiki, (wiki.dir, paths.wiki)
    wiki.bulk_commit(dict(corpus.page(i) for i in range(PAGES)), f"bench: {PAGES} pages")
    # The view reads pages from the wiki's work tree, as aimem leaves it after each commit;
    # bench_index's wiki has none, so check the commit out.
    subprocess.run(["git", "-C", paths.wiki, "reset", "-q", "--hard"], check=True)
    sync_index(paths.index, paths.wiki, full=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def page_url(path: str) -> str:
    return f"/p/{SLUG}/page/{urllib.parse.quote(path)}"


def search_url(query: str) -> str:
    return f"/search?{urllib.parse.urlencode({'q': query, 'project': SLUG})}"


class Client:
    """One keep-alive connection; ``get`` returns the body after checking for 200."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, url: str) -> bytes:
        self.conn.request("GET", url)
        resp = self.conn.getresponse()
        body = resp.read()
        assert resp.status == 200, (url, resp.status, body[:300])
        return body


def start_web(home: Path, port: int, log: Path) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "aimem"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIMEM_")}
    env.update(AIMEM_HOME=str(home), AIMEM_CONFIG=str(home / "no-config.toml"))
    proc = subprocess.Popen(
        [str(exe), "web", "--project", SLUG, "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"aimem web did not start:\n{log.read_text()[-3000:]}")


def timed(calls: list, rounds: int) -> list[float]:
    for call in calls:  # warm: page cache, statement cache, templates
        call()
    times = []
    for _ in range(rounds):
        for call in calls:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[round(0.95 * (len(ordered) - 1))]


def main() -> int:
    corpus = Corpus()
    queries = [q for q, _ in corpus.queries()]
    rng = random.Random(14)
    viewed = [Corpus.path(i) for i in rng.sample(range(PAGES), min(VIEWS, PAGES))]
    print(
        f"web view at {PAGES:,} pages: {len(viewed)} page views"
        f" and {len(queries)} searches x {REPEAT}"
    )
    with tempfile.TemporaryDirectory(prefix="aimem-bench-web-") as tmp:
        home = Path(tmp) / "data"
        started = time.perf_counter()
        build(home, corpus)
        print(
            f"  generated, committed and indexed in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        paths = paths_for(str(home), SLUG)
        port = free_port()
        proc = start_web(home, port, Path(tmp) / "web.log")
        renderer = Renderer(Site(str(home), only=(SLUG,)))
        try:
            client = Client(port)
            results = {
                "page view": timed([lambda p=p: client.get(page_url(p)) for p in viewed], REPEAT),
                "search (web)": timed(
                    [lambda q=q: client.get(search_url(q)) for q in queries], REPEAT
                ),
                "page view rendered in-process": timed(
                    [lambda p=p: renderer.page(SLUG, p) for p in viewed], REPEAT
                ),
                "search rendered in-process": timed(
                    [lambda q=q: renderer.search(q, project=SLUG) for q in queries], REPEAT
                ),
                "aimem search in-process": timed(
                    [
                        lambda q=q: with_index(
                            paths.index,
                            paths.wiki,
                            lambda conn: fts.search(conn, q, limit=10, project=SLUG),
                        )
                        for q in queries
                    ],
                    REPEAT,
                ),
            }
        finally:
            proc.terminate()
            proc.wait(10)
        started = time.perf_counter()
        exported = export_html(str(home), str(Path(tmp) / "site"))
        export_s = time.perf_counter() - started
        site_mib = sum(f.stat().st_size for f in (Path(tmp) / "site").rglob("*") if f.is_file())
        site_mib /= 2**20
    print()
    print("| what | p50 ms | p95 ms | target p50 |")
    print("|---|---:|---:|---:|")
    failed = []
    for name, times in results.items():
        med, high = statistics.median(times) * 1000, p95(times) * 1000
        target = TARGETS.get(name)
        mark = "" if target is None else f"<= {target:.0f} ms"
        if target is not None and med > target:
            failed.append(f"{name} p50 {med:.1f} ms > {target:.0f} ms")
        print(f"| {name} | {med:.2f} | {high:.2f} | {mark} |")
    print(
        f"\naimem export --html of the same project: {export_s:.1f} s, {exported.files:,} views"
        f" and a search index of {exported.documents:,} pages, {site_mib:.0f} MiB"
    )
    for line in failed:
        print(f"TARGET MISSED: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
