"""``aimem lint`` / ``memory_lint``: what is wrong or drifting in a project's memory.

Read-only: it reports and never repairs, so it is safe to run from a timer, a CI job or an agent.
Checks (each issue has a ``kind``; errors are things that are broken, warnings things to look at):

- ``missing_front_matter`` (error): a page without front matter, or without a ``title`` or a
  valid ``type``; it is still searchable, but it sorts and ranks badly.
- ``broken_link`` (error): a ``[[wikilink]]`` that resolves to no page.
- ``orphan_page`` (warning): a rule, decision, gotcha or concept no other page links to (the
  generated ``index.md`` does not count). Session logs and handoffs are reached by date, not by
  links, so they are not checked.
- ``stale_offer`` (warning): the current handoff offer is past its age, or a handoff page still
  says ``offered`` although another handoff is the current one.
- ``index_drift`` (error): ``index.sqlite`` does not reflect the wiki's HEAD commit.
- ``unconsolidated_journal`` (warning): a journal segment whose session ended (or went silent) and
  was never consolidated, or grew since it was.
- ``proposed_rule`` (warning): a rule the LLM step proposed that no person has accepted or
  rejected yet (``aimem rules accept|reject PATH``); it reaches no agent until accepted.
- ``contradiction`` (warning): two pages the LLM step marked as contradicting each other, neither
  superseded, rejected or archived: a person decides which one holds.

Pages are read from the work tree (what people edit and what ``memory_read`` returns).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from aimem.capture import state
from aimem.project import ProjectPaths
from aimem.wiki.links import LinkResolver, link_targets
from aimem.wiki.pages import ARCHIVE_DIR, LOG_DIR, PAGE_TYPES, SPECIAL_PAGES, Page, parse

KINDS = (
    "missing_front_matter",
    "broken_link",
    "orphan_page",
    "stale_offer",
    "index_drift",
    "unconsolidated_journal",
    "proposed_rule",
    "contradiction",
)
ERRORS = {"missing_front_matter", "broken_link", "index_drift"}
ORPHAN_TYPES = ("rule", "decision", "gotcha", "concept")


@dataclass
class Issue:
    kind: str
    path: str
    detail: str

    @property
    def severity(self) -> str:
        return "error" if self.kind in ERRORS else "warning"

    def as_dict(self) -> dict:
        return {**asdict(self), "severity": self.severity}


@dataclass
class LintReport:
    pages: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.issues) - self.errors

    def counts(self) -> dict[str, int]:
        out = {kind: 0 for kind in KINDS}
        for issue in self.issues:
            out[issue.kind] += 1
        return out


def generated(rel: str) -> bool:
    """``index.md``, ``log.md`` and the log's day files: aimem writes them, they are not memories
    (no front matter to check, no links that count; a page may still link to them)."""
    return rel in SPECIAL_PAGES or rel.startswith(LOG_DIR)


def wiki_pages(wiki_dir: str) -> list[str]:
    """Every ``.md`` file in the work tree, wiki-relative, hidden folders (``.git``) skipped."""
    out: list[str] = []
    for top, dirs, files in os.walk(wiki_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_top = os.path.relpath(top, wiki_dir)
        for name in sorted(files):
            if name.endswith(".md") and not name.startswith("."):
                rel = name if rel_top == "." else f"{rel_top}/{name}".replace(os.sep, "/")
                out.append(rel)
    return out


def _read(wiki_dir: str, rel: str) -> tuple[str, Page]:
    with open(os.path.join(wiki_dir, rel), encoding="utf-8-sig", errors="replace") as fh:
        text = fh.read()
    return text, parse(text, rel)


def _front_matter_problem(text: str, page: Page) -> str | None:
    if not text.startswith("---"):
        return "no front matter"
    if not page.meta:
        return "front matter is empty or not valid YAML"
    missing = [k for k in ("title", "type") if not page.meta.get(k)]
    if missing:
        return "front matter lacks " + " and ".join(missing)
    kind = page.meta.get("type")
    if kind not in PAGE_TYPES:
        return f"type {kind!r} is not one of {', '.join(PAGE_TYPES)}"
    return None


def lint(
    paths: ProjectPaths,
    max_offer_age_days: float = 7.0,
    now: float | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    read_only: bool = False,
) -> LintReport:
    """Every check above on one project; issues sorted by kind, then path. ``progress(done,
    total)`` is called as pages are read (the long part on a big wiki), for a progress bar.
    ``read_only`` opens the index read-only and never rebuilds a damaged one (the web view
    promises not to change a byte of the data root)."""
    now = time.time() if now is None else now
    report = LintReport()
    issues = report.issues
    pages: dict[str, Page] = {}
    if os.path.isdir(paths.wiki):
        found = wiki_pages(paths.wiki)
        for done, rel in enumerate(found):
            if progress is not None and done % 50 == 0:
                progress(done, len(found))
            try:
                text, page = _read(paths.wiki, rel)
            except OSError as exc:
                issues.append(Issue("missing_front_matter", rel, f"unreadable: {exc}"))
                continue
            pages[rel] = page
            if generated(rel):
                continue
            problem = _front_matter_problem(text, page)
            if problem:
                issues.append(Issue("missing_front_matter", rel, problem))
        if progress is not None:
            progress(len(found), len(found))
    report.pages = sum(1 for p in pages if not generated(p))
    issues += _link_issues(pages)
    issues += _offer_issues(paths, pages, max_offer_age_days, now)
    issues += _index_issues(paths, read_only)
    issues += _journal_issues(paths, now)
    issues += _review_issues(paths)
    issues.sort(key=lambda i: (KINDS.index(i.kind), i.path, i.detail))
    return report


def _link_issues(pages: dict[str, Page]) -> list[Issue]:
    resolver = LinkResolver(pages)
    linked: set[str] = set()
    issues: list[Issue] = []
    for rel, page in pages.items():
        if generated(rel):
            continue  # the catalogue is regenerated from the index; it proves no real link
        for target in link_targets(page.body):
            resolved = resolver.resolve(target)
            if resolved is None:
                issues.append(Issue("broken_link", rel, f"[[{target}]] matches no page"))
            elif resolved != rel:
                linked.add(resolved)
    for rel, page in pages.items():
        if generated(rel) or rel.startswith(ARCHIVE_DIR) or rel in linked:
            continue
        if page.type in ORPHAN_TYPES:
            issues.append(Issue("orphan_page", rel, "no other page links here"))
    return issues


def _offer_issues(
    paths: ProjectPaths, pages: dict[str, Page], max_age_days: float, now: float
) -> list[Issue]:
    issues: list[Issue] = []
    offer = state.read_json(state.handoff_path(paths.state))
    current = offer.get("path") if isinstance(offer.get("path"), str) else None
    if offer.get("status") == state.OFFERED:
        created = offer.get("created_ts")
        if isinstance(created, (int, float)) and now - created > max_age_days * 86400:
            days = (now - created) / 86400
            issues.append(
                Issue(
                    "stale_offer",
                    current or "state/handoff.json",
                    f"offered {days:.1f} days ago (limit {max_age_days:g}); it expires at the "
                    "next SessionStart",
                )
            )
    for rel, page in pages.items():
        if page.type == "handoff" and page.meta.get("status") == state.OFFERED and rel != current:
            where = f"the current handoff is {current}" if current else "no handoff is current"
            issues.append(Issue("stale_offer", rel, f"page still says offered, but {where}"))
    return issues


def _index_issues(paths: ProjectPaths, read_only: bool = False) -> list[Issue]:
    from aimem.index.sync import index_status

    if not os.path.isdir(os.path.join(paths.wiki, ".git")):
        return []
    info = index_status(paths.index, paths.wiki, read_only=read_only)
    if info["head"] is None or info["up_to_date"]:
        return []
    if not os.path.exists(paths.index):
        detail = f"no index for wiki HEAD {info['head'][:10]}: run `aimem reindex`"
    else:
        last = (info["last_commit"] or "nothing")[:10]
        detail = f"index reflects {last}, wiki HEAD is {info['head'][:10]}: run `aimem reindex`"
    return [Issue("index_drift", "index.sqlite", detail)]


def _review_issues(paths: ProjectPaths) -> list[Issue]:
    from aimem.compile.review import pending_review

    if not os.path.isdir(os.path.join(paths.wiki, ".git")):
        return []
    review = pending_review(paths)
    issues = [
        Issue(
            "proposed_rule",
            rule.path,
            f"proposed by {rule.origin or 'automation'}: accept or reject it with "
            f"`aimem rules accept|reject {rule.path}`",
        )
        for rule in review.proposed_rules
    ]
    issues += [
        Issue(
            "contradiction",
            c.path,
            f"contradicts {c.other}: decide which holds, then supersede or edit the other",
        )
        for c in review.contradictions
    ]
    return issues


def _journal_issues(paths: ProjectPaths, now: float) -> list[Issue]:
    from aimem.consolidate.run import pending_sessions

    known = state.sessions(paths.state, archived=True)
    issues = []
    for session in pending_sessions(paths, now):
        entry = known.get(session, {})
        if entry.get("consolidated_ts"):
            detail = "grew since it was consolidated"
        elif entry.get("status") == "failed":
            detail = f"consolidation failed: {entry.get('error', '?')}"
        else:
            detail = f"never consolidated (session {entry.get('status', 'unknown')})"
        detail += ": run `aimem consolidate` or memory_consolidate"
        issues.append(Issue("unconsolidated_journal", f"raw/{session}.jsonl", detail))
    return issues
