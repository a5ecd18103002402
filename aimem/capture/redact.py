"""Secret redaction for everything the hook writes.

Secrets are redacted *before* anything reaches the journal, the log or the wiki: a credential that
an agent printed, pasted or passed to a tool must never be persisted, let alone committed to a
shared git repository. Redaction also runs *before* truncation, on the full string, so a cut can
never leave half a secret behind (half a key is still a leak, and it no longer looks like one).

A secret is replaced by :data:`REDACTED` (``"[REDACTED]"``, no kind suffix). What identifies the
kind of secret without revealing it is kept: a key name, a URL's user, a token's public prefix::

    password=hunter2                    ->  password=[REDACTED]
    "client_secret": "abc"              ->  "client_secret": "[REDACTED]"
    --password hunter2                  ->  --password [REDACTED]
    Authorization: Bearer abc.def       ->  Authorization: Bearer [REDACTED]
    https://bob:pw@db.example/x         ->  https://bob:[REDACTED]@db.example/x
    https://hooks.slack.com/services/…  ->  https://hooks.slack.com/services/[REDACTED]
    sk-ant-api03-… / sk-proj-…          ->  sk-[REDACTED]
    ghp_… github_pat_… glpat-… xoxb-…   ->  ghp_[REDACTED] github_pat_[REDACTED] …
    AKIA… AIza… sk_live_… eyJ….eyJ….…   ->  AKIA[REDACTED] AIza[REDACTED] sk_live_[REDACTED] eyJ[REDACTED]
    -----BEGIN … PRIVATE KEY----- … END ->  [REDACTED]  (to the end of the text if END is missing)

Assignments are recognised in ``key=value``, ``key: value``, ``"key": "value"`` (also inside an
escaped JSON string), ``key := value``, ``key => value`` and ``key: str = value`` forms when the
key ends with password, passwd, passphrase, pass (as a word), secret, token, api key, access key or
secret key, in any case and glued to any prefix (``DB_PASSWORD``, ``clientSecret``, ``x-api-key``),
but not ``tokens``, ``token_count`` or ``secretary``. Values that hold no secret are left alone:
empty values, ``$VAR`` / ``${VAR}`` / ``%VAR%`` references, ``<placeholders>``, ``****``,
null/None/true/false, type annotations (``password: str``), calls and ``self.token``-like
attributes. :func:`redact` is idempotent: its output never matches again.

This module is on the hook fast path: it imports :mod:`re` only and compiles one regular
expression, once. Every match starts at one of a few rare anchor characters (the ``k`` of
``token``, the ``c`` of ``secret``, the ``B`` of ``BEGIN``...), so the C scanner skips everything
else, and the anchor is checked against what precedes it with fixed-width look-behinds. Every
repetition is bounded, possessive or confined to one token, so the scan stays linear on any input.
"""

import re

__all__ = ["REDACTED", "contains_secret", "redact", "redact_obj"]

REDACTED = "[REDACTED]"

# An unquoted value character, and "the value ends here".
_V = r"[^\s\"'`,;&<>()\[\]{}\\]"
_VEND = rf"(?!{_V})"

# After a secret-naming key: separator, then the value (the named group ``secret``).
_ASSIGNMENT = (
    r"(?:(?:(?<=--password)|(?<=--passwd|--secret)|(?<=--token))(?P<flag>))?"
    r"(?:\\?[\"'])? *"  # the closing quote of a quoted (or JSON-escaped) key
    r"(?:: *[A-Za-z_][\w.\[\]|]{0,40}+ +=(?!=)"  # password: str = ...
    r"|:=|=>|=(?!=)|:(?![:=])|(?(flag) (?![-\s])|(?!)))"  # or --password value
    r" *(?>(?:\\?[\"'])?)(?>(?:[Bb]earer |[Bb]asic )?)"  # opening quote, auth scheme
    r"(?!\[REDACTED|\$[{(A-Za-z_]|%\w+%|[A-Za-z_][\w.]*[(\[]"  # not: $VAR, %VAR%, calls,
    r"|(?:(?i:[\w.]*(?:pass(?:word|wd)?|secret|token|key))"  # names (self.token),
    rf"|\*+|[Tt]rue|[Ff]alse|null|None|nil|str(?:ing)?|int|bool|bytes){_VEND})"  # types
    r"(?P<secret>(?<=\\\")[^\\\"\r\n]++"  # \"value\" inside an escaped JSON string
    r"|(?<=[^\\]\")(?:[^\"\\\r\n]|\\.)++"  # "value"
    r"|(?<=')(?:[^'\\\r\n]|\\.)++"  # 'value'
    rf"|(?<![\"']){_V}++)"  # value
)

