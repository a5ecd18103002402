"""Compile one consolidated session with the LLM: the second, additive step after the zero-LLM
commit. Never called from a hook.

``compile_session`` never raises for anything the model or the network does: every failure
(disabled, unchanged, over budget, timeout, 429, 5xx, auth or quota error, malformed or invalid
answer) returns a ``CompileResult`` with no change and a one-line ``reason``, logs one line, and
leaves the zero-LLM pages as they are. A later ``aimem consolidate --llm`` (``retry=True``) tries
the session again. Order of work:

1. settings and the run's state (an auth or quota error earlier in the run stops every call);
2. the journal's observations, and the compile key (session, journal sha256, prompt version,
   model): a key already answered makes no call;
3. candidate pages from the index, the request, the budgets (per session, per day);
4. the call (bounded retries), recorded in the ledger with its ``usage`` and cost;
5. validation (each bad action dropped alone), the edits, one transaction.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aimem.compile import spend
from aimem.compile.evidence import MAX_OBSERVATIONS, journal_hash, observations
from aimem.compile.request import PROMPT_VERSION, build_request, estimate_tokens
from aimem.compile.settings import LLMSettings, llm_settings
from aimem.compile.validate import Dropped, ModelHandoff
from aimem.project import ProjectPaths

log = logging.getLogger("aimem.compile")

MAX_AUTO_ATTEMPTS = 3  # failed calls of one unchanged session before only --llm retries it
# (observations, field cap scale) tried in turn to fit the session budget: shorter excerpts
# first, then fewer observations (prompts and answers stay longest).
_SHRINK = ((MAX_OBSERVATIONS, 1.0), (MAX_OBSERVATIONS, 0.5), (MAX_OBSERVATIONS, 0.25),
           (120, 0.25), (80, 0.25), (40, 0.25))  # fmt: skip


@dataclass
class RunState:
    """Shared by every session of one run (``aimem consolidate --pending``, a sweep)."""

    stopped: str = ""  # why no further call may be made in this run
    calls: int = 0


@dataclass
class CompileResult:
    session: str
    status: str  # applied | no_changes | skipped | failed
    reason: str = ""
    commit: str | None = None
    pages: list[str] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    skipped_actions: list[str] = field(default_factory=list)  # the model's reasons for "skip"
    handoff: ModelHandoff | None = None
    usage: spend.Usage | None = None
    calls: int = 0


def compile_session(
    paths: ProjectPaths,
    project_name: str,
    session: str,
    *,
    settings: LLMSettings | None = None,
    run: RunState | None = None,
    retry: bool = False,
    now: float | None = None,
    client=None,  # noqa: ANN001 - an anthropic.Anthropic; made from the settings when None
    sleep: Callable[[float], None] = time.sleep,
) -> CompileResult:
    """Compile ``session`` (already consolidated by the zero-LLM path); see the module doc."""
    settings = llm_settings() if settings is None else settings
    run = RunState() if run is None else run
    now = time.time() if now is None else now
    try:
        return _compile(paths, project_name, session, settings, run, retry, now, client, sleep)
    except Exception as exc:  # noqa: BLE001 - an unreadable journal, a full disk...: never fatal
        log.warning("compile %s: failed: %s; the zero-LLM pages stand", session, exc)
        return CompileResult(session, "failed", f"{type(exc).__name__}: {exc}"[:300])


def _compile(
    paths: ProjectPaths,
    project_name: str,
    session: str,
    settings: LLMSettings,
    run: RunState,
    retry: bool,
    now: float,
    client,  # noqa: ANN001
    sleep: Callable[[float], None],
) -> CompileResult:
    from aimem.capture import journal

    def skipped(reason: str, level: int = logging.DEBUG) -> CompileResult:
        log.log(level, "compile %s: skipped: %s", session, reason)
        return CompileResult(session, "skipped", reason)

    disabled = settings.disabled_reason()
    if disabled:
        return skipped(disabled)
    if run.stopped:
        return skipped(f"no more calls in this run ({run.stopped})")
    if not journal.valid_session_id(session):
        return skipped(f"invalid session id {session[:80]!r}", logging.WARNING)
    segment = paths.journal(session)
    if not os.path.exists(segment):
        return skipped("no journal for this session")
    key = spend.compile_key(session, journal_hash(segment), PROMPT_VERSION, settings.model)
    done = spend.done_entry(paths.state, key)
    if done is not None:
        outcome, attempts = done.get("outcome"), int(done.get("attempts") or 0)
        if outcome in ("ok", "invalid") and not (retry and outcome == "invalid"):
            return skipped(f"unchanged since it was compiled ({outcome})")
        if not retry and attempts >= MAX_AUTO_ATTEMPTS:
            return skipped(f"failed {attempts} times; retry with `aimem consolidate --llm`")

    records = journal.read_journal(segment).records
    try:
        prepared = _prepare(paths, session, records, settings)
    except Exception as exc:  # noqa: BLE001 - the zero-LLM result stands whatever happens here
        log.warning("compile %s: failed before the call: %s", session, exc)
        return CompileResult(session, "failed", f"preparing the request: {exc}")
    if isinstance(prepared, str):
        return skipped(prepared, logging.WARNING if "budget" in prepared else logging.DEBUG)
    obs, candidates, request, estimate = prepared
    spend.check_writable(paths.state, now)
    used = spend.spent(spend.all_state_dirs(paths.state), _day(now)).tokens
    if used + estimate + settings.max_output_tokens > settings.daily_token_budget:
        return skipped(
            f"daily token budget exhausted ({used} of {settings.daily_token_budget} used today)",
            logging.WARNING,
        )
    return _call_and_apply(
        paths, project_name, session, key, settings, run, retry, now, client, sleep,
        obs, candidates, request,
    )  # fmt: skip


def _day(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def _prepare(paths: ProjectPaths, session: str, records: list[dict], settings: LLMSettings):  # noqa: ANN202
    """``(observations, candidates, request, estimated tokens)``, or why there is no call."""
    from aimem.compile.candidates import find_candidates
    from aimem.index.reads import with_index
    from aimem.wiki import repo as wikirepo

    everything = observations(records)
    if not any(o.kind in ("prompt", "tool_use", "tool_result", "tool_error") for o in everything):
        return "nothing to compile (no prompt, no tool use)"
    repo = wikirepo.open_repo(paths.wiki)
    candidates = with_index(
        paths.index, paths.wiki, lambda conn: find_candidates(conn, repo, everything)
    )
    for limit, scale in _SHRINK:
        obs = observations(records, limit, scale)
        request = build_request(
            session, obs, candidates, settings.model, settings.max_output_tokens
        )
        estimate = estimate_tokens(request.body)
        if estimate + settings.max_output_tokens <= settings.session_token_budget:
            return obs, candidates, request, estimate
    return (
        f"over the session token budget ({estimate} input tokens estimated with "
        f"{len(obs)} observations; budget {settings.session_token_budget})"
    )


def _call_and_apply(
    paths,
    project_name,
    session,
    key,
    settings,
    run,
    retry,
    now,
    client,
    sleep,
    obs,
    candidates,
    request,
) -> CompileResult:  # noqa: ANN001 - internal, arguments as compile_session has them
    from aimem._hash import short_session_id
    from aimem.compile.apply import apply_edits
    from aimem.compile.changes import plan
    from aimem.compile.client import CallError, call
    from aimem.compile.validate import check
    from aimem.wiki import repo as wikirepo

    run.calls += 1
    try:
        answer = call(settings, request.body, client=client, sleep=sleep)
    except CallError as exc:
        spend.record_call(
            paths.state, session=session, model=settings.model, usage=exc.usage,
            outcome=exc.kind, ts=now,
        )  # fmt: skip
        spend.mark_done(paths.state, key, session, exc.kind, ts=now)
        if exc.terminal:
            run.stopped = f"{exc.kind} error: {exc.detail}"
        log.warning(
            "compile %s: %s after %d attempt(s): %s; the zero-LLM pages stand%s",
            session, exc.kind, exc.attempts, exc.detail,
            "; no more calls in this run" if exc.terminal else "",
        )  # fmt: skip
        return CompileResult(session, "failed", f"{exc.kind}: {exc.detail}", calls=exc.attempts)
    spend.record_call(
        paths.state, session=session, model=settings.model, usage=answer.usage, outcome="ok", ts=now
    )
    result = CompileResult(session, "no_changes", usage=answer.usage, calls=answer.attempts)
    try:
        checked = check(answer.tool_input, obs, candidates, session)
        repo = wikirepo.open_repo(paths.wiki)
        edits, problems = plan(
            checked.actions,
            session=session,
            short=short_session_id(session),
            model=settings.model,
            prompt_version=PROMPT_VERSION,
            now=now,
            stored=lambda path: wikirepo.read_file(repo, path),
        )
    except Exception as exc:  # noqa: BLE001 - InvalidOutput, or a bug: the zero-LLM pages stand
        spend.mark_done(paths.state, key, session, "invalid", ts=now)
        log.warning("compile %s: unusable answer: %s; the zero-LLM pages stand", session, exc)
        result.status, result.reason = "failed", f"invalid answer: {exc}"
        return result
    result.dropped, result.skipped_actions = checked.dropped, checked.skipped
    result.handoff = checked.handoff
    for problem in problems:
        log.warning("compile %s: action dropped: %s", session, problem)
    if edits:
        message = f"compile: session {short_session_id(session)} ({len(edits)} page changes)\n"
        try:
            applied = apply_edits(paths, project_name, edits, message, now=now)
        except Exception as exc:  # noqa: BLE001 - the zero-LLM commit stands; retry later
            spend.mark_done(paths.state, key, session, "apply_failed", ts=now)
            log.warning("compile %s: writing the pages failed: %s", session, exc)
            result.status, result.reason = "failed", f"writing the pages: {exc}"
            return result
        result.commit, result.pages = applied.commit, applied.pages
    spend.mark_done(paths.state, key, session, "ok", ts=now)
    result.status = "applied" if result.commit else "no_changes"
    result.reason = (
        f"{len(result.pages)} pages changed, {len(result.dropped)} actions dropped, "
        f"{len(result.skipped_actions)} skipped"
    )
    log.info("compile %s: %s", session, result.reason)
    return result
