"""Secret redaction for everything aimem writes (base layer: the hook and every writer use it).

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

This module is on the hook fast path: it imports :mod:`re` (~10 ms of imports) and compiles a
family's regular expression only when a text holds one of its trigger substrings. Every match
starts at one of a few rare anchor characters (the ``k`` of ``token``, the ``c`` of ``secret``,
the ``B`` of ``BEGIN``...), so the C scanner skips everything else, and the anchor is checked
against what precedes it with fixed-width look-behinds. Every repetition is bounded, possessive
or confined to one token, so the scan stays linear on any input.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not ``typing.TYPE_CHECKING``: no ``typing`` import on the hook path
if TYPE_CHECKING:
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
    r"-(?<=(?<!(?<!\\)[\w-])sk-)(?P<sk>(?=[A-Za-z_-]*+\d)[\w-]{20,})",
    # k: Stripe secret / restricted / publishable keys.
    r"_(?<=(?<!(?<!\\)\w)[srp]k_)(?:live|test)_(?P<stripe>[A-Za-z0-9]{10,})",
    # A: Google API keys, AWS access key ids.
    r"Iza(?P<google>[\w-]{35})(?![\w-])",
    r"[KS]IA(?<=(?<!(?<!\\)[A-Za-z0-9])A...)(?P<aws>[A-Z0-9]{16})(?![A-Za-z0-9])",
    # g: GitHub classic and fine-grained tokens, GitLab personal access tokens.
    r"h[pousr]_(?<=(?<!(?<!\\)\w)gh._)(?P<github>[A-Za-z0-9]{30,})",
    r"ithub_pat_(?P<github_pat>\w{30,})",
    r"lpat-(?P<gitlab>[\w-]{20,})",
    # x: Slack bot / user / app tokens.
    r"ox[abeoprs]-(?<=(?<!(?<!\\)[\w-])xox.-)(?P<slack>[A-Za-z0-9-]{10,})",
    # y: JWT header.payload.signature; the header is base64url JSON, so it starts with eyJ.
    r"J(?<=(?<!(?<!\\)[\w-])eyJ)(?P<jwt>[\w-]{8,}+\.[\w-]{8,}+\.[\w-]*)",
    # z: Authorization / Proxy-Authorization: [scheme] <credentials>.
    r"[aA](?i:tion(?<=authorization))[\"']? *[:=] *[\"']?"
    r"(?>(?:[A-Za-z][\w-]{1,24} +)?)"  # any scheme: Bearer, Basic, SSWS, ShippoToken...
    r"(?P<authorization>[\w.~+/=:-]{8,})",
    # :: Slack webhooks, passwords in URLs (scheme://user:password@host).
    r"//(?<=://)(?:hooks\.slack\.com/\w+/(?P<slack_webhook>[\w/-]+)"
    r"|[^\s/?#@:\"']{0,256}+:(?![$\[<])(?P<url_password>[^\s/@\"']{1,256}+)(?=@))",
    # p c k: a key naming a secret (anchored on its p, c or k), then the assignment.
    r"(?:[aA](?i:(?<=pa)ss(?:word|wd|phrase|(?<![a-z0-9]pass)))"
    r"|[rR](?i:(?<=secr)et)"
    r"|[wW][dD](?<=(?<![A-Za-z0-9])[pP][wW][dD])"  # Pwd=, DB_PWD:
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
    "pwd",
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
_compiled: dict[int, re.Pattern[str]] = {}  # each family's pattern, once compiled (per process)


def _pattern() -> re.Pattern[str]:
    return _family_pattern(0)


# A word character before a token, unless it ends an escape (the n of \n in a JSON string): a
# token at the start of a line of an escaped text starts a word too.
_WORD_BEFORE = r"(?<!\\)[\w-]"


def _w(prefix: str, rest: str, *triggers: str) -> tuple[tuple[str, ...], str]:
    """A token that starts a word with the literal ``prefix``. The check that no word character
    precedes it comes *after* the prefix, so every alternative starts with a literal and the
    scanner jumps from one possible first character to the next (a look-behind first costs 80x)."""
    literal = prefix.replace(".", r"\.")  # the only special character in a prefix
    return triggers or (prefix.lower(),), f"{literal}(?<!{_WORD_BEFORE}{literal}){rest}"


_GITLAB = tuple(
    f"gl{kind}-"
    for kind in ["ptt", "dt", "rt", "soat", "cbt", "ffct", "imt", "agent", "oas", "ft", "ct"]
)

# --- Token formats recognised by their shape (after gitleaks' and detect-secrets' rule lists).
# A match goes whole, or only its group ``v``; ``(?P<bN>)`` at the end means the token starts N
# characters before the match (``bd``: the digits before it), for a token whose telling part is
# not its start. Each entry is (triggers, pattern), a family of its own; every pattern starts
# with a literal (see _w), so the scanner finds its candidates with a fast substring search.
_TOKENS = (
    _w("AGE-SECRET-KEY-1", r"[0-9A-Z]{58}"),  # age
    _w(
        "A3-", r"[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})(?:-[A-Z0-9]{5}){3}"
    ),  # 1Password
    _w("ops_eyJ", r"[A-Za-z0-9+/]{100,}+={0,3}"),  # 1Password service account
    _w("p8e-", r"[A-Za-z0-9]{32}"),  # Adobe
    _w("LTAI", r"[A-Za-z0-9]{12,28}"),  # Alibaba
    _w(
        "A", r"(?:3T[A-Z0-9]|BIA|CCA)[A-Z2-7]{16}", "a3t", "abia", "acca"
    ),  # AWS (other key id kinds)
    _w("AKCp", r"[A-Za-z0-9]{60,}+"),  # Artifactory API key
    _w("cmVmd", r"[A-Za-z0-9]{59,}+"),  # Artifactory reference token
    _w("ATATT3", r"[\w=-]{50,}+"),  # Atlassian
    _w("ATBB", r"[A-Za-z0-9]{28,}+"),  # Bitbucket app password
    (
        ("q~",),
        r"Q~(?<=(?<!(?<!\\)[\w~.])[\w~.]{3}\dQ~)[\w~.-]{31,34}(?P<b4>)",
    ),  # Azure AD client secret
    _w("4b1d", r"[A-Za-z0-9]{38}"),  # ClickHouse Cloud
    _w("CLOJARS_", r"[A-Za-z0-9]{60}"),  # Clojars
    _w("v1.0-", r"[a-f0-9]{24}-[a-f0-9]{100,}+"),  # Cloudflare origin CA
    _w("dapi", r"[a-f0-9]{32}(?:-\d)?"),  # Databricks
    _w("do", r"[opr]_v1_[a-f0-9]{64}", "_v1_"),  # DigitalOcean
    _w("dp.", r"(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}"),  # Doppler
    _w("duffel_", r"(?:test|live)_[\w=-]{43}"),  # Duffel
    _w("dt0c01.", r"[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}"),  # Dynatrace
    _w("EZ", r"[AT]K[A-Za-z0-9]{54}", "ezak", "eztk"),  # EasyPost
    _w(
        "EAA", r"(?:[CM][A-Za-z0-9]{60,}+|A[\w-]{22,60})", "eaac", "eaam", "eaaa"
    ),  # Facebook, Square
    _w("sq0", r"(?:atp|csp)-[\w-]{22,60}"),  # Square
    _w("FLW", r"(?:SECK|PUBK)(?:_TEST)?-[A-Za-z0-9]{12,32}(?:-X)?"),  # Flutterwave
    _w("fo1_", r"[\w-]{43}"),  # Fly.io
    _w("fm", r"[12][ar]?_[A-Za-z0-9+/]{50,}+={0,3}", "fm1", "fm2"),  # Fly.io macaroons
    _w("fio-u-", r"[\w=-]{64}"),  # Frame.io
    _w("gl", r"(?:ptt|dt|rt|soat|cbt|ffct|imt|agent|oas|ft|ct)-[\w-]{20,}+", *_GITLAB),  # GitLab
    _w("GR1348941", r"[\w-]{20}"),  # GitLab runner registration
    _w("glc_", r"[A-Za-z0-9+/]{32,400}+={0,3}"),  # Grafana Cloud
    _w("glsa_", r"[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),  # Grafana service account
    _w("eyJrIjoi", r"[A-Za-z0-9]{50,400}+={0,3}"),  # Grafana API key
    (
        ("pat.", "sat."),
        r"at\.(?<=(?<!(?<!\\)[\w-])[ps]at\.)[\w-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}(?P<b1>)",
    ),  # Harness
    (
        ("atlasv1",),
        r"\.atlasv1\.(?<=(?<!(?<!\\)[\w-])[a-z0-9]{14}\.atlasv1\.)[\w=-]{60,70}(?P<b14>)",
    ),  # Terraform
    _w("HRKU-", r"[\w-]{58,60}"),  # Heroku
    _w("hf_", r"[A-Za-z]{34}"),  # Hugging Face
    _w("api_org_", r"[A-Za-z]{34}"),  # Hugging Face organisation
    _w("ico-", r"[A-Za-z0-9]{32}"),  # Infracost
    _w("s-s4t2", r"(?:ud|af)-[a-f0-9]{64}"),  # Intra42
    _w("ZXlK", r"[\w/+-]{40,}+={0,2}"),  # a base64-encoded JWT
    _w("lin_api_", r"[A-Za-z0-9]{40}"),  # Linear
    (("-us",), r"-us(?<=(?<!(?<!\\)[\w-])[a-f0-9]{32}-us)\d{1,2}(?![\w-])(?P<b32>)"),  # Mailchimp
    _w("key-", r"[a-f0-9]{32}"),  # Mailgun
    _w("pubkey-", r"[a-f0-9]{32}"),  # Mailgun
    (
        ("k.eyj",),
        r"k\.eyJ(?<=(?<!(?<!\\)[\w-])[ps]k\.eyJ)[\w-]{20,}+\.[\w-]{20,}+(?P<b1>)",
    ),  # Mapbox
    (
        ("_mmk",),
        r"_mmk(?<=(?<!(?<!\\)[\w-])[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk)(?P<b36>)",
    ),  # MaxMind
    _w("NR", r"(?:AK|JS|II)-[\w-]{19,32}", "nrak-", "nrjs-", "nrii-"),  # New Relic
    (("nral",), r"NRAL(?<=(?<!(?<!\\)[\w-])[a-f0-9]{36}NRAL)(?P<b36>)"),  # New Relic licence key
    _w("ntn_", r"[0-9]{11}[A-Za-z0-9]{35}"),  # Notion
    _w("secret_", r"[A-Za-z0-9]{43}"),  # Notion (legacy)
    _w("npm_", r"[A-Za-z0-9]{36}"),  # npm
    _w("oy2", r"[a-z0-9]{43}"),  # NuGet
    _w("API-", r"[A-Z0-9]{26}"),  # Octopus Deploy
    _w("sha256~", r"[\w-]{43}"),  # OpenShift
    _w("pplx-", r"[A-Za-z0-9]{48}"),  # Perplexity
    _w("pscale_", r"(?:tkn|oauth|pw)_[\w=.-]{32,64}"),  # PlanetScale
    _w("PMAK-", r"[a-f0-9]{24}-[a-f0-9]{34}"),  # Postman
    _w("pnu_", r"[A-Za-z0-9]{36}"),  # Prefect
    _w("pul-", r"[a-f0-9]{40}"),  # Pulumi
    (("pypi-ageichlwas5vcmc",), r"pypi-AgEIcHlwaS5vcmc[\w-]{50,}+"),  # PyPI
    _w("rdme_", r"[a-z0-9]{70}"),  # ReadMe
    _w("rubygems_", r"[a-f0-9]{48}"),  # RubyGems
    _w("tk-us-", r"[\w-]{48}"),  # Scalingo
    _w("SG.", r"[\w-]{22}\.[\w-]{43}"),  # SendGrid
    _w("xkeysib-", r"[a-f0-9]{64}-[A-Za-z0-9]{16}"),  # Sendinblue / Brevo
    _w("sntry", r"[su]_[A-Za-z0-9+/=_]{40,}+"),  # Sentry
    _w("sm_", r"[aps]at_[A-Za-z0-9]{16}", "sm_aat_", "sm_pat_", "sm_sat_"),  # SettleMint
    _w("shippo_", r"(?:live|test)_[a-fA-F0-9]{40}"),  # Shippo
    _w(
        "shp", r"(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", "shpat_", "shpca_", "shppa_", "shpss_"
    ),  # Shopify
    _w("xapp-", r"\d-[A-Z0-9]+-\d+-[a-z0-9]+"),  # Slack app-level token
    _w("sgp_", r"(?:(?:[a-fA-F0-9]{16}|local)_)?[a-fA-F0-9]{40}"),  # Sourcegraph
    (("_prod_",), r"_prod_(?<=(?<!(?<!\\)[\w-])[sr]k_prod_)[A-Za-z0-9]{10,99}(?P<b2>)"),  # Stripe
    _w("whsec_", r"[A-Za-z0-9+/=]{24,}+"),  # Stripe webhook signing secret
    ((":aa",), r":AA(?<=\d{5}:AA)[\w-]{33}(?![\w-])(?P<bd>)"),  # Telegram bot
    _w("tfp_", r"[\w.=-]{59}"),  # Typeform
    _w("hv", r"[sbr]\.[\w-]{90,300}", "hvs.", "hvb.", "hvr."),  # HashiCorp Vault
    _w("AQVN", r"[\w-]{35,38}"),  # Yandex
    _w("y0_", r"[\w-]{55}"),  # Yandex OAuth
    _w("t1.", r"[\w-]++={0,2}\.[\w-]{86}={0,2}"),  # Yandex IAM
    _w("GOCSPX-", r"[\w-]{28}"),  # Google OAuth client secret
    _w("ya29.", r"[\w-]{20,}+"),  # Google OAuth access token
    (("1//0",), r"1//0(?<!(?<!\\)[\w/]1//0)[\w-]{40,}+"),  # Google OAuth refresh token
    _w("gsk_", r"[A-Za-z0-9]{52}"),  # Groq
    _w("r8_", r"[A-Za-z0-9]{37}"),  # Replicate
    _w("dckr_pat_", r"[\w-]{27}"),  # Docker Hub
    _w("CCIPAT_", r"[A-Za-z0-9]{22}_[a-f0-9]{40}"),  # CircleCI
    _w("sq", r"[pua]_[a-f0-9]{40}", "sqp_", "squ_", "sqa_"),  # SonarQube
    # Credentials inside otherwise ordinary text: only the group v goes.
    (
        ("webhookb2",),
        r"webhook\.office\.com/webhookb2/(?P<v>(?:[^\s\"'<>`\\]|\\[^nrt])+)",
    ),  # Microsoft Teams
    (("/api/webhooks/",), r"discord(?:app)?\.com/api/webhooks/(?P<v>\d+/[\w-]+)"),  # Discord
    (("sig=",), r"sig=(?<=[?&]sig=)(?P<v>[\w%/+=]{20,}+)"),  # Azure SAS
    (
        ("private-lines",),
        r"Private-Lines: *\d+(?:\r|\\+r)?(?:\n|\\+n)"
        r"(?P<v>(?:[A-Za-z0-9+/=]++(?:\r|\\+r)?(?:\n|\\+n))*[A-Za-z0-9+/=]++)",
    ),  # PuTTY
    (("private-mac",), r"Private-MAC: *(?P<v>[0-9a-fA-F]+)"),  # PuTTY
    (
        ("begin ssh2",),
        r"---- BEGIN SSH2 [A-Z ]{0,20}PRIVATE KEY ----[\s\S]*?(?:---- END SSH2[^-\n]{0,40}----|\Z)",
    ),
    (
        ("$apr1$", "$2a$", "$2b$", "$2x$", "$2y$", "$1$", "$5$", "$6$", "$argon2"),
        r"\$(?:apr1|2[abxy]|[156]|argon2(?:id|i|d))\$[^\s:'\"`]{8,}+",
    ),  # password hashes
    # netrc: machine HOST [login USER] password PASS; curl, wget, httpie: -u USER:PASS.
    (
        ("machine",),
        r"machine[ \t]+\S+[ \t]+(?:login[ \t]+\S+[ \t]+)?password[ \t]+"
        r"(?P<v>(?:[^\s\\]|\\[^nrt])+)",
    ),
    (
        ("default",),
        r"default[ \t]+(?:login[ \t]+\S+[ \t]+)?password[ \t]+(?P<v>(?:[^\s\\]|\\[^nrt])+)",
    ),
    (
        ("-u ", "-u=", "-u'", '-u"'),
        r"-u(?<![^\s]-u)[ =]+[\"']?[^\s:\"']++:(?P<v>(?:[^\s\"'@\\]|\\[^nrt])+)",
    ),
    (("--user",), r"--user(?<![^\s]--user)[ =]+[\"']?[^\s:\"']++:(?P<v>(?:[^\s\"'@\\]|\\[^nrt])+)"),
    # A UUID right after auth / login / token (`snyk auth UUID`, `heroku login UUID`).
    *(
        _w(
            word,
            r"[ \t]+(?P<v>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![\w-])",
        )
        for word in ("auth", "login", "token", "AUTH", "LOGIN", "TOKEN")
    ),
)


# --- Any assignment whose key names a secret, wherever the word sits in the key (DD_API_KEY,
# TF_TOKEN_app_terraform_io, webhook_signing_key, X-Auth-Key, AccountKey, --auth-token).
# Family 0 already takes any value after a key that *ends* in a strong word (password, token...);
# here the value must also look like a secret (see _generic_secret), because keys like sort_key
# or token_type are common and their values are not.
_GENERIC = (
    # Anchored on the keyword's last letter, checked backwards: cheaper than trying every word.
    r"(?:[yY](?<=(?i:key))|[nN](?<=(?i:token))|[tT](?<=(?i:secret))"
    r"|[dD](?:(?<=(?i:password))|(?<=(?i:passwd))|(?<=(?i:pwd)))"
    r"|[sS](?:(?<=(?i:pass))|(?<=(?i:creds))|(?<=(?i:credentials)))"
    r"|[hH](?<=(?i:auth))|[lL](?<=(?i:credential)))"
    r"[\w.-]{0,40}+(?:\\?[\"'])?[ \t]{0,3}"
    r"(?:=>|:=|\?=|=|:(?![:/])|(?<=[\w-])[ \t]+(?=[\w+/.~=-]{16}))[ \t]{0,3}"
    r"(?:\\?[\"'`])?(?P<v>[\w.=+/~-]{8,300}+)"
)
_GENERIC_TRIGGERS = ("key", "token", "secret", "pass", "pwd", "auth", "cred")
_SECRET_WORDS_IN_KEYS = ("key", "token", "secret", "password", "passwd", "pwd", "pass", "auth")
_SECRET_WORD_SET = frozenset(
    [*_SECRET_WORDS_IN_KEYS, "apikey", "credential", "credentials", "creds", "passphrase"]
)
_NOT_SECRET_KEYS = frozenset(
    [
        "monkey",
        "donkey",
        "turkey",
        "hockey",
        "jockey",
        "keyboard",
        "keyword",
        "keywords",
        "keystroke",
        "keyframe",
        "keypad",
        "public",
        "primary",
        "foreign",
        "sort",
        "partition",
        "composite",
        "unique",
        "csrf",
        "xsrf",
    ]
)
_NOT_SECRET_LAST = frozenset(
    [
        "id",
        "ids",
        "name",
        "names",
        "type",
        "types",
        "url",
        "uri",
        "urls",
        "endpoint",
        "file",
        "files",
        "path",
        "paths",
        "dir",
        "length",
        "len",
        "size",
        "count",
        "limit",
        "limits",
        "version",
        "format",
        "mode",
        "prefix",
        "header",
        "headers",
        "field",
        "fields",
        "env",
        "var",
        "ttl",
        "expiry",
        "expires",
        "expiration",
        "at",
        "in",
        "timeout",
        "policy",
        "store",
        "storetype",
        "alias",
        "hint",
        "label",
        "region",
        "index",
        "column",
        "min",
        "max",
        "enabled",
        "required",
        "ref",
        "kind",
        "set",
        "list",
        "algorithm",
        "alg",
        "usage",
        "scope",
        "scopes",
        "method",
        "provider",
        "location",
        "hash",
        "template",
        "pattern",
        "regex",
        "fingerprint",
    ]
)

# Each family compiles on its own, only when a text holds one of its triggers: a hook payload
# that mentions a token compiles family 0 and the generic assignments, not a hundred formats.
_FAMILIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (TRIGGERS, _SOURCE),
    (_GENERIC_TRIGGERS, _GENERIC),
    *_TOKENS,
)


def _family_pattern(index: int) -> re.Pattern[str]:
    pattern = _compiled.get(index)
    if pattern is None:
        import re  # here, not at the top: a text with no trigger never needs it

        pattern = _compiled[index] = re.compile(_FAMILIES[index][1], re.ASCII)
    return pattern


def _key_words(text: str, start: int, end: int) -> list[str]:
    """The words of the key that ends at ``end`` (snake, kebab, dotted and camel case split)."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start -= 1
    if start >= 1 and text[start - 1] == "\\" and text[start] in "nrt":
        start += 1  # \nDB_PASSWORD in an escaped text: the key is DB_PASSWORD
    import re

    key = text[start:end]
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return [word for word in re.split(r"[_.\-]+", key.lower()) if word]


