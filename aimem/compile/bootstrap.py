"""``aimem bootstrap`` without an LLM: a project with history starts with memory (issue 12, 7).

What a repository already says, each page linking its source:

- ADR files (``docs/adr/``, ``docs/decisions/``, ``adr/``, ``doc/adr/``,
  ``docs/architecture/decisions/``) -> decision pages, their text verbatim;
- the agents' rule files people wrote (``CLAUDE.md``, ``AGENTS.md``, ``GEMINI.md``,
  ``.cursorrules``, ``.cursor/rules/*.mdc``) -> rules, ``status: accepted``, ``author: human``
  (people wrote them; agents already obey them);
- the README's opening (up to its second heading) -> the project overview concept page;
- reverted commits -> gotcha candidates (``confidence: low``): what was tried and undone.

Pages carry ``origin: bootstrap`` and ``source:`` (a file path or a commit id). Every text is
redacted first; symlinks and files over ``MAX_FILE`` are skipped. A page whose path is taken is
left alone, so a second run changes nothing and nothing a person wrote is replaced. ``plan``
lists the pages (``--dry-run``), ``bootstrap`` commits them in one transaction.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

from aimem.memory.write import DEFAULT_SALIENCE
from aimem.project import ProjectPaths
from aimem.redact import redact
from aimem.wiki.pages import TYPE_DIRS, Page, page_slug

ADR_DIRS = ("docs/adr", "docs/decisions", "adr", "doc/adr", "docs/architecture/decisions")
RULE_FILES = ("CLAUDE.md", "AGENTS.md", "GEMINI.md", ".cursorrules")
CURSOR_RULES = ".cursor/rules"
README_NAMES = ("README.md", "README.rst", "README.txt", "README")
MAX_FILE = 256 * 1024
MAX_BODY = 20_000
MAX_REVERTS = 50
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_REVERT = re.compile(r'^Revert "(.+)"\s*$')


@dataclass(frozen=True)
class Planned:
    page: Page
    source: str  # file path relative to the project, or a commit id
    kind: str  # adr | rules | readme | revert


def _read(root: str, rel: str) -> str | None:
    """The file's text, or ``None`` (missing, a symlink, not a regular file, too big)."""
    path = os.path.join(root, rel)
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not os.path.isfile(path) or os.path.islink(path) or st.st_size > MAX_FILE:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _page(kind: str, title: str, body: str, source: str, stamp: str, **extra: object) -> Page:
    title = " ".join(redact(title).split())[:120] or "Untitled"
    text = redact(body).strip()
    if len(text) > MAX_BODY:
        text = text[:MAX_BODY].rstrip() + "\n\n… (cut; the whole text is in the source)"
    if not text.lstrip().startswith("#"):
        text = f"# {title}\n\n{text}"
    text += f"\n\nSource: `{source}` (imported by `aimem bootstrap`).\n"
    meta = {
        "title": title,
        "type": kind,
        "created": stamp,
        "updated": stamp,
        "tags": ["bootstrap"],
        "salience": DEFAULT_SALIENCE[kind],
        "pinned": False,
        "sources": [source],
        "supersedes": [],
        "status": "active",
        "origin": "bootstrap",
        "source": source,
        **extra,
    }
    return Page(f"{TYPE_DIRS[kind]}/{page_slug(title)}.md", meta, text)


def _title_of(text: str, fallback: str) -> str:
    match = _HEADING.search(text)
    return match.group(1) if match else fallback


def _adrs(root: str, stamp: str) -> list[Planned]:
    out = []
    for folder in ADR_DIRS:
        try:
            names = sorted(os.listdir(os.path.join(root, folder)))
        except OSError:
            continue
        for name in names:
            rel = f"{folder}/{name}"
            if not name.lower().endswith(".md") or name.lower() in ("readme.md", "index.md"):
                continue
            text = _read(root, rel)
            if text and text.strip():
                title = _title_of(text, os.path.splitext(name)[0].replace("-", " "))
                out.append(Planned(_page("decision", title, text, rel, stamp), rel, "adr"))
    return out


