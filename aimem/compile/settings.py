"""What the LLM step is told: provider, key, endpoint, model, budgets, timeouts.

Read from the environment by ``llm_settings`` alone, so the lead can point it at ``aimem.config``
later (the keys are listed in docs/llm.md) without touching the rest of the package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

PROVIDERS = ("anthropic",)
DEFAULT_MODEL = "claude-haiku-4-5"
# Set in the environment of anything aimem runs while compiling, and checked before any call:
# an agent (or a proxy that runs one) started under aimem must never call back into the LLM step.
INSIDE_MARKER = "AIMEM_INSIDE"


@dataclass(frozen=True)
class LLMSettings:
    provider: str = ""  # "" = zero-LLM only
    api_key: str = ""
    base_url: str = ""  # "" = the SDK's default (api.anthropic.com)
    model: str = DEFAULT_MODEL
    session_token_budget: int = 30_000  # input + output tokens for one session's call
    daily_token_budget: int = 1_000_000  # all calls of one UTC day, every project
    max_output_tokens: int = 4_000
    timeout: float = 60.0  # seconds per attempt
    max_retries: int = 2  # on 429, 5xx, timeouts and dropped connections only
    inside: bool = False  # the recursion marker was set

    def disabled_reason(self) -> str | None:
        """Why no call may be made, or ``None`` when the LLM step may run."""
        if self.inside:
            return f"{INSIDE_MARKER} is set (aimem runs inside an agent started by aimem)"
        if not self.provider:
            return "no LLM configured (AIMEM_LLM is not set)"
        if self.provider not in PROVIDERS:
            return f"AIMEM_LLM={self.provider!r} is not a known provider ({', '.join(PROVIDERS)})"
        if not self.api_key:
            return "ANTHROPIC_API_KEY is not set"
        return None


def _number(env: Mapping[str, str], name: str, default: float, kind: type) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(float(raw)) if kind is int else float(raw)
    except ValueError:
        return default
    return value if value >= 0 else default


def llm_settings(env: Mapping[str, str] | None = None) -> LLMSettings:
    """The LLM settings from ``env`` (default: the process environment). A value that does not
    parse keeps its default: a typo in a budget must not switch the budget off."""
    env = os.environ if env is None else env
    return LLMSettings(
        provider=env.get("AIMEM_LLM", "").strip().lower(),
        api_key=env.get("ANTHROPIC_API_KEY", "").strip(),
        base_url=env.get("ANTHROPIC_BASE_URL", "").strip(),
        model=env.get("AIMEM_LLM_MODEL", "").strip() or DEFAULT_MODEL,
        session_token_budget=int(_number(env, "AIMEM_LLM_SESSION_TOKENS", 30_000, int)),
        daily_token_budget=int(_number(env, "AIMEM_LLM_DAILY_TOKENS", 1_000_000, int)),
        max_output_tokens=int(_number(env, "AIMEM_LLM_MAX_OUTPUT_TOKENS", 4_000, int)) or 4_000,
        timeout=_number(env, "AIMEM_LLM_TIMEOUT", 60.0, float) or 60.0,
        max_retries=min(5, int(_number(env, "AIMEM_LLM_MAX_RETRIES", 2, int))),
        inside=env.get(INSIDE_MARKER, "").strip() not in ("", "0"),
    )
