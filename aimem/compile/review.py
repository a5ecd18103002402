"""What automation left for a person to review: proposed rules and open contradictions.

For ``aimem lint`` (issue 12, part 2 item 8): a ``contradict`` action marks both pages with
``contradicts:``; the pair stays listed until one of them is superseded, archived or loses the mark.
"""

from __future__ import annotations

from dataclasses import dataclass

from aimem.compile.rules import RuleEntry, list_rules
from aimem.project import ProjectPaths

KNOWLEDGE_DIRS = ("decisions", "gotchas", "concepts", "_rules")
CLOSED = ("superseded", "rejected", "archived")


@dataclass(frozen=True)
class Contradiction:
    path: str
    other: str  # the page it contradicts
    title: str


@dataclass(frozen=True)
class Review:
    proposed_rules: list[RuleEntry]
    contradictions: list[Contradiction]

    @property
    def empty(self) -> bool:
        return not self.proposed_rules and not self.contradictions


def pending_review(paths: ProjectPaths) -> Review:
    """Proposed rules, and each open contradiction once (``path`` < ``other``)."""
    import pygit2

    from aimem.wiki import repo as wikirepo
    from aimem.wiki.pages import parse

    proposed = list_rules(paths, "proposed")
    try:
        repo = wikirepo.open_repo(paths.wiki, create=False)
    except FileNotFoundError:
        return Review(proposed, [])
    head = wikirepo.head_commit(repo)
    if head is None:
        return Review(proposed, [])
    root = repo[head].peel(pygit2.Commit).tree
    pages = {}
    for folder in KNOWLEDGE_DIRS:
        if folder not in root:
            continue
        for rel, blob in wikirepo.iter_tree(repo, repo[root[folder].id], folder + "/"):
            if rel.endswith(".md"):
                data = wikirepo.read_blob(repo, str(blob)) or b""
                pages[rel] = parse(data.decode("utf-8", "replace"), rel)
    found: dict[tuple[str, str], Contradiction] = {}
    for rel, page in pages.items():
        others = page.meta.get("contradicts")
        if not isinstance(others, list) or str(page.meta.get("status")) in CLOSED:
            continue
        for other in others:
            if not isinstance(other, str) or other not in pages:
                continue
            if str(pages[other].meta.get("status")) in CLOSED:
                continue
            a, b = sorted((rel, other))
            found.setdefault((a, b), Contradiction(a, b, pages[a].title))
    return Review(proposed, [found[k] for k in sorted(found)])
