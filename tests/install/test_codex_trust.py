"""Codex hook trust written offline: the hashes match what the real Codex computes.

These pin hashes that the real 0.169.0 binary reported through ``codex app-server``
``hooks/list`` (recorded on 2026-11-23). ``tests/e2e/test_codex_trust.py`` asks the real Codex
whether the hooks ``aimem install codex`` wrote are trusted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aimem.install import codex

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("event", "matcher", "handler", "expected"),
    [
        (
            "PostToolUse",
            "Bash",
            {"command": "/x/aimem hook codex PostToolUse", "timeout": 30, "statusMessage": "hi"},
            "sha256:45b0b6e3c427a86525aee9520c04c1fe8e103c06312bc40f470bee9f8383f162",
        ),
        (
            "SessionStart",
            None,
            {"command": "/x/aimem hook codex SessionStart", "timeout": 10},
            "sha256:5e9347e6d8a432fb6342359eb4a01f1a1a6ef79bc00692d9fd464cd6b6d922ad",
        ),
        (
            "Stop",
            "*",  # Stop ignores its matcher, also in the hash; no timeout means 600
            {"command": "/x/aimem hook codex Stop"},
            "sha256:b5e23d3ed57ee282314ab2697df41ee64d2ab74394460f851b1c237abaaba400",
        ),
    ],
)
def test_trust_hash_matches_what_codex_reported(event, matcher, handler, expected):
    assert codex.trust_hash(event, matcher, {"type": "command", **handler}) == expected


def test_event_labels():
    assert codex.event_label("SessionStart") == "session_start"
    assert codex.event_label("UserPromptSubmit") == "user_prompt_submit"
    assert codex.event_label("PostToolUse") == "post_tool_use"
    assert codex.event_label("Stop") == "stop"
