"""A data root with real projects for the admin tests: pages committed through the one write
transaction, and journal segments as the hook writes them."""

from __future__ import annotations

import json
import os
import subprocess
import time

from aimem.memory.transaction import transaction
from aimem.project import ProjectPaths, paths_for
from aimem.wiki.pages import Page

TOPICS = ["sqlite wal checkpoint", "retry backoff jitter", "rounding half even", "pygit2 pack"]


def page(path: str, title: str, body: str, kind: str = "decision") -> Page:
    stamp = "2026-11-30T10:00:00Z"
    return Page(path, {"title": title, "type": kind, "created": stamp, "updated": stamp}, body)


def make_project(home: str, slug: str, name: str, pages: int = 6) -> ProjectPaths:
    """A project whose wiki has ``pages`` pages over as many commits, and one journal."""
    paths = paths_for(home, slug)
    os.makedirs(paths.raw, exist_ok=True)
    meta = {"name": name, "identity": f"name:{name}", "root": "/nonexistent", "slug": slug,
            "source": "env", "created": "2026-11-30T10:00:00Z"}  # fmt: skip
    with open(paths.meta, "w", encoding="utf-8") as fh:
        json.dump(meta, fh)
    for i in range(pages):
        topic = TOPICS[i % len(TOPICS)]
        with transaction(paths, name, "test", now=time.time()) as txn:
            txn.write(page(f"decisions/d{i}.md", f"Decision {i} on {topic}",
                           f"We chose {topic} for reason {i}.\n"))  # fmt: skip
            txn.log(f"wrote decisions/d{i}.md")
            txn.commit(f"test: decision {i}\n")
    line = {"kind": "prompt", "session": "s1", "text": "how do we do sqlite wal checkpoint"}
    with open(paths.journal("s1"), "w", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    return paths


def git(*args: str, cwd: str | None = None, check: bool = True) -> str:
    run = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)
    return run.stdout