def _generic_secret(text: str, match: re.Match[str]) -> bool:
    """Whether a generic assignment holds a secret: the value is not a word, a number, a path or
    a placeholder (checked first: cheap), and the key has a secret-naming word and is not a
    well-known harmless key."""
    value = match.group("v")
    bare = value.strip("=.-")
    if not bare or (
        value.startswith(("/", "./", "../", "~/"))  # a path, unless base64 (+ and = padding)
        and value.count("/") >= 2
        and "+" not in value
        and not value.endswith("=")
    ):
        return False
    if bare.replace("_", "").replace(".", "").replace("-", "").isalpha():
        return False  # a word or an identifier: token_type=bearer, key=value_name
    if bare.replace(".", "").replace("-", "").replace("_", "").isdigit():
        return False  # a number or a version: token_count=5000
    has_digit = not _DIGITS.isdisjoint(value)  # set operations: C speed on long values
    mixed = value.lower() != value and value.upper() != value
    if not (has_digit or (mixed and len(value) >= 16)):
        return False
    key_end = match.start()
    while key_end < len(text) and (text[key_end].isalnum() or text[key_end] in "_.-"):
        key_end += 1
    words = _key_words(text, match.start(), key_end)
    if any(w in _NOT_SECRET_KEYS for w in words) or (words and words[-1] in _NOT_SECRET_LAST):
        return False
    return any(
        w in _SECRET_WORD_SET
        or (w.endswith(_SECRET_WORDS_IN_KEYS[:5]) and w not in _NOT_SECRET_KEYS)
        for w in words
    )


