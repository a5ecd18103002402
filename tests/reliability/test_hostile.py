"""Hostile input: generated hook payloads for every agent, path traversal through the CLI and the
MCP tools, huge and deeply nested payloads.

Hooks must exit 0, print nothing or the agent's own JSON shape, and keep the journal valid
(every complete line parses). Commands given a bad path fail in one line and touch nothing
outside the wiki; MCP tools answer with an error result and the server lives on.

``AIMEM_FUZZ_EXAMPLES`` sets the generated payloads per agent (CI default below; the nightly run
uses 10,000). Generation is derandomized, so a CI failure reproduces exactly.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from replay import FIXTURES, aimem_exe, clean_env, run_aimem, run_hook

from aimem.capture import hook, journal
from aimem.capture.adapters import AGENTS
from aimem.capture.adapters import load as load_adapter
from aimem.config import Settings
from aimem.memory.write import PageWrite, WriteError, write_page
from aimem.project import ProjectPaths, paths_for, resolve_project
from aimem.wiki import repo as wikirepo
from aimem.wiki.pages import PagePathError
from aimem.wiki.read import PageNotFound

EXAMPLES = int(os.environ.get("AIMEM_FUZZ_EXAMPLES", "200"))
SUBPROCESS_EXAMPLES = int(os.environ.get("AIMEM_FUZZ_SUBPROCESS_EXAMPLES", "4"))
FIXTURE_DIRS = {
    "claude-code": "claude",
    "codex": "codex",
    "gemini": "gemini",
    "cursor": "cursor",
    "opencode": "opencode",
}
SECRET = "outside-secret-4f7c1e"  # content of the file every traversal aims at


def real_payloads(agent: str) -> list[tuple[str, dict]]:
    """``(event, payload)`` for every recorded payload of ``agent``."""
    out = []
    for file in sorted((FIXTURES / FIXTURE_DIRS[agent]).glob("*.json")):
        data = json.loads(file.read_text())
        for entry in data if isinstance(data, list) else [data]:
            payload = dict(entry["payload"])
            event = payload.get("hook_event_name") or file.name.split(".")[0]
            out.append((event, payload))
    return out


def every_event(agent: str) -> list[tuple[str, dict]]:
    """The real payloads, plus one for each event the adapter knows but no fixture shows (built
    from a payload of an event of the same kind, renamed)."""
    events = load_adapter(agent).EVENTS
    found = real_payloads(agent)
    have = {e for e, _ in found}
    for event, kind in events.items():
        if event in have:
            continue
        like = [p for e, p in found if events.get(e) == kind] or [p for _, p in found]
        found.append((event, dict(like[0], hook_event_name=event)))
    return found


PAYLOADS = {agent: every_event(agent) for agent in AGENTS}


def test_the_generator_starts_from_every_event_each_adapter_knows() -> None:
    for agent in AGENTS:
        assert set(load_adapter(agent).EVENTS) <= {e for e, _ in PAYLOADS[agent]}, agent
        assert len(real_payloads(agent)) >= 5, agent


# --- the generated payloads -----------------------------------------------------------------

NASTY = [
    "\ud800",  # lone surrogates: a cut emoji
    "\udfff",
    "\x00",
    "\x1b[2J\x1b[31m",
    "\u202e",  # right-to-left override
    "\ufeff",
    "\r\n\u2028\u2029",
    "</aimem-handoff>",
    "'; DROP TABLE pages; --",
    "../../../../etc/passwd",
    "%2e%2e%2f",
    "🧠" * 3,
    "a\\b\\..\\c",
]
nasty_text = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(NASTY)), max_size=6).map(
    "".join
)
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    nasty_text,
)
json_value = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(nasty_text, inner, max_size=4)
    ),
    max_leaves=12,
)
DEEP = "__aimem_deep__"
BIG_SIZES = [1_000, 70_000, 300_000, 5_000_000]  # the last one is past the hook's stdin cap


def _places(value: object, path: tuple = ()) -> list[tuple]:
    """Every key path into a JSON value (``()`` is the value itself)."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _places(item, (*path, i))
    return found


