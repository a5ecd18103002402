"""The session's observations as the model sees them, and as aimem checks quotes against them.

Each journal record worth reading (prompts, tool calls and results, errors, the agent's answers,
compaction summaries) becomes one ``Observation`` with a short id (``o1``, ``o2``...). Its text is
redacted again (the journal was redacted by the hook; a newer redactor may know more shapes), and
two versions are kept: ``full`` (the whole redacted journal text, what quotes are verified
against) and ``sent`` (cut to a per-field cap, what the model reads).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from aimem.capture.observation import excerpt
from aimem.redact import redact

# kind -> the record fields that carry its text, in order
FIELDS = {
    "prompt": ("text",),
    "tool_use": ("tool", "input"),
    "tool_result": ("tool", "input", "output"),
    "tool_error": ("tool", "input", "error"),
    "stop": ("message",),
    "compact": ("summary",),
}
FIELD_CAP = {"text": 4000, "message": 4000, "summary": 3000}
DEFAULT_CAP = 1000  # tool input / output / error
MAX_OBSERVATIONS = 200
# User prompts and the agent's answers carry intent and conclusions: kept first when cutting.
PRIORITY = {"prompt": 0, "stop": 1, "compact": 1, "tool_error": 2, "tool_result": 3, "tool_use": 4}


@dataclass(frozen=True)
class Observation:
    id: str  # "o1"...: what claims cite
    kind: str
    record_id: str  # the journal line's own id
    full: dict[str, str]  # field -> whole redacted text (quotes are checked against this)
    sent: dict[str, str]  # field -> redacted text cut to its cap (what the model reads)

    def text(self) -> str:
        return "\n".join(self.full.values())

    def as_data(self) -> dict:
        return {"id": self.id, "kind": self.kind, **self.sent}


def observations(
    records: list[dict], limit: int = MAX_OBSERVATIONS, scale: float = 1.0
) -> list[Observation]:
    """The records worth reading, numbered in journal order. A tool call whose result or error
    was recorded is read through that record (it repeats the input). Past ``limit`` the least
    telling ones (plain tool calls first) are left out; the first and last always stay.
    ``scale`` shrinks every field's cap (to fit a token budget); quotes are still checked
    against the whole text."""
    answered = {
        (r.get("tool"), r.get("input"))
        for r in records
        if r.get("kind") in ("tool_result", "tool_error")
    }
    out: list[Observation] = []
    for record in records:
        kind = record.get("kind")
        if kind not in FIELDS:
            continue
        if kind == "tool_use" and (record.get("tool"), record.get("input")) in answered:
            continue
        full: dict[str, str] = {}
        for name in FIELDS[kind]:
            value = record.get(name)
            if isinstance(value, str) and value.strip():
                full[name] = redact(value)
        if not full or (kind == "tool_use" and "input" not in full):
            continue
        sent = {
            k: excerpt(v, max(80, int(FIELD_CAP.get(k, DEFAULT_CAP) * scale)))
            for k, v in full.items()
        }
        rid = record.get("id")
        out.append(
            Observation(f"o{len(out) + 1}", kind, rid if isinstance(rid, str) else "", full, sent)
        )
    if len(out) <= limit:
        return out
    middle = sorted(range(1, len(out) - 1), key=lambda i: (PRIORITY[out[i].kind], i))
    keep = {0, len(out) - 1, *middle[: max(0, limit - 2)]}
    return [o for i, o in enumerate(out) if i in keep]


def journal_hash(path: str) -> str:
    """sha256 of the journal segment's bytes: part of the key that makes a re-run free."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Fenced:
    nonce: str
    text: str  # the whole fenced block


def fence(data: object) -> Fenced:
    """``data`` JSON-encoded between two marker lines carrying a fresh random nonce. JSON escapes
    every quote and newline inside a string, and the nonce is drawn until it occurs nowhere in
    the data, so no recorded text can close the block or forge a new one."""
    payload = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"))
    while True:
        nonce = secrets.token_hex(12)
        if nonce not in payload:
            break
    text = f"<<<AIMEM-DATA {nonce}\n{payload}\nAIMEM-DATA {nonce}>>>"
    return Fenced(nonce, text)


def normalise(text: str) -> str:
    """Whitespace collapsed, for comparing a quote with the text it claims to come from."""
    return " ".join(text.split())


def quote_found(quote: str, obs: Observation) -> bool:
    """Whether ``quote`` occurs verbatim (up to whitespace) in the observation's journal text.
    The quote is redacted the same way first, so quoting an already-redacted span works."""
    wanted = normalise(redact(quote))
    return bool(wanted) and any(wanted in normalise(v) for v in obs.full.values())
