"""Who learned what: the person and the machine every memory commit names.

The person is ``AIMEM_AUTHOR`` (``"Name <email>"``), else git's own ``GIT_AUTHOR_NAME`` /
``GIT_AUTHOR_EMAIL``, else ``user.name`` / ``user.email`` from git config (the wiki's, which
includes the user's global one), else aimem's fixed identity. The machine is ``AIMEM_MACHINE``
or the host name; it goes into a ``Machine:`` trailer of the commit message, so a wiki synced
between machines says where each memory came from (``git log``, ``aimem log --author``).
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass

import pygit2

from aimem.wiki import repo as wikirepo

_NAME_EMAIL = re.compile(r"^\s*(.*?)\s*<([^<>]*)>\s*$")
MACHINE_TRAILER = "Machine"


@dataclass(frozen=True)
class Identity:
    name: str
    email: str
    machine: str

    def signature(self, when: float | None = None) -> pygit2.Signature:
        if when is None:
            return pygit2.Signature(self.name, self.email)
        return pygit2.Signature(self.name, self.email, int(when), 0)


def _clean(text: str) -> str:
    # git rejects a name or email with angle brackets or a newline; keep what is printable.
    return " ".join(text.replace("<", "").replace(">", "").split())


def machine_name(env: dict[str, str] | os._Environ | None = None) -> str:
    env = os.environ if env is None else env
    return _clean(env.get("AIMEM_MACHINE") or socket.gethostname() or "unknown") or "unknown"


def identity(
    repo: pygit2.Repository | None = None, env: dict[str, str] | os._Environ | None = None
) -> Identity:
    """The person and machine for a commit (see the module docstring)."""
    env = os.environ if env is None else env
    machine = machine_name(env)
    given = (env.get("AIMEM_AUTHOR") or "").strip()
    if given:
        match = _NAME_EMAIL.match(given)
        name, email = (match.group(1), match.group(2)) if match else (given, "")
        name, email = _clean(name), _clean(email)
        if name:
            return Identity(name, email or f"{name.lower().replace(' ', '.')}@{machine}", machine)
    name = _clean(env.get("GIT_AUTHOR_NAME") or "")
    email = _clean(env.get("GIT_AUTHOR_EMAIL") or "")
    if not (name and email) and repo is not None:
        name = name or _config(repo, "user.name")
        email = email or _config(repo, "user.email")
    if name and email:
        return Identity(name, email, machine)
    return Identity(*wikirepo.SIGNATURE, machine)


def _config(repo: pygit2.Repository, key: str) -> str:
    try:
        value = repo.config[key]
    except (KeyError, pygit2.GitError, ValueError):
        return ""
    return _clean(str(value))


def with_trailers(message: str, trailers: dict[str, str]) -> str:
    """``message`` ending with ``Key: value`` trailer lines (one paragraph, as git reads them);
    a trailer already there is not repeated."""
    text = message.rstrip()
    missing = [f"{k}: {v}" for k, v in trailers.items() if f"\n{k}: {v}" not in "\n" + text]
    if not missing:
        return text + "\n"
    last = text.rsplit("\n\n", 1)[-1]
    in_trailers = (
        bool(text)
        and "\n\n" in text
        and all(re.match(r"^[A-Za-z-]+: ", line) for line in last.splitlines())
    )
    sep = "\n" if in_trailers else "\n\n"
    return text + sep + "\n".join(missing) + "\n"
