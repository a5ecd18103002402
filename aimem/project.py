"""Project identity: payload ``cwd`` -> project -> slug -> on-disk paths.

Every agent, every subdirectory and every git worktree of one repository must land in the same
project folder, so identity is resolved from the *payload's* ``cwd`` (never the process cwd) in
this order:

1. ``AIMEM_PROJECT`` (an explicit name),
2. the nearest ``.aimem.toml`` marker upwards (its ``name`` key, else the marker's folder),
3. the git *common* dir of the enclosing repository (all worktrees share it),
4. the directory itself.

A git checkout seen before keeps its project when it moves or is cloned (docs/operations.md,
"Project identity"): the slug is first looked up in the checkout's own ``.git/aimem-project``
(written at consolidation; it moves with the checkout), then in the data root's
``identities.tsv`` by normalised origin URL (a clone of a known repository). Both are one small
file read; the root commit, which needs a history walk, is only ever computed off the hook path.

``$HOME``, ``/`` and the temp directory itself are not projects: a hook started there records
nothing. Standard library only: the hook fast path imports this module.
"""

from __future__ import annotations

import os

MARKER = ".aimem.toml"
CHECKOUT_MARKER = "aimem-project"  # in a code repository's git common dir: "<slug>\n"
IDENTITIES = "identities.tsv"  # in the data root: "<kind>:<key>\t<slug>" lines
# Patterns are compiled on first use (``re`` caches them): most hook calls never need them.
_NAME_LINE = r"""^\s*name\s*=\s*(?:"([^"\n]*)"|'([^'\n]*)')\s*(?:#.*)?$"""
_PLAIN_LINE = r"""\s*(?:#.*)?$|\s*name\s*=\s*(?:"[^"\\\n]*"|'[^'\n]*')\s*(?:#.*)?$"""


# The records on the hook path are plain classes: importing ``dataclasses`` pulls in ``inspect``
# and costs ~10 ms, a third of a whole hook call (see `make bench`).
class Project:
    """A resolved project: ``identity`` is what makes it unique, ``slug`` names its folder."""

    __slots__ = ("name", "identity", "root", "slug", "source")

    def __init__(self, name: str, identity: str, root: str, slug: str, source: str) -> None:
        self.name = name
        self.identity = identity
        self.root = root  # the folder people think of as the project (repo top, marker, cwd)
        self.slug = slug
        self.source = source  # env | marker | git | dir

    def as_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(self.identity)

    def __repr__(self) -> str:
        return f"Project({self.name!r}, slug={self.slug!r}, source={self.source!r})"


class ProjectPaths:
    """Where one project's data lives under the data root."""

    __slots__ = ("base",)

    def __init__(self, base: str) -> None:
        self.base = base

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProjectPaths) and self.base == other.base

    def __hash__(self) -> int:
        return hash(self.base)

    def __repr__(self) -> str:
        return f"ProjectPaths({self.base!r})"

    @property
    def wiki(self) -> str:
        return os.path.join(self.base, "wiki")

    @property
    def raw(self) -> str:
        return os.path.join(self.base, "raw")

    @property
    def state(self) -> str:
        return os.path.join(self.base, "state")

    @property
    def index(self) -> str:
        return os.path.join(self.base, "index.sqlite")

    @property
    def meta(self) -> str:
        return os.path.join(self.base, "project.json")

    def journal(self, session: str) -> str:
        return os.path.join(self.raw, session + ".jsonl")


def projects_dir(home: str) -> str:
    return os.path.join(home, "projects")


def paths_for(home: str, slug: str) -> ProjectPaths:
    return ProjectPaths(os.path.join(projects_dir(home), slug))


def slugify(name: str, identity: str) -> str:
    """Readable and collision-free: ``basename-<8 hex of the identity>``."""
    from aimem._hash import short_hash

    chars = (c if c.isascii() and c.isalnum() else " " for c in name.lower())
    base = "-".join("".join(chars).split())[:40].strip("-") or "project"
    return f"{base}-{short_hash(identity)}"


