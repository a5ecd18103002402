"""The disk itself fails: a full disk, a read-only data root, and who may read the data root.

- **Full disk.** With one page of space left, a hook that rewrites ``state/sessions.json`` once
  left it cut at 4,096 bytes, and a prompt line cut by the disk stayed torn in the journal. Now
  every atomic write checks each ``os.write`` and keeps the old file; a journal append that is
  cut short truncates back. Where the test runs as root and may mount, the data root is a small
  tmpfs really filled up; otherwise (and in addition) a ``sitecustomize`` on ``PYTHONPATH`` makes
  ``os.write`` under the data root fail with ENOSPC after a 4,096-byte budget per process.
- **Read-only data root.** Every command died opening the log file. Reading memory must work;
  as root ``chmod`` stops nothing, so the data root is bind-mounted read-only onto itself where
  mounting works (``chmod -R a-w`` as a normal user; skipped as root without mount rights).
- **Privacy.** The data root and every folder aimem creates in it are 0700, its files 0600 (git's
  read-only objects 0400), whatever the umask.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from replay import claude_session, clean_env, payload, retarget, run_aimem, run_hook

from aimem.capture import state
from aimem.capture.journal import read_journal
from aimem.project import paths_for, resolve_project

PAGE = 4096
SITECUSTOMIZE = """
import errno, os
_budget = int(os.environ.get("AIMEM_TEST_WRITE_BUDGET", "-1"))
_root = os.path.realpath(os.environ.get("AIMEM_HOME", "/nonexistent")) + os.sep
if _budget >= 0:
    _write = os.write

    def write(fd, data):
        global _budget
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if not target.startswith(_root):
            return _write(fd, data)
        if _budget <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        data = bytes(memoryview(data)[:_budget])
        written = _write(fd, data)
        _budget -= written
        return written

    os.write = write
"""


def _run(*cmd: str) -> bool:
    return subprocess.run(list(cmd), capture_output=True).returncode == 0


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


def project_paths(home: Path, project: Path):
    found = resolve_project(str(project), {})
    assert found is not None
    return paths_for(str(home), found.slug)


def record(project: Path, env: dict, prompt: str, events: list[str] | None = None) -> str:
    """A session through the real hooks; with its SessionEnd (the default), wait until the
    consolidation that SessionEnd starts has finished."""
    session = str(uuid.uuid4())
    events = events or ["SessionStart", "UserPromptSubmit", "PostToolUse", "SessionEnd"]
    results = claude_session(str(project), session, prompt, env, events=events)
    assert [(r.returncode, r.stderr) for r in results] == [(0, b"")] * len(results)
    if "SessionEnd" in events:
        wait_consolidated(Path(env["AIMEM_HOME"]), project, session)
    return session


def wait_consolidated(home: Path, project: Path, session: str) -> None:
    paths = project_paths(home, project)
    deadline = time.monotonic() + 60
    while state.sessions(paths.state).get(session, {}).get("status") != "consolidated":
        assert time.monotonic() < deadline, state.sessions(paths.state)
        time.sleep(0.1)


def no_temp_files(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*.tmp")]


# --- full disk -------------------------------------------------------------------------------


@pytest.fixture(params=["tmpfs", "simulated"])
def disk(request, tmp_path: Path) -> Iterator[dict]:
    """A data root on a disk that can be filled: ``fill()`` leaves one page, ``free()`` undoes."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    home = mnt / "data"
    env = clean_env(str(home), AIMEM_CONFIG=str(tmp_path / "no-config.toml"))
    filler = mnt / "filler"
    if request.param == "tmpfs":
        if not can_mount() or not _run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)):
            pytest.skip(
                "needs root and mount rights for a real tmpfs (the simulated run covers it)"
            )
        env = clean_env(str(home), AIMEM_CONFIG=str(tmp_path / "no-config.toml"))

        def fill() -> None:
            # Unbuffered: a buffered file would retry its unwritten tail at close and raise.
            with open(filler, "wb", buffering=0) as fh:  # noqa: PTH123
                try:
                    while True:
                        fh.write(b"\0" * 65536)
                except OSError:
                    pass
            with open(filler, "r+b") as fh:  # noqa: PTH123
                # Two pages left: the new session's journal takes one, so the state rewrite
                # has exactly one (tmpfs allocates whole pages).
                fh.truncate(max(0, os.path.getsize(filler) - 2 * PAGE))

        def free() -> None:
            filler.unlink()

        try:
            yield {"env": env, "home": home, "fill": fill, "free": free, "kind": "tmpfs"}
        finally:
            subprocess.run(["umount", "-l", str(mnt)], check=False)
        return
    custom = tmp_path / "sitecustomize"
    custom.mkdir()
    (custom / "sitecustomize.py").write_text(SITECUSTOMIZE)
    python_path = os.pathsep.join(filter(None, [str(custom), env.get("PYTHONPATH")]))
    full = dict(env, PYTHONPATH=python_path, AIMEM_TEST_WRITE_BUDGET=str(PAGE))
    current = {"env": env}

    def fill_sim() -> None:
        current["env"] = full

    def free_sim() -> None:
        current["env"] = env

    yield {"env_of": lambda: current["env"], "home": home, "fill": fill_sim, "free": free_sim,
           "kind": "simulated", "env": env}  # fmt: skip


