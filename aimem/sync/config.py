"""A project's remotes: ``state/remotes.json`` under the project's data folder.

Machine-local on purpose: a remote's URL and what it may receive are a choice of this machine's
user, never part of the wiki (which travels to those very remotes). ``share`` has no default:
``all`` sends the whole wiki (one person's machines, what a restore needs); ``knowledge`` sends
decisions, gotchas, concepts and rules only (a team). ``branch`` defaults to ``aimem/<project>``,
so a remote that is the code's own repository never has its branches touched.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from aimem.files import state_lock, write_atomic
from aimem.project import ProjectPaths

SHARES = ("all", "knowledge")
REMOTES_FILE = "remotes.json"
# Written by ``aimem purge`` (admin/purge.py): remotes whose copy still holds purged history.
# A plain sync of one of them would merge that history back; only ``--force`` may touch it.
FORCE_FILE = "remotes-force.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_BRANCH_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
# ``user@host:path`` or ``host:path``; never ``transport::address`` (git's remote helpers).
_SCP = re.compile(r"^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?![:/])\S+$")
SCHEMES = ("file", "ssh", "git+ssh", "https", "http", "git")


class RemoteConfigError(ValueError):
    """A remote that cannot be added, removed or read; one line."""


@dataclass(frozen=True)
class Remote:
    name: str
    url: str
    share: str  # all | knowledge
    branch: str

    @property
    def tracking_ref(self) -> str:
        """Where the remote branch's last fetched commit is kept in the wiki repository."""
        return f"refs/aimem/remotes/{self.name}/tip"

    @property
    def shared_ref(self) -> str:
        """For a knowledge remote: the last knowledge commit both sides agreed on."""
        return f"refs/aimem/remotes/{self.name}/shared"


def path_of(paths: ProjectPaths) -> str:
    return os.path.join(paths.state, REMOTES_FILE)


def load(paths: ProjectPaths) -> list[Remote]:
    """The project's remotes, in the order they were added (``[]`` when none)."""
    try:
        with open(path_of(paths), encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise RemoteConfigError(f"{path_of(paths)} cannot be read: {exc}") from None
    out = []
    for item in data.get("remotes", []) if isinstance(data, dict) else []:
        try:
            out.append(Remote(str(item["name"]), str(item["url"]), item["share"], item["branch"]))
        except (KeyError, TypeError):
            continue
    return out


def _save(paths: ProjectPaths, remotes: list[Remote]) -> None:
    os.makedirs(paths.state, exist_ok=True)
    data = {"remotes": [asdict(r) for r in remotes]}
    write_atomic(path_of(paths), (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def default_branch(project_name: str) -> str:
    part = "-".join(re.sub(r"[^A-Za-z0-9._-]+", " ", project_name).split()).strip(".-")
    return f"aimem/{part or 'project'}"


def check_branch(branch: str) -> str:
    parts = branch.split("/")
    if not branch or any(not _BRANCH_PART.match(p) or p.endswith((".lock", ".")) for p in parts):
        raise RemoteConfigError(f"not a usable branch name: {branch!r} (e.g. aimem/webshop)")
    if ".." in branch:
        raise RemoteConfigError(f"not a usable branch name: {branch!r}")
    return branch


def check_url(url: str) -> str:
    """A URL libgit2 can use: a local path, ``file``, ``ssh``, ``https``, ``http``, ``git``, or
    scp-like ``user@host:path``. A password inside the URL is refused: it would be stored in
    plain text and printed by ``remote show``; a credential helper keeps it instead."""
    url = url.strip()
    if not url or "\n" in url or url.startswith("-"):
        raise RemoteConfigError(f"not a remote URL: {url!r}")
    if os.path.isabs(url):
        return url
    parts = urlsplit(url)
    if parts.scheme in SCHEMES:
        if parts.password:
            raise RemoteConfigError(
                "the URL holds a password: store it in a git credential helper instead "
                "(git config --global credential.helper store)"
            )
        if parts.scheme != "file" and not parts.hostname:
            raise RemoteConfigError(f"no host in {url!r}")
        return url
    if _SCP.match(url) and "://" not in url:
        return url
    raise RemoteConfigError(
        f"unsupported remote URL {url!r}: use a path, file://, ssh://, user@host:path, https:// or git://"
    )


def add(
    paths: ProjectPaths, project_name: str, name: str, url: str, share: str, branch: str | None
) -> Remote:
    if not _NAME.match(name or ""):
        raise RemoteConfigError(f"not a remote name: {name!r} (letters, digits, . _ -)")
    if share not in SHARES:
        raise RemoteConfigError(f"--share must be all or knowledge, not {share!r}")
    remote = Remote(
        name, check_url(url), share, check_branch(branch or default_branch(project_name))
    )
    with state_lock(paths.state):
        remotes = load(paths)
        if any(r.name == name for r in remotes):
            raise RemoteConfigError(f"remote {name!r} exists already (aimem remote remove {name})")
        same = [r for r in remotes if (r.url, r.branch) == (remote.url, remote.branch)]
        if same:
            raise RemoteConfigError(
                f"remote {same[0].name!r} already syncs {remote.url} branch {remote.branch}"
            )
        _save(paths, [*remotes, remote])
    return remote


def remove(paths: ProjectPaths, name: str) -> Remote:
    """Forget a remote on this machine (the remote itself is not touched)."""
    with state_lock(paths.state):
        remotes = load(paths)
        found = [r for r in remotes if r.name == name]
        if not found:
            known = ", ".join(r.name for r in remotes) or "none"
            raise RemoteConfigError(f"no remote {name!r} (known: {known})")
        _save(paths, [r for r in remotes if r.name != name])
    return found[0]


def force_needed(paths: ProjectPaths) -> dict[str, str]:
    """Remote name -> when a purge made it need ``aimem sync --force``."""
    try:
        with open(os.path.join(paths.state, FORCE_FILE), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def forced(paths: ProjectPaths, name: str) -> None:
    """The remote was force-pushed: it no longer holds what was purged."""
    path = os.path.join(paths.state, FORCE_FILE)
    with state_lock(paths.state):
        marked = force_needed(paths)
        if name not in marked:
            return
        marked.pop(name)
        if marked:
            write_atomic(path, json.dumps(marked, indent=1).encode("utf-8"))
        else:
            os.remove(path)
