"""Merging two histories of a wiki in memory, and committing a merge or a fast-forward.

``merge_trees`` is a three-way merge by file class, never by lines, so it never writes a conflict
marker and never drops a page:

- ``index.md``: left out (the memory transaction regenerates it from the merged pages);
- ``log.md`` and the day files under ``log/``: the union of both sides' lines, by time stamp;
- ``.aimem/project.toml`` (the project's id): combined by ``wiki/projectid.py``;
- a page: front matter merged key by key (``tags``, ``sources``, ``supersedes`` unioned,
  ``updated`` the latest, ``created`` the earliest, ``pinned`` if either, a handoff's ``status``
  by rank offered < superseded < claimed < expired with one ``claimed_by``), the body three-way as
  a whole; a body edited on both sides is kept whole on both sides: the newer version at the path
  (with a note linking the other), the other as a sibling page ``<name>.conflict-<hash>.md``;
- a page deleted on one side and edited on the other is kept, edited; a page archived
  (moved under ``_archive/``) on one side and edited on the other stays live: the edit wins;
- any other file changed on both sides: the newer at the path, the other as a sibling.

Every choice depends on the two versions only, never on which side is "ours", so two machines
merging the same pair get the same tree. ``commit_merge`` and ``advance`` move the branch the way
``repo.commit_files`` does (journal, one ref update, work tree after), for a merge commit with two
parents and for a fast-forward; the caller (the memory transaction) holds the wiki lock.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pygit2

from aimem.wiki import projectid
from aimem.wiki import repo as wikirepo
from aimem.wiki.catalog import INDEX_FILE, LOG_FILE, LOG_HEADER, RECENT_LOG
from aimem.wiki.killpoint import killpoint
from aimem.wiki.pack import maybe_pack
from aimem.wiki.pages import ARCHIVE_DIR, LOG_DIR, Page, parse, render

CONFLICT_INFIX = ".conflict-"
CONFLICT_KEY = "conflicts"  # front matter of the page at the path: its sibling versions
CONFLICT_OF = "conflict_of"  # front matter of a sibling: the page it is a version of
UNION_KEYS = ("tags", "sources", "supersedes", CONFLICT_KEY)
HANDOFF_RANK = {"offered": 0, "superseded": 1, "claimed": 2, "expired": 3}
_MISSING = object()
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")


@dataclass(frozen=True)
class Conflict:
    path: str  # the page that stays at its path
    sibling: str  # the other version, beside it


@dataclass
class Merged:
    """What the merge changes on top of ``ours`` (path -> bytes, ``None`` deletes), the pages
    edited on both sides, and how many paths came from ``theirs``."""

    changes: dict[str, bytes | None] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    incoming: int = 0


Entry = tuple[pygit2.Oid, int]  # a file's blob id and mode


def diff_trees(
    repo: pygit2.Repository, old: pygit2.Tree | None, new: pygit2.Tree | None, prefix: str = ""
) -> dict[str, Entry | None]:
    """Every file path that differs between two trees -> its entry in ``new`` (``None``: gone).
    Subtrees with the same id are skipped, so the cost follows the change, not the wiki."""
    out: dict[str, Entry | None] = {}
    before = {e.name: e for e in old} if old is not None else {}
    after = {e.name: e for e in new} if new is not None else {}
    for name in before.keys() | after.keys():
        was, now = before.get(name), after.get(name)
        if (
            was is not None
            and now is not None
            and was.id == now.id
            and was.filemode == now.filemode
        ):
            continue
        path = prefix + name
        was_tree = was is not None and was.type_str == "tree"
        now_tree = now is not None and now.type_str == "tree"
        if was_tree or now_tree:
            out.update(
                diff_trees(
                    repo,
                    repo[was.id] if was_tree else None,
                    repo[now.id] if now_tree else None,
                    path + "/",
                )
            )
        if now is not None and not now_tree:
            out[path] = (now.id, now.filemode)
        elif was is not None and not was_tree:
            out.setdefault(path, None)
    return out


def entry_at(tree: pygit2.Tree | None, path: str) -> Entry | None:
    if tree is None:
        return None
    try:
        obj = tree[path]
    except KeyError:
        return None
    return None if obj.type_str == "tree" else (obj.id, obj.filemode)


def merge_trees(
    repo: pygit2.Repository,
    base: pygit2.Tree | None,
    ours: pygit2.Tree,
    theirs: pygit2.Tree,
    keep: Callable[[str], bool] = lambda path: True,
) -> Merged:
    """The three-way merge of ``theirs`` into ``ours`` (see the module docstring); only paths for
    which ``keep`` is true are taken from ``theirs``."""
    mine = diff_trees(repo, base, ours)
    other = {p: e for p, e in diff_trees(repo, base, theirs).items() if keep(p)}
    out = Merged()

    def data(entry: Entry | None) -> bytes | None:
        return None if entry is None else repo[entry[0]].data

    handled = _archived_while_edited(repo, base, mine, other, out)
    log_changed = False
    for path in sorted(other):
        if path in handled:
            continue
        theirs_entry = other[path]
        if path not in mine:
            out.changes[path] = data(theirs_entry)
            out.incoming += 1
            continue
        ours_entry = mine[path]
        if ours_entry == theirs_entry:
            continue
            continue
        if path == INDEX_FILE:
            continue
        if path == LOG_FILE:
            log_changed = True
            continue
        if theirs_entry is None:
            continue  # deleted there, edited here: the edit is kept
        if ours_entry is None:
            out.changes[path] = data(theirs_entry)  # deleted here, edited there: kept
            out.incoming += 1
            continue
        base_data = data(entry_at(base, path))
        mine_data, their_data = data(ours_entry), data(theirs_entry)
        if path.startswith(LOG_DIR):
            out.changes[path] = union_log(mine_data, their_data)
        elif path == projectid.PATH:  # the project's id: combined, never a conflict
            combined = projectid.merge_file(base_data, mine_data, their_data)
            if combined != mine_data:
                out.changes[path] = combined
        else:
            merged, sibling = merge_file(path, base_data, mine_data, their_data)
            if merged != mine_data:
                out.changes[path] = merged
            if sibling is not None:
                out.changes[sibling[0]] = sibling[1]
                out.conflicts.append(Conflict(path, sibling[0]))
        out.incoming += 1
    if log_changed or (LOG_FILE in other and LOG_FILE not in mine):
        recent = recent_log(data(entry_at(ours, LOG_FILE)), data(other.get(LOG_FILE)))
        if recent != data(entry_at(ours, LOG_FILE)):
            out.changes[LOG_FILE] = recent
    out.changes.pop(INDEX_FILE, None)
    _edit_beats_archive(base, ours, out)
    return out


def _archived_while_edited(
    repo: pygit2.Repository,
    base: pygit2.Tree | None,
    mine: dict[str, Entry | None],
    other: dict[str, Entry | None],
    out: Merged,
) -> set[str]:
    """Pages one side archived (moved under ``_archive/``) while the other edited them: the
    page stays live, its content the three-way merge of the archived version (the archiving
    side may have edited it first) and the edit. Returns the paths this settled."""
    handled: set[str] = set()
    for archiver, editor, ours_archived in ((mine, other, True), (other, mine, False)):
        for archived, entry in archiver.items():
            if not archived.startswith(ARCHIVE_DIR) or entry is None:
                continue
            live = archived[len(ARCHIVE_DIR) :]
            moved = live in archiver and archiver[live] is None
            if not moved or editor.get(live) is None or entry_at(base, archived) is not None:
                continue
            kept = _unarchived(repo[entry[0]].data, live)
            edited = repo[editor[live][0]].data
            base_data = _blob(repo, entry_at(base, live))
            if ours_archived:
                merged, sibling = merge_file(live, base_data, kept, edited)
            else:
                merged, sibling = merge_file(live, base_data, edited, kept)
            if ours_archived or merged != edited:
                out.changes[live] = merged
            if ours_archived:
                out.changes[archived] = None
            if sibling is not None:
                out.changes[sibling[0]] = sibling[1]
                out.conflicts.append(Conflict(live, sibling[0]))
            out.incoming += 1
            handled |= {live, archived}
    return handled


def _blob(repo: pygit2.Repository, entry: Entry | None) -> bytes | None:
    return None if entry is None else repo[entry[0]].data


def _unarchived(data: bytes, path: str) -> bytes:
    """An archived page's bytes as a live page: without the ``archived`` stamp the sweep
    added."""
    try:
        page = parse(data.decode("utf-8"), path)
    except UnicodeDecodeError:
        return data
    if "archived" not in page.meta:
        return data
    page.meta.pop("archived")
    return render(page).encode("utf-8")


def _edit_beats_archive(base: pygit2.Tree | None, ours: pygit2.Tree, out: Merged) -> None:
    """A page archived on one side while the other edited it stays live: the archived copy made
    in the meantime (not in ``base``) goes."""

    def present(path: str) -> bool:
        if path in out.changes:
            return out.changes[path] is not None
        return entry_at(ours, path) is not None

    candidates = {p for p in out.changes if p.startswith(ARCHIVE_DIR)}
    candidates |= {ARCHIVE_DIR + p for p in out.changes if not p.startswith(ARCHIVE_DIR)}
    for archived in sorted(candidates):
        live = archived[len(ARCHIVE_DIR) :]
        if present(archived) and present(live) and entry_at(base, archived) is None:
            out.changes[archived] = None


def merge_file(
    path: str, base: bytes | None, ours: bytes, theirs: bytes
) -> tuple[bytes, tuple[str, bytes] | None]:
    """The merged bytes at ``path``, and a sibling ``(path, bytes)`` when both sides changed the
    body (or, for a file that is not a page, the whole file) differently."""
    if not path.endswith(".md"):
        first, second = _order(ours, theirs)
        return first, (sibling_path(path, second), second)
    try:
        texts = [x.decode("utf-8") if x is not None else None for x in (base, ours, theirs)]
    except UnicodeDecodeError:
        first, second = _order(ours, theirs)
        return first, (sibling_path(path, second), second)
    base_page = parse(texts[0], path) if texts[0] is not None else None
    mine, other = parse(texts[1], path), parse(texts[2], path)
    first, second = _order(ours, theirs, _updated(mine), _updated(other))
    ours_first = first is ours
    meta = merge_meta(base_page.meta if base_page else {}, mine.meta, other.meta, ours_first)
    base_body = base_page.body if base_page else None
    primary, secondary = (mine, other) if ours_first else (other, mine)
    sibling = None
    if _same(mine.body, other.body) or _same(base_body, other.body):
        body = mine.body
    elif _same(base_body, mine.body):
        body = other.body
    else:
        sib = sibling_path(path, second)
        sib_meta = dict(secondary.meta)
        sib_meta[CONFLICT_OF] = path
        sibling = (sib, render(Page(sib, sib_meta, secondary.body)).encode("utf-8"))
        meta[CONFLICT_KEY] = _union(meta.get(CONFLICT_KEY), [sib])
        body = primary.body.rstrip("\n") + "\n\n" + conflict_note(sib) + "\n"
        if conflict_note(sib) in primary.body:
            body = primary.body
    for candidate, page in ((ours, mine), (theirs, other)):
        if page.meta == meta and page.body == body:
            return candidate, sibling
    return render(Page(path, meta, body)).encode("utf-8"), sibling


def conflict_note(sibling: str) -> str:
    return (
        f"> Sync conflict: this page was edited on two machines at once; the other version is "
        f"[[{sibling[:-3]}]]. Merge it into this page by hand, then delete that page."
    )


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.rstrip("\n") == b.rstrip("\n")


def _updated(page: Page) -> str:
    return str(page.meta.get("updated") or "")


def _order(a: bytes, b: bytes, a_updated: str = "", b_updated: str = "") -> tuple[bytes, bytes]:
    """``(primary, secondary)``: the version with the later ``updated`` first, then by content
    hash, so both machines choose the same one."""
    key_a = (a_updated, hashlib.sha1(a).hexdigest())
    key_b = (b_updated, hashlib.sha1(b).hexdigest())
    return (a, b) if key_a >= key_b else (b, a)


def sibling_path(path: str, data: bytes) -> str:
    """``decisions/x.md`` -> ``decisions/x.conflict-<8 hex of data>.md``: named by the
    version it holds, so the same conflict merged twice makes the same page."""
    stem, dot, ext = path.rpartition(".")
    if not dot or "/" in ext:
        stem, ext = path, ""
    short = hashlib.sha1(data).hexdigest()[:8]
    return f"{stem}{CONFLICT_INFIX}{short}" + (f".{ext}" if ext else "")


def merge_meta(base: dict, ours: dict, theirs: dict, ours_primary: bool) -> dict:
    """Front matter merged key by key (see the module docstring). Where both sides changed a
    key differently, the primary version's value wins."""
    primary, secondary = (ours, theirs) if ours_primary else (theirs, ours)
    out: dict = {}
    for key in [*primary, *(k for k in secondary if k not in primary)]:
        b, o, t = base.get(key, _MISSING), ours.get(key, _MISSING), theirs.get(key, _MISSING)
        p, s = (o, t) if ours_primary else (t, o)
        present = [v for v in (p, s) if v is not _MISSING]
        if key in UNION_KEYS and all(isinstance(v, list) for v in present):
            value: object = _union(*present)
        elif key == "updated" and present:
            value = max(present, key=str)
        elif key == "created" and present:
            value = min(present, key=str)
        elif key == "pinned":
            value = any(v is True for v in present)
        elif key == "status" and all(v in HANDOFF_RANK for v in present) and present:
            value = max(present, key=lambda v: HANDOFF_RANK[v])
        elif key == "claimed_by" and present:
            value = min(present, key=lambda v: json.dumps(v, sort_keys=True, default=str))
        elif o == t:
            value = o
        elif o == b:
            value = t
        elif t == b:
            value = o
        else:
            value = p if p is not _MISSING else s
        if value is not _MISSING:
            out[key] = value
    return out


