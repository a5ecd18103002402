"""Tests for aimem.redact: families, false positives, structures, speed, imports.

The fake secrets are assembled at run time so that no contiguous token-shaped string sits in the
source (secret scanners and push protection would rightly complain about it).
"""

import ast
import json
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import pytest

from aimem import redact as redact_module
from aimem.redact import REDACTED, contains_secret, redact, redact_obj

REPO = Path(__file__).resolve().parents[2]
R = REDACTED

# Fake secrets, realistic in shape only.
B62 = "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zA"  # 32 base62 characters, with digits
ANTHROPIC = "sk-" + "ant-api03-" + B62 * 2 + "Zx9-_Qw" + "AA"
OPENAI_PROJ = "sk-" + "proj-" + B62 + "_" + B62 + "-" + B62
OPENAI_SVC = "sk-" + "svcacct-" + B62 + B62[:20]
OPENAI_LEGACY = "sk-" + B62 + B62[:16]  # sk- + 48
GOOGLE = "AI" + "za" + "SyD" + B62  # AIza + 35
AWS_ID = "AK" + "IA" + "IOSFODNN7EXAMPLE"
AWS_STS = "AS" + "IA" + "Z3X7Q2W9E4R1T6Y8"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
GH_BODY = B62 + "Abcd"  # 36
FINE_GRAINED = "github" + "_pat_" + "11ABCDEFG0" + "123456789012" + "_" + B62 + B62[:27]
GITLAB = "gl" + "pat-" + "xY9" + B62[:17]
SLACK_BODY = "1234567890123-1234567890123-" + B62[:24]
SLACK_HOOK = "https://hooks.slack.com" + "/services/T0AB1CD2E/B0FG3HI4J/" + B62[:24]
STRIPE_BODY = "4eC39HqLyjWDarjtT1zdp7dc"
JWT = (
    "eyJ" + "hbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM_BODY = "MIIEowIBAAKCAQEA" + B62 + "\n" + B62 + B62 + "\n" + "xyz0+/=="
DASHES = "-" * 5


def pem(label: str, body: str = PEM_BODY, end: bool = True) -> str:
    block = f"{DASHES}BEGIN {label}{DASHES}\n{body}\n"
    return block + (f"{DASHES}END {label}{DASHES}" if end else "")


FAMILIES = {
    # Anthropic / OpenAI
    "anthropic": (f"key {ANTHROPIC} done", f"key {R} done"),
    "openai-proj": (f"client = OpenAI({OPENAI_PROJ!r})", f"client = OpenAI('{R}')"),
    "openai-svcacct": (f"use {OPENAI_SVC}\n", f"use {R}\n"),
    "openai-legacy": (f"[{OPENAI_LEGACY}]", f"[{R}]"),
    # Google, AWS
    "google": (f"?key={GOOGLE}&q=1", f"?key={R}&q=1"),
    "aws-access-key-id": (f"aws_access_key_id = {AWS_ID}", f"aws_access_key_id = {R}"),
    "aws-sts-key-id": (f'"AccessKeyId": "{AWS_STS}",', f'"AccessKeyId": "{R}",'),
    "aws-secret-ini": (f"aws_secret_access_key = {AWS_SECRET}", f"aws_secret_access_key = {R}"),
    "aws-secret-env": (
        f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
        f"export AWS_SECRET_ACCESS_KEY={R}",
    ),
    "aws-secret-json": (f'{{"SecretAccessKey": "{AWS_SECRET}"}}', f'{{"SecretAccessKey": "{R}"}}'),
    # GitHub, GitLab
    "github-ghp": (f"token ghp_{GH_BODY} here", f"token {R} here"),
    "github-gho": (f"gho_{GH_BODY}", R),
    "github-ghu": (f"(ghu_{GH_BODY})", f"({R})"),
    "github-ghs": (f"ghs_{GH_BODY}.", f"{R}."),
    "github-ghr": (f"ghr_{GH_BODY}", R),
    "github-fine-grained": (f"pat: {FINE_GRAINED}", f"pat: {R}"),
    "gitlab": (f"GL {GITLAB} end", f"GL {R} end"),
    # Slack
    "slack-xoxb": (f"xoxb-{SLACK_BODY}", R),
    "slack-xoxp": (f"'xoxp-{SLACK_BODY}'", f"'{R}'"),
    "slack-xoxa": (f"xoxa-{SLACK_BODY} x", f"{R} x"),
    "slack-xoxr": (f"xoxr-{SLACK_BODY}", R),
    "slack-xoxs": (f"xoxs-{SLACK_BODY}", R),
    "slack-webhook": (
        f"curl -X POST {SLACK_HOOK} -d @msg.json",
        f"curl -X POST https://hooks.slack.com/services/{R} -d @msg.json",
    ),
    # Stripe
    "stripe-sk-live": (f"sk_live_{STRIPE_BODY}", R),
    "stripe-sk-test": (f"Stripe(sk_test_{STRIPE_BODY})", f"Stripe({R})"),
    "stripe-rk-live": (f"rk_live_{STRIPE_BODY}", R),
    "stripe-pk-live": (f"pk_live_{STRIPE_BODY}", R),
    # JWT
    "jwt": (f"cookie={JWT}; Path=/", f"cookie={R}; Path=/"),
    "jwt-bare": (JWT, R),
    # PEM private keys
    "pem-rsa": (f"key:\n{pem('RSA PRIVATE KEY')}\nafter", f"key:\n{R}\nafter"),
    "pem-ec": (pem("EC PRIVATE KEY"), R),
    "pem-openssh": (
        f"$ cat id_ed25519\n{pem('OPENSSH PRIVATE KEY')}\n$ ",
        f"$ cat id_ed25519\n{R}\n$ ",
    ),
    "pem-pkcs8": (pem("PRIVATE KEY"), R),
    "pem-encrypted": (pem("ENCRYPTED PRIVATE KEY"), R),
    "pem-pgp": (pem("PGP PRIVATE KEY BLOCK"), R),
    "pem-truncated": (f"head:\n{pem('RSA PRIVATE KEY', end=False)}", f"head:\n{R}"),
    "pem-as-value": (f"secret: {pem('EC PRIVATE KEY')}", f"secret: {R}"),
    "pem-in-json": (
        json.dumps({"type": "service_account", "private_key": pem("PRIVATE KEY") + "\n"}),
        '{"type": "service_account", "private_key": "' + R + '\\n"}',
    ),
    # Assignments: the key stays, the value goes.
    "kv-password": ("password=hunter2 user=bob", f"password={R} user=bob"),
    "kv-passwd-yaml": ("passwd: hunter2\nuser: bob", f"passwd: {R}\nuser: bob"),
    "kv-token-json": ('{"token": "abc123", "n": 1}', f'{{"token": "{R}", "n": 1}}'),
    "kv-json-compact": ('{"password":"p@ss w0rd!"}', f'{{"password":"{R}"}}'),
    "kv-json-escaped": ('{\\"password\\": \\"hunter2\\"}', f'{{\\"password\\": \\"{R}\\"}}'),
    "kv-env-quoted": ('API_KEY="abc def"', f'API_KEY="{R}"'),
    "kv-apikey-camel": ("apiKey: 'k-123'", f"apiKey: '{R}'"),
    "kv-x-api-key": ("X-Api-Key: 0123abcd", f"X-Api-Key: {R}"),
    "kv-secret-single-quoted": ("client_secret='s3cr3t'", f"client_secret='{R}'"),
    "kv-secret-upper": ("SECRET=abc", f"SECRET={R}"),
    "kv-secret-key": ("SECRET_KEY = 'django-insecure-x'", f"SECRET_KEY = '{R}'"),
    "kv-access-token": ("access_token=ya29.a0Af&state=1", f"access_token={R}&state=1"),
    "kv-auth-token": ("auth_token: abc", f"auth_token: {R}"),
    "kv-github-token": ("GITHUB_TOKEN=abc123", f"GITHUB_TOKEN={R}"),
    "kv-db-pass": ("DB_PASS=foo", f"DB_PASS={R}"),
    "kv-pgpassword": ("PGPASSWORD=foo psql", f"PGPASSWORD={R} psql"),
    "kv-passphrase": ("passphrase => 'x y z'", f"passphrase => '{R}'"),
    "kv-walrus": ("token := 'abc'", f"token := '{R}'"),
    "kv-annotated": ("password: str = 'hunter2'", f"password: str = '{R}'"),
    "kv-kwarg": ("connect(host='h', password='pw1')", f"connect(host='h', password='{R}')"),
    "kv-cli-flag": ("mysql --password hunter2 --user bob", f"mysql --password {R} --user bob"),
    "kv-cli-flag-token": (
        "vercel deploy --token abc123 --prod",
        f"vercel deploy --token {R} --prod",
    ),
    "kv-cli-flag-eq": ("login --token=abc123", f"login --token={R}"),
    "kv-bearer-value": ("token: Bearer abc123", f"token: Bearer {R}"),
    # Authorization headers
    "auth-bearer": ("Authorization: Bearer abc.def-ghi_123", f"Authorization: Bearer {R}"),
    "auth-basic": (
        'curl -H "Authorization: Basic dXNlcjpwYXNz" https://x',
        f'curl -H "Authorization: Basic {R}" https://x',
    ),
    "auth-token": ("authorization: token 0123456789abcdef", f"authorization: token {R}"),
    "auth-json": ('{"Authorization": "Bearer abc123def"}', f'{{"Authorization": "Bearer {R}"}}'),
    "auth-proxy": ("Proxy-Authorization: Basic Zm9vOmJhcg==", f"Proxy-Authorization: Basic {R}"),
    # Credentials in URLs
    "url-https": (
        "git clone https://user:pass123@host/x.git",
        f"git clone https://user:{R}@host/x.git",
    ),
    "url-postgres": ("postgres://u:p@h:5432/db", f"postgres://u:{R}@h:5432/db"),
    "url-redis-no-user": ("redis://:s3cret@localhost:6379/0", f"redis://:{R}@localhost:6379/0"),
    "url-token-as-username": (
        f"https://ghp_{GH_BODY}:x-oauth-basic@github.com/o/r",
        f"https://{R}:{R}@github.com/o/r",
    ),
    "url-token-as-user": (
        f"https://x-access-token:ghs_{GH_BODY}@github.com/o/r",
        f"https://x-access-token:{R}@github.com/o/r",
    ),
}

FAMILY_IDS = list(FAMILIES)
FAMILY_CASES = [FAMILIES[name] for name in FAMILY_IDS]


@pytest.mark.parametrize(("text", "expected"), FAMILY_CASES, ids=FAMILY_IDS)
def test_family_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert contains_secret(text)


@pytest.mark.parametrize(("text", "expected"), FAMILY_CASES, ids=FAMILY_IDS)
def test_redaction_is_idempotent(text: str, expected: str) -> None:
    once = redact(text)
    assert redact(once) == once
    assert not contains_secret(once)


def test_secret_material_never_survives() -> None:
    secrets = [ANTHROPIC, OPENAI_PROJ, GOOGLE, AWS_ID, FINE_GRAINED, GITLAB, JWT]
    lines = [f"line {i}: {secret} tail" for i, secret in enumerate(secrets)]
    lines += [f"aws_secret_access_key={AWS_SECRET}", pem("RSA PRIVATE KEY")]
    out = redact("\n".join(lines))
    for secret in [*secrets, AWS_SECRET, PEM_BODY]:
        assert secret[6:] not in out
    assert out.count(R) == len(lines)


NOT_SECRETS = [
    "",
    "ok",
    "The quick brown fox jumps over the lazy dog.",
    "The password must be at least 8 characters long; keep the secret safe.",
    "Refactor src/app/config.py and tests/capture/test_redact.py, then run make check.",
    "/home/user/.config/aimem/settings.toml",
    "commit da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "id 123e4567-e89b-12d3-a456-426614174000",
    "task-list desk-lamp ask-user risk-assessment-for-the-whole-project-2024",
    "sk-short sk-1 AKIA AIza ghp_short glpat- xoxb- eyJ",
    "eyJhbGciOiJIUzI1NiJ9",
    "token_count: 12",
    "max_tokens: 4096",
    "tokens: 1234",
    "prompt_tokens=10 completion_tokens=20",
    "secretary: Jane Doe",
    "The author bypassed the compass: north",
    "session_token_ttl: 3600",
    "key: value",
    "password=",
    'password=""',
    "password: ''",
    "password:\n  - item",
    "token=$GITHUB_TOKEN",
    'password: "${DB_PASSWORD}"',
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "api_key: <your-api-key>",
    "password: ****",
    "password: null",
    '{"token": null, "password": false}',
    "password = os.environ['DB_PASSWORD']",
    "token = os.getenv('TOKEN')",
    "def login(user: str, password: str) -> bool:",
    "self.token = token",
    "password = self.password",
    "if password == confirm:",
    "for token in tokens:",
    "const tokenizer = new Tokenizer();",
    "if (password.length < 8) return;",
    "docker login --password-stdin",
    "Authorization: Bearer $TOKEN",
    "Authorization: Bearer ${TOKEN}",
    "https://github.com/org/repo.git",
    "ssh://git@github.com:22/org/repo.git",
    "git@github.com:org/repo.git",
    "http://localhost:8080/api?x=1&y=2",
    "see https://example.com:8443 and mail me at a@b.c",
    "- [ ] review the PR\n- [x] merge",
    "x = {'a': 1, 'b': [1, 2, 3]}",
    "Ünïcödé tëxt with émojis 🎉 and ∑ maths",
]


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text
    assert not contains_secret(text)


def test_marker() -> None:
    assert REDACTED == "[REDACTED]"
    assert redact("password=x") == "password=" + REDACTED


def test_redact_returns_the_same_object_when_clean() -> None:
    text = "nothing to see here " * 100
    assert redact(text) is text


def test_redact_obj_nested_structures() -> None:
    Pair = namedtuple("Pair", "name value")
    marker = object()
    payload = {
        "tool_name": "Bash",
        "tool_input": {
            "command": f"export GITHUB_TOKEN=ghp_{GH_BODY} && gh pr list",
            "headers": {"Authorization": "opaque-credential-1234", "Accept": "*/*"},
            "password": "hunter2",
            "db_pass": "hunter3",
            "api_key": "",
            "secret": "$FROM_ENV",
            "max_tokens": 100,
            "token_count": "12",
        },
        "files": [f"note {ANTHROPIC}", "src/app.py", ("plain", f"{AWS_ID}")],
        "pair": Pair("k", f"cookie {JWT}"),
        "flags": (True, None, 3.5, b"sk-bytes-are-left-alone-1234567890"),
        "marker": marker,
    }
    snapshot = json.dumps(payload, default=repr)
    out = redact_obj(payload)

    assert json.dumps(payload, default=repr) == snapshot  # the input is not mutated
    assert list(out) == list(payload)  # keys kept, in order
    tool = out["tool_input"]
    assert tool["command"] == f"export GITHUB_TOKEN={R} && gh pr list"
    assert tool["headers"] == {"Authorization": R, "Accept": "*/*"}
    assert tool["password"] == R
    assert tool["db_pass"] == R
    assert tool["api_key"] == ""
    assert tool["secret"] == "$FROM_ENV"
    assert tool["max_tokens"] == 100
    assert tool["token_count"] == "12"
    assert out["files"] == [f"note {R}", "src/app.py", ("plain", R)]
    assert isinstance(out["files"][2], tuple)
    assert out["pair"] == Pair("k", f"cookie {R}")
    assert isinstance(out["pair"], Pair)
    assert out["flags"] == payload["flags"]
    assert out["marker"] is marker


@pytest.mark.parametrize("value", [None, 0, 1.5, True, b"password=x", {1, 2}])
def test_redact_obj_other_types_as_is(value: object) -> None:
    assert redact_obj(value) is value


def test_redact_obj_on_strings_and_lists() -> None:
    assert redact_obj("password=x") == f"password={R}"
    assert redact_obj(["a", ["password=x", 1]]) == ["a", [f"password={R}", 1]]


PATHOLOGICAL = {
    "a": "a" * 65536,
    "equals": "=" * 65536,
    "eyJ": "eyJ" * 21846,
    "eyJ-dots": "eyJ." * 16384,
    "dashes": "-" * 65536,
    "colons": ":" * 65536,
    "spaces": " " * 65536,
    "k": "k" * 65536,
    "AKIA": "AKIA" * 16384,
    "sk-": "sk-" * 21846,
    "sk-long": "sk-" + "a" * 65536,
    "url": "a://a:" * 10923,
    "url-long": "https://" + "u" * 300 + ":" + "p" * 65536,
    "kv": "password:" * 7282,
    "kv-eq": "token=" * 10923,
    "kv-quote": 'password="' + "\\" * 65536,
    "kv-annotation": "password: " + "a" * 65536,
    "tokens": "token " * 10923,
    "begin": DASHES + "BEGIN PRIVATE KEY" + DASHES + "\n" + "A" * 65536,
    "begins": (DASHES + "BEGIN PRIVATE KEY" + DASHES) * 2048,
    "authorization": "Authorization: " * 4096,
    "json": '{"password": "' * 4096,
}


def test_pathological_inputs_are_fast() -> None:
    durations = {}
    for name, text in PATHOLOGICAL.items():
        start = time.perf_counter()
        redact(text)
        contains_secret(text)
        durations[name] = time.perf_counter() - start
    slowest = max(durations, key=durations.__getitem__)
    # Every family is linear; ~100 token formats and the generic assignments scan too since
    # issue 10 (about 3x the time of the one-pattern version, still far from backtracking).
    assert sum(durations.values()) < 3.0, (slowest, durations[slowest])


def test_realistic_16k_text_is_fast() -> None:
    text = (Path(redact_module.__file__).read_text() * 4)[: 16 * 1024]
    redact(text)
    start = time.perf_counter()
    for _ in range(10):
        redact(text)
    assert (time.perf_counter() - start) / 10 < 0.02  # typically ~0.3 ms


def test_module_imports_only_re() -> None:
    tree = ast.parse(Path(redact_module.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported - {"__future__"} == {"re"}
    # ... and ``re`` lazily: not at the top level, where every hook call would pay ~10 ms for it.
    top = [n for n in tree.body if isinstance(n, ast.Import)]
    assert not any(alias.name == "re" for node in top for alias in node.names)


def test_fresh_import_loads_only_the_standard_library() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import aimem.redact\n"
        "print('\\n'.join(sorted(set(sys.modules) - before)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
    )
    loaded = result.stdout.split()
    assert "aimem.redact" in loaded
    foreign = [
        name
        for name in loaded
        if name.split(".")[0] not in sys.stdlib_module_names and not name.startswith("aimem")
    ]
    assert foreign == []


@pytest.mark.parametrize(("text", "expected"), FAMILY_CASES, ids=FAMILY_IDS)
def test_every_family_example_passes_the_cheap_pre_check(text: str, expected: str) -> None:
    # The pre-check lets the hook skip compiling the pattern; missing a trigger would leak.
    from aimem.redact import might_contain_secret

    assert might_contain_secret(text)
    assert might_contain_secret(text.upper()) and might_contain_secret(text.swapcase())


def test_text_without_triggers_never_compiles_the_pattern() -> None:
    code = (
        "import aimem.redact as r; r.redact('echo hi && ls -la src/'); "
        "assert not r._compiled; r.redact('password=hunter22'); assert r._compiled"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
