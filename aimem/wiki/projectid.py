"""The project id file in the wiki, ``.aimem/project.toml``: who this memory belongs to.

It travels with the wiki (sync, backup), so every machine that has the memory knows its id and
the code it is about: the code repository's root commits and its normalised origin URLs. Two
machines that create it independently for the same code write the same id (a UUID derived from
the first root commit), and ``merge_file`` combines two versions the same way on both sides
(the smaller id wins; roots and origins are unioned), so a sync never turns it into a conflict.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field

PATH = ".aimem/project.toml"
# uuid5 namespace for ids derived from a fingerprint ("root:<sha>" or "name:<marker name>").
NAMESPACE = uuid.UUID("6f1d7c2e-4a8b-5e3f-9c1d-2b7a6e0f4d15")


@dataclass
class ProjectId:
    id: str
    name: str
    roots: list[str] = field(default_factory=list)  # root commits of the code, sorted
    origins: list[str] = field(default_factory=list)  # normalised origin URLs, sorted


def derived_id(roots: list[str], name_key: str = "") -> str:
    """The id a project gets: from its first root commit, else from its marker name, else new."""
    if roots:
        return str(uuid.uuid5(NAMESPACE, "root:" + min(roots)))
    if name_key:
        return str(uuid.uuid5(NAMESPACE, name_key))
    return str(uuid.uuid4())


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


def render(pid: ProjectId) -> bytes:
    def array(items: list[str]) -> str:
        return "[" + ", ".join(_quote(x) for x in sorted(set(items))) + "]"

    return (
        "# aimem project identity (docs/operations.md): keep the id; aimem adds the rest.\n"
        f"id = {_quote(pid.id)}\n"
        f"name = {_quote(pid.name)}\n"
        f"roots = {array(pid.roots)}\n"
        f"origins = {array(pid.origins)}\n"
    ).encode()


def parse(data: bytes | None) -> ProjectId | None:
    """The file's content, or ``None`` when it is missing or unreadable."""
    if not data:
        return None
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    pid = table.get("id")
    if not isinstance(pid, str) or not pid.strip():
        return None

    def strings(key: str) -> list[str]:
        value = table.get(key)
        return sorted({x for x in value if isinstance(x, str)}) if isinstance(value, list) else []

    name = table.get("name")
    return ProjectId(pid.strip(), name if isinstance(name, str) else "", strings("roots"),
                     strings("origins"))  # fmt: skip


def combine(a: ProjectId, b: ProjectId) -> ProjectId:
    """Both versions as one, the same whichever side is ``a``."""
    first, second = sorted((a, b), key=lambda p: (p.id, p.name))
    return ProjectId(
        first.id,
        first.name or second.name,
        sorted(set(a.roots) | set(b.roots)),
        sorted(set(a.origins) | set(b.origins)),
    )


def merge_file(base: bytes | None, ours: bytes | None, theirs: bytes | None) -> bytes | None:
    """The merged file for a sync: symmetric and never a conflict. A side that deleted it or
    holds junk counts as absent; ``base`` is not needed (every field only ever grows)."""
    a, b = parse(ours), parse(theirs)
    if a is None and b is None:
        return ours if ours is not None else theirs
    if a is None or b is None:
        return render(a or b)  # type: ignore[arg-type]
    return render(combine(a, b))
