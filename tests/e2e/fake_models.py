"""A loopback fake of the four model APIs the real agent CLIs speak, for the e2e suite.

One process serves one API (``--api anthropic|openai|chat|gemini``) on ``127.0.0.1`` and answers
in that API's streaming wire format:

- Anthropic Messages (``POST /v1/messages``, SSE ``message_start`` ... ``message_stop``),
- OpenAI Responses (``POST /v1/responses``, SSE ``response.created`` ... ``response.completed``),
- OpenAI Chat Completions (``POST /v1/chat/completions``, SSE ``chat.completion.chunk`` ...
  ``[DONE]``; opencode's ``@ai-sdk/openai-compatible`` provider),
- Gemini (``:generateContent`` JSON, ``:streamGenerateContent?alt=sse``).

Its "model" follows a tiny plan: while the conversation holds fewer tool results than
``--commands``, it asks for the next shell command (a ``--mcp-tool`` call first, if offered);
then it answers with text. Every request body is appended to ``--log`` (JSONL), which is what the
tests read to prove that aimem's context reached the model. Bounded on purpose: it stops after
``--max-requests`` requests or ``--lifetime`` seconds, and tool calls never exceed the plan over
its lifetime (agents that compact their history cannot make it loop). It prints ``PORT <n>``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "Done. The fake model has finished this turn."


class Plan:
    """What the fake model does next, shared by the request threads."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lock = threading.Lock()
        self.requests = 0
        self.tool_calls = 0
        self.budget = len(args.commands) + (1 if args.mcp_tool else 0)

    def next_call(self, results_so_far: int, offered: list[str]) -> tuple[str, dict] | None:
        """``(tool, input)`` to request now, or ``None`` for a text answer."""
        with self.lock:
            if self.tool_calls >= self.budget or results_so_far >= self.budget:
                return None
            step = results_so_far
            if self.args.mcp_tool:
                if step == 0:
                    if not any(self.args.mcp_tool in name for name in offered):
                        return None
                    self.tool_calls += 1
                    return self.args.mcp_tool, json.loads(self.args.mcp_input or "{}")
                step -= 1
            self.tool_calls += 1
            return "shell", {"command": self.args.commands[step]}


