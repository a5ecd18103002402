"""Three data roots and one bare remote, seeded rounds of what people and agents do: sessions
through the real hook and consolidation, new pages, edits (often of the same page on two
machines), sweeps, handoff claims, conflicts resolved by hand, and syncs in random order.

At the end (after a final round of syncs): 0 pages lost, 0 edits lost (every edit appends a
unique word; each is somewhere at HEAD, at the page or in its conflict sibling), 0 conflict
markers in any blob of any commit, the same tree on every machine, each index equal to a fresh
reindex. ``AIMEM_SYNC_ROUNDS`` and ``AIMEM_SYNC_SEED`` make a bigger or another run.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from sync_world import Machine, bare, committed_blobs, fresh_index_rows, index_rows

from aimem.capture import state
from aimem.sync.conflicts import unresolved
from aimem.wiki.pages import ARCHIVE_DIR

ROUNDS = int(os.environ.get("AIMEM_SYNC_ROUNDS", "50"))
SEED = int(os.environ.get("AIMEM_SYNC_SEED", "1313"))
KINDS = ("decision", "gotcha", "concept")
LATER = time.time() + 400 * 86400  # every sweep looks from the same day: archives, never drops


def test_seeded_rounds_lose_nothing_and_converge(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    url = bare(tmp_path / "remote.git")
    machines = [Machine.make(tmp_path, n) for n in ("alpha", "beta", "gamma")]
    for m in machines:
        m.add_remote("origin", url, "all")
    created: set[str] = set()  # every page path ever written, on any machine
    words: set[str] = set()  # every word an edit appended
    counts = {"session": 0, "write": 0, "edit": 0, "sweep": 0, "claim": 0, "resolve": 0, "sync": 0}
    merges = conflicts_seen = 0
    for rnd in range(ROUNDS):
        for m in rng.sample(machines, len(machines)):
            for _ in range(rng.randint(1, 3)):
                action = rng.choices(
                    ["session", "write", "edit", "sweep", "claim", "resolve", "sync"],
                    weights=[18, 20, 30, 2, 8, 4, 30],
                )[0]
                counts[action] += 1
                if action == "session":
                    sid = f"r{rnd:03d}-{m.name}-{counts['session']:04d}"
                    m.session(sid, f"round {rnd}: work on part {rng.randint(1, 9)}")
                    created |= {p for p in m.files() if p.startswith(("sessions/", "handoffs/"))}
                elif action == "write":
                    kind = rng.choice(KINDS)
                    title = f"{m.name} {kind} {rnd} {counts['write']}"
                    created.add(m.write(kind, title, f"First written on {m.name} in round {rnd}."))
                elif action == "edit":
                    live = [p for p in m.files() if p.split("/")[0] in _dirs()]
                    if live:
                        path = rng.choice(sorted(live))
                        word = f"w{rnd:03d}{m.name[0]}{counts['edit']:05d}x"
                        words.add(word)
                        m.edit(path, m.page(path).body.rstrip() + f"\n\nEdit {word}.")
                elif action == "sweep":
                    m.sweep(now=LATER)
                elif action == "claim":
                    state.claim(m.paths.state, f"claimer-{rnd}-{m.name}", "codex")
                elif action == "resolve":
                    here = m.files()
                    found = [
                        c
                        for c in unresolved(m.paths)
                        if {c.path, c.sibling} <= here.keys() and not c.path.startswith(ARCHIVE_DIR)
                    ]
                    if found:  # a person folds the other version in, then deletes it
                        c = rng.choice(found)
                        other = m.page(c.sibling).body
                        extra = [w for w in words if w in other and w not in m.page(c.path).body]
                        body = m.page(c.path).body.rstrip() + "".join(f"\n\n{w}." for w in extra)
                        m.edit(c.path, body)
                        m.put(c.sibling, None, "resolve: by hand\n")
                else:
                    outcome = m.sync()
                    merges += outcome.status == "merged"
                    conflicts_seen = max(conflicts_seen, len(outcome.conflicts))
    for m in machines + machines:  # a final round: everyone fetches everything
        m.sync()
    trees = {m.tree_id() for m in machines}
    assert len(trees) == 1, "the machines did not converge"
    final = machines[0].files()
    text = b"\n".join(final.values())
    lost = [p for p in created if p not in final and ARCHIVE_DIR + p not in final]
    assert lost == [], f"pages lost: {lost[:5]}"
    missing = [w for w in words if w.encode() not in text]
    assert missing == [], f"edits lost: {missing[:5]}"
    for m in machines:
        for blob in committed_blobs(m.repo()):
            assert b"<<<<<<<" not in blob and b">>>>>>>" not in blob
        assert index_rows(m.paths) == fresh_index_rows(m.paths, m.home / "fresh")
        # One claim wins everywhere: no machine still offers a handoff claimed elsewhere.
        offer = state.read_json(state.handoff_path(m.paths.state))
        if offer.get("path") in final:
            status = m.page(offer["path"]).meta.get("status")
            assert not (status in ("claimed", "expired") and offer.get("status") == "offered")
    assert (
        merges > 0 and conflicts_seen > 0 and counts["sync"] > ROUNDS
    )  # the run did exercise merging
    print(f"rounds={ROUNDS} seed={SEED} {counts} merges={merges} pages={len(created)}")
    print(f"most conflicts standing at once: {conflicts_seen}")


def _dirs() -> set[str]:
    return {"decisions", "gotchas", "concepts"}
