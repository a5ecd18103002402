"""``aimem remote add|remove|show`` and ``aimem sync`` (``cli/commands/remote.py``, ``sync.py``),
run in process on a typer app holding just these commands, as ``cli/app.py`` registers them:
a new machine joins with ``remote add`` + ``sync``; bad input is one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from sync_world import PROJECT, Machine, bare
from typer.testing import CliRunner

from aimem.cli.commands import remote, sync
from aimem.cli.context import CliError


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """aimem"""

    remote.register(app)
    sync.register(app)
    return app


def run(m: Machine, *args: str) -> tuple[int, str, str]:
    """The command in ``m``'s checkout and environment: exit status, stdout, the error line."""
    runner = CliRunner()
    here = os.getcwd()
    os.chdir(m.checkout)
    try:
        with m.active():
            result = runner.invoke(cli(), list(args), catch_exceptions=True)
    finally:
        os.chdir(here)
    if isinstance(result.exception, CliError):
        return 1, result.stdout, str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, ""


def test_a_new_machine_joins_with_remote_add_and_sync(tmp_path: Path) -> None:
    url = bare(tmp_path / "remote.git")
    a, b = Machine.make(tmp_path, "alpha"), Machine.make(tmp_path, "beta")
    page = a.write("decision", "Use WAL", "WAL for readers.")
    code, out, _ = run(a, "remote", "add", "origin", url, "--share", "all")
    assert code == 0 and f"branch aimem/{PROJECT}" in out
    code, out, _ = run(a, "sync")
    assert code == 0 and out.startswith("origin (all): pushed"), out
    # Beta has never recorded anything here: remote add makes the project, sync fills it.
    code, out, err = run(b, "remote", "add", "origin", url, "--share", "all")
    assert code == 0, err
    code, out, _ = run(b, "sync", "--json")
    report = json.loads(out)
    assert report["errors"] == [] and report["synced"][0]["status"] == "pulled"
    assert page in b.files()
    code, out, _ = run(b, "remote", "show", "--json")
    assert json.loads(out) == [
        {"name": "origin", "url": url, "share": "all", "branch": f"aimem/{PROJECT}"}
    ]
    code, out, _ = run(b, "remote", "remove", "origin")
    assert code == 0 and "removed origin" in out
    assert run(b, "remote", "show")[1].startswith("no remotes")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["remote", "add", "x", "https://u:pw@host/r.git", "--share", "all"], "password"),
        (["remote", "add", "x", "ext::sh -c evil", "--share", "all"], "unsupported remote URL"),
        (["remote", "add", "x", "/tmp/r.git", "--share", "everything"], "--share must be"),
        (["remote", "add", "-bad", "/tmp/r.git", "--share", "all"], ""),
        (["remote", "add", "x", "/tmp/r.git", "--share", "all", "--branch", "a..b"], "branch"),
        (["remote", "remove", "nope"], "no remote 'nope'"),
        (["sync", "--remote", "nope"], "no remote 'nope'"),
        (["sync", "--all", "--project", "x"], "not both"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, args: list[str], message: str
) -> None:
    m = Machine.make(tmp_path, "alpha")
    m.write("concept", "Something", "so the project exists")
    code, _, err = run(m, *args)
    assert code != 0
    assert "\n" not in err and message in err


def test_share_has_no_default(tmp_path: Path) -> None:
    m = Machine.make(tmp_path, "alpha")
    m.write("concept", "Something", "so the project exists")
    code, _, _ = run(m, "remote", "add", "x", str(tmp_path / "r.git"))
    assert code == 2  # a usage error: --share is required


def test_through_the_installed_executable(tmp_path: Path) -> None:
    """The same commands as a person runs them: the `aimem` console script, its own process."""
    from replay import clean_env, run_aimem

    url = bare(tmp_path / "remote.git")
    a, b = Machine.make(tmp_path, "alpha"), Machine.make(tmp_path, "beta")
    page = a.write("gotcha", "Clock skew", "CI clocks drift.")
    for m in (a, b):
        env = clean_env(str(m.home), **m.env)
        done = run_aimem(
            "remote", "add", "origin", url, "--share", "all", env=env, cwd=str(m.checkout)
        )
        assert done.returncode == 0, done.stderr
        done = run_aimem("sync", env=env, cwd=str(m.checkout))
        assert done.returncode == 0 and done.stderr == "", done.stderr
    assert page in b.files()
    env = clean_env(str(a.home), **a.env)
    gone = "file://" + str(tmp_path / "gone.git")
    run_aimem("remote", "add", "gone", gone, "--share", "all", env=env, cwd=str(a.checkout))
    done = run_aimem("sync", "--remote", "gone", env=env, cwd=str(a.checkout))
    assert done.returncode == 1 and done.stdout == ""
    assert (
        done.stderr.startswith("aimem: error: gone: cannot fetch") and done.stderr.count("\n") == 1
    )
    help_text = run_aimem("sync", "--help", env=env).stdout
    assert "aimem sync --remote team" in help_text


def test_status_reports_a_page_edited_on_two_machines(tmp_path: Path) -> None:
    from replay import clean_env, run_aimem

    url = bare(tmp_path / "remote.git")
    a, b = Machine.make(tmp_path, "alpha"), Machine.make(tmp_path, "beta")
    path = a.write("decision", "Queue", "Redis streams.")
    for m in (a, b):
        m.add_remote("origin", url, "all")
        m.sync()
    a.edit(path, "Redis streams with consumer groups.")
    b.edit(path, "NATS JetStream.")
    a.sync()
    conflict = b.sync().conflicts[0]
    env = clean_env(str(b.home), **b.env)
    done = run_aimem("status", "--json", env=env, cwd=str(b.checkout))
    assert json.loads(done.stdout)["conflicts"] == [
        {"path": conflict.path, "sibling": conflict.sibling}
    ]
    b.put(conflict.sibling, None, "resolve: by hand\n")  # reconciled: the sibling goes
    done = run_aimem("status", "--json", env=env, cwd=str(b.checkout))
    assert json.loads(done.stdout)["conflicts"] == []