def _set(root: dict, path: tuple, value: object) -> None:
    target = root
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _delete(root: dict, path: tuple) -> None:
    target = root
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


@dataclass
class Call:
    event: str | None  # the event argument (None: the payload's own hook_event_name)
    raw: bytes


@st.composite
def hook_calls(draw: st.DrawFn, agent: str, cwd: str, sessions: list[str]) -> Call:
    event, base = draw(st.sampled_from(PAYLOADS[agent]))
    payload = copy.deepcopy(base)
    # Pointed at the test project, so most calls get as far as the journal.
    for key in ("cwd", "workspace_roots"):
        if key in payload:
            payload[key] = [cwd] if key == "workspace_roots" else cwd
    for key in ("session_id", "conversation_id"):
        if key in payload:
            payload[key] = draw(st.sampled_from(sessions))
    deep = 0
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 3, 4]))):
        places = [p for p in _places(payload) if p]
        op = draw(
            st.sampled_from(["delete", "replace", "nasty", "big", "deep", "add", "wrong-type"])
        )
        if op == "add" or not places:
            _set(payload, (draw(nasty_text),), draw(json_value))
            continue
        place = draw(st.sampled_from(places))
        if op == "delete":
            _delete(payload, place)
        elif op in ("replace", "wrong-type"):
            _set(payload, place, draw(json_value))
        elif op == "nasty":
            _set(payload, place, draw(nasty_text))
        elif op == "big":
            size = draw(st.sampled_from(BIG_SIZES))
            _set(payload, place, draw(st.sampled_from(["x", "é", "\ud83e\udde0", "\x00"])) * size)
        elif op == "deep" and not deep:
            deep = draw(st.sampled_from([50, 2_000, 100_000]))
            _set(payload, place, DEEP)
    which = draw(st.integers(0, 9))  # mostly the payload's own event, as agents send it
    if which < 6:
        event_arg: str | None = event
    elif which == 6:
        event_arg = None  # taken from the payload's hook_event_name
    elif which < 9:
        event_arg = draw(st.sampled_from(sorted(load_adapter(agent).EVENTS)))
    else:
        event_arg = draw(nasty_text)
    text = json.dumps(payload, ensure_ascii=draw(st.booleans()))
    if deep:
        text = text.replace(json.dumps(DEEP), "[" * deep + "]" * deep, 1)
    raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes invalid UTF-8
    damage = draw(st.sampled_from(["none"] * 8 + ["cut", "flip", "bom", "trail", "array"]))
    if damage == "cut" and raw:
        raw = raw[: draw(st.integers(0, len(raw) - 1))]
    elif damage == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :]
    elif damage == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif damage == "trail":
        raw += b"\x00garbage}"
    elif damage == "array":
        raw = b"[" + raw + b"]"
    return Call(event_arg, raw)


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hostile-hooks")
    project = root / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    return root / "data", project


def check_output(agent: str, out: str) -> None:
    """Nothing, or exactly the JSON shape the agent reads context from."""
    if not out:
        return
    data = json.loads(out)
    if agent == "cursor":
        assert set(data) == {"additional_context"} and isinstance(data["additional_context"], str)
    else:
        inner = data["hookSpecificOutput"]
        assert set(data) == {"hookSpecificOutput"}
        assert isinstance(inner["additionalContext"], str)
        assert isinstance(inner["hookEventName"], str)


def check_journals(raw_dir: Path) -> int:
    """Every complete line of every segment is a JSON object; returns the line count."""
    lines = 0
    for segment in raw_dir.glob("*.jsonl"):
        data = segment.read_bytes()
        assert data.endswith(b"\n") or not data, f"{segment.name} ends in a torn line"
        for number, line in enumerate(data.splitlines(), 1):
            record = json.loads(line)
            assert isinstance(record, dict), (segment.name, number)
            assert isinstance(record.get("kind"), str) and isinstance(record.get("id"), str)
            assert len(line) <= 70 * 1024, (segment.name, number, len(line))
            lines += 1
    return lines


