"""``aimem doctor``: is memory really being recorded? Per agent: found, configs parse, aimem's
entries present and pointing at a working executable, and a measured hook round trip; then the
data root, the index and the wiki repository.

The round trip runs the *configured* session-start command, exactly as the agent would (``sh -c``,
a minimal ``PATH``, the payload on stdin), for a throwaway project under a throwaway
``AIMEM_HOME``: it proves the command starts, answers in the agent's shape and writes a journal
line, and touches none of the user's memory. Every problem carries the command that fixes it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aimem import install as installer
from aimem.config import Settings, make_private_dirs
from aimem.install.common import Inspection, InstallError, Target, aimem_argv

ROUND_TRIP_TIMEOUT = 30.0
SLOW_MS = 1000.0  # agents give SessionEnd ~1.5 s; a start hook slower than this is worth a look
MINIMAL_PATH = "/usr/bin:/bin"


@dataclass
class Check:
    subject: str  # an agent id, or "aimem"
    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: str | None = None
    ms: float | None = None


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def _install_fix(agent: str, scope: str) -> str:
    return f"aimem install {agent} --scope {scope}"


def executable_problem(argv: list[str] | None) -> str | None:
    """Why the aimem an entry runs cannot work, or ``None``."""
    if not argv:
        return "the command does not run aimem"
    exe = argv[0]
    if not os.path.isabs(exe):
        return f"{exe!r} is not an absolute path (agents run hooks with a minimal PATH)"
    if not os.path.isfile(exe):
        return f"{exe} does not exist"
    if not os.access(exe, os.X_OK):
        return f"{exe} is not executable"
    return None


def round_trip(mod, command: str) -> tuple[bool, str, float]:  # noqa: ANN001
    """Run ``command`` with a synthetic session start; ``(worked, detail, milliseconds)``."""
    with tempfile.TemporaryDirectory(prefix="aimem-doctor-") as tmp:
        home = os.path.join(tmp, "data")
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        session = f"doctor-{uuid.uuid4().hex[:12]}"
        payload = json.dumps(mod.start_payload(project, session)).encode()
        env = {
            "PATH": MINIMAL_PATH,
            "HOME": tmp,
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "AIMEM_HOME": home,
            "AIMEM_CONFIG": os.path.join(tmp, "no-config.toml"),
        }
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                ["/bin/sh", "-c", command],
                input=payload,
                capture_output=True,
                env=env,
                cwd=project,
                timeout=ROUND_TRIP_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return False, f"no answer within {ROUND_TRIP_TIMEOUT:.0f} s", ROUND_TRIP_TIMEOUT * 1000
        ms = (time.perf_counter() - started) * 1000
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip().splitlines()
            return False, f"exit status {proc.returncode}: {err[-1] if err else 'no output'}", ms
        out = proc.stdout.strip()
        if out:
            try:
                json.loads(out)
            except ValueError:
                return False, "printed text that is not JSON (the agent would misread it)", ms
        journals = list(Path(home).glob(f"projects/*/raw/{session}.jsonl"))
        if not journals or '"session_start"' not in journals[0].read_text(errors="replace"):
            logs = sorted(Path(home).glob("logs/*"))
            tail = logs[-1].read_text(errors="replace").strip().splitlines()[-1:] if logs else []
            return False, "ran but recorded nothing" + (f" ({tail[0]})" if tail else ""), ms
        return True, "the session-start hook answered and recorded", ms


MCP_SLOW_MS = (
    5000.0  # clients wait ~10-60 s for a server to start; slower than this is worth a look
)


def mcp_round_trip(argv: list[str]) -> tuple[bool, str, float]:
    """Start the configured MCP server command as a client would (``command`` + ``args``, a
    minimal ``PATH``, a throwaway ``AIMEM_HOME``), complete the MCP handshake with the real
    ``mcp`` client and list the tools: ``(worked, detail, milliseconds)``."""
    import anyio
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    with tempfile.TemporaryDirectory(prefix="aimem-doctor-") as tmp:
        env = {
            "PATH": MINIMAL_PATH,
            "HOME": tmp,
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "AIMEM_HOME": os.path.join(tmp, "data"),
            "AIMEM_CONFIG": os.path.join(tmp, "no-config.toml"),
        }
        params = StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=tmp)

        async def tools() -> list[str]:
            with (
                open(os.path.join(tmp, "stderr"), "w") as errlog,
                anyio.fail_after(ROUND_TRIP_TIMEOUT),
            ):
                client = Client(stdio_client(params, errlog=errlog), read_timeout_seconds=30)
                async with client as session:
                    return [tool.name for tool in (await session.list_tools()).tools]

        started = time.perf_counter()
        try:
            names = anyio.run(tools)
        except Exception as exc:  # noqa: BLE001 - any failure to talk MCP is the finding
            ms = (time.perf_counter() - started) * 1000
            err = Path(tmp, "stderr").read_text(errors="replace").strip().splitlines()
            why = err[-1] if err else (str(exc).splitlines() or [type(exc).__name__])[0]
            return False, f"the MCP handshake failed: {why}", ms
        ms = (time.perf_counter() - started) * 1000
    if "memory_query" not in names:
        return False, f"answered MCP without aimem's tools ({', '.join(names) or 'none'})", ms
    return True, f"answered the MCP handshake with {len(names)} tools", ms


def _agent_scope(report: Report, agent: str, target: Target, found: bool) -> None:
    mod = installer.module(agent)
    seen: Inspection = mod.inspect(target)
    fix = _install_fix(agent, target.scope)
    where = f"{agent} ({target.scope})"
    for cfg in seen.files:
        if cfg.error:
            report.checks.append(
                Check(agent, f"{target.scope} config", "fail", cfg.error,
                      f"fix or move {cfg.path}, then {fix}")
            )  # fmt: skip
    mcp_only = installer.mcp_only(agent)
    if not seen.installed:
        if target.user and found:
            what = "MCP entry is" if mcp_only else "hooks are"
            report.checks.append(
                Check(agent, "user install", "warn", f"aimem's {what} not installed", fix)
            )
        return
    if mcp_only:
        _mcp_check(report, agent, target, seen, fix)
        if seen.mcp and not executable_problem(aimem_argv(seen.mcp)):
            worked, detail, ms = mcp_round_trip(seen.mcp)
            status = ("warn" if ms > MCP_SLOW_MS else "ok") if worked else "fail"
            report.checks.append(
                Check(agent, f"{target.scope} mcp round trip", status, detail,
                      None if worked else fix, round(ms, 1))
            )  # fmt: skip
        report.checks.append(
            Check(agent, f"{target.scope} capture", "skip",
                  "MCP only: its tools work, but no hooks record its sessions")
        )  # fmt: skip
        return
    missing = [e for e in seen.expected if e not in seen.hooks]
    bad: dict[str, list[str]] = {}  # problem -> events whose command has it
    for event, commands in seen.hooks.items():
        for command in commands:
            problem = executable_problem(aimem_argv(command))
            if problem:
                bad.setdefault(problem, []).append(event)
    if missing:
        detail = f"{where}: no aimem hook for {', '.join(missing)}"
        report.checks.append(Check(agent, f"{target.scope} hooks", "warn", detail, fix))
    for problem, events in bad.items():
        detail = f"{problem} (run by {', '.join(events)})"
        report.checks.append(Check(agent, f"{target.scope} hooks", "fail", detail, fix))
    if not missing and not bad:
        detail = f"{sum(len(c) for c in seen.hooks.values())} hook entries run aimem"
        report.checks.append(Check(agent, f"{target.scope} hooks", "ok", detail))
    _mcp_check(report, agent, target, seen, fix)
    for detail, problem_fix in seen.problems:
        report.checks.append(Check(agent, f"{target.scope} config", "fail", detail, problem_fix))
    for name, detail in seen.facts:
        report.checks.append(Check(agent, f"{target.scope} {name}", "ok", detail))
    if seen.start_command and not bad:
        worked, detail, ms = round_trip(mod, seen.start_command)
        status = ("warn" if ms > SLOW_MS else "ok") if worked else "fail"
        report.checks.append(
            Check(agent, f"{target.scope} round trip", status, detail,
                  None if worked else fix, round(ms, 1))
        )  # fmt: skip


def _mcp_check(report: Report, agent: str, target: Target, seen: Inspection, fix: str) -> None:
    if seen.mcp is None:
        report.checks.append(Check(agent, f"{target.scope} mcp", "warn", "no aimem MCP entry", fix))
        return
    problem = executable_problem(aimem_argv(seen.mcp))
    status = "fail" if problem else "ok"
    detail = problem or f"runs {' '.join(seen.mcp)}"
    report.checks.append(
        Check(agent, f"{target.scope} mcp", status, detail, fix if problem else None)
    )


def check_agents(report: Report, targets: list[Target]) -> None:
    for agent in installer.AGENT_IDS:
        found = installer.detected(agent, targets[0])
        before = len(report.checks)
        for target in targets:
            _agent_scope(report, agent, target, found)
        if found:
            report.checks.insert(
                before, Check(agent, "found", "ok", _found_detail(agent, targets[0]))
            )
        elif len(report.checks) == before:
            report.checks.append(Check(agent, "found", "skip", "not found on this machine"))


def _found_detail(agent: str, target: Target) -> str:
    mod = installer.module(agent)
    for name in mod.BINARIES:
        path = shutil.which(name, path=target.env.get("PATH", ""))
        if path:
            return f"{name} at {path}"
    return "config folder " + next(d for d in mod.config_dirs(target) if os.path.isdir(d))


def check_config(report: Report, settings: Settings) -> None:
    """The config file and ``AIMEM_*`` values: each one that was ignored is a failure (memory
    still records, but not as the user configured it)."""
    if not settings.problems:
        where = settings.config_file
        detail = f"{where} is valid" if os.path.isfile(where) else f"no {where}: the defaults"
        report.checks.append(Check("aimem", "config", "ok", detail))
        return
    for problem in settings.problems:
        fix = getattr(problem, "fix", f"fix {settings.config_file}")
        report.checks.append(Check("aimem", "config", "fail", str(problem), fix))


def check_data_root(report: Report, home: str) -> None:
    """Can be created and written, and is private (it holds prompts and tool output)."""
    fix = f"set AIMEM_HOME (or home in the config file) to a folder you can write, not {home}"
    try:
        make_private_dirs(home)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-"):
            pass
    except OSError as exc:
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            blocker = home
            while not os.path.lexists(blocker) and os.path.dirname(blocker) != blocker:
                blocker = os.path.dirname(blocker)
            why, fix = f"{blocker} is a file, not a folder", f"move {blocker} away, or {fix}"
        elif os.path.isdir(home):
            why, fix = f"not writable ({exc.strerror})", f"chmod u+rwx {home}, or {fix}"
        else:
            why = f"cannot be created ({exc.strerror})"
        report.checks.append(Check("aimem", "data root", "fail", f"{home}: {why}", fix))
        return
    mode = os.stat(home).st_mode & 0o777
    if mode & 0o077:
        report.checks.append(
            Check("aimem", "data root", "warn",
                  f"{home} is writable but readable by others (mode {mode:o})",
                  f"chmod -R go-rwx {home}")
        )  # fmt: skip
        return
    report.checks.append(Check("aimem", "data root", "ok", f"{home} is writable and private"))


def check_marker(report: Report, cwd: str) -> None:
    """A malformed ``.aimem.toml`` above ``cwd``: the project still resolves, maybe not as meant."""
    from aimem.project import resolve_project

    problems: list[str] = []
    resolve_project(cwd, problems=problems)
    for problem in problems:
        marker = problem.split(": ", 1)[0]
        report.checks.append(
            Check("aimem", "project marker", "fail", problem, f"fix or remove {marker}")
        )


def check_project(report: Report, home: str, cwd: str) -> None:
    """The current project's index against its wiki HEAD, and the wiki repository's health."""
    from aimem.project import paths_for, resolve_project

    project = resolve_project(cwd)
    if project is None:
        report.checks.append(Check("aimem", "project", "skip", f"{cwd} is not inside a project"))
        return
    paths = paths_for(home, project.slug)
    if not os.path.isdir(os.path.join(paths.wiki, ".git")):
        report.checks.append(
            Check("aimem", "project", "skip", f"no wiki yet for {project.name} ({project.slug})")
        )
        return
    from aimem.index.sync import index_status

    try:
        status = index_status(paths.index, paths.wiki)
    except Exception as exc:  # noqa: BLE001 - a damaged index or repo is a finding, not a crash
        report.checks.append(
            Check("aimem", "index", "fail", f"cannot read the index: {exc}",
                  f"aimem reindex --full --project {project.slug}")
        )  # fmt: skip
    else:
        if status["head"] is None:
            report.checks.append(Check("aimem", "index", "skip", "the wiki has no commit yet"))
        elif status["up_to_date"]:
            report.checks.append(
                Check("aimem", "index", "ok",
                      f"{status['pages']} pages at wiki HEAD {status['head'][:10]}")
            )  # fmt: skip
        else:
            last = (status["last_commit"] or "nothing")[:10]
            report.checks.append(
                Check("aimem", "index", "fail",
                      f"index at {last}, wiki HEAD at {status['head'][:10]}",
                      f"aimem reindex --project {project.slug}")
            )  # fmt: skip
    report.checks.append(check_wiki_repo(paths.wiki))
    report.checks.append(check_wiki_store(paths.wiki, project.slug))
    report.checks.append(check_sessions(paths, project.slug))


STUCK_AFTER = 120.0  # a consolidation takes about a second; a session pending this long is stuck


def check_sessions(paths, slug: str, now: float | None = None) -> Check:  # noqa: ANN001
    """Sessions that ended (or went silent) but whose journal never reached the wiki: a
    consolidation that was killed or failed leaves them until ``consolidate --pending`` runs."""
    from aimem.consolidate.run import pending_sessions

    now = time.time() if now is None else now
    stuck = []
    for session in pending_sessions(paths, now):
        try:
            if now - os.stat(paths.journal(session)).st_mtime >= STUCK_AFTER:
                stuck.append(session)
        except OSError:
            continue
    if not stuck:
        return Check("aimem", "sessions", "ok", "every ended session is in the wiki")
    more = f" and {len(stuck) - 3} more" if len(stuck) > 3 else ""
    return Check(
        "aimem",
        "sessions",
        "warn",
        f"{len(stuck)} ended session(s) not consolidated (a consolidation was killed or "
        f"failed): {', '.join(stuck[:3])}{more}",
        f"aimem consolidate --pending --project {slug}",
    )


def check_wiki_store(wiki: str, slug: str) -> Check:
    """Whether the wiki's git objects are packed (commits pack them past a threshold, sweeps
    pack the rest): a store left unpacked grows many times past what ``git gc`` would keep."""
    import pygit2

    from aimem.wiki.pack import LOOSE_LIMIT, PACK_LIMIT, needs_packing, store_stats

    try:
        stats = store_stats(pygit2.Repository(wiki))
    except Exception as exc:  # noqa: BLE001 - reported by the fsck check already
        return Check("aimem", "wiki objects", "skip", f"cannot open the repository: {exc}")
    mib = 1 << 20
    detail = (
        f"{stats.packs} pack(s) {stats.pack_bytes / mib:.1f} MiB, "
        f"{stats.loose} loose objects {stats.loose_bytes / mib:.1f} MiB"
    )
    if needs_packing(stats):
        limits = f"(aimem packs past ~{LOOSE_LIMIT} loose objects or {PACK_LIMIT} packs)"
        return Check("aimem", "wiki objects", "warn", f"{detail} {limits}",
                     f"aimem sweep --project {slug}")  # fmt: skip
    return Check("aimem", "wiki objects", "ok", detail)


def check_wiki_repo(wiki: str) -> Check:
    """``git fsck`` when git is installed, else a pygit2 walk that reads every reachable object."""
    fix = f"git -C {wiki} fsck --full  (then restore damaged objects from a backup or clone)"
    git = shutil.which("git")
    if git:
        proc = subprocess.run(
            [git, "-C", wiki, "fsck", "--no-progress", "--no-dangling"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode == 0:
            return Check("aimem", "wiki fsck", "ok", "git fsck: no problem")
        lines = (proc.stderr + proc.stdout).strip().splitlines()
        return Check("aimem", "wiki fsck", "fail", f"git fsck: {lines[0] if lines else 'failed'}",
                     fix)  # fmt: skip
    try:
        count = _walk_objects(wiki)
    except Exception as exc:  # noqa: BLE001 - any read failure is corruption to report
        return Check("aimem", "wiki fsck", "fail", f"pygit2 object walk: {exc}", fix)
    return Check("aimem", "wiki fsck", "ok", f"pygit2 object walk (no git binary): {count} objects")


def _walk_objects(wiki: str) -> int:
    import pygit2

    repo = pygit2.Repository(wiki)
    if repo.head_is_unborn:
        return 0
    seen: set = set()
    stack = []
    for commit in repo.walk(repo.head.target, pygit2.enums.SortMode.TOPOLOGICAL):
        seen.add(commit.id)
        stack.append(commit.tree_id)
    while stack:
        oid = stack.pop()
        if oid in seen:
            continue
        seen.add(oid)
        obj = repo.get(oid)
        if obj is None:
            raise ValueError(f"object {oid} is missing")
        obj.read_raw()
        if isinstance(obj, pygit2.Tree):
            stack.extend(entry.id for entry in obj)
    return len(seen)


def run(
    home: str, cwd: str, user: Target, project: Target | None, settings: Settings | None = None
) -> Report:
    report = Report()
    check_agents(report, [user] + ([project] if project is not None else []))
    if settings is not None:
        check_config(report, settings)
    check_data_root(report, home)
    check_marker(report, cwd)
    check_project(report, home, cwd)
    report.checks.append(check_sweep_schedule(user.env))
    return report


def check_sweep_schedule(env: dict[str, str]) -> Check:
    """Whether the daily decay sweep is scheduled, and runs an aimem that works. Unscheduled is a
    warning: memory still works, it only never fades."""
    from aimem.install.timer import current_schedule

    fix = "aimem install-timer"
    try:
        found = current_schedule(env)
    except InstallError as exc:
        return Check("aimem", "sweep schedule", "warn", str(exc), fix)
    if found is None:
        return Check("aimem", "sweep schedule", "warn", "sweeps are not scheduled", fix)
    kind, argv = found
    problem = executable_problem(argv) if argv else "cannot read its command line"
    if problem:
        return Check("aimem", "sweep schedule", "fail", f"{kind}: {problem}", fix)
    return Check("aimem", "sweep schedule", "ok", f"{kind}: {' '.join(argv)}")
