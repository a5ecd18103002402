"""The real server: uvicorn on a socket bound to 127.0.0.1, spoken to over TCP with urllib, and
``aimem web`` itself as a process a person starts and stops with Ctrl-C."""

from __future__ import annotations

import http.client
import re
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from replay import aimem_exe
from web_world import WebWorld

from aimem.web import serve
from aimem.web.store import Site


@dataclass
class Running:
    bound: serve.Bound
    server: object
    thread: threading.Thread


@pytest.fixture
def running(world: WebWorld) -> Iterator[Running]:
    import uvicorn

    bound = serve.bind("127.0.0.1", 0)
    config = uvicorn.Config(
        serve.build(Site(str(world.home)), bound), log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [bound.sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield Running(bound, server, thread)
    server.should_exit = True
    thread.join(10)
    bound.sock.close()


def request(
    bound: serve.Bound, method: str, path: str, host: str | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", bound.port, timeout=10)
    headers = {"Host": host} if host is not None else {}
    conn.request(method, path, body=b"a=1" if method == "POST" else None, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def listening_addresses(port: int) -> list[str]:
    """Local addresses of sockets listening on ``port``, from the kernel's own table."""
    out = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = open(table).read().splitlines()[1:]  # noqa: SIM115 - tiny file
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.split(":")
            if int(hexport, 16) == port and state == "0A":  # LISTEN
                if width == 8:
                    raw = bytes.fromhex(address)[::-1]
                    out.append(".".join(str(b) for b in raw))
                else:
                    out.append(address)
    return out


def test_socket_listens_on_loopback_only(running: Running) -> None:
    assert running.bound.sock.getsockname()[0] == "127.0.0.1"
    assert listening_addresses(running.bound.port) == ["127.0.0.1"]


def test_real_server_answers_and_guards(running: Running, world: WebWorld) -> None:
    bound = running.bound
    with urllib.request.urlopen(bound.url, timeout=10) as response:  # Host: 127.0.0.1:PORT
        assert response.status == 200
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert b"webshop" in response.read()
    assert request(bound, "GET", f"/p/{world.main}/", f"localhost:{bound.port}")[0] == 200
    assert request(bound, "GET", "/", "evil.example")[0] == 403
    assert request(bound, "GET", "/", f"evil.example:{bound.port}")[0] == 403
    assert request(bound, "POST", "/")[0] == 405
    assert request(bound, "DELETE", f"/p/{world.main}/page/{world.pages['wal']}")[0] == 405
    assert request(bound, "HEAD", "/")[0] == 200


def test_other_address_needs_its_name_allowed(world: WebWorld) -> None:
    from aimem.web.app import allowed_hosts

    assert allowed_hosts(8000) == frozenset({"127.0.0.1:8000", "localhost:8000"})
    assert "box.lan:8000" in allowed_hosts(8000, ["box.lan"])
    assert "[::1]:8000" in allowed_hosts(8000, ["::1"])
    assert serve.is_loopback("127.0.0.1") and serve.is_loopback("::1")
    assert not serve.is_loopback("0.0.0.0") and not serve.is_loopback("192.168.1.2")


def start_cli(world: WebWorld, *args: str, cwd: str | None = None) -> subprocess.Popen:
    """``aimem web`` as a person runs it: the installed executable."""
    return subprocess.Popen(
        [aimem_exe(), "web", *args],
        env=world.env,
        cwd=cwd or str(world.root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_aimem_web_serves_until_ctrl_c(world: WebWorld) -> None:
    proc = start_cli(world, "--port", "0", "--all")
    try:
        line = proc.stdout.readline()
        match = re.search(r"every project at (http://127\.0\.0\.1:(\d+)/) \(read-only", line)
        assert match, line + proc.stderr.read()
        with urllib.request.urlopen(match.group(1), timeout=10) as response:
            assert response.status == 200
            assert world.main.encode() in response.read()
        assert listening_addresses(int(match.group(2))) == ["127.0.0.1"]
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_aimem_web_in_a_project_serves_that_project(world: WebWorld) -> None:
    proc = start_cli(world, "--port", "0", cwd=str(world.root / "webshop"))
    try:
        line = proc.stdout.readline()
        assert "project webshop at http://127.0.0.1:" in line, line + proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def test_aimem_web_errors_are_one_line(world: WebWorld) -> None:
    busy = serve.bind("127.0.0.1", 0)
    try:
        proc = start_cli(world, "--port", str(busy.port), "--all")
        out, err = proc.communicate(timeout=30)
    finally:
        busy.sock.close()
    assert proc.returncode != 0
    assert "address already in use" in err.lower() or "in use" in err.lower(), err
    proc = start_cli(world, "--all", "--project", world.main)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "cannot be used together" in err


def test_another_address_warns_before_listening(world: WebWorld) -> None:
    """A non-loopback address prints the warning first. 192.0.2.1 (TEST-NET-1) is no address
    of this machine, so binding fails with one error line and nothing is ever exposed."""
    proc = start_cli(world, "--port", "0", "--all", "--host", "192.0.2.1")
    out, err = proc.communicate(timeout=30)
    lines = err.strip().splitlines()
    assert proc.returncode == 1, err
    assert lines[0].startswith("aimem: warning: listening on 192.0.2.1: anyone who can reach it")
    assert lines[1].startswith("aimem: error: cannot listen on 192.0.2.1:0"), err
    assert len(lines) == 2 and out == ""


def test_another_loopback_address_is_served_under_its_own_name(world: WebWorld) -> None:
    """``--host 127.0.0.2``: still loopback (no warning), and that address is an allowed Host."""
    proc = start_cli(world, "--port", "0", "--all", "--host", "127.0.0.2")
    try:
        line = proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.2:(\d+)/)", line)
        assert match, line + proc.stderr.read()
        with urllib.request.urlopen(match.group(1), timeout=10) as response:
            assert response.status == 200
        assert listening_addresses(int(match.group(2))) == ["127.0.0.2"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert "warning" not in err


def test_open_hands_the_url_to_the_browser(world: WebWorld, tmp_path) -> None:  # noqa: ANN001
    """``--open`` goes through Python's webbrowser, which honours $BROWSER: a script standing
    in for the browser records the URL it was given."""
    opened = tmp_path / "opened.txt"
    fake = tmp_path / "fake-browser"
    fake.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    fake.chmod(0o755)
    env = {**world.env, "BROWSER": f"{fake} %s"}
    proc = subprocess.Popen(
        [aimem_exe(), "web", "--port", "0", "--all", "--open"],
        env=env,
        cwd=str(world.root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert url, line + proc.stderr.read()
        deadline = time.monotonic() + 10
        while not (opened.exists() and opened.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.read_text() == url.group(1)
        with urllib.request.urlopen(url.group(1), timeout=10) as response:  # serving now
            assert response.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
