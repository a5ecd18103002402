"""Machines for the sync tests: each a data root with the same project checked out, doing what
people and agents do (real hook calls in process, real consolidation, page writes, sweeps), and
bare remotes to sync through."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pygit2
from replay import payload, retarget

from aimem.capture import hook
from aimem.config import load_settings
from aimem.consolidate.run import consolidate_session
from aimem.index.sync import sync_index
from aimem.lifecycle.sweep import sweep
from aimem.memory.transaction import transaction
from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectPaths, paths_for, resolve_project
from aimem.sync import config
from aimem.sync.run import Outcome, sync_remote
from aimem.wiki import repo as wikirepo

PROJECT = "shared-memory"
EVENTS = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"]


@dataclass
class Machine:
    name: str
    home: Path
    checkout: Path

    @classmethod
    def make(cls, root: Path, name: str) -> Machine:
        checkout = root / name / "work" / "proj"
        checkout.mkdir(parents=True)
        (checkout / ".aimem.toml").write_text(f'name = "{PROJECT}"\n')
        machine = cls(name, root / name / "data", checkout)
        machine.home.mkdir(parents=True)
        return machine

    @property
    def env(self) -> dict[str, str]:
        return {
            "AIMEM_HOME": str(self.home),
            "AIMEM_MACHINE": self.name,
            "AIMEM_AUTHOR": f"{self.name.title()} <{self.name}@example.org>",
            "AIMEM_CONFIG": str(self.home / "no-config.toml"),
        }

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """This machine's identity and data root in the environment, for in-process calls."""
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    @property
    def paths(self) -> ProjectPaths:
        project = resolve_project(str(self.checkout), env={})
        assert project is not None
        return paths_for(str(self.home), project.slug)

    def repo(self) -> pygit2.Repository:
        return wikirepo.open_repo(self.paths.wiki, create=False)

    def session(self, session: str, prompt: str, answer: str = "Done.") -> None:
        """A Claude Code session through the real hook (in process), then its consolidation.
        SessionEnd is left out: it would start a detached consolidation; this one runs here."""
        with self.active():
            settings = load_settings(self.env)
            for event in EVENTS:
                data = retarget(
                    payload("claude-code", event), cwd=str(self.checkout), session=session
                )
                if event == "UserPromptSubmit":
                    data["prompt"] = prompt
                if event == "Stop":
                    data["last_assistant_message"] = answer
                stdin = io.BytesIO(json.dumps(data).encode())
                outcome = hook.run("claude-code", event, stdin, io.StringIO(), settings)
                assert outcome in ("recorded", "duplicate", "ignored"), outcome
            consolidate_session(self.paths, PROJECT, session)

    def write(self, kind: str, title: str, body: str, tags: list[str] | None = None) -> str:
        with self.active():
            from aimem.memory.write import ensure_project_folder

            project = resolve_project(str(self.checkout), env={})
            ensure_project_folder(self.paths, project)
            return write_page(self.paths, PROJECT, PageWrite(kind, title, body, tags)).path

    def edit(self, path: str, body: str, tags: list[str] | None = None) -> None:
        with self.active():
            page = self.page(path)
            req = PageWrite(page.type, page.title, body, tags, path=path)
            write_page(self.paths, PROJECT, req)

    def page(self, path: str):  # noqa: ANN201 - a Page
        from aimem.wiki.pages import parse

        data = wikirepo.read_file(self.repo(), path)
        assert data is not None, path
        return parse(data.decode(), path)

    def put(self, path: str, data: bytes | None, message: str = "by hand\n") -> None:
        """A file committed as a person would (through the transaction, no redaction)."""
        with self.active(), transaction(self.paths, PROJECT, "test") as txn:
            txn.put(path, data)
            txn.commit(message)

    def sweep(self, now: float) -> None:
        with self.active():
            sweep(self.paths, PROJECT, now=now)

    def add_remote(self, name: str, url: str, share: str) -> None:
        with self.active():
            from aimem.memory.write import ensure_project_folder

            ensure_project_folder(self.paths, resolve_project(str(self.checkout), env={}))
            config.add(self.paths, PROJECT, name, url, share, None)

    def sync(self, name: str = "origin", **kwargs: object) -> Outcome:
        with self.active():
            remote = next(r for r in config.load(self.paths) if r.name == name)
            return sync_remote(self.paths, PROJECT, remote, **kwargs)

    def files(self) -> dict[str, bytes]:
        """Every file at HEAD ({} before the first commit)."""
        try:
            repo = self.repo()
        except FileNotFoundError:
            return {}
        head = wikirepo.head_commit(repo)
        if head is None:
            return {}
        tree = repo[head].peel(pygit2.Commit).tree
        return {p: repo[oid].data for p, oid in wikirepo.iter_tree(repo, tree)}

    def tree_id(self) -> str:
        repo = self.repo()
        return str(repo[wikirepo.head_commit(repo)].peel(pygit2.Commit).tree.id)


def bare(path: Path) -> str:
    pygit2.init_repository(str(path), bare=True)
    return "file://" + str(path)


def all_objects(git_dir: Path) -> list[bytes]:
    """Every object in a repository, loose and packed, through git itself."""
    listed = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch-all-objects", "--batch-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    ids = listed[0::3]
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
        input="".join(i + "\n" for i in ids).encode(),
        capture_output=True,
        check=True,
    ).stdout
    return [out]


def committed_blobs(repo: pygit2.Repository) -> Iterator[bytes]:
    """Every blob of every commit reachable from HEAD."""
    seen: set[pygit2.Oid] = set()
    for commit in repo.walk(wikirepo.head_commit(repo)):
        for _, oid in wikirepo.iter_tree(repo, commit.tree):
            if oid not in seen:
                seen.add(oid)
                yield repo[oid].data


def index_rows(paths: ProjectPaths) -> list[tuple]:
    """Every page row of the index with its full-text row (row ids and read counters aside)."""
    import sqlite3

    conn = sqlite3.connect(paths.index)
    try:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(pages)")]
        keep = [f"p.{c}" for c in cols if c not in ("id", "hits", "last_access")]
        sql = (
            f"SELECT {', '.join(keep)}, f.title, f.tags, f.body, f.idents "
            "FROM pages p JOIN pages_fts f ON f.rowid = p.id ORDER BY p.path"
        )
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def fresh_index_rows(paths: ProjectPaths, tmp: Path) -> list[tuple]:
    """The rows a reindex from scratch gives."""
    other = ProjectPaths(str(tmp))
    os.makedirs(other.base, exist_ok=True)
    sync_index(other.index, paths.wiki, full=True)
    return index_rows(other)
