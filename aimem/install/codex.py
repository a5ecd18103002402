"""Codex CLI: hooks in ``hooks.json``, the MCP server and the hook trust in ``config.toml``.

Codex runs a non-managed hook only once its exact definition is trusted, and ``codex exec`` skips
untrusted hooks *silently*. Trust is a ``[hooks.state."<key>"] trusted_hash`` entry in the user's
``config.toml``: the key is ``<hooks.json path>:<event_label>:<group index>:<handler index>`` (the
folder canonicalised, the label snake_case) and the hash is ``sha256:`` over the compact,
key-sorted JSON of the normalised hook identity ``{event_name, matcher?, hooks: [{type, command,
timeout, async, statusMessage?}]}`` (timeout defaulting to 600; UserPromptSubmit and Stop drop
their matcher). That is what ``codex app-server`` reports as ``currentHash`` from ``hooks/list``;
``tests/install/test_codex_trust.py`` checks it against the real 0.169.0 binary when one is
available. So ``aimem install codex`` writes the trust itself and no ``/hooks`` review or
``--dangerously-bypass-hook-trust`` is needed; if a Codex release changes the scheme, the hooks
show up as "modified" in ``/hooks`` and one review there trusts them.

The user's ``config.toml`` keeps its comments: aimem edits only its own marked block, which holds
``[mcp_servers.aimem]`` (user scope) and the trust entries of every aimem hook it installed (both
scopes). Project scope writes ``<project>/.codex/hooks.json`` and ``<project>/.codex/config.toml``;
Codex reads those only in a trusted project, which aimem reports but does not decide for you.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib

from aimem.install.common import (
    ConfigFile,
    FileChange,
    Inspection,
    InstallError,
    Target,
    edit_json,
    edit_toml_block,
    inspect_json,
    is_aimem_handler,
    json_template,
    merge_nested_hooks,
    nested_hook_commands,
    parse_json_object,
    parse_toml,
    read_text,
    remove_nested_hooks,
    toml_block,
    toml_string,
    toml_without_block,
)

AGENT = "codex"
BINARIES = ("codex",)
TEMPLATE = "codex/hooks.json"
START_EVENT = "SessionStart"
BLOCK_HEADER = "(managed by `aimem install codex`; `aimem uninstall codex` removes it)"
_NO_MATCHER = ("UserPromptSubmit", "Stop")  # Codex ignores their matcher, also in the hash


def same_folder(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def config_dirs(target: Target) -> list[str]:
    return [target.codex_home]


def hooks_path(target: Target) -> str:
    base = target.codex_home if target.user else os.path.join(target.project, ".codex")
    return os.path.join(base, "hooks.json")


def user_config(target: Target) -> str:
    return os.path.join(target.codex_home, "config.toml")


def mcp_config(target: Target) -> str:
    if target.user:
        return user_config(target)
    return os.path.join(target.project, ".codex", "config.toml")


def event_label(event: str) -> str:
    """``SessionStart`` -> ``session_start``: how Codex names events in trust keys."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", event).lower()


def trust_hash(event: str, matcher: object, handler: dict) -> str:
    normalized: dict[str, object] = {
        "type": "command",
        "command": handler.get("command"),
        "timeout": max(1, int(handler.get("timeout") or 600)),
        "async": bool(handler.get("async", False)),
    }
    if isinstance(handler.get("statusMessage"), str):
        normalized["statusMessage"] = handler["statusMessage"]
    identity: dict[str, object] = {"event_name": event_label(event), "hooks": [normalized]}
    if isinstance(matcher, str) and event not in _NO_MATCHER:
        identity["matcher"] = matcher
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def key_prefix(hooks_file: str) -> str:
    folder = os.path.realpath(os.path.dirname(os.path.abspath(hooks_file)))
    return os.path.join(folder, os.path.basename(hooks_file)) + ":"


def trust_entries(hooks_file: str, data: dict) -> dict[str, str]:
    """Trust key -> hash for every aimem handler in a parsed ``hooks.json``."""
    entries: dict[str, str] = {}
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return entries
    prefix = key_prefix(hooks_file)
    for event, groups in hooks.items():
        for g, group in enumerate(groups if isinstance(groups, list) else []):
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                continue
            for h, handler in enumerate(group["hooks"]):
                if is_aimem_handler(handler):
                    key = f"{prefix}{event_label(event)}:{g}:{h}"
                    entries[key] = trust_hash(event, group.get("matcher"), handler)
    return entries


def render_block(server: dict | None, states: dict[str, str]) -> str:
    lines: list[str] = []
    if server is not None:
        args = ", ".join(toml_string(a) for a in server.get("args", []))
        lines += [
            "[mcp_servers.aimem]",
            f"command = {toml_string(server['command'])}",
            f"args = [{args}]",
            "",
        ]
    for key in sorted(states):
        lines += [
            f"[hooks.state.{toml_string(key)}]",
            f"trusted_hash = {toml_string(states[key])}",
            "",
        ]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def _block_data(path: str, text: str | None) -> tuple[dict | None, dict[str, str]]:
    body = toml_block(path, text)
    if not body:
        return None, {}
    try:
        data = tomllib.loads(body)
    except tomllib.TOMLDecodeError as exc:
        raise InstallError(f"{path}: aimem's block is not valid TOML ({exc}); fix it") from None
    server = (data.get("mcp_servers") or {}).get("aimem")
    states = {
        k: v["trusted_hash"]
        for k, v in ((data.get("hooks") or {}).get("state") or {}).items()
        if isinstance(v, dict) and isinstance(v.get("trusted_hash"), str)
    }
    return server, states