@pytest.mark.parametrize("agent", AGENTS)
def test_generated_payloads_never_break_the_hook(
    agent: str, fuzz_world: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk, in-process through ``hook.run`` (what ``aimem hook`` runs after loading its
    settings). Consolidation is what a SessionEnd starts in a detached process; here that start
    is counted instead of run, thousands of times over (the subprocess sample below runs it)."""
    home, project = fuzz_world
    sessions = [f"fuzz-{agent}-{i}" for i in range(3)] + ["", "../x", "a" * 300, "ok.id-1"]
    conf = Settings(home=str(home), consolidate_wait_seconds=0.0)
    spawned: list[str] = []

    def spawn(home: str, slug: str, session: str) -> int:
        spawned.append(session)
        return 0

    monkeypatch.setattr(hook, "_spawn_consolidate", spawn)
    outcomes: dict[str, int] = {}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(call=hook_calls(agent, str(project), sessions))
    def one(call: Call) -> None:
        out = io.StringIO()
        outcome = hook.run(agent, call.event, io.BytesIO(call.raw), out, conf)
        assert isinstance(outcome, str)
        check_output(agent, out.getvalue())
        key = outcome.split(" (")[0].split(":")[0][:40]
        outcomes[key] = outcomes.get(key, 0) + 1

    one()
    found = resolve_project(str(project), {})
    assert found is not None
    raw_dir = Path(paths_for(str(home), found.slug).raw)
    assert check_journals(raw_dir) > 0
    # The generator gets past every check often enough for the journal part to be exercised.
    journaled = outcomes.get("recorded", 0) + outcomes.get("duplicate", 0)
    assert journaled >= max(3, EXAMPLES // 25), outcomes
    assert all(journal.valid_session_id(s) for s in spawned)


@pytest.mark.parametrize("agent", AGENTS)
def test_generated_payloads_through_the_real_hook_process(
    agent: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp(f"hostile-{agent}")
    project = root / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    env = clean_env(str(root / "data"), AIMEM_CONFIG=str(root / "none.toml"))
    sessions = [f"sub-{agent}-1", "", "a" * 300]

    @settings(
        max_examples=SUBPROCESS_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(call=hook_calls(agent, str(project), sessions))
    def one(call: Call) -> None:
        argv = [aimem_exe(), "hook", agent] + ([call.event] if call.event is not None else [])
        # An argument cannot hold NUL; a lone surrogate goes through as the bytes it encodes to.
        argv = [a.encode("utf-8", "surrogatepass").replace(b"\0", b"") for a in argv]
        done = subprocess.run(argv, input=call.raw, env=env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr
        check_output(agent, done.stdout.decode())

    one()
    found = resolve_project(str(project), {})
    assert found is not None
    check_journals(Path(paths_for(env["AIMEM_HOME"], found.slug).raw))


# --- huge and deeply nested payloads --------------------------------------------------------


# Started from a fresh, small interpreter: on Linux a child's peak RSS counts the memory of the
# process it was forked from (here pytest's), so the hook is forked from this instead.
_LAUNCHER = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
out = child.stdout.read()
_pid, status, usage = os.wait4(child.pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace"),
                  usage.ru_maxrss]))
"""


def run_measured(argv: list[str], data: bytes, env: dict[str, str]) -> tuple[int, str, int]:
    """Exit status, stdout and peak RSS (KiB) of a hook fed ``data`` on stdin."""
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *argv], input=data, env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    code, out, rss = json.loads(done.stdout)
    return code, out, rss


@pytest.fixture
def hook_env(home: Path, env: dict[str, str], project: Path) -> tuple[dict[str, str], ProjectPaths]:
    found = resolve_project(str(project), {})
    assert found is not None
    return env, paths_for(str(home), found.slug)


def _records(paths: ProjectPaths, session: str) -> list[dict]:
    return journal.read_journal(paths.journal(session)).records


