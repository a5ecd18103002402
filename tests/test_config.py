"""Settings: a wrong value or a broken file never stops anything; each is one named line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimem.config import FIELDS, load_settings, make_private_dirs


def load(tmp_path: Path, text: str | bytes, **env: str):
    path = tmp_path / "config.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return load_settings({"HOME": str(tmp_path), "AIMEM_CONFIG": str(path), **env}), str(path)


def test_good_values_are_used_without_problems(tmp_path: Path):
    loaded, _ = load(
        tmp_path,
        'home = "~/mem"\nhandoff_max_age_days = 3\nstdin_max_bytes = "1024"\nlog_level = "debug"\n'
        "consolidate_wait_seconds = 0\n",
    )
    assert loaded.problems == []
    assert loaded.home == str(tmp_path / "mem")
    assert (loaded.handoff_max_age_days, loaded.stdin_max_bytes) == (3.0, 1024)
    assert loaded.log_level == "DEBUG" and loaded.consolidate_wait_seconds == 0.0


@pytest.mark.parametrize(
    ("line", "key", "why"),
    [
        ('handoff_max_age_days = "seven"', "handoff_max_age_days", "is not a number"),
        ('log_level = "NOPE"', "log_level", "is not a log level"),
        ("log_level = 10", "log_level", "is not a string"),
        ("handoff_max_age_days = -1", "handoff_max_age_days", "must be more than zero"),
        ("handoff_max_age_days = nan", "handoff_max_age_days", "is not a finite number"),
        ("consolidate_wait_seconds = -0.5", "consolidate_wait_seconds", "must be zero or more"),
        ("context_max_chars = 0", "context_max_chars", "must be more than zero"),
        ("context_max_chars = 1.5", "context_max_chars", "is not a whole number"),
        ("stdin_max_bytes = true", "stdin_max_bytes", "is not a number"),
        ("home = 5", "home", "is not a string"),
        ("home = [1]", "home", "is not a string"),
    ],
)
def test_a_bad_value_falls_back_to_its_default_and_names_the_key(
    tmp_path: Path, line: str, key: str, why: str
):
    loaded, path = load(tmp_path, f"{line}\ncontext_max_chars = 500\n" if "context" not in line
                        else line + "\n")  # fmt: skip
    default = FIELDS[key][1]
    if key == "home":
        assert loaded.home == str(tmp_path / ".local" / "share" / "aimem")
    else:
        assert getattr(loaded, key) == default
    if "context" not in line:
        assert loaded.context_max_chars == 500  # the good key beside it is kept
    [problem] = loaded.problems
    assert problem.startswith(f"{path}: {key} = ") and why in problem
    assert problem.endswith("(fix or remove the key)") and "\n" not in problem
    assert problem.fix == f"fix or remove {key} in {path}"


def test_the_value_shown_is_the_one_written(tmp_path: Path):
    loaded, path = load(tmp_path, 'handoff_max_age_days = "seven"\n')
    assert loaded.problems == [
        f'{path}: handoff_max_age_days = "seven" is not a number; using 7.0 (fix or remove the key)'
    ]


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (b"handoff_max_age_days = \n", "not valid TOML"),
        (b"[broken\n", "not valid TOML"),
        (b'home = "/x\xff"\n', "not UTF-8 text"),
    ],
)
def test_an_unparsable_file_means_all_defaults_and_one_line(tmp_path: Path, text: bytes, what):
    loaded, path = load(tmp_path, text, AIMEM_CONTEXT_MAX_CHARS="900")
    assert loaded.handoff_max_age_days == 7.0 and loaded.log_level == "INFO"
    assert loaded.context_max_chars == 900  # the environment still applies
    [problem] = loaded.problems
    assert problem.startswith(f"{path}: {what}") and "using the defaults for every key" in problem
    assert "\n" not in problem


def test_an_unknown_key_is_named_with_the_known_ones(tmp_path: Path):
    loaded, path = load(tmp_path, "handof_max_age_days = 3\n[llm]\nmodel = 'x'\n")
    assert len(loaded.problems) == 2
    assert loaded.problems[0].startswith(f'{path}: unknown key "handof_max_age_days" ignored')
    assert "known keys: home, project, handoff_max_age_days" in loaded.problems[0]
    assert loaded.handoff_max_age_days == 7.0


def test_a_bad_environment_value_falls_back_to_the_file(tmp_path: Path):
    loaded, _ = load(tmp_path, "handoff_max_age_days = 2\n", AIMEM_HANDOFF_MAX_AGE_DAYS="soon")
    assert loaded.handoff_max_age_days == 2.0
    assert loaded.problems == [
        'AIMEM_HANDOFF_MAX_AGE_DAYS="soon" is not a number; using 2.0 (fix or unset the variable)'
    ]


def test_an_unreadable_config_path_is_a_problem_not_a_crash(tmp_path: Path):
    folder = tmp_path / "config.toml"
    folder.mkdir()
    loaded = load_settings({"HOME": str(tmp_path), "AIMEM_CONFIG": str(folder)})
    assert loaded.problems and "not a file" in loaded.problems[0]
    assert not load_settings({"HOME": str(tmp_path), "AIMEM_CONFIG": str(tmp_path / "no")}).problems


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_no_file_content_makes_loading_raise(tmp_path_factory, data: bytes):
    tmp = tmp_path_factory.mktemp("cfg")
    loaded, _ = load(tmp, data)
    assert all(isinstance(p, str) and "\n" not in p for p in loaded.problems)
    assert isinstance(loaded.home, str) and os.path.isabs(loaded.home)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(FIELDS)), st.text(max_size=40).filter(lambda s: "\x00" not in s))
def test_no_environment_value_makes_loading_raise(name: str, raw: str):
    loaded = load_settings(
        {"HOME": "/h", "AIMEM_CONFIG": "/nonexistent", f"AIMEM_{name.upper()}": raw}
    )
    for key, (kind, _) in FIELDS.items():
        assert isinstance(getattr(loaded, key), kind)


def test_private_dirs_are_0700_all_the_way_down(tmp_path: Path):
    old = os.umask(0o022)
    try:
        make_private_dirs(str(tmp_path / "a" / "b" / "c"))
        make_private_dirs(str(tmp_path / "a" / "b" / "c"))  # existing: fine
    finally:
        os.umask(old)
    for folder in ("a", "a/b", "a/b/c"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700
    (tmp_path / "f").write_text("x")
    with pytest.raises(OSError):
        make_private_dirs(str(tmp_path / "f"))
    with pytest.raises(OSError):
        make_private_dirs(str(tmp_path / "f" / "sub"))


def test_llm_keys_come_from_the_config_file_and_the_environment(tmp_path) -> None:
    """The LLM step's settings go through the one settings object: a config file's ``llm*``
    keys, overridden by ``AIMEM_LLM*``; the API key only from the SDK's own variable."""
    from aimem.compile.settings import llm_settings

    conf = tmp_path / "config.toml"
    conf.write_text('llm = "anthropic"\nllm_model = "claude-sonnet-4-5"\nllm_daily_tokens = 900\n')
    env = {"AIMEM_CONFIG": str(conf), "HOME": str(tmp_path), "ANTHROPIC_API_KEY": "sk-test"}
    settings = llm_settings(env)
    assert settings.disabled_reason() is None
    assert (settings.provider, settings.model, settings.daily_token_budget) == (
        "anthropic",
        "claude-sonnet-4-5",
        900,
    )
    settings = llm_settings({**env, "AIMEM_LLM_DAILY_TOKENS": "50", "AIMEM_LLM_MAX_RETRIES": "9"})
    assert settings.daily_token_budget == 50
    assert settings.max_retries == 5  # bounded whatever is asked
    conf.write_text('llm = "anthropic"\nllm_timeout = -3\n')
    assert llm_settings(env).timeout == 60.0
    assert any("llm_timeout" in p for p in load_settings(env).problems)
