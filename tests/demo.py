"""The README's demonstration: one real Claude Code session handed off to Codex.

Everything runs for real in a throwaway data root and project: recorded Claude Code hook payloads
go through ``aimem hook`` (one process per event, exactly as the agent runs it), the SessionEnd
hook's detached consolidation commits to the wiki, a Codex SessionStart in a subdirectory of the
same project receives the handoff, and ``aimem search`` finds what Claude did.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pygit2
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

sys.path.insert(0, str(Path(__file__).parent))
from replay import (  # noqa: E402
    CLAUDE_SESSION,
    claude_session,
    clean_env,
    context_of,
    payload,
    retarget,
    run_aimem,
    run_hook,
)

PROMPT = "Make the invoice exporter retry flaky S3 uploads with exponential backoff"


def main() -> int:
    console = Console()
    root = Path(tempfile.mkdtemp(prefix="aimem-demo-"))
    home, project = root / "data", root / "shop"
    (project / "src" / "exporter").mkdir(parents=True)
    pygit2.init_repository(str(project), initial_head="main")  # works without a git binary
    env = clean_env(str(home))
    console.rule("[bold]aimem demo")
    console.print(f"data root {home}\nproject   {project} (a git repository)\n")

    claude_id = str(uuid.uuid4())
    console.print(
        f"[bold]1. Claude Code works on the project[/] (session {claude_id[:8]}): "
        "recorded hook payloads replayed through `aimem hook claude-code <event>`"
    )
    started = time.perf_counter()
    results = claude_session(str(project), claude_id, PROMPT, env)
    elapsed = (time.perf_counter() - started) * 1000 / len(results)
    for event, result in zip(CLAUDE_SESSION, results, strict=True):
        console.print(f"   {event:<20} exit {result.returncode}")
        if result.returncode != 0:
            return 1
    console.print(f"   ({elapsed:.0f} ms per hook process, start-up included)\n")

    console.print(
        "[bold]2. SessionEnd started `aimem consolidate` in the background; the wiki's git log:[/]"
    )
    wiki = run_aimem("path", "--wiki", env=env, cwd=str(project)).stdout.strip()
    if not _wait_for_commit(wiki):
        console.print("[red]consolidation did not commit (see the log under the data root)")
        return 1
    console.print(_git_log(wiki))

    codex_id = "01a2" + uuid.uuid4().hex[:4] + "-" + str(uuid.uuid4())[9:]
    subdir = project / "src" / "exporter"
    console.print(
        f"[bold]3. Codex starts in {subdir.relative_to(root)} "
        "(a subdirectory of the same project) and receives the handoff:[/]"
    )
    start = retarget(payload("codex", "SessionStart"), cwd=str(subdir), session=codex_id)
    result = run_hook("codex", "SessionStart", start, env)
    context = context_of(result.stdout)
    if PROMPT not in context:
        console.print("[red]the handoff did not reach Codex")
        return 1
    console.print(
        Panel(
            escape(context),
            title="Codex SessionStart → hookSpecificOutput.additionalContext",
            expand=False,
        )
    )
    prompt = retarget(
        payload("codex", "UserPromptSubmit"),
        cwd=str(subdir),
        session=codex_id,
        prompt="continue where the last session left off",
    )
    run_hook("codex", "UserPromptSubmit", prompt, env)
    status = run_aimem("status", "--json", env=env, cwd=str(project)).stdout
    claimed = '"status": "claimed"' in status
    console.print(f"   Codex's first prompt claimed the handoff: {claimed}\n")

    console.print('[bold]4. `aimem search "retry backoff"` finds what Claude did:[/]')
    found = run_aimem("search", "retry backoff", env=env, cwd=str(project))
    console.print(escape(found.stdout))
    if found.returncode != 0 or "retry" not in found.stdout.lower():
        return 1
    console.rule(
        f"[green]done[/] — inspect it yourself: git -C {wiki} log; "
        f"AIMEM_HOME={home} .venv/bin/aimem status --project {project}"
    )
    return 0


def _wait_for_commit(wiki: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (Path(wiki) / ".git" / "refs" / "heads" / "main").exists():
            return True
        time.sleep(0.1)
    return False


def _git_log(wiki: str) -> str:
    """`git log --stat` when git is installed; the same commits through pygit2 otherwise."""
    try:
        log = subprocess.run(
            ["git", "-C", wiki, "log", "--stat", "--format=%h %an  %s"],
            capture_output=True,
            text=True,
        )
        if log.returncode == 0:
            return log.stdout
    except FileNotFoundError:
        pass
    repo = pygit2.Repository(wiki)
    return "\n".join(
        f"{str(c.id)[:7]} {c.author.name}  {c.message.splitlines()[0]}"
        for c in repo.walk(repo.head.target)
    )


if __name__ == "__main__":
    sys.exit(main())
