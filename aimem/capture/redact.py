"""Secret redaction for everything the hook writes.

Secrets are redacted *before* anything reaches the journal, the log or the wiki: a credential
that an agent printed, pasted or passed to a tool must never be persisted, let alone committed to
a shared git repository. Redaction also runs *before* truncation, on the full string, so a cut
can never leave half a secret behind (a half key is still a leak, and it no longer matches).

Every secret is replaced by :data:`REDACTED` (``"[REDACTED]"``, no kind suffix: the marker is
stable, so ``redact`` is idempotent and the output never says more than "something was here").
Where context helps the reader, the harmless part around the secret is kept::

    password=hunter2                      ->  password=[REDACTED]
    "client_secret": "abc"                ->  "client_secret": "[REDACTED]"
    Authorization: Bearer abc.def         ->  Authorization: Bearer [REDACTED]
    https://bob:pw@db.example/x           ->  https://bob:[REDACTED]@db.example/x
    https://hooks.slack.com/services/T/B  ->  https://hooks.slack.com/services/[REDACTED]

Families: private-key PEM blocks (to the END line, or to the end of the text when it is
missing), Anthropic/OpenAI ``sk-`` keys, Google ``AIza`` keys, AWS access key ids, GitHub,
GitLab, Slack (tokens and webhooks), Discord webhooks, Stripe, npm, PyPI, Hugging Face and
SendGrid tokens, JWTs, ``Authorization``/``Bearer`` credentials, passwords inside URLs, and the
value of any ``key=value`` / ``key: value`` / ``"key": "value"`` / ``--key value`` assignment
whose key names a secret (password, passwd, passphrase, pass, secret, token, api key,
secret/private/access... key, auth). Values that carry no secret stay: empty values,
``$ENV`` / ``${ENV}`` / ``%ENV%`` references, ``<placeholders>``, ``****``, null/None/true/false,
type annotations (``password: str``), function calls and ``token = self.token``.

This module is on the hook fast path: it imports only :mod:`re` and compiles a single
alternation once, at import. Every repetition is either bounded, possessive or anchored by a
look-behind that only lets a match start at the beginning of a token, so the scan stays linear
even on adversarial input.
"""

import re

__all__ = ["REDACTED", "contains_secret", "redact", "redact_obj"]

REDACTED = "[REDACTED]"

# A look-behind that lets a token-like secret start only at the beginning of a token.
_START = r"(?<![A-Za-z0-9_\-])"

# Key words that make an assignment's value a secret. ``_KEY_ANY`` may be glued to any prefix
# (``dbPassword``, ``GITHUB_TOKEN``, ``clientSecret``, ``x-api-key``) but must end the key, so
# ``tokens``, ``token_count`` and ``secretary`` do not qualify; ``_KEY_WORD`` must also start a
# word (``DB_PASS`` but not ``bypass`` / ``compass``).
_KEY_ANY = (
    r"password|passwd|passphrase|secret|token|api[_.\-]?key"
    r"|(?:secret|private|access|signing|encryption|master|client)[_.\-]?key"
)
_KEY_WORD = r"pass|auth"
_KEYWORD = rf"(?:{_KEY_ANY}|(?<![A-Za-z0-9])(?:{_KEY_WORD}))"

# Characters of an unquoted assignment value, and a check that a value has ended.
_BARE = r"[^\s\"'`,;&<>()\[\]{}\\]"
_END = rf"(?!{_BARE})"

_KV = (
    rf"(?i:(?:(?<=--)(?P<kvflag>))?(?P<kvkey>{_KEYWORD}))"
    r"(?:\\?[\"'])?"  # the closing quote of a quoted (or JSON-escaped) key
    r"[ \t]*"
    r"(?:"
    r":[ \t]*[A-Za-z_][A-Za-z0-9_.\[\]|]{0,60}+[ \t]+=(?!=)"  # password: str = ...
    r"|:=|=>|=(?!=)|:(?![:=])"
    r"|(?(kvflag)[ \t](?!-)|(?!))"  # --password value
    r")[ \t]*"
    r"(?>(?:\\?[\"'])?)"  # the opening quote of the value, if any
    r"(?>(?:(?i:bearer|basic)[ \t]+)?)"  # auth: Bearer <value>
    r"(?!"  # values that are no secret:
    r"\[REDACTED"
    rf"|\$\{{?[A-Za-z_][A-Za-z0-9_]*\}}?{_END}"  # $TOKEN, ${TOKEN}
    r"|\$\{\{"  # ${{ secrets.TOKEN }}
    rf"|%[A-Za-z_][A-Za-z0-9_]*%{_END}"  # %TOKEN%
    rf"|\*+{_END}"  # ****
    rf"|(?i:null|none|nil|undefined|true|false){_END}"
    rf"|(?:str|bytes|int|bool|string|SecretStr|Optional|Any){_END}"  # type annotations
    r"|[A-Za-z_][A-Za-z0-9_.]*[(\[]"  # a call or a subscript: getpass(), os.environ[...]
    rf"|(?:[A-Za-z_][A-Za-z0-9_]*\.)*(?i:(?P=kvkey)){_END}"  # token = self.token
    r")"
    r"(?P<kv>"
    r"(?<=\\\")[^\\\"\r\n]++"  # \"value\" inside an escaped JSON string
    r"|(?<=[^\\]\")(?:[^\"\\\r\n]|\\.)++"  # "value"
    r"|(?<=')(?:[^'\\\r\n]|\\.)++"  # 'value'
    rf"|(?<![\"']){_BARE}++"  # value
    r")"
)