def non_project_dirs(env: dict[str, str] | os._Environ) -> set[str]:
    """Folders that are never a project: ``/``, ``$HOME`` and the temp directory itself."""
    dirs = {"/", "/tmp", "/var/tmp"}
    for key in ("HOME", "TMPDIR", "TEMP", "TMP"):
        value = env.get(key)
        if value and os.path.isabs(value):
            dirs.add(value)
    return {os.path.realpath(d) for d in dirs}


def _read_marker_name(marker: str, problems: list[str] | None = None) -> str | None:
    """The marker's ``name``, or ``None`` (then its folder is the project). What is wrong with
    the file goes to ``problems``, one line each; the project resolves all the same."""
    folder = "using its folder as the project"
    try:
        with open(marker, "rb") as fh:
            data = fh.read(1 << 20)
    except OSError as exc:
        return _marker_problem(problems, marker, f"cannot read it ({exc.strerror})", folder)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _marker_problem(problems, marker, f"not UTF-8 text (byte {exc.start})", folder)
    import re  # only where a project has a marker file: ``re`` costs a hook ~10 ms of imports

    match = re.search(_NAME_LINE, text, re.M)
    name = (match.group(1) or match.group(2) or "").strip() if match else ""
    # A full TOML parse (tomllib) costs ~15 ms of imports on the hook path; a marker made only
    # of comments and one plain ``name = "..."`` line (the documented form) needs none.
    if all(re.match(_PLAIN_LINE, line) for line in text.splitlines()):
        if match and not name:
            return _marker_problem(problems, marker, "name is empty", folder)
        return name or None
    import tomllib

    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        using = f'using name "{name}"' if name else folder
        _marker_problem(problems, marker, f"not valid TOML ({exc})", using)
        return name or None
    unknown = ", ".join(repr(k) for k in sorted(table) if k != "name")
    if unknown:
        _marker_problem(problems, marker, f"unknown key {unknown} ignored", "only name is read")
    value = table.get("name")
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is not None:
        why = "name is empty" if isinstance(value, str) else f"name = {value!r} is not a string"
        _marker_problem(problems, marker, why, folder)
    return None


def _marker_problem(problems: list[str] | None, marker: str, why: str, using: str) -> None:
    if problems is not None:
        problems.append(f"{marker}: {why}; {using} (fix the file)")


def _git_common_dir(dot_git: str) -> str | None:
    """The common dir for ``<top>/.git`` (a dir) or a worktree's ``.git`` file."""
    if os.path.isdir(dot_git):
        return os.path.realpath(dot_git)
    try:
        with open(dot_git, encoding="utf-8") as fh:
            first = fh.readline().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not first.startswith("gitdir:"):
        return None
    gitdir = first[len("gitdir:") :].strip()
    if not os.path.isabs(gitdir):
        gitdir = os.path.join(os.path.dirname(dot_git), gitdir)
    gitdir = os.path.realpath(gitdir)
    try:
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as fh:
            common = fh.readline().strip()
    except OSError:
        return gitdir  # a submodule's gitdir, or a plain indirection: it is its own common dir
    if not os.path.isabs(common):
        common = os.path.join(gitdir, common)
    return os.path.realpath(common)


def data_home(env: dict[str, str] | os._Environ) -> str:
    """The data root from the environment alone (``AIMEM_HOME``, else the XDG default), for
    callers without settings; ``""`` when it cannot be told."""
    home = env.get("AIMEM_HOME") or ""
    if not home:
        xdg = env.get("XDG_DATA_HOME") or ""
        if not os.path.isabs(xdg):
            user = env.get("HOME") or ""
            xdg = os.path.join(user, ".local", "share") if os.path.isabs(user) else ""
        home = os.path.join(xdg, "aimem") if xdg else ""
    if home.startswith("~/") and env.get("HOME"):
        home = env["HOME"] + home[1:]
    return os.path.abspath(home) if home else ""


def valid_slug(slug: str) -> bool:
    """A project folder name: what ``slugify`` makes (also what a file may name)."""
    return (
        0 < len(slug) <= 100
        and slug[0] != "-"
        and all(c.isascii() and (c.isalnum() and not c.isupper() or c == "-") for c in slug)
    )


