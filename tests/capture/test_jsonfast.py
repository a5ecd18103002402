"""aimem.capture.jsonfast gives what json.loads / json.dumps give: on the real agent payloads, on
generated JSON values (lone surrogates, NaN, big ints, deep nesting) and on broken input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimem.capture import jsonfast

FIXTURES = Path(__file__).parents[1] / "fixtures" / "payloads"
SHARED = Path("/work/shared/agents/payloads")
PAYLOAD_FILES = sorted(FIXTURES.rglob("*.json")) + (
    sorted(SHARED.rglob("*.json")) if SHARED.is_dir() else []
)
SEPARATORS = [(", ", ": "), (",", ":")]


def outcome(fn, *args, **kwargs) -> tuple[str, str]:
    """A comparable result: the value's repr (types, order, NaN and -0.0 included) or the
    exception's type and message."""
    try:
        return "ok", repr(fn(*args, **kwargs))
    except (ValueError, TypeError, RecursionError) as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("path", PAYLOAD_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_payloads_parse_and_encode_the_same(path: Path) -> None:
    raw = path.read_bytes()
    assert outcome(jsonfast.loads, raw) == outcome(json.loads, raw)
    assert outcome(jsonfast.loads, raw.decode()) == outcome(json.loads, raw.decode())
    data = json.loads(raw)
    entries = data if isinstance(data, list) else [data]
    for entry in entries:
        payload = entry.get("payload", entry) if isinstance(entry, dict) else entry
        for sep in SEPARATORS:
            for sort_keys in (False, True):
                ours = jsonfast.dumps(payload, sort_keys=sort_keys, separators=sep)
                assert ours == json.dumps(
                    payload, ensure_ascii=False, sort_keys=sort_keys, separators=sep
                )
        line = json.dumps(payload).encode()  # what an agent writes on the hook's stdin
        assert repr(jsonfast.loads(line)) == repr(json.loads(line))


def test_payload_files_found() -> None:
    assert len(PAYLOAD_FILES) >= 50


# Any JSON value: every code point (lone surrogates too), NaN/Infinity, ints beyond 64 bits.
_text = st.text(st.characters(blacklist_categories=()), max_size=30)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _text
)
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_text, inner, max_size=5),
    max_leaves=30,
)
_ws = st.text(" \t\n\r", max_size=3)


@settings(max_examples=400, deadline=None)
@given(json_values, st.booleans(), st.sampled_from(SEPARATORS))
def test_dumps_matches_json(value: object, sort_keys: bool, sep: tuple[str, str]) -> None:
    expected = json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=sep)
    assert jsonfast.dumps(value, sort_keys=sort_keys, separators=sep) == expected


@settings(max_examples=400, deadline=None)
@given(json_values, st.booleans(), _ws, _ws)
def test_loads_matches_json(value: object, ascii_only: bool, before: str, after: str) -> None:
    text = before + json.dumps(value, ensure_ascii=ascii_only) + after
    assert outcome(jsonfast.loads, text) == outcome(json.loads, text)
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate as json.loads accepts it
    assert outcome(jsonfast.loads, data) == outcome(json.loads, data)


@settings(max_examples=400, deadline=None)
@given(json_values, st.integers(min_value=0, max_value=200), st.binary(max_size=4))
def test_broken_input_fails_like_json(value: object, cut: int, junk: bytes) -> None:
    """Cut short, or followed by junk: the same value or the same exception (JSONDecodeError,
    UnicodeDecodeError: both ValueError) as json.loads."""
    data = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    for broken in (data[:cut], data + junk, junk + data):
        assert outcome(jsonfast.loads, broken) == outcome(json.loads, broken)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b" \n\t",
        b"{} x",
        b'{"a": }',
        b"[1,]",
        b"NaN",
        b"-Infinity",
        b"1" * 5000,  # beyond int's digit limit: ValueError
        b'"\\ud83d"',
        b'"\xed\xa0\xbd"',  # a lone surrogate in raw UTF-8: surrogatepass, as json.loads
        b"\xff\xfe",
        b"\xef\xbb\xbf{}",  # UTF-8 BOM: json.loads accepts it in bytes...
        "\ufeff{}",  # ...and refuses it in a str
        '{"a": 1}'.encode("utf-16"),
        '{"a": 1}'.encode("utf-32-le"),
        b'{"a": 1}\x00',
        "[1]",
        5,  # not a str or bytes: TypeError
    ],
)
def test_edge_cases_match_json(data: object) -> None:
    assert outcome(jsonfast.loads, data) == outcome(json.loads, data)


def test_errors_are_value_errors() -> None:
    for bad in (b"", b"{", b"[1] [2]", b"\xff"):
        with pytest.raises(ValueError):
            jsonfast.loads(bad)


def test_deep_nesting_raises_recursion_error() -> None:
    """The hook records a too deep payload as ``too_deep``: it relies on this RecursionError."""
    deep = b"[" * (sys.getrecursionlimit() * 20) + b"]" * (sys.getrecursionlimit() * 20)
    with pytest.raises(RecursionError):
        jsonfast.loads(deep)
    nested: list = []
    for _ in range(sys.getrecursionlimit() * 2):
        nested = [nested]
    with pytest.raises(RecursionError):
        jsonfast.dumps(nested)


def test_dumps_errors_match_json() -> None:
    loop: list = []
    loop.append(loop)
    for value in (object(), {1j: 1}, loop, {"a": {1, 2}}):
        assert outcome(jsonfast.dumps, value) == outcome(json.dumps, value, ensure_ascii=False)


@pytest.mark.parametrize(
    "broken", [b'{"a": "unterminated', b'{"a": "bad \\x escape"}', b'["\\ud83d', b'{"a": 1']
)
def test_errors_are_value_errors_when_json_was_never_imported(broken: bytes) -> None:
    """The C scanner reports errors inside strings through ``json.decoder`` only if something
    imported it; the hook path never does (a truncated sessions.json raised SystemError)."""
    code = (
        "import sys\n"
        "from aimem.capture import jsonfast\n"
        "assert 'json' not in sys.modules\n"
        f"try:\n    jsonfast.loads({broken!r})\n"
        "except ValueError:\n    print('ValueError')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ValueError", done.stderr
