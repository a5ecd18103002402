"""``aimem hook <agent> [<event>]``: what agents run dozens of times per session.

stdin JSON -> adapter -> redact + caps -> one fsynced journal line -> the agent's own output.
It must cost little more than starting Python, so this module imports the standard library only
(a test guards that), and it fails open: whatever goes wrong ends in exit 0, no stdout the agent
could misread, and one line in the log file.
"""

from __future__ import annotations

import io
import os
import sys
import time

from aimem.capture import journal, jsonfast, observation, state
from aimem.capture.adapters import load as load_adapter
from aimem.config import Settings, load_settings, make_private_dirs
from aimem.logfile import hook_log, hook_log_once
from aimem.project import Project, paths_for, resolve_project

USAGE = "usage: aimem hook <agent> [<event>]  (reads the agent's hook payload on stdin)"
_CHUNK = 1 << 20
_SALVAGE = rb'"(session_id|cwd|hook_event_name)"\s*:\s*"((?:[^"\\]|\\.){1,1024})"'


def read_stdin(stream: io.BufferedIOBase, limit: int) -> tuple[bytes, int]:
    """Up to ``limit`` bytes kept, the rest drained (so the agent never gets a broken pipe);
    returns the kept bytes and the total size."""
    kept = stream.read(limit + 1) or b""
    total = len(kept)
    if total > limit:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
    return kept[:limit], total


def salvage(head: bytes) -> dict:
    """What an oversized payload says about itself in its first bytes."""
    import re  # only for oversized or too deep payloads: ``re`` costs ~10 ms of imports

    found: dict = {}
    for key, value in re.findall(_SALVAGE, head[:65536]):
        try:
            found.setdefault(key.decode(), jsonfast.loads(b'"' + value + b'"'))
        except ValueError:
            continue
    return found


def run(
    agent: str,
    event: str | None,
    stdin: io.BufferedIOBase,
    stdout: io.TextIOBase,
    settings: Settings,
) -> str:
    """Handle one hook call; returns a short outcome (for the log and the tests)."""
    adapter = load_adapter(agent)
    if adapter is None:
        return f"unknown agent {agent!r}"
    data, size = read_stdin(stdin, settings.stdin_max_bytes)
    # A payload too big or too deeply nested to keep is recorded as its size alone, with what
    # its first bytes say about itself (agent, session, cwd), so the event is not lost.
    unkept = "oversized" if size > settings.stdin_max_bytes else ""
    if unkept:
        payload = salvage(data)
    else:
        if not data.strip():
            return "empty stdin"
        try:
            payload = jsonfast.loads(data)
        except RecursionError:
            unkept, payload = "too_deep", salvage(data)
        except ValueError as exc:
            return f"stdin is not JSON ({type(exc).__name__})"
    if not isinstance(payload, dict):
        return "payload is not a JSON object"
    event = event or payload.get("hook_event_name")
    if not isinstance(event, str) or event not in adapter.EVENTS:
        return f"unknown {agent} event {event!r}"
    if adapter.EVENTS[event] is None:
        return "ignored"
    observed = adapter.observe(event, payload)
    if observed is None:
        return "payload lacks session_id/cwd"
    if not journal.valid_session_id(observed.session):
        return "invalid session id"
    marker_problems: list[str] = []
    project = resolve_project(observed.cwd, problems=marker_problems, home=settings.home)
    for problem in marker_problems:
        hook_log_once(settings.home, f"project marker: {problem}")
    if project is None:
        return "no project here"
    paths = paths_for(settings.home, project.slug)
    if not os.path.exists(paths.meta):
        _write_project_meta(paths.meta, project)
    if unkept:
        observed.fields = {unkept: size}
    elif observed.kind in ("session_start", "session_end"):
        # The commit the checkout is at: consolidation lists every file changed since the
        # session started (shell commands and commits included), not only Edit/Write calls.
        from aimem.capture.githead import read_head

        branch, head = read_head(observed.cwd)
        observed.fields["head"] = head
        if observed.kind == "session_start":
            observed.fields["branch"] = branch
    record = observation.build(agent, event, observed, project.slug)
    written = journal.append_line(
        paths.journal(observed.session),
        observation.encode(record),
        record["id"],
        last_only=observed.kind in journal.BOUNDARY_KINDS,
    )
    kind = observed.kind
    if kind == "session_start":
        context = _session_start(paths, project.name, observed.session, agent, settings)
        output = adapter.context_output(event, context) if context else None
        if output:
            stdout.write(output)
            stdout.flush()
    elif kind in ("prompt", "tool_use", "tool_result", "tool_error"):
        state.claim_if_shown(paths.state, observed.session, agent)
    elif kind == "session_end" and written:
        state.update_session(
            paths.state,
            observed.session,
            agent=agent,
            status="ended",
            ended_ts=time.time(),
            consolidate_pid=None,
        )
        pid = _spawn_consolidate(settings.home, project.slug, observed.session)
        # Lets a SessionStart wait for this consolidation only while it is alive.
        state.update_session(paths.state, observed.session, consolidate_pid=pid)
    return "recorded" if written else "duplicate"


