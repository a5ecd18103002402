"""The JSONC member editor on hostile and odd inputs: whatever a user's Zed or VS Code config
holds, aimem either edits exactly its own member (everything else, comments included, byte for
byte) or refuses with one line; it never raises anything else and never writes a file it cannot
read back."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimem.install import jsonc
from aimem.install.common import InstallError, is_aimem_server

ENTRY = {"command": "/opt/aimem/bin/aimem", "args": ["mcp"]}
PARENTS = ("context_servers",)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
comments = st.sampled_from(
    [
        "",
        " ",
        "\n",
        "\n  ",
        "\t",
        " // note\n",
        "/* c */",
        " /* multi\n line */ ",
        '// "}{,\n',
        "\r\n",
    ]
)


@st.composite
def jsonc_text(draw, value: object) -> str:
    """``value`` written as JSONC: comments and whitespace between tokens, trailing commas."""
    gap = draw(comments)
    if isinstance(value, dict):
        parts = [
            f"{draw(comments)}{json.dumps(k)}{draw(comments)}:{draw(jsonc_text(v))}{draw(comments)}"
            for k, v in value.items()
        ]
        trailing = "," if parts and draw(st.booleans()) else ""
        return gap + "{" + ",".join(parts) + trailing + draw(comments) + "}" + draw(comments)
    if isinstance(value, list):
        items = [draw(jsonc_text(v)) for v in value]
        trailing = "," if items and draw(st.booleans()) else ""
        return gap + "[" + ",".join(items) + trailing + draw(comments) + "]"
    return gap + json.dumps(value, ensure_ascii=draw(st.booleans())) + draw(comments)


objects = st.dictionaries(st.text(max_size=8).filter(lambda k: k != "context_servers"), values,
                          max_size=5)  # fmt: skip
servers = st.dictionaries(st.text(max_size=6).filter(lambda k: k != "aimem"), values, max_size=3)


@given(values, st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_parse_equals_the_value_whatever_the_comments(value, data):
    text = data.draw(jsonc_text(value))
    assert jsonc.loads(text) == value


@given(values, st.sampled_from([None, 2, 4, "\t"]))
def test_strict_json_parses_like_the_json_module(value, indent):
    text = json.dumps(value, indent=indent)
    assert jsonc.loads(text) == json.loads(text)


@given(objects, st.one_of(st.none(), servers), st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_install_then_uninstall_gives_back_every_byte(top, existing, data):
    if existing is not None:
        top = {"context_servers": existing, **top}
    text = data.draw(jsonc_text(top))
    installed = jsonc.set_member(text, PARENTS, "aimem", ENTRY)
    parsed = jsonc.loads(installed)
    assert parsed["context_servers"]["aimem"] == ENTRY
    assert {k: v for k, v in parsed.items() if k != "context_servers"} == {
        k: v for k, v in top.items() if k != "context_servers"
    }
    again = jsonc.set_member(installed, PARENTS, "aimem", ENTRY)
    assert jsonc.loads(again) == parsed
    removed = jsonc.remove_member(installed, PARENTS, "aimem")
    if existing or existing is None and top:
        assert removed == text  # non-empty objects: the exact original bytes
    left = jsonc.loads(removed)
    if left.get("context_servers") == {}:
        del left["context_servers"]  # an emptied object goes unless a comment is in it
    assert left == {k: v for k, v in top.items() if k != "context_servers"} | (
        {"context_servers": existing} if existing else {}
    )


@given(st.text(max_size=80))
@settings(max_examples=400)
def test_any_text_is_edited_correctly_or_refused(tmp_path_factory, text):
    path = Path(tmp_path_factory.mktemp("j")) / "settings.json"
    path.write_text(text, newline="")
    for value in (ENTRY, None):
        try:
            change = jsonc.edit_member(str(path), PARENTS, "aimem", value, is_aimem_server)
        except InstallError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            continue
        if change.after is not None and change.changed:
            data = jsonc.loads(change.after)
            if value is not None:
                assert data["context_servers"]["aimem"] == ENTRY


@given(st.text(alphabet='{}[]",:/*\n \\tru0e1-', max_size=40))
@settings(max_examples=400)
def test_json_shaped_garbage_never_crashes_the_parser(text):
    with contextlib.suppress(jsonc.JsoncError):
        jsonc.loads(text)


def test_a_refusal_names_the_place():
    with pytest.raises(jsonc.JsoncError, match="line 2 column 3"):
        jsonc.loads('{\n  theme: "x"\n}')
    with pytest.raises(jsonc.JsoncError, match="unterminated"):
        jsonc.loads('{"a": 1 /* open')
    with pytest.raises(jsonc.JsoncError, match="nested too deeply"):
        jsonc.loads("[" * 500 + "]" * 500)


def test_duplicate_keys_on_the_path_are_refused():
    text = '{"context_servers": {}, "context_servers": {"x": 1}}'
    with pytest.raises(jsonc.JsoncError, match="defined 2 times"):
        jsonc.set_member(text, PARENTS, "aimem", ENTRY)


def test_a_non_object_parent_is_refused():
    with pytest.raises(jsonc.JsoncError, match="not an object"):
        jsonc.set_member('{"context_servers": []}', PARENTS, "aimem", ENTRY)
    assert jsonc.remove_member('{"context_servers": []}', PARENTS, "aimem") == (
        '{"context_servers": []}'
    )


def test_the_last_member_takes_its_leading_comma_when_it_has_none():
    text = '{\n  "context_servers": {\n    "x": 1,\n    "aimem": {"command": "aimem"}\n  }\n}'
    assert jsonc.remove_member(text, PARENTS, "aimem") == (
        '{\n  "context_servers": {\n    "x": 1\n  }\n}'
    )


def test_crlf_files_get_crlf_lines():
    text = '{\r\n  "a": 1\r\n}\r\n'
    installed = jsonc.set_member(text, PARENTS, "aimem", ENTRY)
    assert "\n" not in installed.replace("\r\n", "")
    assert jsonc.remove_member(installed, PARENTS, "aimem") == text