def env_now(disk: dict) -> dict:
    return disk["env_of"]() if "env_of" in disk else disk["env"]


def test_a_full_disk_never_corrupts_state_or_tears_a_journal_line(disk: dict, project: Path):
    home = disk["home"]
    first = record(project, env_now(disk), "Fix the YAML anchors loader")
    paths = project_paths(home, project)
    # A sessions.json bigger than the page left, as after some weeks of use.
    with state.state_lock(paths.state):
        sessions = state.read_json(state.sessions_path(paths.state))
        for i in range(200):
            ts = 1.0e9 + i
            sessions[f"old-session-{i:04d}"] = {
                "agent": "codex",
                "status": "consolidated",
                "started_ts": ts,
                "ended_ts": ts,
            }
        state.write_json_atomic(state.sessions_path(paths.state), sessions)
    sessions_before = Path(state.sessions_path(paths.state)).read_bytes()
    assert len(sessions_before) > 2 * PAGE
    brief_before = (Path(paths.state) / "brief.md").read_bytes()

    disk["fill"]()
    env = env_now(disk)
    second = str(uuid.uuid4())
    start = retarget(payload("claude-code", "SessionStart"), cwd=str(project), session=second)
    big = "Please refactor the loader. " * 1000  # a prompt line far bigger than the page left
    prompt = retarget(payload("claude-code", "UserPromptSubmit"), cwd=str(project),
                      session=second, prompt=big)  # fmt: skip
    journal = Path(paths.journal(second))
    for event, data in (("SessionStart", start), ("UserPromptSubmit", prompt)):
        size = journal.stat().st_size if journal.exists() else 0
        done = run_hook("claude-code", event, data, env)
        assert (done.returncode, done.stderr) == (0, b""), done.stderr
        # Journal: whatever was recorded is whole lines; a line that did not fit is not there
        # in part (checked before anything else appends, which would cut a torn tail).
        if journal.exists():
            read = read_journal(str(journal))
            assert not read.torn_tail and read.bad_lines == [], journal.read_bytes()[-200:]
            assert event == "SessionStart" or journal.stat().st_size == size
    for event, data in (("UserPromptSubmit", prompt), ("SessionStart", start)):
        run_hook("claude-code", event, data, env)  # and again, on a disk still full

    # State: the old file, whole (the rewrite could not be completed), and no temp file left.
    after = Path(state.sessions_path(paths.state)).read_bytes()
    assert json.loads(after)["old-session-0199"]["status"] == "consolidated"
    assert first in json.loads(after)
    assert after == sessions_before or json.loads(after).get(second)
    assert no_temp_files(home) == []
    if journal.exists():
        read = read_journal(str(journal))
        assert not read.torn_tail and all(r["kind"] != "prompt" for r in read.records)

    if disk["kind"] == "tmpfs":  # consolidation on a full disk: fails cleanly, loses nothing
        done = run_aimem("consolidate", "--session", second, env=env, cwd=str(project))
        assert "Traceback" not in done.stderr, done.stderr
        assert json.loads(Path(state.sessions_path(paths.state)).read_bytes())
        brief = (Path(paths.state) / "brief.md").read_bytes()
        assert brief == brief_before or brief.endswith(b"\n")

    disk["free"]()
    env = env_now(disk)
    for event, data in (("SessionStart", start), ("UserPromptSubmit", prompt)):
        assert run_hook("claude-code", event, data, env).returncode == 0
    end = retarget(payload("claude-code", "SessionEnd"), cwd=str(project), session=second)
    assert run_hook("claude-code", "SessionEnd", end, env).returncode == 0
    wait_consolidated(home, project, second)
    read = read_journal(paths.journal(second))
    assert any(r["kind"] == "prompt" for r in read.records) and not read.torn_tail
    sessions = state.sessions(paths.state)
    assert sessions[first]["status"] == "consolidated" and second in sessions
    assert no_temp_files(home) == []
    status = run_aimem("status", "--json", env=env, cwd=str(project))
    assert status.returncode == 0 and json.loads(status.stdout)["commits"] >= 2


