"""``aimem bootstrap``: start a project's memory from what its repository already says."""

from __future__ import annotations

import os

import typer

from aimem.cli.context import (
    PANEL_WRITE,
    PROJECT_HELP,
    CliError,
    Selected,
    examples,
    print_json,
    project_for_writing,
    select_project,
    settings,
)
from aimem.cli.progress import progress_bar


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            "aimem bootstrap --dry-run    # the pages it would write, and from what",
            "aimem bootstrap              # one commit; running it again changes nothing",
            "aimem bootstrap --project ~/src/myapp --json",
            "AIMEM_LLM=anthropic aimem bootstrap --dry-run   # and what the LLM part would send",
        ),
    )
    def bootstrap(
        dry_run: bool = typer.Option(
            False, "--dry-run", help="List the pages it would write; write nothing."
        ),
        no_llm: bool = typer.Option(
            False, "--no-llm", help="Skip the LLM part even when an LLM is configured."
        ),
        resume: bool = typer.Option(
            False,
            "--resume",
            help="Go on from the chunk an interrupted LLM run stopped at (what every run does).",
        ),
        project: str = typer.Option(None, "--project", "-p", metavar="PROJECT", help=PROJECT_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the pages as JSON."),
    ) -> None:
        """Give a project with history a memory on day one, without an LLM.

        Decision pages from ADR files (docs/adr/ and the usual places), accepted rules from the
        rule files people wrote for agents (CLAUDE.md, AGENTS.md, GEMINI.md, Cursor rules), an
        overview page from the README's opening, and low-confidence gotchas from reverted
        commits. Each page links its source; secrets are redacted; a path already in the wiki is
        left alone, so nothing a person wrote is replaced. One commit.

        With an LLM configured (docs/llm.md), the tracked files, docstrings and substantive
        commits are then read in chunks by the model; an interrupted run resumes where it
        stopped. `--dry-run` says how much it would send."""
        from aimem.compile.bootstrap import bootstrap as run_bootstrap

        home = settings().home
        # A dry run creates nothing, not even the project's data folder.
        if dry_run:
            chosen = select_project(home, project, need_memory=False)
        else:
            chosen = project_for_writing(home, project)
        root = project_root(chosen)
        with progress_bar("bootstrap"):
            result = run_bootstrap(chosen.paths, chosen.name, root, dry_run=dry_run)
        # --resume changes nothing: every LLM run goes on from where the last one stopped; the
        # flag is accepted because docs and habits spell it.
        llm = None if no_llm else _bootstrap_llm(chosen, root, dry_run)
        written = set(result.written)
        pages = [
            {
                "path": item.page.path,
                "type": item.page.type,
                "kind": item.kind,
                "source": item.source,
                "action": "written" if item.page.path in written else "kept",
            }
            for item in result.planned
        ]
        if json_out:
            print_json(
                {
                    "project": chosen.slug,
                    "dry_run": dry_run,
                    "commit": result.commit,
                    "pages": pages,
                    "llm": llm,
                }
            )
        else:
            if not pages:
                typer.echo(f"nothing to bootstrap from in {root}")
            verb = "would write" if dry_run else "written"
            for page in pages:
                action = verb if page["action"] == "written" else "kept"
                typer.echo(f"{action:<11} {page['path']}  <- {page['source']}")
            if result.commit:
                typer.echo(f"{len(written)} page(s), commit {result.commit[:10]}")
            if llm is not None:
                typer.echo(llm_line(llm))
        if llm is not None and llm["status"] == "stopped":
            raise CliError(f"the LLM part stopped: {llm['reason']} (run it again to resume)")


def _bootstrap_llm(chosen: Selected, root: str, dry_run: bool) -> dict | None:
    """The LLM part when an LLM is configured, as plain data; ``None`` when none is."""
    from dataclasses import asdict

    from aimem.compile.settings import llm_settings

    conf = llm_settings()
    if conf.disabled_reason() is not None:
        return None
    from aimem.compile.bootstrap_llm import bootstrap_llm

    with progress_bar("bootstrap: llm chunks") as advance:
        run = bootstrap_llm(
            chosen.paths, chosen.name, root, conf, dry_run=dry_run, progress=advance
        )
    return asdict(run)


def llm_line(run: dict) -> str:
    """``llm: would send 42 sources in 3 chunks, ~61,000 tokens, ~$0.07`` (dry run), or what
    the run did."""
    if run["status"] == "dry_run":
        usd = run["estimated_usd"]
        cost = f", ~${usd:.2f}" if isinstance(usd, (int, float)) else ""
        return (
            f"llm: would send {run['sources']} sources in {run['chunks']} chunks, "
            f"~{run['estimated_tokens']:,} tokens{cost}"
        )
    line = f"llm: {run['status']}, {len(run['pages'])} page(s) from {run['calls']} call(s)"
    return line + (f" ({run['reason']})" if run["reason"] else "")


def project_root(chosen: Selected) -> str:
    """The project's folder (its repository's top): recorded when its memory started, else the
    project that contains the current directory, when it is the same one."""
    from aimem.project import load_meta, resolve_project

    root = load_meta(chosen.paths).get("root")
    if isinstance(root, str) and os.path.isdir(root):
        return root
    here = resolve_project(os.getcwd())
    if here is not None and here.slug == chosen.slug:
        return here.root
    raise CliError(f"the folder of project {chosen.slug} is unknown; run aimem bootstrap inside it")
