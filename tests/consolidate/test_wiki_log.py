"""The wiki's log: ``log.md`` with the newest lines, every line in its day file under ``log/``.

Real git repositories (pygit2) and, end to end, real consolidations and page writes.
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import pytest

from aimem.capture.journal import append_line
from aimem.capture.observation import Observed, build, encode
from aimem.consolidate.run import consolidate_session
from aimem.index import fts
from aimem.lifecycle.lint import lint
from aimem.memory.write import PageWrite, write_page
from aimem.project import ProjectPaths
from aimem.wiki import catalog
from aimem.wiki import repo as wikirepo
from aimem.wiki.catalog import LOG_HEADER, RECENT_LOG, log_changes, log_day_path

SESSION = "5f0c2a9e-1b7d-4c3e-9a8f-0123456789ab"


@pytest.fixture
def repo(tmp_path: Path):
    return wikirepo.open_repo(str(tmp_path / "wiki"))


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    return ProjectPaths(str(tmp_path / "data" / "projects" / "proj-12345678"))


def append(repo, lines: list[str]) -> dict[str, bytes]:
    changes = log_changes(repo, lines)
    wikirepo.commit_files(repo, dict(changes), "log")
    return changes


def text(repo, path: str) -> str:
    data = wikirepo.read_file(repo, path)
    assert data is not None, f"{path} is not committed"
    return data.decode("utf-8")


def bullets(body: str) -> list[str]:
    return [line[2:] for line in body.splitlines() if line.startswith("- ")]


def stamp(day: int, n: int) -> str:
    return f"2026-03-{day:02d}T10:{n // 60:02d}:{n % 60:02d}Z change {day}-{n}"


def test_each_line_goes_to_its_day_file_and_log_md_keeps_the_newest(repo) -> None:
    written = [stamp(day, n) for day in (1, 2, 3) for n in range(15)]
    for start in range(0, len(written), 5):
        changes = append(repo, written[start : start + 5])
        # one commit touches log.md and the one day file its lines belong to, nothing older
        assert len(changes) == 2 and "log.md" in changes

    for day in (1, 2, 3):
        day_text = text(repo, f"log/2026-03/2026-03-{day:02d}.md")
        assert day_text.startswith(f"# Log 2026-03-{day:02d}\n")
        assert bullets(day_text) == [line for line in written if f"change {day}-" in line]
    log_md = text(repo, "log.md")
    assert log_md.startswith(LOG_HEADER)
    assert bullets(log_md) == written[-RECENT_LOG:]
    assert log_day_path("2026-03-02") == "log/2026-03/2026-03-02.md"


def test_log_md_stays_small_however_long_the_history(repo) -> None:
    sizes = []
    for n in range(120):
        changes = append(repo, [stamp(1 + n // 12, n)])
        sizes.append(
            len(changes["log.md"]) + sum(len(v) for k, v in changes.items() if k != "log.md")
        )
    # what one commit rewrites is bounded by a day's lines, not by the 120 lines of history
    assert max(sizes[-24:]) <= max(sizes[:24]) + 200
    assert len(bullets(text(repo, "log.md"))) == RECENT_LOG


def test_a_whole_history_log_md_moves_into_day_files_once(repo) -> None:
    old = (
        "# Log\n\nAppend-only history of changes to this wiki, one line per change.\n\n"
        "- 2025-12-30T09:00:00Z consolidate codex session a\n"
        "- 2025-12-31T09:00:00Z consolidate codex session b\n"
        "a note someone typed by hand\n"
        "- 2026-01-02T09:00:00Z write-page created gotcha gotchas/x.md\n"
    )
    wikirepo.commit_files(repo, {"log.md": old.encode()}, "an older aimem")
    append(repo, ["2026-01-05T10:00:00Z consolidate claude-code session c"])

    assert bullets(text(repo, "log/2025-12/2025-12-30.md")) == [
        "2025-12-30T09:00:00Z consolidate codex session a"
    ]
    assert bullets(text(repo, "log/2025-12/2025-12-31.md")) == [
        "2025-12-31T09:00:00Z consolidate codex session b",
        "a note someone typed by hand",  # kept, on the day of the line before it
    ]
    assert bullets(text(repo, "log/2026-01/2026-01-02.md")) == [
        "2026-01-02T09:00:00Z write-page created gotcha gotchas/x.md"
    ]
    assert len(bullets(text(repo, "log.md"))) == 5
    # The next append finds the new layout: nothing moves twice.
    before = text(repo, "log/2025-12/2025-12-31.md")
    append(repo, ["2026-01-05T11:00:00Z consolidate claude-code session d"])
    assert text(repo, "log/2025-12/2025-12-31.md") == before
    assert len(bullets(text(repo, "log/2026-01/2026-01-05.md"))) == 2


def test_a_move_cut_short_is_not_repeated(repo) -> None:
    """A day file that already holds a moved line (an older log.md edited back by hand, say)
    does not get it twice."""
    line = "2025-12-30T09:00:00Z consolidate codex session a"
    day = catalog.append_log(None, line, "# Log 2025-12-30\n\n")
    old = f"# Log\n\n- {line}\n"
    wikirepo.commit_files(
        repo, {"log.md": old.encode(), log_day_path("2025-12-30"): day.encode()}, "x"
    )
    append(repo, ["2026-01-05T10:00:00Z next"])
    assert bullets(text(repo, log_day_path("2025-12-30"))) == [line]


def test_non_utf8_bytes_in_the_log_are_repaired_not_fatal(repo, caplog) -> None:
    bad = LOG_HEADER.encode() + b"- 2026-03-01T10:00:00Z caf\xe9 \xff\xfe edited by hand\n"
    day_bad = b"# Log 2026-03-01\n\n- 2026-03-01T10:00:00Z \xc3\x28 torn\n"
    wikirepo.commit_files(repo, {"log.md": bad, log_day_path("2026-03-01"): day_bad}, "bad bytes")
    with caplog.at_level(logging.WARNING, logger="aimem.consolidate"):
        append(repo, ["2026-03-01T11:00:00Z consolidate codex session z"])
    log_md = text(repo, "log.md")  # decodes strictly: the committed file is valid UTF-8 again
    assert "caf\ufffd" in log_md and log_md.endswith("session z\n")
    assert "\ufffd( torn" in text(repo, log_day_path("2026-03-01"))
    warned = [r.getMessage() for r in caplog.records if "not UTF-8" in r.getMessage()]
    assert len(warned) == 2 and "log.md" in warned[0]


# --- end to end: what consolidation and write-page commit ----------------------------------


def consolidate_one(paths: ProjectPaths, session: str = SESSION):
    for kind, fields in (
        ("session_start", {"source": "startup"}),
        ("prompt", {"text": "Make parse_config keep YAML anchors"}),
        ("stop", {"message": "Done."}),
        ("session_end", {"reason": "exit"}),
    ):
        key = f"{kind}-{time.monotonic_ns()}"
        record = build("claude-code", kind, Observed(kind, session, "/w/p", fields, key=key), "p")
        assert append_line(paths.journal(session), encode(record), record["id"])
    return consolidate_session(paths, "proj", session)


def test_consolidation_goes_on_after_a_non_utf8_log_md(paths: ProjectPaths, caplog) -> None:
    """Defect 13: a non-UTF-8 byte in log.md blocked every later write (strict decoding)."""
    first = consolidate_one(paths, "019a2057-655f-76b0-865f-3c2d1e0f9a8b")
    assert first.status == "committed"
    log_file = Path(paths.wiki, "log.md")
    repo = wikirepo.open_repo(paths.wiki, create=False)
    wikirepo.commit_files(repo, {"log.md": log_file.read_bytes() + b"- \xff\xfe hand edit\n"}, "x")

    with caplog.at_level(logging.WARNING, logger="aimem.consolidate"):
        result = consolidate_one(paths)
    assert result.status == "committed", result
    assert SESSION[-8:] in log_file.read_text(encoding="utf-8")
    assert any("log.md" in r.getMessage() and "not UTF-8" in r.getMessage() for r in caplog.records)
    written = write_page(
        paths, "proj", PageWrite(type="gotcha", title="Anchors", body="Keep them.")
    )
    assert written.action == "created"
    assert "write-page created gotcha" in log_file.read_text(encoding="utf-8")


def test_day_files_stay_out_of_search_index_md_and_lint(paths: ProjectPaths) -> None:
    consolidate_one(paths)
    day_files = list(Path(paths.wiki, "log").rglob("*.md"))
    assert len(day_files) == 1
    conn = fts.connect(paths.index)
    try:
        indexed = [e.path for e in fts.list_entries(conn)]
    finally:
        conn.close()
    assert indexed and not [p for p in indexed if p.startswith("log")]
    assert "log/" not in Path(paths.wiki, "index.md").read_text()
    report = lint(paths)
    assert not [i for i in report.issues if i.path.startswith("log")], report.issues
    assert report.pages == len(indexed)
    # plain git sees a clean work tree with the day file committed
    status = subprocess.run(
        ["git", "-C", paths.wiki, "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == ""
