"""What the LLM step spends, and the key that makes re-running an unchanged session free.

- ``cost``: dollars from the API's ``usage`` (input, output, cache writes, cache reads) and a
  price table per model family.
- The ledger: one JSON line per call in ``state/llm/ledger-YYYY-MM.jsonl`` of the project
  (tokens, dollars, outcome). ``spent`` sums a day or a month over every project of the data
  root, so the daily budget holds for the user, not per project; ``aimem status`` shows it.
- The done file (``state/llm/done.json``): compile keys (session, journal sha256, prompt
  version, model) already answered, so consolidating an unchanged session makes no call.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass

# $ per million tokens: (input, output). Cache writes cost 1.25x input, cache reads 0.1x input
# (Anthropic's published multipliers for the 5-minute cache). Longest prefix wins.
PRICES: dict[str, tuple[float, float]] = {
    "claude-haiku-4": (1.00, 5.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-haiku": (0.25, 1.25),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-opus-4-5": (5.00, 25.00),
    "claude-opus-4": (15.00, 75.00),
}
CACHE_WRITE = 1.25
CACHE_READ = 0.10
MAX_DONE = 5000  # keys kept; the oldest go first (a re-run of a very old session calls again)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @property
    def total(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
        )

    @classmethod
    def from_api(cls, usage: object) -> Usage:
        def get(name: str) -> int:
            value = getattr(usage, name, None)
            if value is None and isinstance(usage, dict):
                value = usage.get(name)
            return int(value) if isinstance(value, (int, float)) and value > 0 else 0

        return cls(
            get("input_tokens"),
            get("output_tokens"),
            get("cache_creation_input_tokens"),
            get("cache_read_input_tokens"),
        )


def price_of(model: str) -> tuple[float, float] | None:
    best = None
    for prefix, price in PRICES.items():
        if model.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, price)
    return best[1] if best else None


def cost(model: str, usage: Usage) -> float | None:
    """Dollars for one call, or ``None`` for a model missing from the price table."""
    price = price_of(model)
    if price is None:
        return None
    inp, out = price
    return (
        usage.input_tokens * inp
        + usage.cache_creation_input_tokens * inp * CACHE_WRITE
        + usage.cache_read_input_tokens * inp * CACHE_READ
        + usage.output_tokens * out
    ) / 1_000_000


def llm_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "llm")


def _ledger_path(state_dir: str, ts: float) -> str:
    return os.path.join(
        llm_dir(state_dir), f"ledger-{time.strftime('%Y-%m', time.gmtime(ts))}.jsonl"
    )


def check_writable(state_dir: str, ts: float | None = None) -> None:
    """Raise ``OSError`` unless this month's ledger can be appended to: a call whose spend
    cannot be recorded is not made (an unrecorded call escapes every budget)."""
    from aimem.config import make_private_dirs

    make_private_dirs(llm_dir(state_dir))
    path = _ledger_path(state_dir, time.time() if ts is None else ts)
    os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))


def record_call(
    state_dir: str,
    *,
    session: str,
    model: str,
    usage: Usage,
    outcome: str,
    ts: float | None = None,
) -> dict:
    """Append one call to the ledger (one ``os.write`` with ``O_APPEND``) and return the line."""
    from aimem.config import make_private_dirs

    ts = time.time() if ts is None else ts
    line = {
        "ts": round(ts, 3),
        "day": time.strftime("%Y-%m-%d", time.gmtime(ts)),
        "session": session,
        "model": model,
        **asdict(usage),
        "cost_usd": cost(model, usage),
        "outcome": outcome,
    }
    make_private_dirs(llm_dir(state_dir))
    fd = os.open(_ledger_path(state_dir, ts), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode())
    finally:
        os.close(fd)
    return line


@dataclass(frozen=True)
class Spent:
    calls: int = 0
    tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cost_usd: float = 0.0


def _lines(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            raw = fh.read().split("\n")
    except OSError:
        return []
    out = []
    for text in raw[:-1]:  # a last line without "\n" is being written or was torn
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            out.append(line)
    return out


def spent(state_dirs: list[str], period: str) -> Spent:
    """Calls, tokens and dollars recorded in ``state_dirs`` for ``period``: a day
    (``YYYY-MM-DD``) or a month (``YYYY-MM``)."""
    totals = dict.fromkeys(
        ("calls", "input_tokens", "output_tokens", "cache_read_input_tokens",
         "cache_creation_input_tokens"), 0,
    )  # fmt: skip
    dollars = 0.0
    for state_dir in state_dirs:
        for line in _lines(os.path.join(llm_dir(state_dir), f"ledger-{period[:7]}.jsonl")):
            if not str(line.get("day", "")).startswith(period):
                continue
            totals["calls"] += 1
            for key in list(totals)[1:]:
                value = line.get(key)
                totals[key] += int(value) if isinstance(value, (int, float)) else 0
            if isinstance(line.get("cost_usd"), (int, float)):
                dollars += float(line["cost_usd"])
    tokens = sum(v for k, v in totals.items() if k != "calls")
    return Spent(tokens=tokens, cost_usd=round(dollars, 6), **totals)


def all_state_dirs(state_dir: str) -> list[str]:
    """This project's state folder and those of the other projects in the same data root."""
    projects = os.path.dirname(os.path.dirname(os.path.abspath(state_dir)))
    found = glob.glob(os.path.join(glob.escape(projects), "*", "state"))
    return sorted({os.path.abspath(state_dir), *(os.path.abspath(p) for p in found)})


def status(state_dir: str, now: float | None = None) -> dict:
    """Today's and this month's spend over the data root, for ``aimem status --json``."""
    now = time.time() if now is None else now
    dirs = all_state_dirs(state_dir)
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    return {"today": asdict(spent(dirs, day)), "month": asdict(spent(dirs, day[:7]))}


# --- the done file ----------------------------------------------------------------------------


def compile_key(session: str, journal_sha256: str, prompt_version: str, model: str) -> str:
    text = "\0".join((session, journal_sha256, prompt_version, model))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _done_path(state_dir: str) -> str:
    return os.path.join(llm_dir(state_dir), "done.json")


def done_entry(state_dir: str, key: str) -> dict | None:
    from aimem.capture.state import read_json

    entry = read_json(_done_path(state_dir)).get(key)
    return entry if isinstance(entry, dict) else None


def mark_done(
    state_dir: str, key: str, session: str, outcome: str, ts: float | None = None
) -> None:
    """Remember how the call for ``key`` ended (``ok``, ``invalid``, or a failure kind, whose
    ``attempts`` count up). Written atomically; the caller holds no lock, so two runs racing on
    one session may both call once, which the ledger shows."""
    from aimem.capture.state import read_json, write_json_atomic
    from aimem.config import make_private_dirs

    make_private_dirs(llm_dir(state_dir))
    path = _done_path(state_dir)
    done = read_json(path)
    previous = done.pop(key, None)
    attempts = previous.get("attempts", 0) if isinstance(previous, dict) else 0
    done[key] = {
        "session": session,
        "outcome": outcome,
        "attempts": int(attempts) + 1,
        "ts": round(time.time() if ts is None else ts, 3),
    }
    if len(done) > MAX_DONE:
        newest = sorted(
            done.items(), key=lambda kv: kv[1].get("ts", 0) if isinstance(kv[1], dict) else 0
        )
        done = dict(newest[-MAX_DONE:])  # the file is written with sorted keys: order by time
    write_json_atomic(path, done)
