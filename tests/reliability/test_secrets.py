"""No planted secret survives anywhere under the data root (issue 10, defect 8).

Every format of ``tests/fixtures/secrets/corpus.py`` is planted in its natural setting where an
agent or a person can hand aimem text: prompts, tool inputs (a shell command and a file write),
tool outputs, tool errors, assistant messages and compaction summaries, through real ``aimem
hook`` subprocesses for Claude Code and Codex; session titles (a first prompt line); page titles,
bodies and tags through ``aimem write-page`` and the MCP tool ``memory_write_page``; and a
rejected MCP tool call's argument. After the detached consolidations and a last SessionStart,
every file under the data root (journal, pages, state, brief, log, index) and every git object,
decompressed, is scanned. A failure names each format and the place it was found in.

Each planted text carries a canary (not a secret): it must be found in the journal or the wiki,
which proves the text was stored and its secret removed, not cut away before it was stored.
"""

from __future__ import annotations

import json
import sys
import uuid
from itertools import zip_longest
from pathlib import Path

import pygit2
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fixtures" / "secrets"))
sys.path.insert(0, str(HERE.parent / "mcp"))
from corpus import ORDINARY, SECRETS, Secret  # noqa: E402
from mcp_harness import McpServer  # noqa: E402
from replay import (  # noqa: E402
    context_of,
    payload,
    retarget,
    run_aimem,
    run_hook,
    wait_all_consolidated,
)

from aimem.redact import redact  # noqa: E402

EXCERPT_ROOM = 1800  # tool input / output / error excerpts keep 2 KiB whole
TEXT_ROOM = 12000  # prompts, messages and summaries keep 16 KiB whole
TITLE_SESSIONS = [
    "age-secret-key",
    "sentry-auth-token",
    "okta-api-token",
    "datadog-api-key",
    "terraform-cloud-env",
    "aws-access-key-id",
    "postgres-url",
]


def canary(setting: str, secret: Secret) -> str:
    return f"cnry-{setting}-{secret.name}"


def planted(setting: str, secret: Secret) -> str:
    return f"[{canary(setting, secret)}]\n{secret.text}\n"


def bare(secret: Secret) -> bool:
    """Whether the value alone says it is a secret (a token with a telling shape)."""
    return redact(secret.value) != secret.value


def chunks(setting: str, room: int) -> list[str]:
    """The corpus in this setting, packed into texts of at most ``room`` characters. In the
    ``-bare`` settings a self-identifying value stands alone on its line (a pasted .env line)."""
    out, current = [], ""
    for secret in SECRETS:
        if setting.endswith("-bare"):
            if not bare(secret):
                continue
            piece = f"[{canary(setting, secret)}]\n{secret.value}\n"
        else:
            piece = planted(setting, secret)
        if current and len(current) + len(piece) > room:
            out.append(current)
            current = ""
        current += piece
    return [*out, current]


def one_line(secret: Secret) -> str:
    return " ".join(secret.text.split())


def hook(agent: str, event: str, env: dict, project: Path, session: str, **fields: object) -> None:
    data = retarget(payload(agent, event), cwd=str(project), session=session)
    data.update(fields)
    done = run_hook(agent, event, data, env)
    assert done.returncode == 0 and not done.stderr, done.stderr


