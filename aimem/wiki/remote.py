"""Git transport for the wiki: fetch a remote branch, push a commit to it (pygit2, no git binary).

Any URL libgit2 speaks: a path or ``file://``, ``ssh://`` and ``user@host:path`` (keys from the
user's ssh agent), ``https://`` (the user's git credential helper, run as ``git credential
fill``), ``git://``. Nothing is configured in the wiki's repository: remotes are anonymous, and
what was fetched lands under ``refs/aimem/`` only, so ``refs/heads`` stays the one branch aimem
commits on. Failures are one of two exceptions, each with a one-line message: ``Unreachable``
(nothing changed anywhere) and ``Rejected`` (the remote moved on: fetch, merge and retry).
"""

from __future__ import annotations

import os
import subprocess
from urllib.parse import urlsplit

import pygit2

PUSH_REF = "refs/aimem/push"  # the commit being pushed: a refspec needs a local ref
FETCH_REF = "refs/aimem/fetching"  # where a fetch lands before it counts


class RemoteError(Exception):
    """A transport failure, with a one-line message."""


class Unreachable(RemoteError):
    """The remote could not be reached or read (network, path, authentication)."""


class Rejected(RemoteError):
    """The remote refused the update: it holds commits this side has not merged."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class Credentials(pygit2.RemoteCallbacks):
    """The user's own credentials: the ssh agent for ssh, the git credential helper for https.
    Each kind is offered once per operation, so a wrong key ends in an error, not a loop."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.tried: set[str] = set()
        self.refused: dict[str, str] = {}

    def credentials(self, url, username_from_url, allowed_types):  # noqa: ANN001, ANN201
        kinds = pygit2.enums.CredentialType
        if allowed_types & kinds.SSH_KEY and "agent" not in self.tried:
            self.tried.add("agent")
            return pygit2.KeypairFromAgent(username_from_url or "git")
        if allowed_types & kinds.USERPASS_PLAINTEXT and "helper" not in self.tried:
            self.tried.add("helper")
            found = credential_fill(url or self.url, username_from_url)
            if found is not None:
                return pygit2.UserPass(*found)
        if allowed_types & kinds.USERNAME and "name" not in self.tried:
            self.tried.add("name")
            return pygit2.Username(username_from_url or "git")
        raise Unreachable(f"no credentials accepted for {redact_url(self.url)}")

    def push_update_reference(self, refname: str, message: str | None) -> None:
        if message:
            self.refused[refname] = message


def credential_fill(url: str, username: str | None) -> tuple[str, str] | None:
    """``(user, password)`` from the git credential helper configured for ``url``, or ``None``
    (no git, no helper, nothing stored). Never prompts: a sync runs without a terminal."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    request = f"protocol={parts.scheme}\nhost={host}\npath={parts.path.lstrip('/')}\n"
    if username:
        request += f"username={username}\n"
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
    try:
        done = subprocess.run(
            ["git", "credential", "fill"],
            input=request + "\n",
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    if "username" in values and "password" in values:
        return values["username"], values["password"]
    return None


def redact_url(url: str) -> str:
    """A URL fit for a message: any password in it replaced."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def fetch(repo: pygit2.Repository, url: str, branch: str, into: str) -> str | None:
    """Fetch ``branch`` of ``url`` into the local ref ``into``; its commit, or ``None`` when the
    remote has no such branch yet (``into`` is then removed, as the remote has nothing)."""
    landing = FETCH_REF
    if landing in repo.references:
        repo.references.delete(landing)
    remote = repo.remotes.create_anonymous(url)
    try:
        # A refspec whose branch the remote lacks fetches nothing and leaves ``landing`` absent.
        remote.fetch([f"+refs/heads/{branch}:{landing}"], callbacks=Credentials(url))
    except (pygit2.GitError, OSError, Unreachable) as exc:
        raise Unreachable(f"cannot fetch from {redact_url(url)}: {_one_line(exc)}") from None
    if landing not in repo.references:
        if into in repo.references:
            repo.references.delete(into)  # the branch is gone there
        return None
    found = repo.references[landing].target
    repo.references.create(into, found, force=True)
    repo.references.delete(landing)
    return str(found)


def push(repo: pygit2.Repository, url: str, commit: str, branch: str, force: bool = False) -> None:
    """Make ``branch`` of ``url`` point at ``commit`` (with its history). ``Rejected`` when that
    is not a fast-forward (unless ``force``), ``Unreachable`` when the remote cannot be reached."""
    repo.references.create(PUSH_REF, commit, force=True)
    remote = repo.remotes.create_anonymous(url)
    callbacks = Credentials(url)
    spec = f"{'+' if force else ''}{PUSH_REF}:refs/heads/{branch}"
    try:
        remote.push([spec], callbacks=callbacks)
    except (pygit2.GitError, OSError, Unreachable) as exc:
        text = _one_line(exc)
        if _is_rejection(text):
            raise Rejected(f"{redact_url(url)} refused the push: {text}") from None
        raise Unreachable(f"cannot push to {redact_url(url)}: {text}") from None
    finally:
        if PUSH_REF in repo.references:
            repo.references.delete(PUSH_REF)
    for ref, message in callbacks.refused.items():
        raise Rejected(f"{redact_url(url)} refused {ref}: {message}")


def _is_rejection(text: str) -> bool:
    text = text.lower()
    return any(
        word in text
        for word in (
            "non-fastforward",
            "non-fast-forward",
            "fetch first",
            "rejected",
            "stale",
            "not present locally",
        )
    )
