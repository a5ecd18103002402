"""The wire itself, without the client library: raw JSON-RPC lines into ``aimem mcp``.

stdout must carry JSON-RPC and nothing else (a stray byte breaks the client), stderr stays empty
(logs, the mcp package's own included, go to the log file), bad calls do not stop the server, and
closing stdin ends it with status 0.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from mcp_harness import World
from replay import aimem_exe, run_aimem

from aimem.logfile import log_path


def rpc(id_: int, method: str, params: dict | None = None) -> dict:
    message = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


def call(id_: int, name: str, arguments: dict) -> dict:
    return rpc(id_, "tools/call", {"name": name, "arguments": arguments})


def test_stdout_is_only_json_rpc_and_errors_do_not_stop_the_server(world: World) -> None:
    messages = [
        rpc(
            1,
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw-test", "version": "0"},
            },
        ),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        rpc(2, "tools/list"),
        call(3, "memory_query", {"query": 3}),
        call(4, "memory_read", {"path": "../../../etc/passwd"}),
        call(5, "memory_nonexistent", {}),
        call(6, "memory_query", {"query": "YAML anchors"}),
        rpc(7, "no/such/method"),
        call(8, "memory_recent", {}),
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [aimem_exe(), "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=world.env,
        cwd=str(world.project),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((json.dumps(messages[0]) + "\n").encode())
    proc.stdin.flush()
    first = json.loads(proc.stdout.readline())
    ready = time.perf_counter() - started
    assert first["result"]["serverInfo"]["name"] == "aimem"
    assert "memory_query" in first["result"]["instructions"]
    for message in messages[1:]:
        proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()
    replies = {}
    while len(replies) < 7:
        line = proc.stdout.readline()
        assert line, "server closed stdout early"
        reply = json.loads(line)  # every line is JSON
        assert reply["jsonrpc"] == "2.0"
        replies[reply["id"]] = reply
    proc.stdin.close()
    rest, err = proc.stdout.read(), proc.stderr.read()
    assert proc.wait(timeout=30) == 0
    assert rest == b"" and err == b"", (rest, err)

    assert len(replies[2]["result"]["tools"]) == 9
    for id_ in (3, 4, 5):
        assert replies[id_]["result"]["isError"] is True, replies[id_]
    assert "valid string" in replies[3]["result"]["content"][0]["text"]
    assert "unsafe page path" in replies[4]["result"]["content"][0]["text"]
    assert "error" in replies[7]  # an unknown method is a protocol error, not a crash
    assert replies[6]["result"]["isError"] is False
    assert replies[6]["result"]["structuredContent"]["results"]
    assert replies[8]["result"]["isError"] is False
    assert ready < 30  # generous: a loaded 2-core machine; the benchmark measures it properly

    log = Path(log_path(str(world.home))).read_text(encoding="utf-8")
    assert "rejected arguments" in log  # the mcp package's own log line, in our file
    assert "mcp server stopped" in log


def test_help_goes_through_the_cli(world: World) -> None:
    shown = run_aimem("mcp", "--help", env=world.env)
    assert shown.returncode == 0 and "Usage: aimem mcp" in shown.stdout
    assert "stdio" in shown.stdout


def test_a_broken_config_is_logged_and_the_server_serves(world: World, tmp_path: Path) -> None:
    # Before: a config that did not parse, or one bad value, stopped the server at start.
    for text in ("this is = = not toml\n", 'handoff_max_age_days = "seven"\nlog_level = "NOPE"\n'):
        config = tmp_path / "config.toml"
        config.write_text(text)
        env = dict(world.env, AIMEM_CONFIG=str(config))
        proc = subprocess.Popen(
            [aimem_exe(), "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env, cwd=str(world.project),
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        for message in (
            rpc(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                  "clientInfo": {"name": "t", "version": "0"}}),
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            call(2, "memory_query", {"query": "YAML anchors"}),
        ):  # fmt: skip
            proc.stdin.write((json.dumps(message) + "\n").encode())
            proc.stdin.flush()
        replies = {}
        while 2 not in replies:
            line = proc.stdout.readline()
            assert line, "server closed stdout early"
            reply = json.loads(line)
            replies[reply["id"]] = reply
        proc.stdin.close()
        proc.stdout.read()
        err = proc.stderr.read()
        assert proc.wait(timeout=30) == 0 and err == b"", err
        assert replies[2]["result"]["isError"] is False, replies[2]
        assert replies[2]["result"]["structuredContent"]["results"]
        logged = Path(log_path(str(world.home))).read_text()
        assert f"config ignored: {config}: " in logged
