"""LLM settings from the environment."""

from __future__ import annotations

from aimem.compile.settings import DEFAULT_MODEL, LLMSettings, llm_settings


def test_defaults_are_zero_llm():
    settings = llm_settings({})
    assert settings == LLMSettings()
    assert "AIMEM_LLM" in settings.disabled_reason()


def test_anthropic_with_a_key_and_a_base_url_is_enabled():
    env = {
        "AIMEM_LLM": "Anthropic",
        "ANTHROPIC_API_KEY": "sk-x",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
        "AIMEM_LLM_DAILY_TOKENS": "5000",
        "AIMEM_LLM_SESSION_TOKENS": "oops",
    }
    settings = llm_settings(env)
    assert settings.disabled_reason() is None
    assert settings.base_url == "http://127.0.0.1:9" and settings.model == DEFAULT_MODEL
    assert settings.daily_token_budget == 5000
    assert settings.session_token_budget == 30_000  # a typo keeps the default, not "no budget"


def test_the_recursion_marker_and_a_missing_key_disable_it():
    env = {"AIMEM_LLM": "anthropic", "ANTHROPIC_API_KEY": "sk-x", "AIMEM_INSIDE": "1"}
    assert "AIMEM_INSIDE" in llm_settings(env).disabled_reason()
    assert "ANTHROPIC_API_KEY" in llm_settings({"AIMEM_LLM": "anthropic"}).disabled_reason()
    assert (
        "not a known provider"
        in llm_settings({"AIMEM_LLM": "gpt", "ANTHROPIC_API_KEY": "k"}).disabled_reason()
    )
