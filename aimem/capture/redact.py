"""Secret redaction for everything the hook writes.

Secrets are redacted *before* anything reaches the journal, the log or the wiki: a credential that
an agent printed, pasted or passed to a tool must never be persisted, let alone committed to a
shared git repository. Redaction also runs *before* truncation, on the full string, so a cut can
never leave half a secret behind (half a key is still a leak, and it no longer looks like one).

A secret is replaced by :data:`REDACTED` (``"[REDACTED]"``, no kind suffix). A token with a
recognisable shape goes whole; around the value of an assignment, a header or a URL, what says
what it was without revealing it stays (the key name, the auth scheme, the URL's user)::

    sk-ant-api03-… sk-proj-… AKIA… AIza… ghp_… github_pat_… glpat-… xoxb-… sk_live_… eyJ….eyJ….…
    -----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----  (or up to the end of the text)
                                        ->  [REDACTED]
    password=hunter2                    ->  password=[REDACTED]
    "client_secret": "abc"              ->  "client_secret": "[REDACTED]"
    --password hunter2                  ->  --password [REDACTED]
    Authorization: Bearer abc.def       ->  Authorization: Bearer [REDACTED]
    https://bob:pw@db.example/x         ->  https://bob:[REDACTED]@db.example/x
    https://hooks.slack.com/services/…  ->  https://hooks.slack.com/services/[REDACTED]

Assignments are recognised in ``key=value``, ``key: value``, ``"key": "value"`` (also inside an
escaped JSON string), ``key := value``, ``key => value`` and ``key: str = value`` forms when the
key ends with password, passwd, passphrase, pass (as a word), secret, token, api key, access key or
secret key, in any case and glued to any prefix (``DB_PASSWORD``, ``clientSecret``, ``x-api-key``),
but not ``tokens``, ``token_count`` or ``secretary``. Values that hold no secret are left alone:
empty values, ``$VAR`` / ``${VAR}`` / ``%s`` / ``%VAR%`` references, ``<placeholders>``, ``****``,
null/None/true/false, type annotations (``password: str``), calls and ``self.token``-like
attributes. :func:`redact` is idempotent: its output never matches again. Not detected: secrets
with neither a known shape nor a telling key (a bare AWS secret access key, a password in prose).

This module is on the hook fast path: it imports :mod:`re` only and compiles one regular
expression, once, and only when a text holds one of the ``TRIGGERS`` substrings. Every match
starts at one of a few rare anchor characters (the ``k`` of ``token``, the ``c`` of ``secret``,
the ``B`` of ``BEGIN``...), so the C scanner skips everything else, and the anchor is checked
against what precedes it with fixed-width look-behinds. Every repetition is bounded, possessive
or confined to one token, so the scan stays linear on any input.
"""

import re

__all__ = ["REDACTED", "contains_secret", "redact", "redact_obj"]

REDACTED = "[REDACTED]"

# An unquoted value character, and "the value ends here".
_V = r"[^\s\"'`,;&<>()\[\]{}\\]"
_VEND = rf"(?!{_V})"

# After a secret-naming key: separator, then the value (the named group ``secret``).
_ASSIGNMENT = (
    r"(?:(?:(?<=--\w{5})|(?<=--\w{6})|(?<=--\w{8}))(?P<flag>))?"  # --token, --password...
    r"(?:\\?[\"'])? *+"  # the closing quote of a quoted (or JSON-escaped) key
    r"(?>: *[A-Za-z_][\w.\[\]|]{0,40}+ +=(?!=)"  # password: str = ...
    r"|:=|=>|=(?!=)|:(?![:=])|(?(flag)(?<= )(?![-\s:=])|(?!)))"  # or --password value
    r" *+(?>(?:\\?[\"'])?)(?>(?:[Bb]earer |[Bb]asic )?)"  # opening quote, auth scheme
    r"(?![<\[%]|-----|\$[{(A-Za-z_]|[A-Za-z_][\w.]*+[(\[]"  # not <x>, %s, PEM, $VAR, f(), a[]
    r"|(?:(?i:[\w.]*(?:pass(?:word|wd|phrase)?|secret|token|key))"  # nor token = self.token
    r"|[A-Za-z_]++(?:\.[A-Za-z_]++)++"  # Keyword.Type
    rf"|\*+|[Tt]rue|[Ff]alse|null|None|str(?:ing)?|bool|int|float|bytes){_VEND})"  # ***, types
    r"(?P<secret>(?<=\")(?:[^\"\\\r\n]|\\[^\"])++"  # "value", also \"value\" in a JSON string
    r"|(?<=')(?:[^'\\\r\n]|\\.)++"  # 'value'
    rf"|(?<![\"']){_V}++)"  # value
)

