"""The hook with a broken config, a broken project marker or an unusable data root: it still
exits 0 with nothing on stdout or stderr, records what it can, and logs each problem once."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from replay import claude_session, clean_env, context_of, payload, retarget, run_hook

from aimem.capture.journal import read_journal
from aimem.project import paths_for, resolve_project

BROKEN = {
    "values": 'handoff_max_age_days = "seven"\nlog_level = "NOPE"\n',
    "syntax": "handoff_max_age_days = = 3\n[unclosed\n",
    "encoding": b'home = "/tmp/\xff"\n',
}


def journal_of(home: Path, project: Path, session: str):
    found = resolve_project(str(project), {})
    assert found is not None
    return read_journal(paths_for(str(home), found.slug).journal(session))


@pytest.mark.parametrize("kind", sorted(BROKEN))
@pytest.mark.parametrize("where", ["AIMEM_CONFIG", "XDG_CONFIG_HOME"])
def test_a_broken_config_is_logged_once_and_every_event_is_recorded(
    tmp_path: Path, project: Path, kind: str, where: str
):
    home = tmp_path / "data"
    text = BROKEN[kind]
    if where == "AIMEM_CONFIG":
        config = tmp_path / "elsewhere.toml"
        env = clean_env(str(home), AIMEM_CONFIG=str(config))
    else:  # the default place: before, the fallback re-read it and the hook died
        config = tmp_path / "xdg" / "aimem" / "config.toml"
        env = clean_env(str(home), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_bytes(text if isinstance(text, bytes) else text.encode())
    session = str(uuid.uuid4())
    results = claude_session(str(project), session, "Fix the config loader", env)
    assert [(r.returncode, r.stderr) for r in results] == [(0, b"")] * len(results)
    assert context_of(results[0].stdout) is not None  # valid output (or none)
    kinds = [r["kind"] for r in journal_of(home, project, session).records]
    assert kinds[0] == "session_start" and "prompt" in kinds and kinds[-1] == "session_end"
    log = (home / "logs" / "aimem.log").read_text()
    ignored = [line for line in log.splitlines() if "config ignored" in line]
    assert ignored and all(str(config) in line for line in ignored)
    assert (
        len(ignored) == len(set(ignored)) == (2 if kind == "values" else 1)
    )  # once, not per event
    assert "Traceback" not in log


def test_a_bad_environment_value_is_logged_and_recorded(tmp_path: Path, project: Path):
    home = tmp_path / "data"
    env = clean_env(str(home), AIMEM_CONFIG=str(tmp_path / "none"), AIMEM_STDIN_MAX_BYTES="4 MB")
    session = str(uuid.uuid4())
    results = claude_session(str(project), session, "hello", env, events=["SessionStart"])
    assert results[0].returncode == 0
    assert journal_of(home, project, session).records
    assert 'AIMEM_STDIN_MAX_BYTES="4 MB" is not a number' in (home / "logs/aimem.log").read_text()


@pytest.mark.parametrize(
    ("marker", "what"),
    [
        ("name = 'billing\nname2 = [\n", "not valid TOML"),
        ("name = 42\n", "is not a string"),
        (b'name = "caf\xe9"\n', "not UTF-8 text"),
        ('name = "billing"\nowner = "me"\n', "unknown key 'owner'"),
    ],
)
def test_a_malformed_marker_is_logged_and_the_project_still_resolves(
    tmp_path: Path, env: dict, home: Path, marker: str | bytes, what: str
):
    folder = tmp_path / "work"
    (folder / "sub").mkdir(parents=True)
    path = folder / ".aimem.toml"
    path.write_bytes(marker if isinstance(marker, bytes) else marker.encode())
    problems: list[str] = []
    found = resolve_project(str(folder / "sub"), {}, problems)
    assert found is not None and found.root == str(folder)
    assert len(problems) == 1 and problems[0].startswith(f"{path}: ") and what in problems[0]
    session = str(uuid.uuid4())
    start = retarget(
        payload("claude-code", "SessionStart"), cwd=str(folder / "sub"), session=session
    )
    for _ in range(3):
        assert run_hook("claude-code", "SessionStart", start, env).returncode == 0
    assert read_journal(paths_for(str(home), found.slug).journal(session)).records
    logged = [x for x in (home / "logs/aimem.log").read_text().splitlines() if "marker" in x]
    assert len(logged) == 1 and str(path) in logged[0] and what in logged[0]


def test_a_plain_marker_needs_no_toml_parser_and_reports_nothing(tmp_path: Path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / ".aimem.toml").write_text('# shared memory\nname = "billing"  # all clones\n\n')
    problems: list[str] = []
    found = resolve_project(str(folder), {}, problems)
    assert found is not None and found.name == "billing" and problems == []


@pytest.mark.parametrize("kind", ["proc", "file-in-the-way"])
def test_a_data_root_that_cannot_be_created_is_silent(tmp_path: Path, project: Path, kind: str):
    if kind == "proc":
        root = "/proc/aimem-cannot-exist"
    else:
        (tmp_path / "blocker").write_text("x")
        root = str(tmp_path / "blocker" / "data")
    env = clean_env(root, AIMEM_CONFIG=str(tmp_path / "none"))
    start = retarget(payload("claude-code", "SessionStart"), cwd=str(project), session="s-1")
    done = run_hook("claude-code", "SessionStart", json.dumps(start).encode(), env)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


def test_a_log_file_that_cannot_be_opened_does_not_stop_consolidation(
    env: dict, home: Path, project: Path
):
    (home / "logs" / "aimem.log").mkdir(parents=True)  # a folder where the log file should be
    session = str(uuid.uuid4())
    results = claude_session(str(project), session, "Fix the YAML anchors loader", env)
    assert [(r.returncode, r.stderr) for r in results] == [(0, b"")] * len(results)
    found = resolve_project(str(project), {})
    assert found is not None
    sessions = Path(paths_for(str(home), found.slug).state) / "sessions.json"
    deadline = time.monotonic() + 60
    while json.loads(sessions.read_text()).get(session, {}).get("status") != "consolidated":
        assert time.monotonic() < deadline, sessions.read_text()
        time.sleep(0.1)