def _union(*lists: object) -> list:
    out: list = []
    for items in lists:
        for item in items if isinstance(items, list) else []:
            if item not in out:
                out.append(item)
    return out


def _lines(data: bytes | None) -> tuple[str, list[str]]:
    """A log file's header (everything before the first entry) and its entry lines."""
    if not data:
        return "", []
    text = data.decode("utf-8", "replace")
    header, entries = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("- "):
            entries.append(line.rstrip("\n"))
        elif not entries:
            header.append(line)
    return "".join(header), entries


def _by_stamp(*sides: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for side in sides:
        for line in side:
            if line not in seen:
                seen.add(line)
                out.append(line)

    def stamp(line: str) -> str:
        found = _STAMP.match(line[2:])
        return found.group(1) if found else ""

    return sorted(out, key=lambda line: (stamp(line), line))


def union_log(ours: bytes | None, theirs: bytes | None) -> bytes:
    """A day file holding both sides' lines, oldest first."""
    header, mine = _lines(ours)
    other_header, other = _lines(theirs)
    lines = _by_stamp(mine, other)
    return ((header or other_header) + "".join(line + "\n" for line in lines)).encode("utf-8")


def recent_log(ours: bytes | None, theirs: bytes | None) -> bytes:
    """``log.md``: the newest ``RECENT_LOG`` lines of both sides."""
    lines = _by_stamp(_lines(ours)[1], _lines(theirs)[1])[-RECENT_LOG:]
    return (LOG_HEADER + "".join(line + "\n" for line in lines)).encode("utf-8")


# --- moving the branch: a merge commit, a fast-forward -------------------------------------


def commit_merge(
    repo: pygit2.Repository,
    changes: dict[str, bytes | None],
    message: str,
    parents: list[str],
    author: pygit2.Signature,
) -> str:
    """A commit of HEAD's tree plus ``changes`` with ``parents`` (HEAD first), made even when
    the tree is HEAD's: the other parent is what the merge records. The caller holds the lock."""
    for rel in changes:
        wikirepo.check_rel(rel)
    wikirepo.recover(repo)
    head = wikirepo.head_commit(repo)
    if head is None or parents[0] != head:
        raise ValueError("a merge commit's first parent must be HEAD")
    tree = wikirepo.build_tree(repo, repo[head].peel(pygit2.Commit).tree, changes)
    wikirepo.write_journal(repo, head)
    killpoint("merge.before-ref")
    commit = repo.create_commit("HEAD", author, author, message, tree, parents)
    killpoint("merge.after-ref")
    wikirepo.sync_worktree(repo, sorted(changes))
    wikirepo.clear_journal(repo)
    maybe_pack(repo)
    return str(commit)


def advance(repo: pygit2.Repository, target: str) -> list[str]:
    """Fast-forward the branch to ``target`` (a descendant of HEAD, or any commit when the wiki
    has none yet) and bring the work tree along; returns the paths that changed."""
    wikirepo.recover(repo)
    head = wikirepo.head_commit(repo)
    if head is not None and head != target and not repo.descendant_of(target, head):
        raise ValueError(f"{target[:10]} is not ahead of HEAD")
    # On a fresh wiki (no HEAD) every file of the target is new; the journal makes a kill
    # finish it.
    paths = [c.path for c in wikirepo.changed_paths(repo, head, target)]
    wikirepo.write_journal(repo, head)
    killpoint("merge.before-ref")
    branch = f"refs/heads/{wikirepo.BRANCH}" if head is None else repo.head.name
    repo.references.create(branch, target, force=True)
    if head is None:
        repo.set_head(branch)
    killpoint("merge.after-ref")
    wikirepo.sync_worktree(repo, paths)
    wikirepo.clear_journal(repo)
    maybe_pack(repo)
    return paths
