"""Each view of ``aimem web`` as a pure function: a route's parameters in, an HTML string out.

``Renderer`` holds what every view shares (the ``Site``, the jinja2 environment with
autoescaping, the markdown parser); each method reads memory read-only (``store``, ``history``)
and renders one template with links built by ``urls.Links`` relative to that view's route. The
live server calls these methods per request; ``aimem export --html`` calls the same methods with
``static=True`` to write files. A missing project, page or version raises ``NotFound``.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass, field

import jinja2
from markupsafe import Markup, escape

from aimem._hash import short_session_id
from aimem.index import fts
from aimem.index.graph import IndexResolver, backlinks
from aimem.index.query import query_terms
from aimem.lifecycle.lint import wiki_pages
from aimem.recall import section
from aimem.web import history, lintview, markdown, store, urls
from aimem.web.store import NotFound, ProjectRef, Site
from aimem.wiki.links import LinkResolver
from aimem.wiki.pages import PAGE_TYPES, SPECIAL_PAGES, PagePathError, parse, validate_page_path
from aimem.wiki.read import PageNotFound, read_text

SEARCH_LIMIT = 10  # as `aimem search`: the same query shows the same first results
SEARCH_MAX = 100
SESSIONS_SHOWN = 500
_HIT = re.compile(r"\*\*(.+?)\*\*")


def environment() -> jinja2.Environment:
    """The templates shipped in the package, autoescaped (a page's text is never markup)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("aimem.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["hits"] = highlight_snippet
    env.filters["day"] = lambda value: str(value or "")[:10]
    env.filters["when"] = lambda value: str(value or "").replace("T", " ")[:16]
    return env


def highlight_snippet(snippet: str) -> Markup:
    """A search snippet (hits marked ``**like this**``) as HTML with ``<mark>``; the text itself
    is escaped first, so only the marks are markup."""
    return Markup(_HIT.sub(r"<mark>\1</mark>", str(escape(snippet))))


def _meta_value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)


def _without_title(body: str, title: str) -> str:
    """The body without a first ``# Title`` line repeating the page's title (shown above)."""
    stripped = body.lstrip("\n")
    first, _, rest = stripped.partition("\n")
    return rest if first.strip() == f"# {title}".strip() else body