def test_write_atomic_keeps_the_old_file_when_a_write_fails(tmp_path: Path):
    """In process: the short-write loop and the clean-up, with a file that is really full
    (``/dev/full`` answers every write with ENOSPC) standing in for the temp file."""
    target = tmp_path / "state" / "sessions.json"
    state.write_json_atomic(str(target), {"a": 1})
    tmp = Path(f"{target}.{os.getpid()}.tmp")
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    tmp.symlink_to("/dev/full")
    with pytest.raises(OSError):
        state.write_json_atomic(str(target), {"a": 2, "b": "x" * 10000})
    assert json.loads(target.read_text()) == {"a": 1}
    assert not tmp.exists() and not tmp.is_symlink()


# --- read-only data root ---------------------------------------------------------------------


@pytest.fixture
def read_only(tmp_path: Path, project: Path) -> Iterator[tuple[Path, dict, str]]:
    """A real consolidated memory whose data root is then made read-only."""
    home = tmp_path / "data"
    env = clean_env(str(home), AIMEM_CONFIG=str(tmp_path / "no-config.toml"))
    session = record(project, env, "Fix the YAML anchors loader")
    assert run_aimem("search", "YAML anchors", env=env, cwd=str(project)).returncode == 0
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(home)], check=True)
        try:
            yield home, env, session
        finally:
            subprocess.run(["chmod", "-R", "u+w", str(home)], check=True)
        return
    if not can_mount() or not _run("mount", "--bind", str(home), str(home)):
        pytest.skip("as root, a read-only data root needs a read-only bind mount")
    try:
        assert _run("mount", "-o", "remount,bind,ro", str(home))
        assert not os.access(home, os.W_OK) or not _run("touch", str(home / "probe"))
        yield home, env, session
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


def test_reading_memory_works_on_a_read_only_data_root(read_only, project: Path):
    home, env, session = read_only
    cwd = str(project)

    def ok(*args: str) -> str:
        done = run_aimem(*args, env=env, cwd=cwd)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)
        assert done.stderr == "", (args, done.stderr)
        return done.stdout

    info = json.loads(ok("status", "--json"))
    assert info["commits"] >= 1 and info["sessions"] == {"consolidated": 1}
    ok("status")
    hits = json.loads(ok("search", "YAML anchors", "--json"))
    assert hits, "search finds the consolidated session"
    page = hits[0]["path"]
    assert "YAML" in ok("show", page)
    ok("search", "YAML", "--all")
    ok("projects")
    ok("path")
    # A hook on a read-only root records nothing, says nothing, exits 0.
    other = str(uuid.uuid4())
    start = retarget(payload("claude-code", "SessionStart"), cwd=cwd, session=other)
    done = run_hook("claude-code", "SessionStart", start, env)
    assert (done.returncode, done.stderr) == (0, b"")
    # doctor says what is wrong, with its fix, instead of a traceback.
    doctor = run_aimem("doctor", env=env, cwd=cwd)
    assert "Traceback" not in doctor.stderr and doctor.returncode == 1
    assert any("data root" in x and "not writable" in x for x in doctor.stdout.splitlines())


# --- privacy ---------------------------------------------------------------------------------


def test_the_data_root_is_private_whatever_the_umask(tmp_path: Path, project: Path):
    home = tmp_path / "data"
    env = clean_env(str(home), AIMEM_CONFIG=str(tmp_path / "no-config.toml"))
    old = os.umask(0o022)  # what most users have: new files 0644, folders 0755
    try:
        session = record(project, env, "Fix the YAML anchors loader")
        for args in (["search", "YAML"], ["reindex", "--full"], ["status"], ["doctor"]):
            run_aimem(*args, env=env, cwd=str(project))
        record(project, env, "A second session")
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    loose = []
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            continue
        if mode & 0o077:
            loose.append(f"{oct(mode)} {path.relative_to(home)}")
    assert loose == [], "\n".join(loose)
    paths = project_paths(home, project)
    for must in (
        paths.journal(session),
        state.sessions_path(paths.state),
        os.path.join(paths.state, "brief.md"),
        paths.index,
        str(home / "logs" / "aimem.log"),
    ):
        assert stat.S_IMODE(os.stat(must).st_mode) == 0o600, must
    for folder in (home / "logs", Path(paths.base), Path(paths.raw), Path(paths.state)):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
