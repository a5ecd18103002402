"""A loopback fake of the Anthropic Messages API, for tests driving the real ``anthropic`` client.

A real HTTP server on 127.0.0.1 (port 0) speaking the wire format of ``POST /v1/messages``: JSON
message objects with ``tool_use`` content blocks and ``usage``, error objects
(``{"type": "error", "error": {"type", "message"}}``) with the real status codes, ``retry-after``
headers, a reply that never comes in time, a body that is not JSON. Replies are scripted: each
request takes the next ``Reply`` from the script (the last one repeats when the script runs out,
so a test that expects no further request still gets an answer it can count). Every request is
recorded (path, headers, parsed JSON body) for assertions.

The client authenticates with ``Authorization: Bearer`` (anthropic 2.x) or ``x-api-key``; the fake
accepts either and records which.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_USAGE = {
    "input_tokens": 1200,
    "output_tokens": 300,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 900,
}


@dataclass
class Reply:
    """One scripted answer: ``status`` and a JSON ``body`` (or ``raw`` bytes sent as they are),
    extra ``headers``, and ``delay`` seconds before anything is sent (a timeout)."""

    status: int = 200
    body: dict | None = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict


def message(content: list[dict], usage: dict | None = None, model: str = "claude-test") -> dict:
    return {
        "id": "msg_fake_0001",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if any(c["type"] == "tool_use" for c in content) else "end_turn",
        "stop_sequence": None,
        "usage": dict(DEFAULT_USAGE if usage is None else usage),
    }


def tool_reply(tool_input: dict, usage: dict | None = None, name: str = "record_memory") -> Reply:
    """A 200 answer whose content is one ``tool_use`` block with ``tool_input``."""
    block = {"type": "tool_use", "id": "toolu_fake_01", "name": name, "input": tool_input}
    return Reply(200, message([block], usage))


def text_reply(text: str, usage: dict | None = None) -> Reply:
    """A 200 answer with plain text instead of the forced tool (a model ignoring the schema)."""
    return Reply(200, message([{"type": "text", "text": text}], usage))


def error_reply(status: int, kind: str, text: str, headers: dict | None = None) -> Reply:
    body = {"type": "error", "error": {"type": kind, "message": text}}
    return Reply(status, body, headers=dict(headers or {}))


def server_error() -> Reply:
    return error_reply(500, "api_error", "Internal server error")


def overloaded() -> Reply:
    return error_reply(529, "overloaded_error", "Overloaded")


def rate_limited(retry_after: float = 1) -> Reply:
    return error_reply(
        429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit",
        {"retry-after": f"{retry_after:g}"},
    )  # fmt: skip


def quota_error() -> Reply:
    """What the API answers when the organisation's credit balance is exhausted."""
    return error_reply(
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing"
        " to upgrade or purchase credits.",
    )


def billing_error() -> Reply:
    return error_reply(402, "billing_error", "Payment required: billing problem on this account")


def auth_error() -> Reply:
    return error_reply(401, "authentication_error", "invalid x-api-key")


def malformed_body() -> Reply:
    """A 200 whose body is cut off mid-JSON (a proxy or the network dropped the rest)."""
    return Reply(200, raw=b'{"id": "msg_fake_0001", "type": "message", "content": [{"type": "tool_')


def slow(seconds: float, then: Reply | None = None) -> Reply:
    """An answer sent only after ``seconds`` (the client's timeout fires first)."""
    reply = then or tool_reply({"actions": [], "handoff": None})
    return Reply(reply.status, reply.body, reply.raw, reply.headers, delay=seconds)


class FakeAnthropic:
    """The fake server. ``script`` is consumed one reply per request; ``requests`` records them."""

    def __init__(self, script: list[Reply] | None = None) -> None:
        self.script: list[Reply] = list(script or [])
        # Called with each recorded request before it is answered: what happens "while the
        # model thinks" (someone edits the wiki...).
        self.on_request: Callable[[Recorded], None] | None = None
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._last: Reply | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                data = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(data or b"{}")
                except ValueError:
                    body = {"_unparsable": data.decode("utf-8", "replace")}
                path = self.path.split("?")[0]
                with fake._lock:
                    fake.requests.append(Recorded(path, dict(self.headers.items()), body))
                    reply = fake._next()
                if fake.on_request is not None:
                    fake.on_request(fake.requests[-1])
                if path != "/v1/messages":
                    reply = error_reply(404, "not_found_error", f"no route {path}")
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.raw is not None:
                    payload = reply.raw
                else:
                    obj = dict(reply.body or {})
                    if reply.status == 200 and "model" in obj:
                        obj["model"] = body.get("model", obj["model"])
                    payload = json.dumps(obj).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("request-id", f"req_fake_{len(fake.requests)}")
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

            def do_GET(self) -> None:  # noqa: N802
                self.send_error(404)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _next(self) -> Reply:
        if self.script:
            self._last = self.script.pop(0)
        if self._last is None:
            return error_reply(500, "api_error", "the fake has no scripted reply")
        return self._last

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/messages"]


@contextmanager
def running(script: list[Reply] | None = None) -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(script).start()
    try:
        yield fake
    finally:
        fake.stop()