def normalise_origin(url: str) -> str:
    """One spelling per repository: ``git@github.com:org/repo.git``,
    ``https://user@github.com/org/repo`` and ``ssh://git@github.com:22/org/repo.git/`` are all
    ``github.com/org/repo``; a local path is ``file:<absolute path>``."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        host, colon, path = url.partition(":")
        if colon and "/" not in host and not url.startswith("/") and len(host) > 1:
            rest, scheme = host + "/" + path, "ssh"  # scp-like: [user@]host:path
        else:
            return "file:" + os.path.normpath(os.path.abspath(url))
    if scheme.lower() == "file":
        return "file:" + os.path.normpath(rest or "/")
    host, _, path = rest.partition("/")
    host = host.rpartition("@")[2].lower()
    if host.startswith("[") or host.count(":") == 1:
        host = host.rpartition(":")[0] if host.rpartition(":")[2].isdigit() else host
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4].rstrip("/")
    return f"{host}/{path}" if path else host


def origin_url(common_dir: str) -> str | None:
    """The ``origin`` remote's URL from a repository's ``config`` (plain text, no git)."""
    try:
        with open(os.path.join(common_dir, "config"), encoding="utf-8") as fh:
            lines = fh.read(1 << 20).splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    inside = False
    for line in lines:
        text = line.strip()
        if text.startswith("["):
            inside = "".join(text.split()).lower() in ('[remote"origin"]',)
            continue
        if inside:
            key, eq, value = text.partition("=")
            if eq and key.strip().lower() == "url" and value.strip():
                return value.strip().strip('"')
    return None


def read_checkout_marker(common_dir: str) -> str | None:
    """The slug a checkout was last consolidated into (its ``.git/aimem-project``)."""
    try:
        with open(os.path.join(common_dir, CHECKOUT_MARKER), encoding="utf-8") as fh:
            slug = fh.readline(200).strip()
    except (OSError, UnicodeDecodeError):
        return None
    return slug if valid_slug(slug) else None


def read_identities(home: str) -> dict[str, str]:
    """``identities.tsv``: fingerprint key (``origin:``, ``root:``, ``id:``) ->
    slug; ``{}`` when missing. Tab-separated lines, read without ``json`` (hook path)."""
    try:
        with open(os.path.join(home, IDENTITIES), encoding="utf-8") as fh:
            text = fh.read(1 << 22)
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, tab, slug = line.partition("\t")
        if tab and valid_slug(slug):
            out.setdefault(key, slug)
    return out


def known_slug(home: str, common_dir: str) -> str | None:
    """The project a git checkout already belongs to, if it is one seen before (moved, or a
    clone of a known origin) and that project still exists under ``home``."""
    if not home:
        return None
    for slug in _candidates(home, common_dir):
        if os.path.isdir(os.path.join(home, "projects", slug)):
            return slug
    return None


def _candidates(home: str, common_dir: str):  # noqa: ANN202 - a generator (no typing import)
    marker = read_checkout_marker(common_dir)
    if marker:
        yield marker
    origin = origin_url(common_dir)
    if not origin:
        return
    try:
        with open(os.path.join(home, IDENTITIES), encoding="utf-8") as fh:
            text = "\n" + fh.read(1 << 22)
    except (OSError, UnicodeDecodeError):
        return
    # One substring search (C speed), not a parse of every line: the hook looks up one key.
    key = "\norigin:" + normalise_origin(origin) + "\t"
    at = text.find(key)
    if at >= 0:
        start = at + len(key)
        end = text.find("\n", start)
        slug = text[start : end if end >= 0 else len(text)]
        if valid_slug(slug):
            yield slug


def resolve_project(
    cwd: str,
    env: dict[str, str] | os._Environ | None = None,
    problems: list[str] | None = None,
    home: str | None = None,
) -> Project | None:
    """The project for an absolute ``cwd`` taken from a payload; ``None`` if there is none.
    A malformed ``.aimem.toml`` on the way is reported in ``problems`` (one line each).
    ``home``: the data root whose known checkouts a git project is looked up in (default:
    from ``env``; ``""``: none, the slug is the one the path gives)."""
    env = os.environ if env is None else env
    explicit = (env.get("AIMEM_PROJECT") or "").strip()
    if explicit:
        identity = "name:" + explicit
        return Project(explicit, identity, cwd, slugify(explicit, identity), "env")
    if not cwd or not os.path.isabs(cwd):
        return None
    start = os.path.realpath(cwd)
    if not os.path.isdir(start):
        return None
    excluded = non_project_dirs(env)

    directory = start
    git_top: str | None = None
    common: str | None = None
    while True:
        marker = os.path.join(directory, MARKER)
        if os.path.isfile(marker):
            name = _read_marker_name(marker, problems)
            if name:
                identity = "name:" + name
                return Project(name, identity, directory, slugify(name, identity), "marker")
            if directory in excluded:
                return None
            identity = "dir:" + directory
            base = os.path.basename(directory)
            return Project(base, identity, directory, slugify(base, identity), "marker")
        if git_top is None:
            dot_git = os.path.join(directory, ".git")
            if os.path.exists(dot_git):
                git_top = directory
                common = _git_common_dir(dot_git)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent

    if git_top is not None and common is not None:
        # The main worktree's top is the folder holding the common dir; name the project after it.
        main_top = os.path.dirname(common) if os.path.basename(common) == ".git" else common
        if main_top in excluded or git_top in excluded:
            return None
        name = os.path.basename(main_top) or "project"
        identity = "git:" + common
        known = known_slug(data_home(env) if home is None else home, common)
        return Project(name, identity, main_top, known or slugify(name, identity), "git")

    if start in excluded:
        return None
    name = os.path.basename(start) or "project"
    identity = "dir:" + start
    return Project(name, identity, start, slugify(name, identity), "dir")


class ProjectNotFound(LookupError):
    """No project matches what the user asked for."""


def load_meta(paths: ProjectPaths) -> dict:
    """``project.json`` (written by the first hook in a project); ``{}`` if missing."""
    import json

    try:
        with open(paths.meta, encoding="utf-8") as fh:
            value = json.load(fh)
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def list_projects(home: str) -> list[tuple[str, ProjectPaths, dict]]:
    """Every project folder under the data root: ``(slug, paths, meta)``, sorted by slug."""
    root = projects_dir(home)
    try:
        slugs = sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    except FileNotFoundError:
        return []
    return [(s, paths_for(home, s), load_meta(paths_for(home, s))) for s in slugs]


def find_project(
    home: str, selector: str | None, cwd: str, problems: list[str] | None = None
) -> tuple[str, str, ProjectPaths]:
    """``(slug, name, paths)`` for a ``--project`` value (slug, name or path) or, without one,
    for ``cwd``. Raises ``ProjectNotFound`` with a one-line reason; a malformed marker is
    reported in ``problems``."""
    if selector:
        known = list_projects(home)
        for slug, paths, meta in known:
            if selector == slug:
                return slug, str(meta.get("name") or slug), paths
        named = [(s, p, m) for s, p, m in known if m.get("name") == selector]
        if len(named) == 1:
            slug, paths, meta = named[0]
            return slug, selector, paths
        if len(named) > 1:
            choices = ", ".join(s for s, _, _ in named)
            raise ProjectNotFound(f"project name {selector!r} is ambiguous: use one of {choices}")
        candidate = os.path.abspath(os.path.expanduser(selector))
        if not os.path.isdir(candidate):
            raise ProjectNotFound(f"unknown project {selector!r} (see `aimem projects`)")
        cwd = candidate
    project = resolve_project(cwd, problems=problems, home=home)
    if project is None:
        raise ProjectNotFound(f"{cwd} is not inside a project ($HOME, / and temp roots are not)")
    paths = paths_for(home, project.slug)
    if not os.path.isdir(paths.base):
        raise ProjectNotFound(
            f"no memory recorded yet for project {project.name!r} ({project.slug})"
        )
    return project.slug, project.name, paths