_DIGITS = frozenset("0123456789")


# Checking ~160 triggers costs a substring search each. Most hold one of these characters: such a
# trigger is only looked for when its character is in the text at all (prose without "_" skips
# every "xyz_" prefix at the cost of one search).
_GATES = "~$=:/._-"


def _trigger_table() -> dict[str, list[tuple[str, int]]]:
    table: dict[str, list[tuple[str, int]]] = {gate: [] for gate in ("", *_GATES)}
    for index, (triggers, _) in enumerate(_FAMILIES):
        for trigger in triggers:
            for gate in _GATES:
                if gate in trigger:
                    break
            else:
                gate = ""
            table[gate].append((trigger, index))
    return table


_TRIGGER_TABLE = _trigger_table()


def _active(text: str) -> list[int]:
    """The families whose triggers ``text`` holds (case folded): only these are compiled and run."""
    folded = text.lower()
    active = set()
    for gate, entries in _TRIGGER_TABLE.items():
        if gate in folded:  # "" always is
            for trigger, index in entries:
                if trigger in folded:
                    active.add(index)
    return sorted(active)


def might_contain_secret(text: str) -> bool:
    """Cheap pre-check: ``False`` means :func:`redact` certainly leaves ``text`` unchanged."""
    return bool(_active(text))


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
    """Family 0's spans to replace, in order. What a match keeps (a URL's user...) is searched
    too."""
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


