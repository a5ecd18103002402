"""The evaluation corpus: the facts of ``facts.py`` as wiki pages in a real git wiki, plus noise.

``build(wiki_dir, index_path)`` writes every page into a git repository (one commit, through the
wiki's own ``commit_files``) and indexes it with ``sync_index``, exactly as aimem does, and returns
the graded queries: ``[(query, {relevant paths})]``.

Noise, deterministic (seeded): session logs that mention the facts' words in passing (tool calls,
test runs, file edits), the session a fact was first found in (a near-duplicate of the fact in a
long noisy log), handoffs about unrelated work, and superseded decisions beside their replacements.
"""

from __future__ import annotations

import datetime as dt
import random
import re

from aimem.index.sync import sync_index
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import TYPE_DIRS, Page, render

from .facts import FACTS, HANDOFFS, PROJECTS, SESSIONS, SUPERSEDED

SEED = 6
NOISE_SESSIONS = 170
NOISE_HANDOFFS = 30
AGENTS = ("claude-code", "codex", "gemini-cli", "opencode")
TOOLS = (
    "Read {file}",
    "Edit {file}",
    "Bash: make test (2 failed, 214 passed)",
    "Bash: git status",
    "Bash: git diff --stat",
    "Grep 'TODO' in {dir}",
    "Bash: make lint",
    "Read README.md",
    "Bash: docker compose up -d",
    "WebFetch changelog",
    "Edit {file} (rename variable)",
    "Bash: git log --oneline -5",
)
FILES = {
    "ledgerly": [
        "src/ledgerly/api/invoices.py",
        "src/ledgerly/models.py",
        "tests/test_api.py",
        "src/ledgerly/jobs.py",
        "src/ledgerly/settings.py",
    ],
    "tidewatch": [
        "internal/ingest/consumer.go",
        "cmd/tidewatch/main.go",
        "internal/store/pg.go",
        "internal/registry/client.go",
        "deploy/values.yaml",
    ],
    "quillpad": [
        "src/main/index.ts",
        "src/renderer/App.tsx",
        "src/renderer/Editor.tsx",
        "src/main/menu.ts",
        "package.json",
    ],
    "harbor": [
        "envs/prod/main.tf",
        "modules/eks/main.tf",
        ".github/workflows/plan.yml",
        "charts/platform/values.yaml",
        "modules/vpc/outputs.tf",
    ],
}
CHATTER = (
    "User asked to look into {topic}; skimmed the code but did not change anything.",
    "Mentioned {topic} while reviewing the PR, left a comment for later.",
    "Side note: {topic} came up again, no action taken.",
    "Quick question about {topic}; answered from memory, nothing written.",
    "Tried a small refactor near {topic}, reverted it.",
)
TASKS = (
    "bump dependencies",
    "fix a typo in the docs",
    "triage open issues",
    "clean up logging",
    "review a teammate's PR",
    "update the changelog",
    "rename a helper",
    "tidy imports",
    "investigate a slow CI run",
    "write release notes",
    "pair on onboarding docs",
)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _date(rng: random.Random, start: str = "2025-06-01", days: int = 500) -> dt.date:
    return dt.date.fromisoformat(start) + dt.timedelta(days=rng.randrange(days))


def _page(path: str, meta: dict, body: str) -> bytes:
    return render(Page(path=path, meta=meta, body=body)).encode()


def build(wiki_dir: str, index_path: str) -> list[tuple[str, set[str]]]:
    """Write the corpus into a git wiki at ``wiki_dir``, index it, return the graded queries."""
    pages, queries = generate()
    repo = wikirepo.open_repo(wiki_dir)
    wikirepo.commit_files(repo, pages, "eval corpus")
    sync_index(index_path, wiki_dir)
    return queries


