"""A small world for the web view's tests, built the way memory really grows:

- two Claude Code sessions replayed through ``aimem hook`` (one process per event), each
  consolidated by its own SessionEnd: session pages, handoffs, an offer pending;
- knowledge pages through the real write path (``aimem.wiki.write.write_page``): decisions
  linking each other, one superseding another, a pinned rule, a proposed rule, a page with a
  broken link, a long page, and a hostile page (``<script>``, ``onerror=``, ``javascript:``);
- a person editing a page with ``git commit`` under their own name (three versions, two authors);
- a second project with one session.
"""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from replay import claude_session, clean_env, run_aimem, wait_all_consolidated

from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectPaths, paths_for, resolve_project

HOSTILE_BODY = """A page an attacker wrote.

<script>window.__pwned = 1</script>

<img src=x onerror="window.__pwned = 2">

[click me](javascript:window.__pwned=3) and [also](JaVaScRiPt&#58;alert(1)) and
<a href="javascript:alert(4)">raw link</a> and [data](data:text/html,<script>alert(5)</script>)

Closing tags: </textarea></title></style><script>alert(6)</script>
"""
HOSTILE_TITLE = 'Hostile <script>alert("title")</script> page'
LONG_SECTION = "\n".join(
    f"Line {i} of a very long log section with some words." for i in range(400)
)


@dataclass
class WebWorld:
    root: Path
    home: Path
    env: dict[str, str]
    main: str  # slug of the main project
    other: str
    paths: dict[str, ProjectPaths]
    pages: dict[str, str] = field(default_factory=dict)  # label -> wiki path in the main project


def make_repo(root: Path, name: str) -> Path:
    repo = root / name
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "main.py").write_text("print('hi')\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    return repo


def _session(env: dict[str, str], repo: Path, prompt: str, count: int) -> None:
    results = claude_session(str(repo), str(uuid.uuid4()), prompt, env)
    assert [r.returncode for r in results] == [0] * len(results)
    wait_all_consolidated(env, repo, count)


def person_edits(wiki: str, path: str, old: str, new: str, author: str) -> None:
    """A person edits a page in their editor and commits it with git under their own name."""
    file = Path(wiki) / path
    file.write_text(file.read_text().replace(old, new))
    git = ["git", "-C", wiki, "-c", f"user.name={author}", "-c", f"user.email={author}@example.org"]
    subprocess.run([*git, "add", path], check=True)
    subprocess.run([*git, "commit", "-qm", f"{author}: edit {path}"], check=True)


def build_world(root: Path) -> WebWorld:
    home = root / "data"
    env = clean_env(str(home), AIMEM_CONFIG=str(root / "no-config.toml"))
    main_repo, other_repo = make_repo(root, "webshop"), make_repo(root, "billing")
    _session(env, main_repo, "Add retry with jitter to the webhook sender", 1)
    _session(env, main_repo, "Move the search index to SQLite WAL mode", 2)
    _session(env, other_repo, "Fix rounding of invoice totals", 1)
    main = resolve_project(str(main_repo), {})
    other = resolve_project(str(other_repo), {})
    assert main is not None and other is not None
    world = WebWorld(
        root,
        home,
        env,
        main.slug,
        other.slug,
        {main.slug: paths_for(str(home), main.slug), other.slug: paths_for(str(home), other.slug)},
    )
    paths = world.paths[main.slug]

    def write(label: str, **kwargs: object) -> str:
        result = write_page(paths, main.name, PageWrite(**kwargs))  # type: ignore[arg-type]
        world.pages[label] = result.path
        return result.path

    old = write(
        "old",
        type="decision",
        title="Store the index in a JSON file",
        body="We kept the search index as one JSON file.",
        tags=["index"],
    )
    wal = write(
        "wal",
        type="decision",
        title="Use SQLite WAL mode for the index",
        body=(
            "SQLite in WAL mode lets readers run while a consolidation writes.\n\n"
            f"It replaces [[{old[:-3]}]]. See also [[gotchas/does-not-exist]].\n\n"
            "```python\nconn.execute('PRAGMA journal_mode = WAL')\n```\n\n"
            "- [x] measured\n- [ ] documented\n\n| reader | writer |\n|---|---|\n| yes | yes |\n"
        ),
        tags=["sqlite", "index"],
        supersedes=[old],
    )
    write(
        "rule",
        type="rule",
        title="Run the migration tests before every commit",
        body=f"The sqlite migration test is flaky under load.\n\nBackground: [[{wal[:-3]}]].",
        pinned=True,
    )
    write(
        "gotcha",
        type="gotcha",
        title="Webhook retries need jitter",
        body=f"Without jitter every client retries at once. Related: [[{wal[:-3]}]].",
        tags=["webhooks"],
    )
    write(
        "long",
        type="concept",
        title="A very long concept page",
        body=f"Intro.\n\n## Short part\n\nA few words.\n\n## Long part\n\n{LONG_SECTION}\n",
    )
    write("hostile", type="concept", title=HOSTILE_TITLE, body=HOSTILE_BODY, tags=["<b>tag</b>"])
    edited = world.pages["gotcha"]
    person_edits(paths.wiki, edited, "retries at once", "retries at the same moment", "Alice")
    person_edits(paths.wiki, edited, "the same moment", "the very same moment", "Bob")
    done = run_aimem("reindex", env=env, cwd=str(main_repo))  # as a person would after git
    assert done.returncode == 0, done.stderr
    plant_canaries(paths)
    return world


CANARY = "CANARY-OUTSIDE-THE-WIKI"


def plant_canaries(paths: ProjectPaths) -> None:
    """Files no view may ever show: one beside the wiki, one inside ``.git``, and a symlink in
    the work tree pointing at the first (a page path must not escape through it)."""
    outside = Path(paths.base) / "outside.md"
    outside.write_text(f"---\ntitle: {CANARY}\n---\n{CANARY}\n")
    (Path(paths.wiki) / ".git" / "canary.md").write_text(f"{CANARY}\n")
    (Path(paths.wiki) / "escape.md").symlink_to(outside)
