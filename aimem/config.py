"""One settings object: defaults <- config file <- ``AIMEM_*`` environment variables.

Loading never fails: a value that is wrong (wrong type, out of range, an unknown log level) falls
back to the layer below it (the file's value, else the default), a file that does not parse
contributes nothing, and each of these becomes one line in ``Settings.problems`` naming the file
or variable, the key and the fix. Hooks log those lines and record anyway; commands print them as
warnings; ``aimem doctor`` reports them as failures.

Standard library only, and the TOML parser is imported only when a config file exists, because the
hook fast path loads settings on every agent event.
"""

from __future__ import annotations

import os

# name -> (type, default). Each key ``x`` is overridden by env ``AIMEM_X``.
FIELDS: dict[str, tuple[type, object]] = {
    "home": (str, ""),  # data root; default $XDG_DATA_HOME/aimem
    "project": (str, ""),  # force one project name (AIMEM_PROJECT)
    "handoff_max_age_days": (float, 7.0),  # older offers expire instead of piling up
    "consolidate_wait_seconds": (float, 3.0),  # SessionStart waits for a running consolidation
    "stdin_max_bytes": (int, 4 * 1024 * 1024),  # larger hook payloads are recorded as oversized
    "context_max_chars": (int, 8000),  # agents cap injected context near 10,000 characters
    "log_level": (str, "INFO"),
    # The LLM compilation step (docs/llm.md); ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL stay
    # plain environment variables, the SDK's own names, and never go in a config file.
    "llm": (str, ""),  # "" = zero-LLM only; "anthropic"
    "llm_model": (str, "claude-haiku-4-5"),
    "llm_session_tokens": (int, 30_000),  # input + output tokens for one session's call
    "llm_daily_tokens": (int, 1_000_000),  # every call of one UTC day, every project
    "llm_max_output_tokens": (int, 4_000),
    "llm_timeout": (float, 60.0),  # seconds per attempt
    "llm_max_retries": (int, 2),  # on 429, 5xx, timeouts and dropped connections only; at most 5
}
# Smallest value that makes sense for each number (others: any finite value).
MINIMUM: dict[str, tuple[float, bool]] = {  # name -> (bound, bound itself allowed)
    "handoff_max_age_days": (0.0, False),
    "consolidate_wait_seconds": (0.0, True),  # 0: never wait
    "stdin_max_bytes": (0.0, False),
    "context_max_chars": (0.0, False),
    "llm_session_tokens": (0.0, True),  # 0: no call can fit, the step is effectively off
    "llm_daily_tokens": (0.0, True),
    "llm_max_output_tokens": (0.0, False),
    "llm_timeout": (0.0, False),
    "llm_max_retries": (0.0, True),
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LEVEL_ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL"}


class Problem(str):
    """One line about a value or file that was ignored, naming it, the fallback and the fix;
    ``fix`` alone is what ``aimem doctor`` prints as the fix."""

    fix: str

    def __new__(cls, line: str, fix: str) -> Problem:
        problem = super().__new__(cls, line)
        problem.fix = fix
        return problem


class Settings:
    """Everything aimem can be told, read once per process by ``load_settings``.

    ``problems`` holds one line per value or file that was ignored (see the module doc).
    A plain class rather than a dataclass: the hook path loads settings on every agent event and
    ``dataclasses`` alone costs ~10 ms of imports there."""

    __slots__ = (*FIELDS, "config_file", "problems")
    home: str
    project: str
    handoff_max_age_days: float
    consolidate_wait_seconds: float
    stdin_max_bytes: int
    context_max_chars: int
    log_level: str
    llm: str
    llm_model: str
    llm_session_tokens: int
    llm_daily_tokens: int
    llm_max_output_tokens: int
    llm_timeout: float
    llm_max_retries: int
    config_file: str
    problems: list[str]

    def __init__(
        self, config_file: str = "", problems: list[str] | None = None, **values: object
    ) -> None:
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        for name, (_, default) in FIELDS.items():
            setattr(self, name, values.get(name, default))
        self.config_file = config_file
        self.problems = list(problems or [])

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"Settings({self.as_dict()!r})"


def _expand(path: str, env: dict[str, str] | os._Environ) -> str:
    """``~`` is the ``HOME`` of ``env`` (the environment the settings are read for)."""
    home = env.get("HOME")
    if home and (path == "~" or path.startswith("~/")):
        return home + path[1:]
    return os.path.expanduser(path)


def _default_home(env: dict[str, str] | os._Environ) -> str:
    data = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME") or "~", ".local", "share")
    return os.path.join(_expand(data, env), "aimem")


def config_path(env: dict[str, str] | os._Environ) -> str:
    explicit = env.get("AIMEM_CONFIG")
    if explicit:
        return _expand(explicit, env)
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or "~", ".config")
    return os.path.join(_expand(base, env), "aimem", "config.toml")


