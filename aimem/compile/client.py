"""One Messages API call with bounded retries, and what its failures mean.

The SDK's own retries are off (``max_retries=0``): aimem retries here, only on 429, 5xx,
timeouts and dropped connections, at most ``settings.max_retries`` times, waiting what the
server's ``retry-after`` says (when it asks for more than ``MAX_WAIT`` seconds the call gives up
instead of blocking a consolidation) or an exponential backoff with jitter. Other 4xx answers, a
body that does not parse and an answer without the tool call are never retried. An auth, billing
or quota error is *terminal*: the caller stops every further call of the run.

``anthropic`` is imported here, lazily (1.6-1.9 s): only a run that really calls pays for it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from aimem.compile.request import TOOL_NAME
from aimem.compile.settings import LLMSettings
from aimem.compile.spend import Usage

log = logging.getLogger("aimem.compile")

MAX_WAIT = 30.0
BASE_DELAY = 1.0
_QUOTA_WORDS = ("credit balance", "quota", "billing", "spend limit", "usage limit")


class CallError(Exception):
    """The call failed. ``kind``: timeout, connection, rate_limited, server, rejected, malformed,
    auth, quota, error (anything else the client raised). ``terminal``: no further call may be
    made in this run."""

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        status: int | None = None,
        terminal: bool = False,
        attempts: int = 1,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.status = status
        self.terminal = terminal
        self.attempts = attempts
        self.usage = usage or Usage()


@dataclass(frozen=True)
class Answer:
    tool_input: dict
    usage: Usage
    attempts: int
    stop_reason: str


def make_client(settings: LLMSettings):  # noqa: ANN201 - anthropic.Anthropic, imported lazily
    import anthropic

    return anthropic.Anthropic(
        api_key=settings.api_key,
        base_url=settings.base_url or None,
        max_retries=0,
        timeout=settings.timeout,
    )


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw:
            try:
                return max(0.0, float(raw) * scale)
            except ValueError:
                continue
    return None


def classify(exc: Exception) -> CallError:
    """Map an SDK exception to a ``CallError``; ``kind`` tells whether a retry may help."""
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return CallError("timeout", "the API did not answer in time")
    if isinstance(exc, anthropic.APIConnectionError):
        return CallError("connection", "could not reach the API")
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        kind = str(error.get("type", ""))
        text = str(error.get("message", ""))[:200]
        quota = kind == "billing_error" or any(w in text.lower() for w in _QUOTA_WORDS)
        if status in (401, 403) or kind in ("authentication_error", "permission_error"):
            return CallError("auth", f"HTTP {status} {kind}", status=status, terminal=True)
        if status == 402 or quota:
            return CallError("quota", f"HTTP {status} {kind}: {text}", status=status, terminal=True)
        if status == 429:
            return CallError("rate_limited", f"HTTP 429 {kind}", status=status)
        if status >= 500:
            return CallError("server", f"HTTP {status} {kind}", status=status)
        return CallError("rejected", f"HTTP {status} {kind}: {text}", status=status)
    if isinstance(exc, ValueError):  # the body did not parse as JSON
        return CallError("malformed", f"the answer is not valid JSON ({str(exc)[:80]})")
    return CallError("error", f"{type(exc).__name__}: {str(exc)[:120]}")


RETRYABLE = ("timeout", "connection", "rate_limited", "server")


def _strict(body: dict) -> bool:
    return any(isinstance(t, dict) and t.get("strict") for t in body.get("tools") or [])


def call(
    settings: LLMSettings,
    body: dict,
    *,
    client=None,  # noqa: ANN001 - an anthropic.Anthropic; made from ``settings`` when None
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Answer:
    """Send ``body`` and return the forced tool's input. Raises ``CallError``."""
    client = make_client(settings) if client is None else client
    rng = rng or random.Random()
    attempt = 0
    while True:
        attempt += 1
        try:
            message = client.messages.create(**body)
        except Exception as exc:  # noqa: BLE001 - every SDK failure is classified below
            error = classify(exc)
            error.attempts = attempt
            if error.kind == "rejected" and "strict" in error.detail.lower() and _strict(body):
                # A model without strict tool use: the same forced tool without the flag; the
                # answer is validated in code either way.
                log.warning("compile: %s rejects strict tool use; sent without it", body["model"])
                body = {
                    **body,
                    "tools": [{k: v for k, v in t.items() if k != "strict"} for t in body["tools"]],
                }
                continue
            if error.kind not in RETRYABLE or attempt > settings.max_retries:
                raise error from None
            wait = _retry_after(exc)
            if wait is not None and wait > MAX_WAIT:
                error.detail += f" (retry-after {wait:g} s is more than {MAX_WAIT:g} s)"
                raise error from None
            if wait is None:
                wait = BASE_DELAY * 2 ** (attempt - 1) + rng.uniform(0, BASE_DELAY / 2)
            sleep(wait)
            continue
        usage = Usage.from_api(getattr(message, "usage", None))
        stop = str(getattr(message, "stop_reason", "") or "")
        for block in getattr(message, "content", None) or []:
            if (
                getattr(block, "type", None) == "tool_use"
                and getattr(block, "name", None) == TOOL_NAME
            ):
                if stop == "max_tokens":
                    raise CallError(
                        "malformed",
                        "the answer was cut at max_tokens",
                        attempts=attempt,
                        usage=usage,
                    )
                data = getattr(block, "input", None)
                if not isinstance(data, dict):
                    raise CallError(
                        "malformed",
                        "the tool input is not an object",
                        attempts=attempt,
                        usage=usage,
                    )
                return Answer(data, usage, attempt, stop)
        raise CallError(
            "malformed", f"no {TOOL_NAME} call in the answer (stop: {stop or '?'})",
            attempts=attempt, usage=usage,
        )  # fmt: skip
