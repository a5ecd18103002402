"""Concrete identifiers found by shape."""

from __future__ import annotations

import pytest

from aimem.compile.identifiers import identifiers, unsupported


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("fixed in 3f9c1a2b.", ["3f9c1a2b"]),
        ("see src/app/config.py, then README.md", ["src/app/config.py", "README.md"]),
        ("needs pytest 8.2.1 and v2.0", ["8.2.1", "v2.0"]),
        ("docs at https://example.com/a?b=1.", ["https://example.com/a?b=1"]),
        ("raises E1101, TS2345 or ENOENT", ["E1101", "TS2345", "ENOENT"]),
        ("money is integer cents; a facade; 1/2 of it; 10/12", []),
        ("deadbeef is all letters", []),
    ],
)
def test_identifiers_by_shape(text, found):
    assert identifiers(text) == found


def test_unsupported_are_those_missing_from_the_evidence():
    evidence = "Edit /work/shop/src/money.py\n3f9c1a2 money: store integer cents"
    assert unsupported("src/money.py at 3f9c1a2", evidence) == []
    assert unsupported("src/money.py at 3f9c1a3", evidence) == ["3f9c1a3"]
    assert unsupported("SRC/MONEY.PY", evidence) == ["SRC/MONEY.PY"]