def _write_project_meta(path: str, project: Project) -> None:
    state.write_json_atomic(path, {**project.as_dict(), "created": state.now_iso()})


def _session_start(paths, project_name: str, session: str, agent: str, settings: Settings) -> str:
    from aimem.capture.context import build_context, read_wiki_page

    # Wait (bounded) for live consolidations, this session's own included: one resumed right
    # after it ended is reopened after its consolidation marks it consolidated, not before.
    state.wait_for_consolidation(paths.state, "", settings.consolidate_wait_seconds)
    entry = state.sessions(paths.state).get(session, {})
    if entry.get("status") != "open":
        # New, or resumed after it ended (consolidated, failed, or a consolidation that died):
        # open again, so its next SessionEnd consolidates the new work.
        state.update_session(
            paths.state,
            session,
            agent=agent,
            status="open",
            started_ts=entry.get("started_ts") or time.time(),
        )
    offer = state.current_offer(paths.state, settings.handoff_max_age_days)
    page = None
    if offer is not None and offer.get("from_session") != session:
        page = read_wiki_page(paths.wiki, offer.get("path"))
    else:
        offer = None
    brief = None
    try:
        with open(os.path.join(paths.state, "brief.md"), encoding="utf-8") as fh:
            brief = fh.read(16384)
    except (OSError, UnicodeDecodeError):
        pass
    text = build_context(project_name, brief, offer, page, settings.context_max_chars)
    if page is not None and offer is not None:
        state.record_offer_shown(paths.state, session, offer["path"])
    return text


def _spawn_consolidate(home: str, slug: str, session: str) -> int:
    """Start ``aimem consolidate`` fully detached (agents give SessionEnd about a second);
    returns its pid."""
    from aimem.spawn import spawn_aimem

    return spawn_aimem(home, "consolidate", "--project", slug, "--session", session)


def main(argv: list[str]) -> int:
    """Entry for ``aimem hook``; ``argv`` is what follows ``hook``. Always returns 0."""
    started = time.perf_counter()
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        print("Agents run this; it records one event in the project's journal and never fails.")
        return 0
    agent, event = argv[0], (argv[1] if len(argv) > 1 else None)
    # Everything a hook (and the consolidation it starts) creates is private: journals hold
    # prompts and tool output.
    os.umask(0o077)
    settings = load_settings()  # never raises: bad values fall back, listed in .problems
    try:
        make_private_dirs(os.path.join(settings.home, "logs"))
        for problem in settings.problems:
            hook_log_once(settings.home, f"config ignored: {problem}")
        outcome = run(agent, event, sys.stdin.buffer, sys.stdout, settings)
    except Exception as exc:  # noqa: BLE001 - fail open, always
        outcome = f"error {type(exc).__name__}: {exc}"
    if outcome not in ("recorded", "ignored", "duplicate"):
        ms = (time.perf_counter() - started) * 1000
        hook_log(settings.home, f"{agent} {event}: {outcome} ({ms:.1f} ms)")
    return 0