def sse(event: str | None, data: dict) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    plan: Plan

    def log_message(self, fmt: str, *args: object) -> None:  # keep stderr quiet
        pass

    def _count(self) -> None:
        with self.plan.lock:
            self.plan.requests += 1
            done = self.plan.requests >= self.plan.args.max_requests
        if done:
            threading.Thread(target=self.server.shutdown, daemon=True).start()

    def _record(self, body: object) -> None:
        with self.plan.lock, open(self.plan.args.log, "a", encoding="utf-8") as fh:
            fh.write(
                json.dumps(
                    {"t": time.time(), "method": self.command, "path": self.path, "body": body}
                )
                + "\n"
            )

    def _json(self, obj: dict, code: int = 200) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, chunks: list[bytes]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"".join(chunks))
        self.wfile.flush()
        self.close_connection = True

    def do_HEAD(self) -> None:
        self._count()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._count()
        self._record(None)
        self._json({"data": [], "models": [], "object": "list"})

    def do_POST(self) -> None:
        self._count()
        size = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(size) if size else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"unparsed": raw[:2000].decode("utf-8", "replace")}
        self._record(body)
        path = self.path.split("?")[0]
        api = self.plan.args.api
        if api == "anthropic" and path.endswith("/v1/messages"):
            return self._anthropic(body)
        if api == "openai" and path.endswith("/responses"):
            return self._openai(body)
        if api == "chat" and path.endswith("/chat/completions"):
            return self._chat(body)
        if api == "gemini" and (
            path.endswith(":generateContent") or path.endswith(":streamGenerateContent")
        ):
            return self._gemini(body, streaming=path.endswith(":streamGenerateContent"))
        if path.endswith("/count_tokens") or path.endswith(":countTokens"):
            return self._json({"input_tokens": 42, "totalTokens": 42})
        self._json({})

    # Anthropic Messages API --------------------------------------------------------------
    def _anthropic(self, body: dict) -> None:
        messages = body.get("messages") or []
        results = sum(
            1
            for m in messages
            if m.get("role") == "user" and isinstance(m.get("content"), list)
            for block in m["content"]
            if isinstance(block, dict) and block.get("type") == "tool_result"
        )
        offered = [t.get("name", "") for t in body.get("tools") or [] if isinstance(t, dict)]
        call = self.plan.next_call(results, offered)
        if call is not None and call[0] == "shell" and "Bash" not in offered:
            call = None
        if call is None:
            block, stop = {"type": "text", "text": REPLY}, "end_turn"
        else:
            name = "Bash" if call[0] == "shell" else call[0]
            args = dict(call[1], description="run it") if call[0] == "shell" else call[1]
            block = {
                "type": "tool_use",
                "id": "toolu_fake_" + uuid.uuid4().hex[:12],
                "name": name,
                "input": args,
            }
            stop = "tool_use"
        usage = {
            "input_tokens": 100,
            "output_tokens": 10,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        message = {
            "id": "msg_fake_" + uuid.uuid4().hex[:12],
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-fake"),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        if not body.get("stream"):
            return self._json(dict(message, content=[block], stop_reason=stop))
        if block["type"] == "text":
            start = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            start = dict(block, input={})
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        self._stream(
            [
                sse("message_start", {"type": "message_start", "message": message}),
                sse(
                    "content_block_start",
                    {"type": "content_block_start", "index": 0, "content_block": start},
                ),
                sse(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": delta},
                ),
                sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
                sse(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": stop, "stop_sequence": None},
                        "usage": {"output_tokens": 10},
                    },
                ),
                sse("message_stop", {"type": "message_stop"}),
            ]
        )

    # OpenAI Responses API (Codex) ------------------------------------------------------------
    def _openai(self, body: dict) -> None:
        items = body.get("input") or []
        results = sum(
            1
            for i in items
            if isinstance(i, dict)
            and i.get("type") in ("function_call_output", "custom_tool_call_output")
        )
        offered = []
        for tool in body.get("tools") or []:
            if isinstance(tool, dict):
                offered.append(tool.get("name", ""))
                offered += [
                    f"{tool.get('name')}__{t.get('name')}"
                    for t in tool.get("tools") or []
                    if isinstance(t, dict)
                ]
        call = self.plan.next_call(results, offered)
        if call is None:
            item = {
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "id": "msg_fake_" + uuid.uuid4().hex[:8],
                "content": [{"type": "output_text", "text": REPLY, "annotations": []}],
            }
        else:
            item = {
                "type": "function_call",
                "status": "completed",
                "id": "fc_fake_" + uuid.uuid4().hex[:8],
                "call_id": "call_fake_" + uuid.uuid4().hex[:8],
            }
            if call[0] == "shell":
                item.update(name="exec_command", arguments=json.dumps({"cmd": call[1]["command"]}))
            else:  # Codex offers MCP tools in a namespace: mcp__<server>__<tool>
                namespace, _, tool = call[0].rpartition("__")
                item.update(name=tool, namespace=namespace, arguments=json.dumps(call[1]))
        usage = {
            "input_tokens": 100,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 10,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 110,
        }
        base = {
            "id": "resp_fake_" + uuid.uuid4().hex[:12],
            "object": "response",
            "created_at": int(time.time()),
            "model": body.get("model", "fake"),
            "output": [],
        }
        chunks = [
            sse(
                "response.created",
                {
                    "type": "response.created",
                    "sequence_number": 0,
                    "response": dict(base, status="in_progress"),
                },
            ),
            sse(
                "response.output_item.added",
                {
                    "type": "response.output_item.added",
                    "sequence_number": 1,
                    "output_index": 0,
                    "item": dict(item, status="in_progress"),
                },
            ),
        ]
        if item["type"] == "message":
            chunks.append(
                sse(
                    "response.output_text.delta",
                    {
                        "type": "response.output_text.delta",
                        "sequence_number": 2,
                        "output_index": 0,
                        "item_id": item["id"],
                        "content_index": 0,
                        "delta": REPLY,
                    },
                )
            )
        chunks += [
            sse(
                "response.output_item.done",
                {
                    "type": "response.output_item.done",
                    "sequence_number": 3,
                    "output_index": 0,
                    "item": item,
                },
            ),
            sse(
                "response.completed",
                {
                    "type": "response.completed",
                    "sequence_number": 4,
                    "response": dict(base, status="completed", output=[item], usage=usage),
                },
            ),
        ]
        self._stream(chunks)

    # OpenAI Chat Completions (opencode's openai-compatible provider) -----------------------
    def _chat(self, body: dict) -> None:
        messages = body.get("messages") or []
        results = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "tool")
        offered = [
            (t.get("function") or {}).get("name", "")
            for t in body.get("tools") or []
            if isinstance(t, dict)
        ]
        # opencode's title request offers no tools: answer it without spending the plan.
        call = self.plan.next_call(results, offered) if "bash" in offered else None
        if call is None:
            delta, finish = {"role": "assistant", "content": REPLY}, "stop"
        else:
            name = "bash" if call[0] == "shell" else call[0]
            args = dict(call[1], description="run it") if call[0] == "shell" else call[1]
            tool_call = {
                "index": 0,
                "id": "call_fake_" + uuid.uuid4().hex[:8],
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            delta, finish = (
                {"role": "assistant", "content": None, "tool_calls": [tool_call]},
                "tool_calls",
            )
        usage = {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
        base = {
            "id": "chatcmpl-fake" + uuid.uuid4().hex[:12],
            "created": int(time.time()),
            "model": body.get("model", "fake"),
        }
        if not body.get("stream"):
            message = {k: v for k, v in delta.items() if k != "tool_calls"}
            if "tool_calls" in delta:
                message["tool_calls"] = [
                    {k: v for k, v in c.items() if k != "index"} for c in delta["tool_calls"]
                ]
            choice = {"index": 0, "message": message, "finish_reason": finish}
            return self._json(dict(base, object="chat.completion", choices=[choice], usage=usage))
        chunk = dict(base, object="chat.completion.chunk")
        self._stream(
            [
                sse(
                    None, dict(chunk, choices=[{"index": 0, "delta": delta, "finish_reason": None}])
                ),
                sse(
                    None,
                    dict(
                        chunk,
                        choices=[{"index": 0, "delta": {}, "finish_reason": finish}],
                        usage=usage,
                    ),
                ),
                b"data: [DONE]\n\n",
            ]
        )

    # Gemini API -------------------------------------------------------------------------------
    def _gemini(self, body: dict, streaming: bool) -> None:
        config = body.get("generationConfig") or {}
        if config.get("responseMimeType") == "application/json":  # the model router
            schema = config.get("responseJsonSchema") or config.get("responseSchema") or {}
            part = {"text": json.dumps(sample(schema))}
        else:
            contents = body.get("contents") or []
            results = sum(
                1
                for c in contents
                for p in c.get("parts") or []
                if isinstance(p, dict) and "functionResponse" in p
            )
            offered = [
                f.get("name", "")
                for t in body.get("tools") or []
                for f in t.get("functionDeclarations") or []
            ]
            call = self.plan.next_call(results, offered)
            if call is not None and call[0] == "shell" and "run_shell_command" not in offered:
                call = None
            if call is None:
                part = {"text": REPLY}
            elif call[0] == "shell":
                part = {
                    "functionCall": {
                        "name": "run_shell_command",
                        "args": dict(call[1], description="run it"),
                    }
                }
            else:
                part = {"functionCall": {"name": call[0], "args": call[1]}}
        response = {
            "candidates": [
                {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": 100,
                "candidatesTokenCount": 10,
                "totalTokenCount": 110,
            },
        }
        if streaming:
            return self._stream([f"data: {json.dumps(response)}\r\n\r\n".encode()])
        self._json(response)


def sample(schema: dict) -> object:
    """A value that satisfies a simple JSON schema (the router asks for one)."""
    kind = schema.get("type")
    kind = (kind[0] if isinstance(kind, list) else kind or "").lower()
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        return {k: sample(v) for k, v in (schema.get("properties") or {}).items()}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return "fake"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=("anthropic", "openai", "chat", "gemini"), required=True)
    parser.add_argument("--log", required=True, help="append every request here (JSONL)")
    parser.add_argument("--commands", nargs="*", default=[], help="shell commands to request")
    parser.add_argument("--mcp-tool", default="", help="tool name to call first if offered")
    parser.add_argument("--mcp-input", default="", help="its JSON arguments")
    parser.add_argument("--max-requests", type=int, default=40)
    parser.add_argument("--lifetime", type=float, default=300)
    args = parser.parse_args()
    Handler.plan = Plan(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
