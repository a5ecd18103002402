"""``json.loads`` / ``json.dumps`` for the hook path without importing :mod:`json`.

``import json`` costs a hook about as much as starting Python again: ``json.decoder`` imports
``re``, which pulls in ``enum``, ``functools``, ``collections``... (~12 ms of ~15 ms). The parsing
and encoding themselves are done by the C accelerator ``_json`` in both cases; this module calls
it with the settings ``json.loads`` / ``json.dumps`` use by default, so the results are the same
(a test checks it on real payloads and on generated values). Anything unusual — a payload in
UTF-16/32 or with a BOM, a parse error, an interpreter without ``_json`` — goes to the real
:mod:`json`, which then gives exactly its own result or exception (``JSONDecodeError``, a
``ValueError``). Like ``json``, a too deeply nested value raises ``RecursionError``.
"""

from __future__ import annotations

try:
    from _json import encode_basestring as _encode_str
    from _json import make_encoder as _make_encoder
    from _json import make_scanner as _make_scanner
except ImportError:  # pragma: no cover - interpreters without the C accelerator
    _make_scanner = None

__all__ = ["dumps", "loads"]

_WS = " \t\n\r"  # JSON's whitespace, as json.decoder.WHITESPACE
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _Context:
    """What ``_json.make_scanner`` reads from a ``JSONDecoder``: its defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float  # the C scanner's own fast paths are used for float and int
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__
    memo: dict = {}  # the C scanner keeps its own memo; the Python one reads this


_scan = _make_scanner(_Context()) if _make_scanner is not None else None


def loads(data: bytes | bytearray | str) -> object:
    """What ``json.loads(data)`` returns (bytes are UTF-8, as every agent sends)."""
    if _scan is None:  # pragma: no cover
        return _json_module().loads(data)
    if isinstance(data, (bytes, bytearray)):
        # json.loads detects UTF-16/32 from NUL bytes in the first four and honours BOMs.
        if b"\x00" in data[:4] or data[:1] in (b"\xef", b"\xfe", b"\xff"):
            return _json_module().loads(data)
        text = data.decode("utf-8", "surrogatepass")  # as json.loads: same error if not UTF-8
    elif isinstance(data, str):
        text = data
    else:
        return _json_module().loads(data)  # the TypeError json.loads raises
    start = len(text) - len(text.lstrip(_WS))
    try:
        value, end = _scan(text, start)
    except (StopIteration, SystemError):
        # SystemError: the C scanner builds its error from ``json.decoder`` found in
        # ``sys.modules``; when nothing imported it (the point of this module), an error inside
        # a string (an unterminated one, a bad escape) comes out as "returned NULL without
        # setting an exception". Either way the real json gives the real error.
        value, end = None, -1
    if end < 0 or (end < len(text) and text[end:].strip(_WS)):
        return _json_module().loads(data)  # raises json's own JSONDecodeError
    return value


def _default(value: object) -> object:
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def dumps(
    value: object, *, sort_keys: bool = False, separators: tuple[str, str] = (", ", ": ")
) -> str:
    """What ``json.dumps(value, ensure_ascii=False, sort_keys=..., separators=...)`` returns."""
    if _scan is None:  # pragma: no cover
        json = _json_module()
        return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=separators)
    item_sep, key_sep = separators
    # Arguments as JSONEncoder.iterencode passes them (markers={} checks for cycles).
    encode = _make_encoder(
        {}, _default, _encode_str, None, key_sep, item_sep, sort_keys, False, True
    )
    return "".join(encode(value, 0))


def _json_module():  # noqa: ANN202 - the json module, imported only when needed
    import json

    return json