def _as_paths(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    out = []
    for item in items:
        try:
            out.append(validate_page_path(str(item)))
        except PagePathError:
            continue
    return out


@dataclass
class SearchResult:
    project: str
    path: str
    title: str
    type: str
    status: str
    score: float
    snippet: str
    relevance: float = 0.0  # score / best score, for the bar


@dataclass
class SearchOutcome:
    hits: list[SearchResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # projects whose index could not answer
    error: str = ""


class Renderer:
    """Renders views of ``site``; ``static`` builds links to files for the export."""

    def __init__(self, site: Site, static: bool = False) -> None:
        self.site = site
        self.static = static
        self.env = environment()
        self.md = markdown.parser()

    def _render(self, template: str, here: str, **context: object) -> str:
        links = urls.Links(here, static=self.static)
        return self.env.get_template(template).render(
            links=links, static=self.static, site=self.site, here=here, **context
        )

    # --- project list --------------------------------------------------------------------

    def projects(self) -> str:
        rows = []
        for ref in self.site.projects():
            rows.append(self._project_summary(ref))
        return self._render(
            "projects.html", urls.HOME, title="Projects", projects=rows, project=None
        )

    def _project_summary(self, ref: ProjectRef) -> dict:
        paths = ref.paths
        with store.open_index(paths) as index:
            counts = fts.type_counts(index.conn) if index.conn is not None else {}
            problem, stale = index.problem, index.stale
        repo = history.open_repo(paths.wiki)
        return {
            "ref": ref,
            "counts": [(t, counts.get(t, 0)) for t in PAGE_TYPES],
            "pages": sum(counts.values()),
            "sessions": store.session_count(paths),
            "last": history.last_activity(repo) if repo is not None else "",
            "offer": store.current_offer(paths, self.site.max_offer_age_days),
            "remotes": history.sync_state(repo) if repo is not None else [],
            "problem": problem,
            "stale": stale,
        }

    # --- project home --------------------------------------------------------------------

    def project_home(self, slug: str) -> str:
        ref = self.site.project(slug)
        paths = ref.paths
        offer = store.current_offer(paths, self.site.max_offer_age_days)
        handoff = None
        if offer is not None:
            handoff = self._handoff_card(ref, offer)
        repo = history.open_repo(paths.wiki)
        changes = history.recent_changes(repo) if repo is not None else []
        with store.open_index(paths) as index:
            conn = index.conn
            lint = lintview.summary(self.site, ref, index)
            ctx = {
                "index": index,
                "rules": store.rules(conn, accepted=True) if conn else [],
                "proposed": store.rules(conn, accepted=False) if conn else [],
                "pinned": store.pinned_pages(conn) if conn else [],
                "sessions": store.pages_of_type(conn, "session", 8) if conn else [],
                "knowledge": self._knowledge(conn),
                "tree": self._tree(conn) if conn else [],
                "total": fts.page_count(conn) if conn else 0,
            }
        return self._render(
            "home.html",
            urls.project_route(slug),
            title=ref.name,
            project=ref,
            offer=offer,
            handoff=handoff,
            changes=[(c, [(p, self._exists(ref, p)) for p in c.pages]) for c in changes],
            lint=lint,
            **ctx,
        )

    def _handoff_card(self, ref: ProjectRef, offer: store.Offer) -> dict:
        try:
            _rel, text = read_text(ref.paths.wiki, offer.path)
            body = parse(text, offer.path).body
        except (PagePathError, PageNotFound):
            return {"exists": False, "summary": "", "next": "", "questions": ""}
        return {
            "exists": True,
            "summary": section(body, "Summary"),
            "next": section(body, "Next steps"),
            "questions": section(body, "Open questions"),
        }

    @staticmethod
    def _knowledge(conn: sqlite3.Connection | None) -> list[store.Row]:
        if conn is None:
            return []
        return store._rows(  # noqa: SLF001 - same module family
            conn,
            "WHERE type IN ('decision', 'gotcha', 'concept') ORDER BY coalesce(updated, '') DESC"
            " LIMIT 10",
        )

    @staticmethod
    def _tree(conn: sqlite3.Connection) -> list[tuple[str, str, int, int]]:
        """``(folder, name, depth, count)`` in display order (a folder before its children)."""
        counts = store.folder_counts(conn)
        return [
            (
                folder,
                folder.rsplit("/", 1)[-1] or "(root)",
                folder.count("/") + (1 if folder else 0),
                n,
            )
            for folder, n in sorted(counts.items())
        ]

    @staticmethod
    def _exists(ref: ProjectRef, path: str) -> bool:
        return os.path.isfile(os.path.join(ref.paths.wiki, path))

    # --- folder ----------------------------------------------------------------------------

    def folder(self, slug: str, folder: str) -> str:
        ref = self.site.project(slug)
        folder = folder.strip("/")
        with store.open_index(ref.paths) as index:
            if index.conn is None:
                raise NotFound(f"no index to list folders from: {index.problem}")
            counts = store.folder_counts(index.conn)
            if folder not in counts:
                raise NotFound(f"no folder {folder!r} in {ref.name}")
            pages = store.folder_pages(index.conn, folder)
        prefix = folder + "/" if folder else ""
        subfolders = [
            (f, f[len(prefix) :], n)
            for f, n in sorted(counts.items())
            if f and f.startswith(prefix) and "/" not in f[len(prefix) :]
        ]
        return self._render(
            "folder.html",
            urls.folder_route(slug, folder),
            title=f"{folder or 'wiki'}/ · {ref.name}",
            project=ref,
            folder=folder,
            subfolders=subfolders,
            pages=pages,
        )

    # --- page ------------------------------------------------------------------------------

    def page(self, slug: str, path: str) -> str:
        ref = self.site.project(slug)
        wiki = ref.paths.wiki
        try:
            rel, text = read_text(wiki, path)
        except PagePathError as exc:
            raise NotFound(str(exc)) from None
        except PageNotFound as exc:
            raise NotFound(
                f"no page {exc.path!r} in {ref.name} (its history may still exist)"
            ) from None
        page = parse(text, rel)
        here = urls.page_route(slug, rel)
        links = urls.Links(here, static=self.static)
        with store.open_index(ref.paths) as index:
            conn = index.conn
            if conn is not None:
                special = [p for p in SPECIAL_PAGES if os.path.isfile(os.path.join(wiki, p))]
                resolver: IndexResolver | LinkResolver = IndexResolver(conn, special)
            else:
                resolver = LinkResolver(wiki_pages(wiki))

            def resolve(target: str) -> str | None:
                found = resolver.resolve(target)
                return links.page(slug, found) if found else None

            rendered = markdown.render(self.md, _without_title(page.body, page.title), resolve)
            linked_from = backlinks(conn, resolver, rel, 50) if conn is not None else []
            sources = self._sources(conn, page.meta.get("sources"))
            status = str(page.meta.get("status") or "")
            indexed_status = store.statuses(conn, [rel]).get(rel, "") if conn else ""
        meta_rows = [
            (k, shown)
            for k, v in page.meta.items()
            if k != "title" and (shown := _meta_value(v)) != ""
        ]
        successor = _as_paths(page.meta.get("superseded_by"))
        return self._render(
            "page.html",
            here,
            title=page.title,
            project=ref,
            page=page,
            path=rel,
            body=Markup(rendered.html),
            headings=[h for h in rendered.headings if h.level in (2, 3)],
            broken=[t for t, ok in rendered.wikilinks if not ok],
            meta_rows=meta_rows,
            status=status or indexed_status,
            successor=[(p, self._exists(ref, p)) for p in successor],
            supersedes=[(p, self._exists(ref, p)) for p in _as_paths(page.meta.get("supersedes"))],
            contradicts=[
                (p, self._exists(ref, p)) for p in _as_paths(page.meta.get("contradicts"))
            ],
            backlinks=linked_from,
            sources=sources,
            index=index,
        )

    @staticmethod
    def _sources(conn: sqlite3.Connection | None, value: object) -> list[tuple[str, str | None]]:
        """Each source session id with the path of its session page when the index has one."""
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        out: list[tuple[str, str | None]] = []
        for item in items[:50]:
            session = str(item)
            found = None
            if conn is not None:
                short = short_session_id(session)
                row = conn.execute(
                    "SELECT path FROM pages WHERE type = 'session' AND path LIKE ? LIMIT 1",
                    (f"%-{short}.md",),
                ).fetchone()
                found = row[0] if row else None
            out.append((session, found))
        return out

    # --- history ---------------------------------------------------------------------------

    def history(self, slug: str, path: str, old: str = "", new: str = "") -> str:
        """The commits that changed the page; with ``old`` and ``new`` (commit ids), the
        difference between those two versions below the list."""
        ref, repo, rel = self._page_repo(slug, path)
        versions = history.page_history(repo, rel)
        if not versions:
            raise NotFound(f"no commit ever touched {rel!r} in {ref.name}")
        diff = self._diff(repo, rel, old, new) if old or new else None
        return self._render(
            "history.html",
            urls.history_route(slug, rel),
            title=f"History · {rel}",
            project=ref,
            path=rel,
            exists=self._exists(ref, rel),
            versions=versions,
            diff=diff,
            old=old,
            new=new,
        )

    def diff(self, slug: str, path: str, old: str, new: str) -> str:
        ref, repo, rel = self._page_repo(slug, path)
        diff = self._diff(repo, rel, old, new)
        return self._render(
            "history.html",
            urls.diff_route(slug, rel, old, new),
            title=f"Diff · {rel}",
            project=ref,
            path=rel,
            exists=self._exists(ref, rel),
            versions=[],
            diff=diff,
            old=old,
            new=new,
        )

    def _page_repo(self, slug: str, path: str):  # noqa: ANN202 - (ProjectRef, Repository, str)
        ref = self.site.project(slug)
        try:
            rel = validate_page_path(path)
        except PagePathError as exc:
            raise NotFound(str(exc)) from None
        repo = history.open_repo(ref.paths.wiki)
        if repo is None:
            raise NotFound(f"{ref.name} has no wiki repository yet")
        return ref, repo, rel

    @staticmethod
    def _diff(repo, rel: str, old: str, new: str) -> dict:  # noqa: ANN001 - a pygit2.Repository
        a, b = history.resolve(repo, old), history.resolve(repo, new)
        if a is None or b is None:
            raise NotFound("a version to compare is not a commit of this wiki")
        before, after = history.text_at(repo, a, rel), history.text_at(repo, b, rel)
        return {
            "old": history.version_of(a),
            "new": history.version_of(b),
            "lines": history.diff(before, after),
            "missing_old": before is None,
            "missing_new": after is None,
        }

    # --- sessions --------------------------------------------------------------------------

    def sessions(self, slug: str, agent: str = "") -> str:
        ref = self.site.project(slug)
        if agent and agent not in store.SESSION_AGENTS:
            raise NotFound(f"unknown agent {agent!r}")
        days: dict[str, list[tuple[store.Row, str]]] = {}
        handoffs: list[store.Row] = []
        with store.open_index(ref.paths) as index:
            if index.conn is not None:
                for row in store.pages_of_type(index.conn, "session", SESSIONS_SHOWN, agent):
                    days.setdefault(row.updated[:10] or "undated", []).append(
                        (row, store.session_agent(row.path))
                    )
                handoffs = store.pages_of_type(index.conn, "handoff", 100)
        return self._render(
            "sessions.html",
            urls.sessions_route(slug),
            title=f"Sessions · {ref.name}",
            project=ref,
            days=list(days.items()),
            handoffs=handoffs,
            agent=agent,
            agents=store.SESSION_AGENTS,
            index=index,
            offer=store.current_offer(ref.paths, self.site.max_offer_age_days),
        )

    # --- search ----------------------------------------------------------------------------

    def search(
        self,
        q: str = "",
        type: str = "",
        status: str = "",
        project: str = "",
        limit: int = SEARCH_LIMIT,
    ) -> str:
        refs = self.site.projects()
        chosen = [r for r in refs if r.slug == project] if project else refs
        if project and not chosen:
            raise NotFound(f"no project {project!r} here")
        limit = max(1, min(SEARCH_MAX, int(limit)))
        outcome = SearchOutcome()
        if type and type not in PAGE_TYPES:
            outcome.error = f"unknown page type {type!r}"
        elif q.strip() and not query_terms(q):
            outcome.error = "the query has no words to search for"
        elif q.strip():
            outcome = search(chosen, q, type or None, status, limit)
        statuses: set[str] = set()
        for ref in chosen:
            with store.open_index(ref.paths) as index:
                if index.conn is not None:
                    statuses.update(store.all_statuses(index.conn))
        return self._render(
            "search.html",
            urls.SEARCH,
            title=f"Search · {q}" if q else "Search",
            project=chosen[0] if project and chosen else None,
            projects=refs,
            q=q,
            type=type,
            status=status,
            selected=project,
            limit=limit,
            more=limit < SEARCH_MAX and len(outcome.hits) >= limit,
            outcome=outcome,
            types=PAGE_TYPES,
            statuses=sorted(statuses),
        )

    # --- errors ----------------------------------------------------------------------------

    def error(self, here: str, status: int, message: str) -> str:
        return self._render(
            "error.html", here, title=f"{status}", project=None, status=status, message=message
        )


def search(
    refs: list[ProjectRef], q: str, type: str | None, status: str, limit: int
) -> SearchOutcome:
    """``fts.search`` on each project's index (read-only), as ``aimem search`` ranks it: one
    project gives its order as is; several are merged by score like ``aimem search --all``. A
    status filter asks for more hits and keeps the matching ones in their order."""
    outcome = SearchOutcome()
    want = SEARCH_MAX if status else limit
    hits: list[SearchResult] = []
    for ref in refs:
        with store.open_index(ref.paths) as index:
            if index.conn is None:
                outcome.notes.append(f"{ref.name}: {index.problem}")
                continue
            if index.stale:
                outcome.notes.append(f"{ref.name}: the index lags the wiki (run `aimem reindex`)")
            found = fts.search(index.conn, q, type=type, limit=want, project=ref.slug)
            marks = store.statuses(index.conn, [h.path for h in found])
        for hit in found:
            page_status = marks.get(hit.path, "")
            if status and page_status != status:
                continue
            hits.append(
                SearchResult(
                    hit.project, hit.path, hit.title, hit.type, page_status, hit.score, hit.snippet
                )
            )
    if len(refs) > 1:
        hits.sort(key=lambda h: (-h.score, h.project, h.path))
    hits = hits[:limit]
    best = max((h.score for h in hits), default=0.0)
    for hit in hits:
        hit.relevance = hit.score / best if best > 0 else 0.0
    outcome.hits = hits
    return outcome