def test_a_50mb_payload_is_recorded_as_oversized_in_bounded_memory(
    hook_env: tuple[dict[str, str], ProjectPaths], project: Path
) -> None:
    env, paths = hook_env
    session = "huge-" + uuid.uuid4().hex[:8]
    head = json.dumps(
        {
            "session_id": session,
            "cwd": str(project),
            "hook_event_name": "PostToolUse",
            "tool_name": "Bash",
            "tool_response": {"stdout": ""},
        }
    )[:-3]
    data = (head + "x" * (50 * 1024 * 1024) + '"}}').encode()
    started = time.monotonic()
    code, out, rss = run_measured([aimem_exe(), "hook", "claude-code", "PostToolUse"], data, env)
    elapsed = time.monotonic() - started
    assert code == 0 and out == ""
    assert rss < 64 * 1024, f"peak RSS {rss} KiB for a 50 MB payload"
    assert elapsed < 30
    records = _records(paths, session)
    assert len(records) == 1 and records[0].get("oversized") == len(data), records


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_recorded_and_marked(
    hook_env: tuple[dict[str, str], ProjectPaths], project: Path, depth: int
) -> None:
    env, paths = hook_env
    session = f"deep-{depth}"
    payload = {
        "session_id": session,
        "cwd": str(project),
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": DEEP,
        "tool_response": {"stdout": "ok"},
    }
    data = json.dumps(payload).replace(json.dumps(DEEP), "[" * depth + "]" * depth).encode()
    code, out, rss = run_measured([aimem_exe(), "hook", "claude-code", "PostToolUse"], data, env)
    assert code == 0 and out == ""
    assert rss < 64 * 1024, f"peak RSS {rss} KiB"
    records = _records(paths, session)
    # Recorded (the session is known from the payload's first bytes), and marked as not kept.
    assert len(records) == 1, f"nothing recorded for a {depth}-deep payload"
    marked = {"oversized", "unparsable", "too_deep"} & set(records[0])
    assert marked, records


# --- path traversal: CLI ----------------------------------------------------------------------


