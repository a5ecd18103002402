"""Editing one member of a JSON-with-comments file (Zed's ``settings.json``, VS Code's
``mcp.json``) as text, so every comment, trailing comma and blank line of the user's stays.

Re-serialising such a file would drop its comments, so aimem never does: it parses the file into
a tree that knows where each member starts and ends, then inserts, replaces or cuts exactly the
text of its own member. The result is parsed again and must equal the intended data, else nothing
is written. What this parser accepts: JSON plus ``//`` and ``/* */`` comments and trailing commas
(what Zed and VS Code accept in practice); anything else is refused with one line.

Install inserts ``<newline><indent>"name": value,`` right after the object's ``{``; uninstall cuts
the same span back out, so install + uninstall restores the original bytes.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from aimem.install.common import FileChange, InstallError, read_text

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}
MAX_DEPTH = 200  # deeper nesting is refused rather than risking the interpreter's recursion limit


class JsoncError(ValueError):
    """The text is not JSON with comments; the message names where."""


@dataclass
class Member:
    key: str
    start: int  # index of the key's opening quote
    value: Node
    comma: int = -1  # index of the comma after the value, -1 for none


@dataclass
class Node:
    start: int  # first character of the value
    end: int  # index after the value
    value: object
    members: list[Member] = field(default_factory=list)  # objects only
    is_object: bool = False


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> JsoncError:
        line = self.text.count("\n", 0, self.pos) + 1
        col = self.pos - (self.text.rfind("\n", 0, self.pos) + 1) + 1
        return JsoncError(f"{what} at line {line} column {col}")

    def skip(self) -> None:
        """Whitespace and comments."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r\n\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("unterminated /* comment")
                self.pos = end + 2
            else:
                return

    def value(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail("nested too deeply")
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("expected a value, found the end")
        ch = self.text[self.pos]
        if ch == "{":
            return self.obj(depth)
        if ch == "[":
            return self.array(depth)
        if ch == '"':
            start = self.pos
            return Node(start, self.pos, self.string())
        for word, val in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                start = self.pos
                self.pos += len(word)
                return Node(start, self.pos, val)
        match = _NUMBER.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return Node(match.start(), self.pos, json.loads(match.group()))
        raise self.fail(f"unexpected {ch!r}")

    def string(self) -> str:
        start = self.pos
        i = start + 1
        text = self.text
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                self.pos = i + 1
                try:
                    return json.loads(text[start : i + 1])
                except ValueError:
                    raise self.fail("invalid string") from None
            i += 1
        raise self.fail("unterminated string")

    def obj(self, depth: int) -> Node:
        node = Node(self.pos, -1, {}, is_object=True)
        self.pos += 1
        values: dict = node.value  # type: ignore[assignment]
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                break
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a quoted key or '}'")
            key_start = self.pos
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':'")
            self.pos += 1
            child = self.value(depth + 1)
            node.members.append(Member(key, key_start, child))
            values[key] = child.value
            self.skip()
            if self.text.startswith(",", self.pos):
                node.members[-1].comma = self.pos
                self.pos += 1
                continue
            if not self.text.startswith("}", self.pos):
                raise self.fail("expected ',' or '}'")
            break
        self.pos += 1
        node.end = self.pos
        return node

    def array(self, depth: int) -> Node:
        node = Node(self.pos, -1, [])
        self.pos += 1
        items: list = node.value  # type: ignore[assignment]
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                break
            items.append(self.value(depth + 1).value)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if not self.text.startswith("]", self.pos):
                raise self.fail("expected ',' or ']'")
            break
        self.pos += 1
        node.end = self.pos
        return node


def parse(text: str) -> Node:
    """The document's tree; ``JsoncError`` when it is not JSON with comments."""
    parser = _Parser(text)
    node = parser.value(0)
    parser.skip()
    if parser.pos != len(text):
        raise parser.fail("unexpected text after the end")
    return node


def loads(text: str) -> object:
    return parse(text).value


# --- editing one member ------------------------------------------------------------------------


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_indent(text: str, pos: int) -> str:
    """The whitespace a line starts with, for the line holding ``pos``."""
    line_start = text.rfind("\n", 0, pos) + 1
    match = re.match(r"[ \t]*", text[line_start:pos])
    return match.group() if match else ""


def _indent_unit(text: str) -> str:
    """The file's indent step: the first indented line's leading whitespace, else two spaces."""
    match = re.search(r"\n([ \t]+)\S", text)
    if not match:
        return "  "
    return "\t" if match.group(1).startswith("\t") else match.group(1)


def _member_indent(text: str, obj: Node) -> str:
    """Where a new member of ``obj`` goes: under its first member when that one starts a line,
    else one step in from the line the object opens on."""
    for member in obj.members:
        before = text[text.rfind("\n", 0, member.start) + 1 : member.start]
        if not before.strip():
            return before
        break
    return _line_indent(text, obj.start) + _indent_unit(text)


def _render(value: object, indent: str, unit: str, newline: str) -> str:
    dumped = json.dumps(value, indent=unit, ensure_ascii=False)
    return dumped.replace("\n", newline + indent)


def _find(obj: Node, key: str, path: str) -> Member | None:
    found = [m for m in obj.members if m.key == key]
    if len(found) > 1:
        raise JsoncError(f"`{key}` is defined {len(found)} times in {path}")
    return found[0] if found else None


def _object_at(root: Node, parents: tuple[str, ...]) -> tuple[Node | None, int]:
    """The object at ``parents`` (or the deepest existing one) and how many keys were found."""
    node = root
    for depth, key in enumerate(parents):
        member = _find(node, key, "/".join(parents[:depth]) or "the top level")
        if member is None:
            return node, depth
        if not member.value.is_object:
            raise JsoncError(f"`{key}` is not an object")
        node = member.value
    return node, len(parents)


def set_member(text: str, parents: tuple[str, ...], key: str, value: object) -> str:
    """``text`` with ``parents…/key`` set to ``value``; missing parent objects are created."""
    root = parse(text)
    if not root.is_object:
        raise JsoncError("the top level is not an object")
    newline, unit = _newline(text), _indent_unit(text)
    obj, found = _object_at(root, parents)
    assert obj is not None
    if found == len(parents):
        existing = _find(obj, key, "/".join(parents))
        if existing is not None:
            indent = _line_indent(text, existing.start)
            rendered = _render(value, indent, unit, newline)
            return text[: existing.value.start] + rendered + text[existing.value.end :]
        name, payload = key, value
    else:  # create the missing parents around the value
        payload = value
        for part in reversed((*parents[found + 1 :], key)):
            payload = {part: payload}
        name = parents[found]
    indent = _member_indent(text, obj)
    member = json.dumps(name, ensure_ascii=False) + ": " + _render(payload, indent, unit, newline)
    inner = text[obj.start + 1 : obj.end - 1]
    if not obj.members and not inner.strip():
        closing = _line_indent(text, obj.start)
        body = newline + indent + member + newline + closing
        return text[: obj.start + 1] + body + text[obj.end - 1 :]
    comma = "," if obj.members else ""
    return text[: obj.start + 1] + newline + indent + member + comma + text[obj.start + 1 :]


def _cut(text: str, obj: Node, index: int) -> str:
    """``text`` without member ``index`` of ``obj``: from the line break before it (when only
    indentation is between) to its comma, so an inserted member leaves no trace. Keeping that
    line break is the fallback when it ends a ``//`` comment."""
    member = obj.members[index]
    start = member.start
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    if start > 0 and text[start - 1] == "\n":
        start -= 1
        if start > 0 and text[start - 1] == "\r":
            start -= 1
        cut = _cut_from(text, obj, index, start)
        try:
            parse(cut)
            return cut
        except JsoncError:
            pass
    return _cut_from(text, obj, index, member.start)


def _cut_from(text: str, obj: Node, index: int, start: int) -> str:
    member = obj.members[index]
    end = member.value.end
    if member.comma >= 0:
        if not text[end : member.comma].strip():
            return text[:start] + text[member.comma + 1 :]
        # A comment between the value and its comma stays; the comma goes.
        return text[:start] + text[end : member.comma] + text[member.comma + 1 :]
    if index > 0:
        # The last member has no comma: take the previous member's, so a strict-JSON file
        # stays strict (JSONC would accept the trailing comma, JSON would not).
        comma = obj.members[index - 1].comma
        return text[:comma] + text[comma + 1 : start] + text[end:]
    return text[:start] + text[end:]


def remove_member(text: str, parents: tuple[str, ...], key: str) -> str:
    """``text`` without ``parents…/key``; a parent object left with nothing in it (not even a
    comment) goes too."""
    root = parse(text)
    if not root.is_object:
        raise JsoncError("the top level is not an object")
    chain = [root]
    node = root
    for depth, part in enumerate(parents):
        member = _find(node, part, "/".join(parents[:depth]) or "the top level")
        if member is None or not member.value.is_object:
            return text
        node = member.value
        chain.append(node)
    names = (*parents, key)
    for level in range(len(names) - 1, -1, -1):
        obj = chain[level]
        index = next((i for i, m in enumerate(obj.members) if m.key == names[level]), None)
        if index is None:
            return text
        text = _cut(text, obj, index)
        if level == 0:
            break
        # Re-read the tree: offsets moved. Stop unless the parent is now truly empty.
        root = parse(text)
        chain = [root]
        node = root
        for part in parents[:level]:
            node = next(m.value for m in node.members if m.key == part)
            chain.append(node)
        emptied = chain[level]
        if emptied.members or text[emptied.start + 1 : emptied.end - 1].strip():
            break
    return text


def _without(data: object, names: tuple[str, ...]) -> object:
    """``data`` without ``names`` (a key path), parent objects left empty by that pruned."""
    data = copy.deepcopy(data)
    trail: list[tuple[dict, str]] = []
    node = data
    for name in names[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(name), dict):
            return data
        trail.append((node, name))
        node = node[name]
    if isinstance(node, dict):
        node.pop(names[-1], None)
    for parent, name in reversed(trail):
        if parent[name] == {}:
            del parent[name]
    return data


def _lookup(data: object, names: tuple[str, ...]) -> object:
    for name in names:
        if not isinstance(data, dict) or name not in data:
            return _MISSING
        data = data[name]
    return data


_MISSING = object()


def edit_member(
    path: str,
    parents: tuple[str, ...],
    key: str,
    value: object | None,
    owned: Callable[[object], bool],
) -> FileChange:
    """Plan ``parents…/key`` in the JSONC file ``path`` to be ``value`` (``None``: removed).
    An existing entry of that name that ``owned`` does not recognise is never replaced or
    removed. A file left with nothing (no key, no comment) is deleted."""
    before = read_text(path)
    names = (*parents, key)
    if before is None or not before.strip():
        if value is None:
            return FileChange(path, before, before)
        data: dict = {}
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[key] = value
        return FileChange(path, before, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    try:
        old = loads(before)
        if not isinstance(old, dict):
            raise JsoncError("the top level is not an object")
        current = _lookup(old, names)
        if current is not _MISSING and not owned(current):
            if value is None:
                return FileChange(path, before, before)
            raise InstallError(
                f"{path}: an entry named {key!r} that does not run `aimem mcp` is already "
                "configured; rename or remove it, nothing was written"
            )
        if value is None:
            after = remove_member(before, parents, key)
        elif current == value:
            return FileChange(path, before, before)
        else:
            after = set_member(before, parents, key, value)
        new = loads(after)
    except JsoncError as exc:
        raise InstallError(
            f"{path}: cannot be edited safely ({exc}); fix it or add the entry by hand, "
            "nothing was written"
        ) from None
    if after == before:
        return FileChange(path, before, before)
    expected = _MISSING if value is None else value
    if _without(new, names) != _without(old, names) or _lookup(new, names) != expected:
        raise InstallError(f"{path}: aimem's edit would change other settings; nothing was written")
    if new == {} and not re.sub(r"\s", "", after).replace("{}", ""):
        return FileChange(path, before, None)
    return FileChange(path, before, after)