def _shown(value: object) -> str:
    """A value as the user wrote it, TOML-style, cut short."""
    if isinstance(value, str):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = repr(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= 60 else text[:57] + "..."


def check_value(name: str, raw: object) -> tuple[object, str | None]:
    """``(value, None)`` for a usable value of setting ``name``, else ``(None, why)`` where
    ``why`` completes "<key> = <value> ..." (e.g. "is not a number")."""
    kind = FIELDS[name][0]
    if isinstance(raw, (bool, dict, list)):  # TOML true is an int to Python
        return None, f"is not {'a number' if kind is not str else 'a string'}"
    if kind is str:
        if not isinstance(raw, str):
            return None, "is not a string"
        if name == "log_level":
            level = raw.strip().upper()
            level = _LEVEL_ALIASES.get(level, level)
            if level not in LOG_LEVELS:
                return None, f"is not a log level ({', '.join(LOG_LEVELS)})"
            return level, None
        return raw, None
    try:
        number = float(raw.strip()) if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None, "is not a number"
    if number - number != 0.0:  # inf or nan (no ``math`` import on the hook path)
        return None, "is not a finite number"
    if kind is int:
        if not number.is_integer():
            return None, "is not a whole number"
        value: object = int(number)
    else:
        value = number
    if name in MINIMUM:
        bound, inclusive = MINIMUM[name]
        if number < bound or (number == bound and not inclusive):
            return None, "must be zero or more" if inclusive else "must be more than zero"
    return value, None


def _read_file(path: str, problems: list[str]) -> dict[str, object]:
    """The file's table, or ``{}`` (with a problem) when it cannot be read or parsed."""
    import tomllib

    using = "using the defaults for every key"
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        line = f"{path}: cannot read it ({exc.strerror}); {using} (fix its permissions)"
        problems.append(Problem(line, f"make {path} readable"))
        return {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = f"{path}: not UTF-8 text (byte {exc.start}); {using} (save it as UTF-8)"
        problems.append(Problem(line, f"save {path} as UTF-8"))
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = f"{path}: not valid TOML ({exc}); {using} (fix the file)"
        problems.append(Problem(line, f"fix the TOML syntax in {path}"))
        return {}


def load_settings(env: dict[str, str] | os._Environ | None = None) -> Settings:
    """Read settings; never raises. What was ignored, and why, is in ``problems``."""
    env = os.environ if env is None else env
    problems: list[str] = []
    values: dict[str, object] = {}
    path = config_path(env)
    if os.path.isfile(path):
        for name, raw in _read_file(path, problems).items():
            fix = f"fix or remove {name} in {path}"
            if name not in FIELDS:
                known = ", ".join(FIELDS) + "; fix or remove it"
                line = f'{path}: unknown key "{name}" ignored (known keys: {known})'
                problems.append(Problem(line, fix))
                continue
            value, why = check_value(name, raw)
            if why is None:
                values[name] = value
                continue
            using = _shown(FIELDS[name][1])
            line = f"{path}: {name} = {_shown(raw)} {why}; using {using} (fix or remove the key)"
            problems.append(Problem(line, fix))
    elif os.path.exists(path):
        line = f"{path}: not a file; using the defaults for every key (remove it)"
        problems.append(Problem(line, f"remove {path}"))
    for name in FIELDS:
        var = "AIMEM_" + name.upper()
        raw = env.get(var)
        if raw in (None, ""):
            continue
        value, why = check_value(name, raw)
        if why is None:
            values[name] = value
            continue
        using = _shown(values.get(name, FIELDS[name][1]))
        line = f"{var}={_shown(raw)} {why}; using {using} (fix or unset the variable)"
        problems.append(Problem(line, f"fix or unset {var}"))
    home = str(values.get("home") or "") or _default_home(env)
    values["home"] = os.path.abspath(_expand(home, env))
    return Settings(config_file=path, problems=problems, **values)


def make_private_dirs(path: str) -> None:
    """``os.makedirs`` where every folder it creates is 0700: the data root holds transcripts.
    (``os.makedirs`` gives ``mode`` to the last folder only.) Raises ``OSError`` like it."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
    except FileNotFoundError:
        parent = os.path.dirname(path)
        if not parent or parent == path:
            raise
        make_private_dirs(parent)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            if not os.path.isdir(path):
                raise
