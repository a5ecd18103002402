"""What the LLM step is told: provider, key, endpoint, model, budgets, timeouts.

Read by ``llm_settings`` alone, from the one settings object (``aimem/config.py``: config file
``llm*`` keys, ``AIMEM_LLM*`` variables) and the SDK's own ``ANTHROPIC_*`` variables.
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


def llm_settings(env: Mapping[str, str] | None = None) -> LLMSettings:
    """The LLM settings: ``AIMEM_LLM*`` and the config file's ``llm*`` keys through the one
    settings object (a value that does not parse keeps its default, and ``aimem doctor`` says
    so: a typo in a budget must not switch the budget off), the key and endpoint from the
    SDK's own environment variables."""
    from aimem.config import load_settings

    env = os.environ if env is None else env
    conf = load_settings(dict(env))
    return LLMSettings(
        provider=conf.llm.strip().lower(),
        api_key=env.get("ANTHROPIC_API_KEY", "").strip(),
        base_url=env.get("ANTHROPIC_BASE_URL", "").strip(),
        model=conf.llm_model.strip() or DEFAULT_MODEL,
        session_token_budget=int(conf.llm_session_tokens),
        daily_token_budget=int(conf.llm_daily_tokens),
        max_output_tokens=int(conf.llm_max_output_tokens),
        timeout=float(conf.llm_timeout),
        max_retries=min(5, int(conf.llm_max_retries)),
        inside=env.get(INSIDE_MARKER, "").strip() not in ("", "0"),
    )
