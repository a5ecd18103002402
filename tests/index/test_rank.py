"""The ranking formula: the SQL retention factor equals the Python reference, exactly ordered."""

from __future__ import annotations

import time

import pytest

from aimem.index import fts, rank

DAY = 86400


@pytest.fixture
def conn(tmp_path):
    connection = fts.connect(str(tmp_path / "index.sqlite"))
    yield connection
    connection.close()


def add(conn, path, body="shared words here", kind="concept", **extra):
    fts.upsert(conn, fts.IndexedPage(path=path, title="Page", type=kind, body=body, **extra))


def test_retention_formula():
    now = 1_000_000_000.0
    assert rank.retention(0.5, None, 0, None, now) == pytest.approx(0.5)
    updated = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 10 * DAY))
    assert rank.retention(1.0, updated, 0, None, now) == pytest.approx(0.8187, 1e-3)
    assert rank.retention(0.0, None, 3, now - 5 * DAY, now) == pytest.approx(
        0.6 * 1.3862944 * 0.8187308, 1e-4
    )
    assert rank.retention(0.5, "not a date", 0, None, now) == pytest.approx(0.5)


def test_day_of():
    assert rank.day_of("1970-01-02") == 1.0
    assert rank.day_of("1970-01-01T12:00:00Z") == 0.5
    assert rank.day_of("1970-01-01T12:00:00+12:00") == 0.0
    assert rank.day_of(None) is None and rank.day_of("") is None and rank.day_of("soon") is None


CASES = [  # salience, updated, hits, last_access (days before now), pinned, status
    (0.5, None, 0, None, False, None),
    (0.9, "2026-01-01", 0, None, False, None),
    (0.2, "2026-11-20T08:00:00Z", 0, None, False, "active"),
    (0.4, "2025-03-01", 12, 2, False, None),
    (0.4, "2025-03-01", 5, None, False, None),
    (1.0, "2020-01-01", 0, None, True, None),
    (0.7, "2026-10-01", 1, 40, False, "superseded"),
    (0.7, "2031-01-01", 0, None, False, "Superseded"),  # from the future: no negative age
    (3.0, "2026-11-01", 50, 0, False, None),  # far above 1: capped
]


@pytest.mark.parametrize("python_math", [False, True])
def test_sql_factor_equals_the_python_reference(conn, python_math):
    if python_math:  # as on a SQLite built without its math functions
        rank.register_math(conn)
    now = 1_795_000_000.0
    for i, (salience, updated, hits, since, pinned, status) in enumerate(CASES):
        add(
            conn,
            f"concepts/p{i}.md",
            salience=salience,
            updated=updated,
            pinned=pinned,
            status=status,
        )
        conn.execute(
            "UPDATE pages SET hits = ?, last_access = ? WHERE path = ?",
            (hits, None if since is None else now - since * DAY, f"concepts/p{i}.md"),
        )
    got = dict(
        conn.execute(
            f"SELECT path, p.weight * {rank.FACTOR_SQL} FROM pages AS p",
            {"now": now, "today": now / DAY},
        )
    )
    for i, (salience, updated, hits, since, pinned, status) in enumerate(CASES):
        value = (
            1.0
            if pinned
            else min(
                1.0,
                rank.retention(
                    salience, updated, hits, None if since is None else now - since * DAY, now
                ),
            )
        )
        factor = rank.RETENTION_FLOOR + rank.RETENTION_SPAN * value
        if status and status.lower() == "superseded":
            factor *= rank.SUPERSEDED_FACTOR
        factor *= rank.TYPE_BOOST["concept"]
        assert got[f"concepts/p{i}.md"] == pytest.approx(factor, rel=1e-9), CASES[i]


def test_ranking_is_exact_beyond_any_candidate_window(conn):
    """A much-read page deep in a long list of equal text matches still comes first: the factor
    is applied to every match in SQL, not to a window of the best BM25 rows."""
    now = time.time() // DAY * DAY
    for i in range(300):
        add(conn, f"concepts/p{i:03d}.md", body=f"needle haystack {i}")
    conn.execute(
        "UPDATE pages SET hits = 30, last_access = ? WHERE path = 'concepts/p299.md'", (now,)
    )
    hits = fts.search(conn, "needle", limit=3, now=now)
    assert hits[0].path == "concepts/p299.md"
    assert [h.path for h in hits[1:]] == ["concepts/p000.md", "concepts/p001.md"]  # ties by path


def test_ranking_sql_variants_run(conn):
    add(conn, "rules/r.md", kind="rule")
    params = {"q": '"shared"', "limit": 5, "now": 0.0, "today": 0.0, "type": "rule"}
    assert conn.execute(rank.ranking_sql(by_type=True), params).fetchall()[0][1] == "rules/r.md"
    assert len(conn.execute(rank.ranking_sql(), params).fetchall()) == 1


def test_page_weight():
    assert rank.page_weight("rule", None) == rank.TYPE_BOOST["rule"]
    assert rank.page_weight("decision", " Superseded ") == 1.4 * rank.SUPERSEDED_FACTOR
    assert rank.page_weight("unknown-type", "active") == 1.0


def test_index_built_with_other_weights_is_rebuilt(tmp_path):
    db = str(tmp_path / "index.sqlite")
    conn = fts.connect(db)
    add(conn, "concepts/a.md")
    fts.set_meta(conn, "last_commit", "abc")
    fts.set_meta(conn, "weights", "[('rule', 9.0)]")  # as if TYPE_BOOST had been changed since
    conn.close()
    conn = fts.connect(db)
    try:
        assert fts.page_count(conn) == 0 and fts.get_meta(conn, "last_commit") is None
        assert fts.get_meta(conn, "weights") == rank.WEIGHTS_KEY
    finally:
        conn.close()