# One alternation; in each branch the capturing group that closes last is the secret itself and
# whatever the branch matched around it is kept (see ``_replace``).
_BRANCHES = (
    # -----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY[ BLOCK]----- ... END (or end).
    r"(?P<pem>-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    r"[\s\S]*?(?:-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z))",
    # Anthropic sk-ant-api03-..., OpenAI sk-..., sk-proj-..., sk-svcacct-... (has a digit).
    rf"(?P<sk>{_START}sk-(?=[A-Za-z_\-]*+[0-9])[A-Za-z0-9_\-]{{20,}})",
    r"(?P<google>AIza[0-9A-Za-z_\-]{35})",
    r"(?P<aws>(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9]))",
    r"(?P<github>(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}))",
    rf"(?P<gitlab>{_START}gl(?:pat|dt|rt|ptt|cbt|soat|ft|oas|imt)-[A-Za-z0-9_\-]{{20,}}"
    r"(?:\.[A-Za-z0-9_\-]+)*)",
    rf"(?P<slack>{_START}(?:xox[abeoprs]-[A-Za-z0-9\-]{{10,}}|xapp-[0-9]-[A-Za-z0-9\-]{{10,}}))",
    r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<slackhook>[A-Za-z0-9_/\-]+)",
    r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/"
    r"(?P<discordhook>[0-9]+/[A-Za-z0-9_\-]+)",
    r"(?P<stripe>(?<![A-Za-z0-9_])(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|whsec_[A-Za-z0-9]{20,}))",
    r"(?P<npm>(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36,})",
    r"(?P<pypi>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
    r"(?P<huggingface>(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,})",
    r"(?P<sendgrid>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})",
    # header.payload.signature, the header being base64url JSON: always "eyJ".
    rf"(?P<jwt>{_START}eyJ[A-Za-z0-9_\-]{{8,}}+\.[A-Za-z0-9_\-]{{8,}}+\.[A-Za-z0-9_\-]*)",
    # Authorization: Bearer <token> / Basic <b64> / token <t> (also JSON-quoted).
    rf"{_START}(?i:(?:proxy-)?authorization)[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?>(?:(?i:bearer|basic|token|bot|digest|negotiate|ntlm|apikey)[ \t]+)?)"
    r"(?P<authorization>[A-Za-z0-9._~+/=\-:]+)",
    # A bare "Bearer <token>" wherever it appears.
    rf"{_START}(?i:bearer)[ \t]+(?P<bearer>(?=[A-Za-z._~+/\-]*+[0-9])[A-Za-z0-9._~+/\-]{{16,}}=*)",
    # scheme://user:password@host -- only the password goes.
    r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{0,30}+://[^\s/?#@:\"'<>]{0,256}+:"
    r"(?!\[REDACTED\]@|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?@)"
    r"(?P<url>[^\s/@\"'<>]{1,256}+)(?=@)",
    _KV,
)
_PATTERN = re.compile("|".join(_BRANCHES), re.ASCII)

# A dict key that names a secret (its string value is redacted whole by ``redact_obj``).
_SECRET_KEY = re.compile(rf"(?i:{_KEYWORD})\Z", re.ASCII)


def _replace(match: re.Match[str]) -> str:
    text = match.string
    start, end = match.span()
    secret_start, secret_end = match.span(match.lastindex or 0)
    return text[start:secret_start] + REDACTED + text[secret_end:end]


def redact(text: str) -> str:
    """``text`` with every secret replaced by :data:`REDACTED` (idempotent)."""
    return _PATTERN.sub(_replace, text)


def contains_secret(text: str) -> bool:
    """Whether :func:`redact` would change ``text``."""
    return _PATTERN.search(text) is not None


def _is_secret_value(value: str) -> bool:
    stripped = value.strip()
    return bool(stripped) and not stripped.startswith(("$", REDACTED))


def redact_obj(value: object) -> object:
    """Redact every ``str`` inside nested dicts, lists and tuples; other values are returned as-is.

    Dict keys are kept. A non-empty string stored under a key that names a secret
    (``{"password": "hunter2"}``) is replaced whole, since it has no ``key=`` context of its own.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            key: REDACTED
            if isinstance(key, str)
            and isinstance(item, str)
            and _is_secret_value(item)
            and _SECRET_KEY.search(key)
            else redact_obj(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_obj(item) for item in value]
    if isinstance(value, tuple):
        items = [redact_obj(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value