# Each alternative starts right after its anchor character (the class in front of them all) with
# a literal or a class, so trying the ones that cannot match costs almost nothing.
_ALTERNATIVES = (
    # B: -----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY[ BLOCK]----- to END or the end.
    r"EGIN(?<=-----BEGIN)[ A-Z0-9]{0,40}PRIVATE KEY[ A-Z]{0,6}-----"
    r"(?P<private_key>[\s\S]*?(?:-----END[^-\n]{0,60}+-----|\Z))",
    # k: Anthropic sk-ant-api03-..., OpenAI sk-..., sk-proj-..., sk-svcacct-... (with a digit).
    r"-(?<=(?<![\w-])sk-)(?P<sk>(?=[A-Za-z_-]*+\d)[\w-]{20,})",
    # k: Stripe secret / restricted / publishable keys.
    r"_(?<=(?<!\w)[srp]k_)(?:live|test)_(?P<stripe>[A-Za-z0-9]{10,})",
    # A: Google API keys, AWS access key ids.
    r"Iza(?P<google>[\w-]{35})(?![\w-])",
    r"[KS]IA(?<=(?<![A-Za-z0-9])A...)(?P<aws>[A-Z0-9]{16})(?![A-Za-z0-9])",
    # g: GitHub classic and fine-grained tokens, GitLab personal access tokens.
    r"h[pousr]_(?<=(?<!\w)gh._)(?P<github>[A-Za-z0-9]{30,})",
    r"ithub_pat_(?P<github_pat>\w{30,})",
    r"lpat-(?P<gitlab>[\w-]{20,})",
    # x: Slack bot / user / app tokens.
    r"ox[abeoprs]-(?<=(?<![\w-])xox.-)(?P<slack>[A-Za-z0-9-]{10,})",
    # y: JWT header.payload.signature; the header is base64url JSON, so it starts with eyJ.
    r"J(?<=(?<![\w-])eyJ)(?P<jwt>[\w-]{8,}+\.[\w-]{8,}+\.[\w-]*)",
    # z: Authorization / Proxy-Authorization: [scheme] <credentials>.
    r"[aA](?i:tion(?<=authorization))[\"']? *[:=] *[\"']?"
    r"(?>(?:(?i:bearer|basic|token|digest|bot) +)?)"
    r"(?P<authorization>[\w.~+/=:-]{8,})",
    # :: Slack webhooks, passwords in URLs (scheme://user:password@host).
    r"//(?<=://)(?:hooks\.slack\.com/\w+/(?P<slack_webhook>[\w/-]+)"
    r"|[^\s/?#@:\"']{0,256}+:(?![$\[<])(?P<url_password>[^\s/@\"']{1,256}+)(?=@))",
    # p c k: a key naming a secret (anchored on its p, c or k), then the assignment.
    r"(?:[aA](?i:(?<=pa)ss(?:word|wd|phrase|(?<![a-z0-9]pass)))"
    r"|[rR](?i:(?<=secr)et)"
    r"|[eE](?i:n(?<=token)|y(?:(?<=(?:api|ess|ret)key)|(?<=(?:api|ess|ret)[_.-]key))))"
    + _ASSIGNMENT,
)
_SOURCE = r"[BkKAgxyzZ:pPcC](?:" + "|".join(_ALTERNATIVES) + ")"

# Compiling the pattern costs 3-5 ms, a tenth of a whole hook call, and most hook payloads hold
# nothing that could be a secret. Every alternative above needs one of these substrings (case
# folded), so text without any of them is returned untouched without compiling. A test checks
# that each family's examples contain a trigger: a new family must add its own here.
TRIGGERS = (
    "key",
    "pass",
    "secret",
    "token",
    "authorization",
    "://",  # keys, headers, URLs, PEM
    "sk-",
    "_live_",
    "_test_",
    "aiza",
    "akia",
    "asia",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "eyj",
)
_compiled: list[re.Pattern[str]] = []  # the pattern, once compiled (per process)


def _pattern() -> re.Pattern[str]:
    if not _compiled:
        _compiled.append(re.compile(_SOURCE, re.ASCII))
    return _compiled[0]


def might_contain_secret(text: str) -> bool:
    """Cheap pre-check: ``False`` means :func:`redact` certainly leaves ``text`` unchanged."""
    folded = text.lower()
    return any(trigger in folded for trigger in TRIGGERS)


# Kinds replaced whole, with how many of their characters precede the match (the s of sk-, the
# e of eyJ, the dashes of -----BEGIN); the other kinds keep what precedes their named group.
_TOKEN_START = {
    "private_key": 5,
    "sk": 1,
    "stripe": 1,
    "google": 0,
    "aws": 0,
    "github": 0,
    "github_pat": 0,
    "gitlab": 0,
    "slack": 0,
    "jwt": 1,
}

# Dict keys whose string values redact_obj replaces whole (lower case, matched as suffixes).
_SECRET_KEYS = tuple(
    ["password", "passwd", "passphrase", "secret", "token", "apikey"]
    + [f"{word}{sep}key" for word in ("api", "access", "secret") for sep in ("", "_", "-", ".")]
)
_SECRET_WORDS = ("pass", "auth", "authorization")  # whole words only: not "bypass" or "author"


def _secrets(text: str, pos: int = 0, endpos: int | None = None) -> list[tuple[int, int]]:
    """The spans to replace, in order. What a match keeps (a URL's user...) is searched too."""
    spans = []
    for match in _pattern().finditer(text, pos, len(text) if endpos is None else endpos):
        kind = match.lastgroup or ""
        back = _TOKEN_START.get(kind)
        if back is None:  # keep the key, the scheme, the user...
            start = match.start(kind)
            if start > match.start() + 1:  # https://ghp_...:x-oauth-basic@github.com
                spans += _secrets(text, match.start() + 1, start)
        else:  # the whole token goes, from before its anchor
            start = match.start() - back
            if kind == "private_key":
                while start > 0 and text[start - 1] == "-":
                    start -= 1
        spans.append((start, match.end()))
    return spans


def redact(text: str) -> str:
    """``text`` with every secret replaced by :data:`REDACTED` (idempotent)."""
    if not might_contain_secret(text):
        return text
    pieces = []
    last = 0
    for start, end in _secrets(text):
        pieces += (text[last : max(start, last)], REDACTED)
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def contains_secret(text: str) -> bool:
    """Whether :func:`redact` would change ``text``."""
    return might_contain_secret(text) and _pattern().search(text) is not None


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
