"""Run the real agent CLIs offline: pinned npm packages, a throwaway HOME, a fake model server.

``make e2e`` installs the pinned versions into ``.e2e/agents`` (kept between runs); the helpers
here start a fake model server (``fake_models.py``) on loopback, run one agent non-interactively
against it, stop the server by PID, and return what the server received.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGENTS_DIR = Path(os.environ.get("AIMEM_E2E_AGENTS", ROOT / ".e2e" / "agents"))
BIN = AGENTS_DIR / "node_modules" / ".bin"
PACKAGES = {
    "claude": "@anthropic-ai/claude-code@2.1.197",
    "codex": "@openai/codex@0.169.0",
    "gemini": "@google/gemini-cli@0.61.0",
    "opencode": "opencode-ai@1.18.33",
    "mcp-inspector": "@modelcontextprotocol/inspector@0.15.0",
}
FAKE = Path(__file__).parent / "fake_models.py"


def binary(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make e2e` (it installs {PACKAGES[name]})")
    return str(path)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    requests: list[dict]

    def bodies(self) -> str:
        """Every request body the fake model server received, as one searchable string."""
        return "\n".join(json.dumps(r.get("body")) for r in self.requests)


class FakeServer:
    """A fake model API on 127.0.0.1, bounded in requests and lifetime, stopped by PID."""

    def __init__(
        self, api: str, log: Path, commands: list[str], mcp_tool: str = "", mcp_input: str = ""
    ) -> None:
        self.log = log
        cmd = [
            sys.executable,
            str(FAKE),
            "--api",
            api,
            "--log",
            str(log),
            "--max-requests",
            "40",
            "--lifetime",
            "240",
            "--commands",
            *commands,
        ]
        if mcp_tool:
            cmd += ["--mcp-tool", mcp_tool, "--mcp-input", mcp_input]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"fake {api} server did not start: {line!r}")
        self.port = int(line.split()[1])

    def requests(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def base_env(home: Path, aimem_home: Path) -> dict[str, str]:
    """A clean environment: throwaway HOME, our data root, no telemetry, loopback only."""
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        HOME=str(home),
        AIMEM_HOME=str(aimem_home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        DISABLE_TELEMETRY="1",
        DISABLE_AUTOUPDATER="1",
        DISABLE_ERROR_REPORTING="1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def run_agent(
    cmd: list[str], cwd: Path, env: dict[str, str], server: FakeServer, timeout: float = 180
) -> Run:
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    finally:
        server.stop()
    _ = time.monotonic() - started
    return Run(proc.returncode, proc.stdout, proc.stderr, server.requests())


def claude(
    prompt: str,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    commands: list[str],
    allowed: str = "Bash",
    **fake: str,
) -> Run:
    server = FakeServer("anthropic", log, commands, **fake)
    env = dict(
        env, ANTHROPIC_BASE_URL=f"http://127.0.0.1:{server.port}", ANTHROPIC_API_KEY="sk-ant-fake"
    )
    cmd = [binary("claude"), "-p", prompt, "--output-format", "json", "--allowedTools", allowed]
    return run_agent(cmd, cwd, env, server)


def codex(
    prompt: str, cwd: Path, env: dict[str, str], log: Path, commands: list[str], **fake: str
) -> Run:
    server = FakeServer("openai", log, commands, **fake)
    codex_home = Path(env["HOME"]) / ".codex"
    codex_home.mkdir(parents=True, exist_ok=True)
    env = dict(env, CODEX_HOME=str(codex_home), FAKE_OPENAI_KEY="sk-fake")
    provider = [
        "-c",
        'model="gpt-5.1-codex"',
        "-c",
        'model_provider="fake"',
        "-c",
        'model_providers.fake.name="fake"',
        "-c",
        f'model_providers.fake.base_url="http://127.0.0.1:{server.port}/v1"',
        "-c",
        'model_providers.fake.wire_api="responses"',
        "-c",
        'model_providers.fake.env_key="FAKE_OPENAI_KEY"',
        "-c",
        "model_providers.fake.request_max_retries=0",
        "-c",
        "model_providers.fake.stream_max_retries=0",
    ]
    # No --dangerously-bypass-hook-trust: `aimem install codex` wrote the trust records.
    cmd = [
        binary("codex"),
        "exec",
        "--skip-git-repo-check",
        "-s",
        "danger-full-access",
        *provider,
        prompt,
    ]
    return run_agent(cmd, cwd, env, server)


def gemini(
    prompt: str, cwd: Path, env: dict[str, str], log: Path, commands: list[str], **fake: str
) -> Run:
    server = FakeServer("gemini", log, commands, **fake)
    env = dict(
        env,
        GEMINI_API_KEY="fake-gemini-key",
        GEMINI_CLI_TRUST_WORKSPACE="true",
        GOOGLE_GEMINI_BASE_URL=f"http://127.0.0.1:{server.port}",
    )
    cmd = [
        binary("gemini"),
        "-p",
        prompt,
        "--output-format",
        "json",
        "--yolo",
        "-m",
        "gemini-2.5-flash",
    ]
    return run_agent(cmd, cwd, env, server)


def opencode(
    prompt: str, cwd: Path, env: dict[str, str], log: Path, commands: list[str], **fake: str
) -> Run:
    """``opencode run`` against a Chat Completions fake, through a custom provider given inline
    (``OPENCODE_CONFIG_CONTENT``, merged over the user's opencode.json that holds aimem's entry).

    Offline: the models.dev catalogue, autoupdate, LSP downloads, sharing and the default
    (npm) plugins are switched off; at startup opencode still runs ``npm install`` of
    ``@opencode-ai/plugin`` in its config folder, which ``npm_config_offline`` makes fail at
    once (a warning; aimem's plugin imports nothing) instead of retrying for about a minute.
    """
    server = FakeServer("chat", log, commands, **fake)
    config = {
        "autoupdate": False,
        "share": "disabled",
        "model": "fake/fake-model",
        "small_model": "fake/fake-model",
        "provider": {
            "fake": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "fake",
                "options": {"baseURL": f"http://127.0.0.1:{server.port}/v1", "apiKey": "sk-fake"},
                "models": {"fake-model": {"name": "fake-model", "tool_call": True}},
            }
        },
    }
    env = dict(
        env,
        OPENCODE_CONFIG_CONTENT=json.dumps(config),
        OPENCODE_DISABLE_MODELS_FETCH="1",
        OPENCODE_DISABLE_AUTOUPDATE="1",
        OPENCODE_DISABLE_LSP_DOWNLOAD="1",
        OPENCODE_DISABLE_SHARE="1",
        OPENCODE_DISABLE_DEFAULT_PLUGINS="1",
        npm_config_offline="true",
    )
    cmd = [binary("opencode"), "run", "--auto", "--print-logs", prompt]
    return run_agent(cmd, cwd, env, server)
