"""``aimem doctor`` checks, one failure at a time: each is found and comes with its fix."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from replay import aimem_exe, claude_session, run_aimem

from aimem import install
from aimem.install import doctor
from aimem.install.common import Target


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def target(home: Path, executable: str = "", scope: str = "user", project: str = "/nowhere"):
    return Target(scope, executable, project, {"HOME": str(home), "PATH": "/usr/bin:/bin"})


def agent_checks(home: Path, agent: str) -> list[doctor.Check]:
    report = doctor.Report()
    doctor.check_agents(report, [target(home)])
    return [c for c in report.checks if c.subject == agent]


def script(path: Path, body: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_a_healthy_install_passes_with_a_timed_round_trip(user_home: Path):
    install.apply(install.plan(["codex"], target(user_home, aimem_exe()), True))
    checks = agent_checks(user_home, "codex")
    assert {c.status for c in checks} == {"ok"}, checks
    names = [c.name for c in checks]
    assert names[0] == "found" and "user trust" in names and "user round trip" in names
    trip = next(c for c in checks if c.name == "user round trip")
    assert 0 < trip.ms < doctor.ROUND_TRIP_TIMEOUT * 1000


def test_round_trip_catches_a_hook_that_fails_or_prints_text(user_home: Path, tmp_path: Path):
    failing = script(tmp_path / "a" / "aimem", "exit 3\n")
    install.apply(install.plan(["gemini"], target(user_home, failing), True))
    trip = next(c for c in agent_checks(user_home, "gemini") if c.name == "user round trip")
    assert trip.status == "fail" and "exit status 3" in trip.detail
    assert trip.fix == "aimem install gemini --scope user"

    chatty = script(tmp_path / "b" / "aimem", "cat >/dev/null; echo hello there\n")
    install.apply(install.plan(["gemini"], target(user_home, chatty), True))
    trip = next(c for c in agent_checks(user_home, "gemini") if c.name == "user round trip")
    assert trip.status == "fail" and "not JSON" in trip.detail

    silent = script(tmp_path / "c" / "aimem", "cat >/dev/null\n")
    install.apply(install.plan(["gemini"], target(user_home, silent), True))
    trip = next(c for c in agent_checks(user_home, "gemini") if c.name == "user round trip")
    assert trip.status == "fail" and "recorded nothing" in trip.detail


def test_round_trip_touches_no_real_memory(user_home: Path, home: Path):
    install.apply(install.plan(["claude-code"], target(user_home, aimem_exe()), True))
    agent_checks(user_home, "claude-code")
    assert not home.exists() or not list(home.glob("projects/*"))


def test_a_relative_executable_is_reported(user_home: Path):
    settings = user_home / ".claude" / "settings.json"
    settings.parent.mkdir()
    hook = {"hooks": [{"type": "command", "command": "aimem hook claude-code SessionStart"}]}
    settings.write_text(json.dumps({"hooks": {"SessionStart": [hook]}}))
    checks = agent_checks(user_home, "claude-code")
    bad = [c for c in checks if c.status == "fail"]
    assert bad and "not an absolute path" in bad[0].detail


def test_a_corrupt_config_is_reported_with_its_fix(user_home: Path):
    (user_home / ".cursor").mkdir()
    (user_home / ".cursor" / "hooks.json").write_text("{nope")
    checks = agent_checks(user_home, "cursor")
    failed = [c for c in checks if c.status == "fail"]
    assert len(failed) == 1 and "not valid JSON" in failed[0].detail
    assert "aimem install cursor --scope user" in failed[0].fix


def test_untrusted_codex_hooks_fail(user_home: Path):
    install.apply(install.plan(["codex"], target(user_home, aimem_exe()), True))
    config = user_home / ".codex" / "config.toml"
    config.write_text(config.read_text().replace("sha256:", "sha256:0", 1))
    checks = agent_checks(user_home, "codex")
    untrusted = [c for c in checks if c.status == "fail"]
    assert len(untrusted) == 1 and "not trusted" in untrusted[0].detail
    assert untrusted[0].fix == "aimem install codex --scope user"


def test_uninstalled_agent_that_is_present_is_a_warning_not_a_failure(user_home: Path):
    (user_home / ".gemini").mkdir()
    checks = agent_checks(user_home, "gemini")
    assert [c.status for c in checks] == ["ok", "warn"]
    assert checks[1].fix == "aimem install gemini --scope user"
    assert [c.status for c in agent_checks(user_home, "opencode")] == ["skip"]


def test_opencode_plugin_executable_is_checked(user_home: Path):
    install.apply(install.plan(["opencode"], target(user_home, "/gone/aimem"), True))
    failed = [c for c in agent_checks(user_home, "opencode") if c.status == "fail"]
    assert any("/gone/aimem does not exist" in c.detail for c in failed)


def test_data_root_not_writable(tmp_path: Path):
    # A data root under a regular file cannot be created, even by root (permissions would not
    # stop root, so this test does not rely on them).
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    root = blocker / "data"
    report = doctor.Report()
    doctor.check_data_root(report, str(root))
    assert report.checks[0].status == "fail" and str(root) in report.checks[0].fix


@pytest.fixture
def memory(env: dict, project: Path, home: Path) -> Path:
    """A consolidated session: the project has a wiki and an index."""
    session = str(uuid.uuid4())
    assert all(r.returncode == 0 for r in claude_session(str(project), session, "Fix it", env))
    assert run_aimem("consolidate", "--pending", env=env, cwd=str(project)).returncode == 0
    deadline = time.monotonic() + 60
    while True:
        status = json.loads(run_aimem("status", "--json", env=env, cwd=str(project)).stdout)
        if status["commits"] and not status["pending"]:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert run_aimem("reindex", env=env, cwd=str(project)).returncode == 0
    return Path(status["wiki"])


def project_checks(home: Path, project: Path) -> dict[str, doctor.Check]:
    report = doctor.Report()
    doctor.check_project(report, str(home), str(project))
    return {c.name: c for c in report.checks}


def test_index_behind_the_wiki_head_is_reported(memory: Path, home: Path, project: Path):
    checks = project_checks(home, project)
    assert checks["index"].status == "ok" and checks["wiki fsck"].status == "ok"
    git = ["git", "-C", str(memory), "-c", "user.name=t", "-c", "user.email=t@t"]
    (memory / "notes.md").write_text("---\ntitle: Notes\ntype: concept\n---\nhello\n")
    subprocess.run([*git, "add", "notes.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "a page by hand"], check=True)
    checks = project_checks(home, project)
    assert checks["index"].status == "fail"
    assert checks["index"].fix.startswith("aimem reindex --project ")


def test_wiki_corruption_is_found_by_git_and_by_pygit2(
    memory: Path, home: Path, project, monkeypatch
):
    assert doctor.check_wiki_repo(str(memory)).detail.startswith("git fsck")
    monkeypatch.setattr(doctor.shutil, "which", lambda name, path=None: None)
    walked = doctor.check_wiki_repo(str(memory))
    assert walked.status == "ok" and "pygit2 object walk (no git binary)" in walked.detail
    monkeypatch.undo()
    objects = [p for p in (memory / ".git" / "objects").glob("??/*")]
    for path in objects:  # every loose object damaged
        path.chmod(0o644)
        path.write_bytes(b"garbage")
    assert doctor.check_wiki_repo(str(memory)).status == "fail"
    monkeypatch.setattr(doctor.shutil, "which", lambda name, path=None: None)
    assert doctor.check_wiki_repo(str(memory)).status == "fail"


def test_sweep_schedule_missing_is_a_warning_and_a_dead_one_a_failure(tmp_path: Path):
    from aimem.install import timer

    tools = tmp_path / "bin"
    crontab = script(
        tools / "crontab",
        f'case "$1" in -l) cat {tmp_path}/table 2>/dev/null || {{ echo "no crontab for t" >&2;'
        f" exit 1; }} ;; -) cat > {tmp_path}/table ;; esac\n",
    )
    assert crontab
    env = {"HOME": str(tmp_path / "home"), "PATH": f"{tools}:/usr/bin:/bin"}
    missing = doctor.check_sweep_schedule(env)
    assert (missing.status, missing.fix) == ("warn", "aimem install-timer")
    timer.install_timer("cron", str(tmp_path / "gone" / "aimem"), env=env)
    dead = doctor.check_sweep_schedule(env)
    assert dead.status == "fail" and "does not exist" in dead.detail
    timer.install_timer("cron", aimem_exe(), env=env)
    good = doctor.check_sweep_schedule(env)
    assert good.status == "ok" and good.detail.startswith(f"cron: {aimem_exe()} sweep --all")


def test_a_session_whose_consolidation_died_is_reported_until_consolidated(
    memory: Path, env: dict, home: Path, project: Path
):
    """The detached consolidation is killed before its commit (OOM, a closed laptop): status
    lists the session as pending forever, so doctor must not say all is well."""
    session = str(uuid.uuid4())
    killed = dict(env, AIMEM_TEST_KILL_AT="commit.before-ref")
    assert all(r.returncode == 0 for r in claude_session(str(project), session, "Fix", killed))
    (journal,) = home.glob(f"projects/*/raw/{session}.jsonl")
    deadline = time.monotonic() + 60
    while True:  # until the consolidation the SessionEnd hook started has died
        entry = json.loads((journal.parent.parent / "state" / "sessions.json").read_text())[session]
        pid = entry.get("consolidate_pid")
        if pid and not Path(f"/proc/{pid}").exists():
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert project_checks(home, project)["sessions"].status == "ok"  # it may still be running
    old = time.time() - doctor.STUCK_AFTER - 5
    os.utime(journal, (old, old))
    check = project_checks(home, project)["sessions"]
    assert check.status == "warn" and session in check.detail
    assert check.fix and check.fix.startswith("aimem consolidate --pending --project ")
    assert run_aimem("consolidate", "--pending", env=env, cwd=str(project)).returncode == 0
    assert project_checks(home, project)["sessions"].status == "ok"