# Each alternative starts right after its anchor character (the class in front of them all) with
# a literal or a class, so trying the ones that cannot match costs almost nothing.
_ALTERNATIVES = (
    # B: -----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY[ BLOCK]----- to END or the end.
    r"EGIN(?<=-----BEGIN)[ A-Z0-9]{0,40}PRIVATE KEY[ A-Z]{0,6}-----"
    r"(?P<private_key>[\s\S]*?(?:-----END[ A-Z0-9]{0,60}+-----|\Z))",
    # B: a bare "Bearer <credentials>" (with a digit, so not "Bearer of bad news").
    r"earer(?<=(?<![\w-])Bearer) +(?P<bearer>(?=[A-Za-z._~+/-]*+\d)[\w.~+/-]{16,}=*)",
    # k: Anthropic sk-ant-api03-..., OpenAI sk-..., sk-proj-..., sk-svcacct-... (with a digit).
    r"-(?<=(?<![\w-])sk-)(?P<sk>(?=[A-Za-z_-]*+\d)[\w-]{20,})",
    # k: Stripe secret / restricted / publishable keys.
    r"_(?<=(?<!\w)[srp]k_)(?:live|test)_(?P<stripe>[A-Za-z0-9]{10,})",
    # A: Google API keys, AWS access key ids.
    r"Iza(?<=AIza)(?P<google>[\w-]{35})",
    r"[KS]IA(?<=(?<![A-Za-z0-9])A...)(?P<aws>[A-Z0-9]{16})(?![A-Za-z0-9])",
    # g: GitHub classic and fine-grained tokens, GitLab personal access tokens.
    r"h[pousr]_(?<=(?<!\w)gh._)(?P<github>[A-Za-z0-9]{30,})",
    r"ithub_pat_(?<=(?<!\w)github_pat_)(?P<github_pat>\w{30,})",
    r"lpat-(?<=(?<![\w-])glpat-)(?P<gitlab>[\w-]{20,})",
    # x: Slack bot / user / app tokens.
    r"ox[abeoprs]-(?<=(?<![\w-])xox.-)(?P<slack>[A-Za-z0-9-]{10,})",
    # y: JWT header.payload.signature; the header is base64url JSON, so it starts with eyJ.
    r"J(?<=(?<![\w-])eyJ)(?P<jwt>[\w-]{8,}+\.[\w-]{8,}+\.[\w-]*)",
    # z: Authorization / Proxy-Authorization: [scheme] <credentials>.
    r"[aA](?i:tion(?<=authorization))[\"']? *[:=] *[\"']?(?>(?:[\w-]+ )?)"
    r"(?P<authorization>[\w.~+/=:-]{6,})",
    # :: Slack webhooks, passwords in URLs (scheme://user:password@host).
    r"//(?<=://)(?:hooks\.slack\.com/\w+/(?P<slack_webhook>[\w/-]+)"
    r"|[^\s/?#@:\"'<>]{0,256}+:(?![$\[])(?P<url_password>[^\s/@\"'<>]{1,256}+)(?=@))",
    # p c k: a key naming a secret (anchored on its p, c or k), then the assignment.
    r"(?:[aA](?i:(?<=pa)ss(?:word|wd|phrase|(?<![a-z0-9]pass)))"
    r"|[rR](?i:(?<=secr)et)"
    r"|[eE](?i:n(?<=token)|y(?:(?<=(?:api|ess|ret)key)|(?<=(?:api|ess|ret)[_.-]key))))"
    + _ASSIGNMENT,
)
_PATTERN = re.compile(r"[BkKAgxyzZ:pPcC](?:" + "|".join(_ALTERNATIVES) + ")", re.ASCII)

# Dict keys whose string values redact_obj replaces whole (lower case, matched as suffixes).
_SECRET_KEYS = tuple(
    ["password", "passwd", "passphrase", "secret", "token", "apikey"]
    + [f"{word}{sep}key" for word in ("api", "access", "secret") for sep in ("", "_", "-", ".")]
)
_SECRET_WORDS = ("pass", "auth")  # whole words only: not "bypass" or "author"


def _secrets(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _PATTERN.finditer(text):
        kind = match.lastgroup
        start = match.start() - 5 if kind == "private_key" else match.start(kind)
        spans.append((start, match.end()))
    return spans


def redact(text: str) -> str:
    """``text`` with every secret replaced by :data:`REDACTED`; ``redact(redact(x)) == redact(x)``."""
    pieces = []
    last = 0
    for start, end in _secrets(text):
        pieces += (text[last:start], REDACTED)
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def contains_secret(text: str) -> bool:
    """Whether :func:`redact` would change ``text``."""
    return _PATTERN.search(text) is not None


def _is_secret_key(key: str) -> bool:
    key = key.lower()
    if key.endswith(_SECRET_KEYS):
        return True
    for word in _SECRET_WORDS:
        if key.endswith(word) and (len(key) == len(word) or not key[-len(word) - 1].isalnum()):
            return True
    return False


def redact_obj(value: object) -> object:
    """Redact every ``str`` inside nested dicts, lists and tuples; other values are returned as-is.

    Dict keys are kept. A non-empty string stored under a key that names a secret
    (``{"password": "hunter2"}``) is replaced whole: it has no ``key=`` context of its own.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_item(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_obj(item) for item in value]
    if isinstance(value, tuple):
        items = [redact_obj(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


def _redact_item(key: object, item: object) -> object:
    if isinstance(key, str) and isinstance(item, str) and _is_secret_key(key):
        stripped = item.strip()
        if stripped and not stripped.startswith(("$", "<", REDACTED)):
            return REDACTED
    return redact_obj(item)
