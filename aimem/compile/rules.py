"""Proposed rules and the person who decides: list, accept, reject (``aimem rules ...``).

A rule the LLM drew from a session lands in ``_rules/`` with ``status: proposed`` and reaches no
agent until a person accepts it. Accepting sets ``status: accepted`` (with ``accepted`` time and
``author: human``, so automation never changes it again); rejecting sets ``status: rejected``
and keeps the page, so the same proposal is visible as already refused and git keeps the record.
Each decision is one commit through the write transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aimem.project import ProjectPaths
from aimem.wiki.pages import TYPE_DIRS, parse, validate_page_path

RULES_DIR = TYPE_DIRS["rule"] + "/"
STATUSES = ("proposed", "accepted", "rejected")


class RuleError(ValueError):
    """The rule cannot be decided as asked (no such rule, not proposed...)."""


@dataclass(frozen=True)
class RuleEntry:
    path: str
    title: str
    status: str  # proposed | accepted | rejected | active (a rule written before proposals)
    origin: str  # llm | human | ""
    created: str


def list_rules(paths: ProjectPaths, status: str | None = None) -> list[RuleEntry]:
    """The rules at the wiki's HEAD, proposed first, then by path."""
    from aimem.wiki import repo as wikirepo

    try:
        repo = wikirepo.open_repo(paths.wiki, create=False)
    except FileNotFoundError:
        return []
    import pygit2

    head = wikirepo.head_commit(repo)
    root = repo[head].peel(pygit2.Commit).tree if head is not None else None
    if root is None or "_rules" not in root:
        return []
    tree = repo[root["_rules"].id]
    out = []
    for rel, blob in wikirepo.iter_tree(repo, tree, RULES_DIR):
        if not rel.endswith(".md"):
            continue
        page = parse((wikirepo.read_blob(repo, str(blob)) or b"").decode("utf-8", "replace"), rel)
        entry = RuleEntry(
            rel,
            page.title,
            str(page.meta.get("status") or "active"),
            str(page.meta.get("origin") or ""),
            str(page.meta.get("created") or ""),
        )
        if status is None or entry.status == status:
            out.append(entry)
    return sorted(out, key=lambda e: (e.status != "proposed", e.path))


def decide(
    paths: ProjectPaths, project_name: str, path: str, verdict: str, now: float | None = None
) -> str | None:
    """Accept (``verdict="accepted"``) or reject (``"rejected"``) the proposed rule at ``path``;
    returns the commit. Raises ``RuleError`` and ``PagePathError``."""
    from aimem.memory.transaction import transaction

    if verdict not in ("accepted", "rejected"):
        raise RuleError(f"verdict must be accepted or rejected, not {verdict!r}")
    rel = validate_page_path(path)
    if not rel.startswith(RULES_DIR):
        raise RuleError(f"{rel} is not a rule (rules live under {RULES_DIR})")
    now = time.time() if now is None else now
    with transaction(paths, project_name, "rules", now=now, create=False) as txn:
        page = txn.read_page(rel)
        if page is None:
            raise RuleError(f"no rule at {rel}")
        current = str(page.meta.get("status") or "active")
        if current != "proposed":
            raise RuleError(f"{rel} is {current}, not proposed")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        page.meta.update(status=verdict, updated=stamp)
        if verdict == "accepted":
            page.meta.update(accepted=stamp, author="human")
        txn.write(page)
        txn.log(f"rules {verdict[:-2]} {rel}")
        return txn.commit(f"rules: {verdict[:-2]} {rel}\n").commit
