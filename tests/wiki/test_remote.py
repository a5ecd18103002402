"""Git transport (``wiki/remote.py``) over real servers: smart HTTP (``git http-backend`` behind
a loopback server asking for Basic auth, answered by the user's git credential helper), and the
failure kinds: a rejected push, an unreachable remote."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pygit2
import pytest

from aimem.wiki import remote
from aimem.wiki import repo as wikirepo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
USER, PASSWORD = "bob", "s3cret-pass"
BRANCH = "aimem/p"


class GitHttp(BaseHTTPRequestHandler):
    """``git http-backend`` as CGI, behind Basic auth (what a git host does)."""

    root = ""

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._cgi(b"")

    def do_POST(self) -> None:  # noqa: N802
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._cgi(bytes(body))

    def _cgi(self, body: bytes) -> None:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": self.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": USER,
            "REMOTE_ADDR": "127.0.0.1",
        }
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(": ")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def https_like(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A smart-HTTP git server on loopback and a credential helper that knows its password."""
    served = tmp_path / "served"
    served.mkdir()
    pygit2.init_repository(str(served / "memory.git"), bare=True)
    handler = type("Handler", (GitHttp,), {"root": str(served)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    store = tmp_path / "credentials"
    store.write_text(f"http://{USER}:{PASSWORD}@127.0.0.1%3a{port}\n")
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f"[credential]\n\thelper = store --file={store}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    try:
        yield f"http://127.0.0.1:{port}/memory.git"
    finally:
        server.shutdown()
        server.server_close()


def one_commit(path: Path, text: bytes, parents: list[str] | None = None) -> tuple:
    repo = wikirepo.open_repo(str(path))
    tb = repo.TreeBuilder()
    tb.insert("a.md", repo.create_blob(text), pygit2.GIT_FILEMODE_BLOB)
    sig = pygit2.Signature("t", "t@t")
    return repo, str(repo.create_commit(None, sig, sig, "m", tb.write(), parents or []))


def test_push_and_fetch_over_http_with_the_credential_helper(
    tmp_path: Path, https_like: str
) -> None:
    assert remote.credential_fill(https_like, None) == (USER, PASSWORD)
    repo, commit = one_commit(tmp_path / "a", b"one\n")
    remote.push(repo, https_like, commit, BRANCH)
    other, _ = one_commit(tmp_path / "b", b"other\n")
    assert remote.fetch(other, https_like, BRANCH, "refs/aimem/remotes/x/tip") == commit
    assert other[commit].tree["a.md"].data == b"one\n"
    assert remote.fetch(other, https_like, "aimem/none", "refs/aimem/remotes/y/tip") is None


def test_a_wrong_password_is_unreachable_not_a_loop(
    tmp_path: Path, https_like: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "none"))
    repo, commit = one_commit(tmp_path / "a", b"one\n")
    with pytest.raises(remote.Unreachable) as err:
        remote.push(repo, https_like, commit, BRANCH)
    assert "\n" not in str(err.value)


def test_a_push_that_is_not_a_fast_forward_is_rejected(tmp_path: Path) -> None:
    pygit2.init_repository(str(tmp_path / "r.git"), bare=True)
    url = "file://" + str(tmp_path / "r.git")
    repo, first = one_commit(tmp_path / "a", b"one\n")
    remote.push(repo, url, first, BRANCH)
    _, unrelated = one_commit(tmp_path / "a", b"two\n")
    with pytest.raises(remote.Rejected):
        remote.push(repo, url, unrelated, BRANCH)
    remote.push(repo, url, unrelated, BRANCH, force=True)
    assert (
        str(pygit2.Repository(str(tmp_path / "r.git")).references[f"refs/heads/{BRANCH}"].target)
        == unrelated
    )


def test_a_password_in_a_message_is_hidden() -> None:
    assert remote.redact_url("https://bob:pw@host/x.git") == "https://bob:***@host/x.git"