def _config_change(
    path: str, server: object, states: dict[str, str] | None, prefix: str, notes: list[str]
) -> FileChange:
    """Plan aimem's block in one ``config.toml``. ``server``: the MCP entry, ``None`` to drop it,
    ``...`` to keep what is there; ``states``: this hooks file's trust (others are kept)."""
    text = read_text(path)
    outside = toml_without_block(path, text)
    old_server, old_states = _block_data(path, text)
    if server is ...:
        server = old_server
    if server is not None and "aimem" in (outside.get("mcp_servers") or {}):
        notes.append(f"{path} already defines [mcp_servers.aimem] outside aimem's block: kept")
        server = None
    merged = {k: v for k, v in old_states.items() if not k.startswith(prefix)}
    merged.update(states or {})
    outside_states = (outside.get("hooks") or {}).get("state") or {}
    for key in [k for k in merged if k in outside_states]:
        if (outside_states[key] or {}).get("trusted_hash") != merged[key]:
            notes.append(f"{path}: trust for {key} is set outside aimem's block: left as is")
        del merged[key]
    return edit_toml_block(path, render_block(server, merged), BLOCK_HEADER)


def plan(target: Target, install: bool, notes: list[str]) -> list[FileChange]:
    if not target.user and same_folder(os.path.join(target.project, ".codex"), target.codex_home):
        # Project files there *are* the user's: a project uninstall would drop the user's trust.
        raise InstallError(
            f"{target.project}/.codex is Codex's user folder (CODEX_HOME): use --scope user"
        )
    hooks_file = hooks_path(target)
    if install:
        desired = json_template(TEMPLATE, target.executable)["hooks"]
        hooks_change = edit_json(hooks_file, lambda d: merge_nested_hooks(d, desired, hooks_file))
    else:
        hooks_change = edit_json(hooks_file, lambda d: remove_nested_hooks(d, hooks_file))
    merged = parse_json_object(hooks_file, hooks_change.after)
    states = trust_entries(hooks_file, merged)
    prefix = key_prefix(hooks_file)
    server = {"command": target.executable, "args": ["mcp"]} if install else None
    changes = [hooks_change]
    if target.user:
        changes.append(_config_change(user_config(target), server, states, prefix, notes))
    else:
        changes.append(_config_change(mcp_config(target), server, {}, prefix, notes))
        changes.append(_config_change(user_config(target), ..., states, prefix, notes))
        if install and not project_trusted(target):
            notes.append(
                f"Codex reads {os.path.join(target.project, '.codex')} only in a trusted project: "
                f"trust it when Codex asks, or add {trust_table(target)} to {user_config(target)}"
            )
    return changes


def trust_table(target: Target) -> str:
    return f'[projects.{toml_string(os.path.realpath(target.project))}] trust_level = "trusted"'


def project_trusted(target: Target) -> bool:
    try:
        data = parse_toml(user_config(target), read_text(user_config(target)))
    except InstallError:
        return False
    projects = data.get("projects") or {}
    entry = projects.get(os.path.realpath(target.project)) or projects.get(target.project) or {}
    return isinstance(entry, dict) and entry.get("trust_level") == "trusted"


def inspect(target: Target) -> Inspection:
    result = Inspection(expected=list(json_template(TEMPLATE, "aimem")["hooks"]))
    hooks_file = hooks_path(target)
    data = inspect_json(hooks_file, result)
    result.hooks = nested_hook_commands(data)
    result.start_command = (result.hooks.get(START_EVENT) or [None])[0]
    configs = [user_config(target)] + ([] if target.user else [mcp_config(target)])
    parsed: dict[str, dict] = {}
    for path in configs:
        try:
            text = read_text(path)
            parsed[path] = parse_toml(path, text)
            result.files.append(ConfigFile(path, text is not None))
        except InstallError as exc:
            result.files.append(ConfigFile(path, True, str(exc).split("; ")[0]))
            parsed[path] = {}
    server = (parsed[mcp_config(target)].get("mcp_servers") or {}).get("aimem")
    if isinstance(server, dict) and isinstance(server.get("command"), str):
        result.mcp = [server["command"]] + [str(a) for a in server.get("args") or []]
    state = (parsed[user_config(target)].get("hooks") or {}).get("state") or {}
    fix = f"aimem install codex --scope {target.scope}"
    expected_trust = trust_entries(hooks_file, data)
    for key, expected in expected_trust.items():
        entry = state.get(key) if isinstance(state.get(key), dict) else {}
        if entry.get("enabled") is False:
            result.problems.append((f"hook {key} is disabled in {user_config(target)}", fix))
        elif entry.get("trusted_hash") != expected:
            result.problems.append((f"hook {key} is not trusted: Codex skips it silently", fix))
    if expected_trust and not result.problems:
        result.facts.append(("trust", f"all {len(expected_trust)} aimem hooks are trusted"))
    if not target.user and result.hooks and not project_trusted(target):
        result.problems.append(
            (
                f"project {target.project} is not trusted: Codex ignores its .codex/ hooks",
                f"add {trust_table(target)} to {user_config(target)}",
            )
        )
    return result


def start_payload(cwd: str, session: str) -> dict:
    return {
        "session_id": session,
        "transcript_path": None,
        "cwd": cwd,
        "hook_event_name": START_EVENT,
        "model": "doctor",
        "permission_mode": "default",
        "source": "startup",
    }
