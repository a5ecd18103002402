"""One settings object: defaults <- config file <- ``AIMEM_*`` environment variables.

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
}


class Settings:
    """Everything aimem can be told, read once per process by ``load_settings``.

    A plain class rather than a dataclass: the hook path loads settings on every agent event and
    ``dataclasses`` alone costs ~10 ms of imports there."""

    __slots__ = (*FIELDS, "config_file")
    home: str
    project: str
    handoff_max_age_days: float
    consolidate_wait_seconds: float
    stdin_max_bytes: int
    context_max_chars: int
    log_level: str
    config_file: str

    def __init__(self, config_file: str = "", **values: object) -> None:
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        for name, (_, default) in FIELDS.items():
            setattr(self, name, values.get(name, default))
        self.config_file = config_file

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"Settings({self.as_dict()!r})"


def _default_home(env: dict[str, str] | os._Environ) -> str:
    data = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME") or "~", ".local", "share")
    return os.path.join(os.path.expanduser(data), "aimem")


def config_path(env: dict[str, str] | os._Environ) -> str:
    explicit = env.get("AIMEM_CONFIG")
    if explicit:
        return os.path.expanduser(explicit)
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or "~", ".config")
    return os.path.join(os.path.expanduser(base), "aimem", "config.toml")


def _coerce(kind: type, raw: object, name: str) -> object:
    try:
        if kind is float:
            return float(raw)  # type: ignore[arg-type]
        if kind is int:
            return int(raw)  # type: ignore[arg-type]
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {name!r}: cannot use {raw!r} ({exc})") from None


def load_settings(env: dict[str, str] | os._Environ | None = None) -> Settings:
    """Read settings; raises ``ValueError`` with a one-line message on a bad value or file."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    path = config_path(env)
    if os.path.isfile(path):
        import tomllib

        try:
            with open(path, "rb") as fh:
                values.update(tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"config file {path}: {exc}") from None
    result: dict[str, object] = {}
    for name, value in values.items():
        if name in FIELDS:
            result[name] = _coerce(FIELDS[name][0], value, name)
    for name, (kind, _) in FIELDS.items():
        raw = env.get("AIMEM_" + name.upper())
        if raw not in (None, ""):
            result[name] = _coerce(kind, raw, name)
    if not result.get("home"):
        result["home"] = _default_home(env)
    result["home"] = os.path.abspath(os.path.expanduser(str(result["home"])))
    return Settings(config_file=path, **result)