@dataclass
class PathWorld:
    root: Path
    project: Path
    env: dict[str, str]
    paths: ProjectPaths
    name: str
    slug: str
    outside: Path  # a folder beside the data root holding the secret


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def path_world(tmp_path: Path) -> PathWorld:
    """A wiki with two pages and symlinks committed into it pointing outside (each test gets
    its own: a write that replaces a symlink must not decide what the next test sees)."""
    root = tmp_path
    outside = root / "outside"
    (outside / "sub").mkdir(parents=True)
    for name in ("secret.md", "sub/secret.md", "secret"):
        (outside / name).write_text(f"---\ntitle: {SECRET}\n---\n{SECRET}\n")
    project = root / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    home = root / "data"
    env = clean_env(str(home), AIMEM_CONFIG=str(root / "none.toml"))
    found = resolve_project(str(project), {})
    assert found is not None
    paths = paths_for(str(home), found.slug)
    write_page(paths, found.name, PageWrite(type="concept", title="Inside", body="A real page."))
    write_page(paths, found.name, PageWrite(type="decision", title="Old", body="Superseded."))
    # Symlinks committed into the wiki, as a synced wiki from elsewhere could hold them.
    wiki = Path(paths.wiki)
    (wiki / "concepts" / "escape.md").symlink_to(outside / "secret.md")
    (wiki / "concepts" / "relative-escape.md").symlink_to(Path("../../../../../outside/secret.md"))
    (wiki / "linked").symlink_to(outside / "sub")
    (wiki / "_archive").mkdir(exist_ok=True)
    (wiki / "_archive" / "gone.md").symlink_to(outside / "secret.md")
    git = ["git", "-C", str(wiki), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-qm", "symlinks from elsewhere"], check=True)
    return PathWorld(root, project, env, paths, found.name, found.slug, outside)


TRAVERSALS = [
    "../../outside/secret",
    "../../../../outside/secret.md",
    "concepts/../../../outside/secret.md",
    "{outside}/secret.md",  # absolute
    "{outside}/secret",
    "%2e%2e/%2e%2e/outside/secret",
    "..%2f..%2f..%2foutside%2fsecret.md",
    "concepts\\..\\..\\..\\outside\\secret",
    "..\\..\\outside\\secret.md",
    "C:\\Windows\\win.ini",
    "file://{outside}/secret.md",
    "~/../../outside/secret.md",
    "．．/．．/outside/secret",  # fullwidth dots
    "concepts/escape",  # a symlink in the wiki pointing outside
    "concepts/relative-escape.md",
    "linked/secret",  # a symlinked folder
    "_archive/gone",
    ".git/config",
    "concepts/" + "a" * 300,
    "/".join(["b" * 200] * 8),
    "concepts/a\tb\nc",
    " ",
]


def _form(path: str, world: PathWorld) -> str:
    return path.replace("{outside}", str(world.outside))


def expect_refused(proc: subprocess.CompletedProcess, world: PathWorld) -> None:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("aimem: error:"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr


@pytest.mark.parametrize("form", TRAVERSALS)
def test_library_refuses_every_traversal(path_world: PathWorld, form: str) -> None:
    """The functions behind show, explore, write-page and unarchive, over every form: a path
    error or a miss, never a read or write outside the wiki, never another exception."""
    from aimem import recall
    from aimem.lifecycle.sweep import unarchive

    world, path = path_world, _form(form, path_world)
    before, head = snapshot(world.outside), _head(world)
    calls = {
        "read": lambda: recall.read_page(world.paths, path),
        "explore": lambda: recall.explore(world.paths, path),
        "update": lambda: write_page(
            world.paths, world.name, PageWrite(type="concept", title="X", body="Y", path=path)
        ),
        "supersede": lambda: write_page(
            world.paths,
            world.name,
            PageWrite(
                type="decision", title=f"New {uuid.uuid4().hex}", body="Z", supersedes=[path]
            ),
        ),
        "unarchive": lambda: unarchive(world.paths, world.name, path),
    }
    for name, call in calls.items():
        with pytest.raises((PagePathError, PageNotFound, WriteError, FileNotFoundError)) as err:
            call()
        message = str(err.value)
        assert SECRET not in message and "\n" not in message.strip(), (name, message)
    assert snapshot(world.outside) == before
    assert _head(world) == head


def _head(world: PathWorld) -> str | None:
    return wikirepo.head_commit(wikirepo.open_repo(world.paths.wiki, create=False))


CLI_FORMS = [  # a sample: the library test above covers every form for every command
    "../../outside/secret",
    "{outside}/secret.md",
    "..\\..\\outside\\%2e%2e\\secret.md",
    "concepts/escape",
]


@pytest.mark.parametrize("form", CLI_FORMS)
def test_cli_refuses_traversal_in_one_line(path_world: PathWorld, form: str) -> None:
    world, path = path_world, _form(form, path_world)
    before, head = snapshot(world.outside), _head(world)
    cwd = str(world.project)
    commands = [
        ["show", path],
        ["explore", path],
        ["write-page", "-t", "concept", "--title", "X", "-b", "Y", "--path", path],
        ["write-page", "-t", "rule", "--title", "R", "-b", "B", "--supersedes", path],
        ["unarchive", path],
    ]
    failures = []
    for args in commands:
        try:
            expect_refused(run_aimem(*args, env=world.env, cwd=cwd), world)
        except AssertionError as exc:
            failures.append(f"{args[0]} {args[-2:]}: {str(exc).splitlines()[0]}")
    searched = run_aimem("search", path, env=world.env, cwd=cwd)  # any text is a query
    assert searched.returncode == 0 and "Traceback" not in searched.stderr, searched.stderr
    assert SECRET not in searched.stdout
    assert snapshot(world.outside) == before
    assert not failures, failures
    assert _head(world) == head


def test_a_symlinked_page_inside_the_wiki_is_never_indexed_or_shown(path_world: PathWorld) -> None:
    world = path_world
    full = run_aimem("reindex", "--full", env=world.env, cwd=str(world.project))
    assert full.returncode == 0, full.stderr
    assert (Path(world.paths.wiki) / "concepts" / "relative-escape.md").read_text().count(SECRET)
    found = run_aimem("search", SECRET, "--json", env=world.env, cwd=str(world.project))
    assert found.returncode == 0 and json.loads(found.stdout) == [], found.stdout


# --- path traversal and wrong types: MCP --------------------------------------------------------


def test_mcp_tools_refuse_traversal_and_wrong_types(path_world: PathWorld) -> None:
    folder = str(Path(__file__).parents[1] / "mcp")
    if folder not in sys.path:
        sys.path.append(folder)
    from mcp_harness import McpServer, result_text

    world = path_world
    before, head = snapshot(world.outside), _head(world)
    stderr = world.root / f"server-{uuid.uuid4().hex}.err"
    bad_paths = [_form(f, world) for f in TRAVERSALS] + [
        "concepts/a\x00b",
        "\x00",
        "concepts/\u202e\u0000.md",  # (the client cannot send a lone surrogate)
        "a" * 5000,
    ]
    with McpServer(world.env, str(world.project), stderr) as server:
        failures: list[str] = []

        def refused(tool: str, **arguments: object) -> None:
            result = server.call(tool, **arguments)
            text = result_text(result)
            assert "Traceback" not in text and SECRET not in text, text
            if not result.is_error or len(text) > 2000:
                failures.append(f"{tool} {str(arguments)[:120]}: {text[:160]!r}")

        for path in bad_paths:
            refused("memory_read", path=path)
            refused("memory_explore", path=path)
            refused("memory_write_page", type="concept", title="T", body="B", path=path)
            refused(
                "memory_write_page",
                type="decision",
                title=f"D {uuid.uuid4().hex[:6]}",
                body="B",
                supersedes=[path],
            )
        wrong = [
            ("memory_read", {"path": 7}),
            ("memory_read", {"path": None}),
            ("memory_read", {"path": ["concepts/inside.md"]}),
            ("memory_read", {"path": {"$ref": "x"}}),
            ("memory_read", {}),
            ("memory_explore", {"path": "concepts/inside.md", "limit": "ten"}),
            ("memory_explore", {"path": "concepts/inside.md", "limit": -1}),
            ("memory_query", {"query": ""}),
            ("memory_query", {"query": 42}),
            ("memory_query", {"query": "x", "type": "secrets"}),
            ("memory_query", {"query": "x", "limit": 10**20}),
            ("memory_query", {"query": "x" * 100_000}),
            ("memory_write_page", {"type": "session", "title": "T", "body": "B"}),
            ("memory_write_page", {"type": "rule", "title": "", "body": "B"}),
            ("memory_write_page", {"type": "rule", "title": "T", "body": None}),
            ("memory_write_page", {"type": "rule", "title": "T", "body": "B", "tags": "x"}),
            ("memory_write_page", {"type": "rule", "title": "T", "body": "B", "salience": "hi"}),
            ("memory_consolidate", {"session": "../../etc"}),
            ("memory_recent", {"limit": 0}),
            ("memory_lint", {"limit": []}),
            ("memory_read", {"path": "concepts/inside.md", "project": "../../outside"}),
            ("memory_read", {"path": "concepts/inside.md", "project": str(world.outside)}),
        ]
        for tool, arguments in wrong:
            refused(tool, **arguments)
        # The server lives on and still answers.
        assert server.ok("memory_read", path="concepts/inside.md")["title"] == "Inside"
        assert server.ok("memory_query", query="../../outside/secret")["results"] is not None
    assert snapshot(world.outside) == before
    assert "Traceback" not in stderr.read_text()
    assert not failures, "\n".join(failures)
    assert _head(world) == head


def test_hook_with_unknown_agent_or_event_is_quiet(env: dict[str, str], project: Path) -> None:
    for agent, event in [("nope", "SessionStart"), ("claude-code", "Nope"), ("codex", "\x1b[2J")]:
        done = run_hook(agent, event, {"session_id": "s", "cwd": str(project)}, env)
        assert done.returncode == 0 and done.stdout == b"" and b"Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["show", "explore"])
def test_a_page_name_too_long_for_the_file_system_is_one_line(
    path_world: PathWorld, command: str
) -> None:
    for name in ("a" * 300, "concepts/" + "b" * 300 + ".md"):
        done = run_aimem(command, name, env=path_world.env, cwd=str(path_world.project))
        expect_refused(done, path_world)
        assert "longer than 255 bytes" in done.stderr