def _matches(index: int, text: str) -> list[re.Match[str]]:
    """Family ``index``'s matches; a generic assignment whose value is rejected must not hide a
    later key it swallowed (``write-key analytics.writeKey = 'x'``): search again just after it."""
    pattern = _family_pattern(index)
    if index != 1:
        return list(pattern.finditer(text))
    found, pos = [], 0
    while (match := pattern.search(text, pos)) is not None:
        if _generic_secret(text, match):
            found.append(match)
            pos = match.end()
        else:
            pos = match.start() + 1
    return found


def _spans(text: str, active: list[int]) -> list[tuple[int, int]]:
    """Every span to replace, from the ``active`` families, sorted and merged."""
    spans: list[tuple[int, int]] = []
    for index in active:
        if index == 0:
            spans += _secrets(text)
            continue
        for match in _matches(index, text):
            group = (match.lastgroup or "").split("_")[0]
            if group == "v":  # only the value
                spans.append(match.span(match.lastgroup))
            elif group == "bd":  # the token starts with the digits before the match
                start = match.start()
                while start > 0 and text[start - 1].isdigit():
                    start -= 1
                spans.append((start, match.end()))
            elif group.startswith("b"):  # the token starts N characters before the match
                spans.append((match.start() - int(group[1:]), match.end()))
            else:
                spans.append(match.span())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def redact(text: str) -> str:
    """``text`` with every secret replaced by :data:`REDACTED` (idempotent)."""
    active = _active(text)
    if not active:
        return text
    pieces = []
    last = 0
    for start, end in _spans(text, active):
        pieces += (text[last:start], REDACTED)
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def contains_secret(text: str) -> bool:
    """Whether :func:`redact` would change ``text``."""
    active = _active(text)
    return bool(active) and bool(_spans(text, active))


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