def _rules(root: str, stamp: str) -> list[Planned]:
    rels = list(RULE_FILES)
    try:
        names = sorted(os.listdir(os.path.join(root, CURSOR_RULES)))
    except OSError:
        names = []
    rels += [f"{CURSOR_RULES}/{n}" for n in names if n.endswith((".mdc", ".md"))]
    out = []
    for rel in rels:
        text = _read(root, rel)
        if not text or not text.strip():
            continue
        title = f"Agent instructions from {rel}"
        page = _page("rule", title, text, rel, stamp, author="human")
        page.meta["status"] = "accepted"
        out.append(Planned(page, rel, "rules"))
    return out


def _readme(root: str, stamp: str, project_name: str) -> list[Planned]:
    for rel in README_NAMES:
        text = _read(root, rel)
        if not text or not text.strip():
            continue
        headings = list(_HEADING.finditer(text))
        end = headings[1].start() if len(headings) > 1 else min(len(text), 3000)
        opening = text[:end].strip()
        if opening:
            title = f"{project_name} overview"
            return [Planned(_page("concept", title, opening, rel, stamp), rel, "readme")]
    return []


def _reverts(root: str, stamp: str) -> list[Planned]:
    import pygit2

    try:
        repo = pygit2.Repository(pygit2.discover_repository(root) or root)
        head = repo.head.target
    except (pygit2.GitError, KeyError, ValueError, TypeError):
        return []
    out = []
    for commit in repo.walk(head, pygit2.enums.SortMode.TIME):
        lines = commit.message.strip().splitlines()
        match = _REVERT.match(lines[0]) if lines else None
        if match is None:
            continue
        sha = str(commit.id)
        title = f"Reverted: {match.group(1)}"
        body = "\n".join(
            [
                f"Commit `{sha[:12]}` reverted “{match.group(1)}”.",
                "",
                *[line for line in lines[1:] if line.strip()][:20],
                "",
                "Why it was undone is worth knowing before trying it again.",
            ]
        )
        page = _page("gotcha", title, body, sha, stamp, confidence="low")
        out.append(Planned(page, sha, "revert"))
        if len(out) >= MAX_REVERTS:
            break
    return out


def plan(project_root: str, project_name: str, now: float | None = None) -> list[Planned]:
    """Every page the repository at ``project_root`` gives, in a stable order (one per path)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    found = [
        *_readme(project_root, stamp, project_name),
        *_rules(project_root, stamp),
        *_adrs(project_root, stamp),
        *_reverts(project_root, stamp),
    ]
    seen: set[str] = set()
    out = []
    for item in found:
        if item.page.path not in seen:
            seen.add(item.page.path)
            out.append(item)
    return out


@dataclass
class BootstrapResult:
    planned: list[Planned]
    written: list[str]
    kept: list[str]  # paths already taken: left as they are
    commit: str | None


def bootstrap(
    paths: ProjectPaths,
    project_name: str,
    project_root: str,
    *,
    dry_run: bool = False,
    now: float | None = None,
) -> BootstrapResult:
    """Write the planned pages that are not there yet, in one commit (none with ``dry_run``)."""
    from aimem.memory.transaction import transaction
    from aimem.wiki import repo as wikirepo

    planned = plan(project_root, project_name, now)
    if dry_run:
        kept: list[str] = []
        if os.path.isdir(os.path.join(paths.wiki, ".git")):
            repo = wikirepo.open_repo(paths.wiki, create=False)
            kept = [
                p.page.path for p in planned if wikirepo.read_file(repo, p.page.path) is not None
            ]
        written = [p.page.path for p in planned if p.page.path not in kept]
        return BootstrapResult(planned, written, kept, None)
    with transaction(paths, project_name, "bootstrap", now=now) as txn:
        written, kept = [], []
        for item in planned:
            if txn.read(item.page.path) is not None:
                kept.append(item.page.path)
                continue
            txn.write(item.page)
            txn.log(f"bootstrap {item.page.type} {item.page.path} from {item.source}")
            written.append(item.page.path)
        commit = (
            txn.commit(f"bootstrap: {len(written)} pages from the repository\n").commit
            if written
            else None
        )
    return BootstrapResult(planned, written, kept, commit)