def claude_session(env: dict, project: Path) -> None:
    session = str(uuid.uuid4())
    h = lambda event, **f: hook("claude-code", event, env, project, session, **f)  # noqa: E731
    h("SessionStart")
    for n, text in enumerate(chunks("prompt", TEXT_ROOM)):
        h("UserPromptSubmit", prompt=text, prompt_id=f"p{n}")
    for n, text in enumerate(chunks("tool-input", EXCERPT_ROOM)):
        h("PreToolUse", tool_input={"command": text}, tool_use_id=f"toolu_in_{n}")
    writes = chunks("tool-write", 1000)  # JSON-escaped in the input excerpt
    outputs = chunks("tool-output", EXCERPT_ROOM)
    for n, (text, out) in enumerate(zip_longest(writes, outputs, fillvalue="ok")):
        h(
            "PostToolUse",
            tool_name="Write",
            tool_input={"file_path": f"/srv/app/.env.{n}", "content": text},
            tool_response={"stdout": out},
            tool_use_id=f"toolu_write_{n}",
        )
    for n, text in enumerate(chunks("tool-write-bare", 1000)):
        h(
            "PreToolUse",
            tool_name="Write",
            tool_input={"file_path": f"/srv/app/keys.{n}", "content": text},
            tool_use_id=f"toolu_bare_{n}",
        )
    for n, text in enumerate(chunks("tool-error", EXCERPT_ROOM)):
        h(
            "PostToolUseFailure",
            tool_input={"command": f"./deploy.sh {n}"},
            error=text,
            tool_use_id=f"toolu_err_{n}",
        )
    for n, text in enumerate(chunks("compact", TEXT_ROOM)):
        h("PostCompact", compact_summary=text, prompt_id=f"c{n}")
    for text in chunks("stop", TEXT_ROOM):
        h("Stop", last_assistant_message=text)
    h("SessionEnd")


def codex_session(env: dict, project: Path) -> None:
    session = "01a20576-655f-76b0-865f-" + uuid.uuid4().hex[:12]
    h = lambda event, **f: hook("codex", event, env, project, session, **f)  # noqa: E731
    h("SessionStart")
    for text in chunks("codex-prompt", TEXT_ROOM):
        h("UserPromptSubmit", prompt=text)
    for n, text in enumerate(chunks("codex-tool", EXCERPT_ROOM)):
        h("PreToolUse", tool_input={"command": text}, tool_use_id=f"call_{n}")
        h("PostToolUse", tool_input={"command": text}, tool_response=text, tool_use_id=f"call_{n}")
    for text in chunks("codex-stop", TEXT_ROOM):
        h("Stop", last_assistant_message=text)
    h("SessionEnd")


def title_sessions(env: dict, project: Path) -> None:
    """Short sessions whose first prompt line (the session's title) holds a secret."""
    by_name = {s.name: s for s in SECRETS}
    for name in TITLE_SESSIONS:
        session = str(uuid.uuid4())
        for event, fields in [
            ("SessionStart", {}),
            (
                "UserPromptSubmit",
                {"prompt": one_line(by_name[name]) + f"\n{canary('title', by_name[name])}"},
            ),
            ("SessionEnd", {}),
        ]:
            hook("claude-code", event, env, project, session, **fields)


def page_writes(env: dict, project: Path, stderr: Path) -> None:
    short = [s for s in SECRETS if len(one_line(s)) <= 150]
    for secret in short[:8]:  # a few through the CLI, every one over MCP below
        done = run_aimem(
            "write-page",
            "--type",
            "decision",
            "--title",
            f"{canary('cli-title', secret)} {one_line(secret)}",
            "--body",
            "Recorded for the secrets suite.",
            env=env,
            cwd=str(project),
        )
        assert done.returncode == 0, done.stderr
    for n, text in enumerate(chunks("cli-body", 30000)):
        done = run_aimem(
            "write-page",
            "--type",
            "gotcha",
            "--title",
            f"Secrets body {n}",
            "--body",
            text,
            "--tag",
            "secrets",
            env=env,
            cwd=str(project),
        )
        assert done.returncode == 0, done.stderr
    tokens = [s for s in SECRETS if len(s.value) <= 48 and redact(s.value) != s.value]
    with McpServer(env, str(project), stderr) as server:
        for secret in short:
            server.ok(
                "memory_write_page",
                type="concept",
                title=f"{canary('mcp-title', secret)} {one_line(secret)}",
                body="Recorded for the secrets suite.",
            )
        for n, text in enumerate(chunks("mcp-body", 30000)):
            server.ok("memory_write_page", type="rule", title=f"Secrets rule {n}", body=text)
        for n in range(0, len(tokens), 19):
            group = tokens[n : n + 19]
            server.ok(
                "memory_write_page",
                type="gotcha",
                title=f"Secrets tags {n}",
                body=" ".join(canary("mcp-tag", s) for s in group),
                tags=[s.value for s in group] + ["secrets"],
            )
        for secret in SECRETS:  # rejected: no such page; the mcp package logs the failure
            server.error("memory_read", path=f"{secret.text}.md")


