"""What every command shares (``cli/context.py``): a broken config is a warning line per problem
and the command goes on; a data root that cannot be created is one error line (``doctor``: a
FAIL with its fix, and the other checks still run); no traceback anywhere."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from replay import claude_session, run_aimem

BAD = 'handoff_max_age_days = "seven"\nlog_level = "NOPE"\n'


@pytest.fixture
def recorded(env: dict, project: Path) -> dict:
    """A consolidated session in ``project``; returns the env."""
    session = str(uuid.uuid4())
    results = claude_session(str(project), session, "Fix the YAML anchors loader", env,
                             events=["SessionStart", "UserPromptSubmit"])  # fmt: skip
    assert all(r.returncode == 0 for r in results)
    assert run_aimem("consolidate", "--pending", env=env, cwd=str(project)).returncode == 0
    return env


def warnings(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if line.startswith("aimem: warning: ")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BAD, ['handoff_max_age_days = "seven" is not a number; using 7.0', 'log_level = "NOPE"']),
        ("[oops\n", ["not valid TOML"]),
        (b"home = '\xff'\n", ["not UTF-8 text"]),
    ],
)  # fmt: skip
def test_every_command_warns_once_per_problem_and_works(
    recorded: dict, project: Path, tmp_path: Path, text, expected: list[str]
):
    config = tmp_path / "config.toml"
    config.write_bytes(text if isinstance(text, bytes) else text.encode())
    env = {**recorded, "AIMEM_CONFIG": str(config)}
    for args in (["status"], ["search", "YAML anchors"], ["projects"], ["lint"]):
        done = run_aimem(*args, env=env, cwd=str(project))
        assert done.returncode == 0, (args, done.stderr)
        lines = warnings(done.stderr)
        assert len(lines) == len(expected) == len(done.stderr.splitlines()), done.stderr
        for line, fragment in zip(lines, expected, strict=True):
            assert line.startswith(f"aimem: warning: {config}: ") and fragment in line
    status = run_aimem("status", env=env, cwd=str(project))
    assert "project" in status.stdout and "commits" in status.stdout


def test_doctor_names_the_bad_key_with_its_fix(recorded: dict, project: Path, tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text(BAD + "colour = 'blue'\n")
    done = run_aimem("doctor", env={**recorded, "AIMEM_CONFIG": str(config)}, cwd=str(project))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    fails = [line for line in done.stdout.splitlines() if line.startswith("FAIL  aimem")]
    assert any("config:" in f and "handoff_max_age_days" in f for f in fails), done.stdout
    assert any("config:" in f and "log_level" in f for f in fails)
    assert any('unknown key "colour"' in f for f in fails)
    assert f"fix: fix or remove handoff_max_age_days in {config}" in done.stdout


def test_a_malformed_marker_is_a_warning_and_a_doctor_failure(env: dict, tmp_path: Path):
    folder = tmp_path / "work"
    folder.mkdir()
    marker = folder / ".aimem.toml"
    marker.write_text("name = [unclosed\n")
    session = str(uuid.uuid4())
    assert (
        claude_session(str(folder), session, "hi", env, events=["SessionStart"])[0].returncode == 0
    )
    status = run_aimem("status", env=env, cwd=str(folder))
    assert status.returncode == 0, status.stderr
    [line] = warnings(status.stderr)
    assert line.startswith(f"aimem: warning: {marker}: not valid TOML")
    assert "using its folder as the project" in line
    doctor = run_aimem("doctor", env=env, cwd=str(folder))
    assert any(
        x.startswith("FAIL  aimem") and "project marker" in x and str(marker) in x
        for x in doctor.stdout.splitlines()
    ), doctor.stdout


@pytest.mark.parametrize("kind", ["proc", "file-in-the-way", "read-only-parent"])
def test_a_data_root_that_cannot_be_created(env: dict, project: Path, tmp_path: Path, kind: str):
    if kind == "proc":
        root = "/proc/aimem-cannot-exist/data"
    elif kind == "file-in-the-way":
        (tmp_path / "blocker").write_text("x")
        root = str(tmp_path / "blocker" / "data")
    else:  # /proc/self is not writable, by root either
        root = "/proc/self/aimem"
    env = {**env, "AIMEM_HOME": root}
    for args in (["status"], ["search", "x"], ["show", "index.md"], ["projects"],
                 ["consolidate", "--pending"], ["path"]):  # fmt: skip
        done = run_aimem(*args, env=env, cwd=str(project))
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(lines) == 1, (args, done.stderr)
        assert lines[0].startswith(f"aimem: error: cannot create the data root {root}: ")
        assert "AIMEM_HOME" in lines[0]
    doctor = run_aimem("doctor", env=env, cwd=str(project))
    assert doctor.returncode == 1 and doctor.stderr == "", doctor.stderr
    out = doctor.stdout
    assert f"FAIL  aimem        data root: {root}" in out
    assert "set AIMEM_HOME" in out  # its fix
    assert "aimem        config:" in out and "sweep schedule" in out  # the rest still ran
