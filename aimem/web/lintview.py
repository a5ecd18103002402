"""The lint summary on a project's home page, computed without writing anything.

``lint(..., read_only=True)`` runs every check without opening anything for writing; index
drift comes from the read-only connection the view already holds. The result depends only on
the wiki's HEAD, the handoff offer and the journals, so it is cached on that key: a
10,000-page project is linted once per commit, not once per request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from aimem.capture import state
from aimem.lifecycle import lint
from aimem.web.store import IndexState, ProjectRef, Site, count_where, head


@dataclass
class LintSummary:
    pages: int
    counts: dict[str, int]
    issues: list[lint.Issue] = field(default_factory=list)  # the first few, for the page
    proposed_rules: int = 0

    @property
    def errors(self) -> int:
        return sum(n for kind, n in self.counts.items() if kind in lint.ERRORS)

    @property
    def warnings(self) -> int:
        return sum(n for kind, n in self.counts.items() if kind not in lint.ERRORS)


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _check_pages(ref: ProjectRef, max_age_days: float) -> lint.LintReport:
    """lint's checks, read-only; index drift is left to the view's own connection (the index
    can catch up without the wiki's HEAD, this cache's key, moving)."""
    report = lint.lint(ref.paths, max_age_days, read_only=True)
    report.issues = [i for i in report.issues if i.kind != "index_drift"]
    return report


def summary(site: Site, ref: ProjectRef, index: IndexState, shown: int = 8) -> LintSummary:
    paths = ref.paths
    key = (
        "lint",
        ref.slug,
        head(paths),
        _mtime(state.handoff_path(paths.state)),
        _mtime(state.sessions_path(paths.state)),
        _mtime(paths.raw),
    )
    report = site.cache.get(key)
    if report is None:
        # Requests run in a thread pool: a snapshot of the keys, and pop (another thread may
        # have dropped the same old entry).
        for old in list(site.cache):
            if old[:2] == ("lint", ref.slug):
                site.cache.pop(old, None)
        report = _check_pages(ref, site.max_offer_age_days)
        site.cache[key] = report
    issues = list(report.issues)
    if index.conn is None:
        issues.append(lint.Issue("index_drift", "index.sqlite", index.problem))
    elif index.stale:
        issues.append(
            lint.Issue(
                "index_drift", "index.sqlite", "the index lags the wiki's HEAD: run `aimem reindex`"
            )
        )
    issues.sort(key=lambda i: (lint.KINDS.index(i.kind), i.path, i.detail))
    counts = {kind: 0 for kind in lint.KINDS}
    for issue in issues:
        counts[issue.kind] += 1
    proposed = 0
    if index.conn is not None:
        proposed = count_where(index.conn, "type = 'rule' AND status = 'proposed'")
    return LintSummary(report.pages, counts, issues[:shown], proposed)