def places(home: Path) -> dict[str, bytes]:
    """Every file under the data root, and every object of every wiki's git object database
    (decompressed: blobs, trees, commits with their messages)."""
    found = {}
    for path in sorted(home.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(home))] = path.read_bytes()
    for git_dir in home.glob("projects/*/wiki/.git"):
        repo = pygit2.Repository(str(git_dir))
        for oid in repo.odb:
            kind, data = repo.odb.read(oid)
            found[f"git object {oid} (type {kind})"] = data
    return found


def leaks(found: dict[str, bytes]) -> list[str]:
    out = []
    for secret in SECRETS:
        for needle in secret.needles():
            raw = needle.encode()
            escaped = json.dumps(needle)[1:-1].encode()
            for place, data in found.items():
                if raw in data or escaped in data:
                    out.append(f"{secret.name} in {place}")
                    break
    return out


def test_no_planted_secret_survives_anywhere(
    home: Path, env: dict, project: Path, tmp_path: Path
) -> None:
    claude_session(env, project)
    codex_session(env, project)
    title_sessions(env, project)
    wait_all_consolidated(env, project, 2 + len(TITLE_SESSIONS), timeout=180)
    page_writes(env, project, tmp_path / "mcp.err")
    # A last session start writes state and reads the brief into an agent's context.
    start = retarget(
        payload("claude-code", "SessionStart"), cwd=str(project), session=str(uuid.uuid4())
    )
    shown = run_hook("claude-code", "SessionStart", start, env)
    assert shown.returncode == 0

    found = places(home)
    found["SessionStart context"] = context_of(shown.stdout).encode()
    found["mcp server stderr"] = (tmp_path / "mcp.err").read_bytes()
    found["aimem status --json"] = run_aimem(
        "status", "--json", env=env, cwd=str(project)
    ).stdout.encode()

    # The texts were stored (redacted), not dropped: every canary is somewhere.
    everything = b"\n".join(found.values()).decode("utf-8", "replace")
    settings = [
        "prompt",
        "tool-input",
        "tool-write",
        "tool-output",
        "tool-error",
        "compact",
        "stop",
    ]
    settings += ["codex-prompt", "codex-tool", "codex-stop", "cli-body", "mcp-body"]
    missing = [canary(s, x) for s in settings for x in SECRETS if canary(s, x) not in everything]
    missing += [
        canary("tool-write-bare", x)
        for x in SECRETS
        if bare(x) and canary("tool-write-bare", x) not in everything
    ]
    assert missing == [], f"{len(missing)} planted texts were never stored: {missing[:20]}"
    assert "brief.md" in " ".join(found), "no brief was written"
    log = next(place for place in found if place.endswith("aimem.log"))
    assert b"memory_read" in found[log], "the rejected MCP calls were not logged"

    leaked = leaks(found)
    assert leaked == [], f"{len(leaked)} planted secrets survive:\n" + "\n".join(leaked)


def test_ordinary_text_survives_redaction(home: Path, env: dict, project: Path) -> None:
    session = str(uuid.uuid4())
    text = "\n".join(ORDINARY)
    hook("claude-code", "UserPromptSubmit", env, project, session, prompt=text)
    hook("claude-code", "PreToolUse", env, project, session, tool_input={"command": text[:1800]})
    journal = next(home.glob("projects/*/raw/*.jsonl")).read_text()
    records = [json.loads(line) for line in journal.splitlines()]
    assert records[0]["text"] == text  # nothing redacted, nothing changed
    assert "[REDACTED]" not in journal


@pytest.mark.parametrize("secret", SECRETS, ids=[s.name for s in SECRETS])
def test_each_format_is_redacted_in_its_setting(secret: Secret) -> None:
    out = redact(secret.text)
    for needle in secret.needles():
        assert needle not in out, f"{secret.name}: {out}"
    assert redact(out) == out  # idempotent


def test_the_corpus_is_large_and_named() -> None:
    assert len(SECRETS) >= 100
    assert len({s.name for s in SECRETS}) == len(SECRETS)
    assert all(s.value in s.text for s in SECRETS)
