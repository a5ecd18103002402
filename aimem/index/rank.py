"""How search orders its hits: BM25 × page-type boost × retention, in one SQL expression.

Relevance is BM25 over the title, tags, body and identifier columns (weighted title > tags >
identifiers > body), times a boost for the page type (durable knowledge above raw session logs,
DESIGN.md section 6), times a factor from the page's retention (DESIGN.md section 7: salience
decaying with age, reinforced by reads), halved for a superseded page. The whole product is
computed by SQLite for every matching page, so the order is exact, and nothing but the final
``LIMIT`` rows reaches Python. What does not change with time (type boost, supersession) is
stored per page at index time (``page_weight``).
"""

from __future__ import annotations

import datetime as _dt
import math
import sqlite3

TYPE_BOOST = {
    "rule": 1.5,
    "decision": 1.4,
    "gotcha": 1.4,
    "concept": 1.2,
    "handoff": 1.0,
    "session": 0.8,
}
COLUMN_WEIGHTS = (10.0, 5.0, 1.0, 2.0)  # title, tags, body, idents
DEFAULT_SALIENCE = 0.5
# Retention maps onto a bounded multiplier so that a strong text match on an old page still beats
# a weak one on a fresh page: factor = RETENTION_FLOOR + RETENTION_SPAN * min(1, retention); a
# new page at the default salience scores exactly 1.0, a pinned page as if its retention were 1.
RETENTION_FLOOR = 0.75
RETENTION_SPAN = 0.5
SUPERSEDED_FACTOR = 0.5  # a replaced decision stays findable, below what replaced it
DECAY_PER_DAY = 0.02
READ_WEIGHT = 0.6
READ_DECAY_PER_DAY = 0.04
NEVER_READ_DAYS = 365.0  # a page with hits but no recorded access counts them as a year old
DAY = 86400.0


def retention(
    salience: float | None,
    updated: str | None,
    hits: int,
    last_access: float | None,
    now: float,
) -> float:
    """``salience·e^(−0.02·age_days) + 0.6·ln(1 + hits)·e^(−0.04·days_since_access)``.

    The reference for ``RETENTION_SQL`` (which must give the same number; a test holds them
    together) and for the lifecycle's decay sweep."""
    sal = DEFAULT_SALIENCE if salience is None else float(salience)
    day = day_of(updated)
    age = 0.0 if day is None else max(0.0, now / DAY - day)
    value = sal * math.exp(-DECAY_PER_DAY * age)
    if hits:
        since = max(0.0, (now - last_access) / DAY) if last_access else NEVER_READ_DAYS
        value += READ_WEIGHT * math.log1p(hits) * math.exp(-READ_DECAY_PER_DAY * since)
    return value


def day_of(when: str | None) -> float | None:
    """An ISO date or time as days since 1970 (UTC when no zone is given); ``None`` if it is
    missing or does not parse. Stored per page so SQL can age it without parsing dates."""
    if not when:
        return None
    try:
        stamp = _dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=_dt.UTC)
    return stamp.timestamp() / DAY


def page_weight(kind: str, status: str | None) -> float:
    """The part of a page's rank that does not change with time: its type's boost, halved for a
    superseded page. Stored in ``pages.weight`` when the page is indexed, so the ranking query
    multiplies by a column instead of evaluating two ``CASE`` expressions for every match."""
    boost = TYPE_BOOST.get(kind, 1.0)
    if status is not None and status.strip().lower() == "superseded":
        boost *= SUPERSEDED_FACTOR
    return boost


# The index stores ``page_weight``; an index built with other weights is rebuilt (fts.connect).
WEIGHTS_KEY = repr((sorted(TYPE_BOOST.items()), SUPERSEDED_FACTOR))

# Parameters: :today (days since 1970) and :now (seconds), both from the same instant.
RETENTION_SQL = (
    f"coalesce(p.salience, {DEFAULT_SALIENCE!r})"
    f" * exp(-{DECAY_PER_DAY!r} * max(0.0, :today - coalesce(p.updated_day, :today)))"
    f" + CASE WHEN p.hits > 0 THEN {READ_WEIGHT!r} * ln(1.0 + p.hits) * exp(-{READ_DECAY_PER_DAY!r}"
    f" * CASE WHEN coalesce(p.last_access, 0) = 0 THEN {NEVER_READ_DAYS!r}"
    f" ELSE max(0.0, (:now - p.last_access) / {DAY!r}) END) ELSE 0.0 END"
)
FACTOR_SQL = (
    f"({RETENTION_FLOOR!r} + {RETENTION_SPAN!r}"
    f" * CASE WHEN p.pinned THEN 1.0 ELSE min(1.0, {RETENTION_SQL}) END)"
)
_RELEVANCE = {
    "fts5": f"-bm25(pages_fts, {', '.join(map(repr, COLUMN_WEIGHTS))})",
    # sqlite-fts4's Okapi BM25 over matchinfo (no column weights: titles and tags count as text).
    "fts4": "-coalesce(rank_bm25(matchinfo(pages_fts, 'pcnalx')), 0)",
}


def _ranking_sql(backend: str, by_type: bool) -> str:
    # CROSS JOIN keeps pages_fts as the outer loop: the full-text match drives the query even
    # when a type filter could tempt the planner into scanning ``pages`` by type.
    return (
        "SELECT p.id, p.path, p.title, p.type,"
        f" {_RELEVANCE[backend]} * p.weight * {FACTOR_SQL} AS score"
        " FROM pages_fts CROSS JOIN pages AS p ON p.id = pages_fts.rowid"
        " WHERE pages_fts MATCH :q" + (" AND p.type = :type" if by_type else "") + ""
        " ORDER BY score DESC, p.path LIMIT :limit"
    )


# Built once: search asks for one of these on every query.
_RANKING = {(b, t): _ranking_sql(b, t) for b in _RELEVANCE for t in (False, True)}


def ranking_sql(backend: str = "fts5", by_type: bool = False) -> str:
    """The best ``:limit`` pages matching ``:q`` (and of type ``:type`` if ``by_type``):
    ``id, path, title, type, score``, best first, ties by path so results are stable."""
    return _RANKING[backend, by_type]


def ensure_math(conn: sqlite3.Connection) -> None:
    """Give ``conn`` SQL ``exp()`` and ``ln()`` where this SQLite was built without its math
    functions (they are optional at compile time)."""
    try:
        conn.execute("SELECT exp(0.0), ln(1.0)").fetchone()
    except sqlite3.OperationalError:
        register_math(conn)


def register_math(conn: sqlite3.Connection) -> None:
    conn.create_function("exp", 1, math.exp, deterministic=True)
    conn.create_function("ln", 1, math.log, deterministic=True)