def generate() -> tuple[dict[str, bytes], list[tuple[str, set[str]]]]:
    rng = random.Random(SEED)
    pages: dict[str, bytes] = {}
    queries: list[tuple[str, set[str]]] = []
    facts_by_project: dict[str, list[tuple[str, str, list[str], str]]] = {}

    def knowledge(project, kind, title, tags, body, **extra) -> str:
        path = f"{TYPE_DIRS[kind]}/{project}-{slug(title)}.md"
        when = extra.pop("when", None) or _date(rng)
        meta = {
            "title": title,
            "type": kind,
            "created": when.isoformat(),
            "updated": when.isoformat(),
            "tags": [project, *tags],
            "salience": round(rng.uniform(0.5, 0.8), 2),
            **extra,
        }
        pages[path] = _page(path, meta, f"# {title}\n\n{body}\n")
        return path

    for project, facts in FACTS.items():
        for kind, title, tags, body, qs in facts:
            path = knowledge(project, kind, title, tags, body)
            facts_by_project.setdefault(project, []).append((path, title, tags, body))
            queries += [(q, {path}) for q in qs]

    for project, old, new, qs in SUPERSEDED:
        old_path = knowledge(
            project, "decision", *old, status="superseded", when=_date(rng, "2025-01-01", 120)
        )
        new_path = knowledge(
            project, "decision", *new, supersedes=[old_path], when=_date(rng, "2025-09-01", 200)
        )
        queries += [(q, {new_path}) for q in qs]

    for project, title, body, qs in HANDOFFS:
        path = _handoff(pages, rng, project, title, body)
        queries += [(q, {path}) for q in qs]
    for _ in range(NOISE_HANDOFFS):
        project = rng.choice(list(PROJECTS))
        task = rng.choice(TASKS)
        body = (
            f"Working on: {task}. Done: first pass. Next: finish and open a PR. "
            f"Context: {rng.choice(facts_by_project[project])[1].lower()} is unrelated here."
        )
        _handoff(pages, rng, project, f"Handoff: {task}", body)

    for project, title, body, qs in SESSIONS:
        path = _session(pages, rng, project, title, body)
        queries += [(q, {path}) for q in qs]

    # Sessions a fact was found in: the fact's own words, buried in a long tool log.
    for project, facts in facts_by_project.items():
        for _path, title, _tags, body in facts:
            if rng.random() < 0.35:
                found = f"Found: {body}\nWrote it up as a {rng.choice(['gotcha', 'decision'])}."
                _session(pages, rng, project, f"Session: {title.lower()}", found, noisy=12)

    # Noisy sessions: unrelated work that mentions other facts' topics in passing.
    for _ in range(NOISE_SESSIONS):
        project = rng.choice(list(PROJECTS))
        facts = facts_by_project[project]
        mentions = [
            rng.choice(CHATTER).format(topic=rng.choice(facts)[1].lower())
            for _ in range(rng.randint(1, 3))
        ]
        _session(pages, rng, project, f"Session: {rng.choice(TASKS)}", "\n".join(mentions))
    return pages, queries


def _handoff(pages, rng, project, title, body) -> str:
    when = _date(rng, "2026-01-01", 300)
    path = (
        f"handoffs/{when.isoformat()}-{project}-{slug(title)[8:40]}-{rng.randrange(16**6):06x}.md"
    )
    meta = {
        "title": title,
        "type": "handoff",
        "created": when.isoformat(),
        "updated": when.isoformat(),
        "tags": [project, "handoff"],
        "status": "open",
    }
    pages[path] = _page(path, meta, f"# {title}\n\n{body}\n")
    return path


def _session(pages, rng, project, title, body, noisy: int = 6) -> str:
    when = _date(rng)
    sid = f"{rng.randrange(16**8):08x}"
    path = f"sessions/{when.isoformat()}-{sid}.md"
    log = []
    for i in range(rng.randint(noisy // 2, noisy)):
        tool = rng.choice(TOOLS).format(
            file=rng.choice(FILES[project]), dir=rng.choice(FILES[project]).rsplit("/", 1)[0]
        )
        log.append(f"- {9 + i // 6:02}:{(i * 7) % 60:02} {tool}")
    meta = {
        "title": title,
        "type": "session",
        "created": when.isoformat(),
        "updated": when.isoformat(),
        "tags": [project, rng.choice(AGENTS)],
        "salience": 0.3,
    }
    text = f"# {title}\n\nAgent: {meta['tags'][1]} on {project}.\n\n{body}\n\n## Log\n\n"
    pages[path] = _page(path, meta, text + "\n".join(log) + "\n")
    return path
