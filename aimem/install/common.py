"""What every agent installer shares: where configs live, reading and merging JSON and TOML without
losing the user's content, and writing atomically with a ``.bak``.

The installers plan first (``FileChange``: the text before and after) and write only when every
file of every agent planned cleanly, so a config that does not parse stops the whole run before a
byte is written. Planning is pure, which is also what makes ``--dry-run`` and the tests exact.

Byte guarantees:

* A second install plans no change (the merged data equals what is there), so nothing is written,
  not even a file that a human formatted differently.
* JSON is written back in the file's own style when that style is one ``json.dumps`` produces
  (indent 1/2/4/tab or compact, with or without ``ensure_ascii``, trailing newline or not): then
  uninstall after install gives back the original bytes. Other formatting (hand-aligned, comments
  are refused anyway) is normalised to that style on the first write: the same data, not the same
  bytes.
* TOML is never re-serialised (no TOML writer in the standard library, and comments must survive):
  aimem owns one block between ``# >>> aimem >>>`` and ``# <<< aimem <<<`` and edits only that
  text; ``tomllib`` validates the file before and after.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import json
import os
import shlex
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aimem

SCOPES = ("user", "project")
TOML_BEGIN = "# >>> aimem >>>"
TOML_END = "# <<< aimem <<<"
MANAGED_MARK = "aimem-managed"  # in whole files aimem owns (opencode plugin, Cursor rule)


class InstallError(Exception):
    """A config aimem must not touch (does not parse, unexpected shape): one line for the user."""


@dataclass(frozen=True)
class Target:
    """Where an install goes: the scope, the executable the hooks run, and the environment that
    decides the config locations (``HOME``, ``CODEX_HOME``, ``XDG_CONFIG_HOME``)."""

    scope: str
    executable: str
    project: str  # the project root (project scope: its configs live there)
    env: Mapping[str, str]

    @property
    def home(self) -> str:
        return self.env.get("HOME") or os.path.expanduser("~")

    @property
    def xdg_config(self) -> str:
        return self.env.get("XDG_CONFIG_HOME") or os.path.join(self.home, ".config")

    @property
    def codex_home(self) -> str:
        return self.env.get("CODEX_HOME") or os.path.join(self.home, ".codex")

    @property
    def user(self) -> bool:
        return self.scope == "user"


def project_root(start: str) -> str:
    """The folder project-scope configs go to: the nearest enclosing git worktree top (a ``.git``
    dir or file), else ``start`` itself."""
    here = os.path.abspath(start)
    probe = here
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return here
        probe = parent


def check_project_scope(target: Target) -> None:
    """Project scope only where aimem records a project: in ``$HOME`` the "project" configs are
    the user's own (``~/.codex/hooks.json``), and ``/`` or the temp folder are nobody's project.
    Raises ``InstallError`` (one line) for those; user scope always passes."""
    if target.user:
        return
    from aimem.project import non_project_dirs

    root = os.path.realpath(target.project)
    if root in non_project_dirs(target.env) | {os.path.realpath(target.home)}:
        raise InstallError(
            f"--scope project needs a project folder, and {target.project} is not one "
            "($HOME, / and the temp folder are not projects): run it inside a project, "
            "pass --project-dir, or use --scope user"
        )


def default_executable() -> str:
    """The installed ``aimem`` as an absolute path. Agents run hooks with a minimal PATH, and a
    pyenv-style shim would add ~125 ms per call, so the console script next to the running
    interpreter wins over whatever ``PATH`` finds first."""
    sibling = Path(sys.executable).parent / "aimem"
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return str(sibling.absolute())
    found = shutil.which("aimem")
    if found:
        return os.path.abspath(found)
    raise InstallError("cannot find the installed aimem executable; pass --executable PATH")


def templates_dir() -> Path:
    """``hook_scripts/``: packaged next to the code in a wheel, at the repository root otherwise."""
    package = Path(aimem.__file__).resolve().parent
    for candidate in (package / "hook_scripts", package.parent / "hook_scripts"):
        if candidate.is_dir():
            return candidate
    raise InstallError("hook_scripts/ templates are missing from this aimem installation")


def shell_command(executable: str, *args: str) -> str:
    return " ".join(shlex.quote(part) for part in (executable, *args))


def substitute(value: object, executable: str) -> object:
    """Fill a template: ``{{AIMEM}}`` is the executable quoted for a shell command line,
    ``{{AIMEM_PATH}}`` the bare path (argv-style fields)."""
    if isinstance(value, str):
        return value.replace("{{AIMEM}}", shlex.quote(executable)).replace(
            "{{AIMEM_PATH}}", executable
        )
    if isinstance(value, list):
        return [substitute(v, executable) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, executable) for k, v in value.items()}
    return value


def json_template(rel: str, executable: str) -> dict:
    with open(templates_dir() / rel, encoding="utf-8") as fh:
        return substitute(json.load(fh), executable)  # type: ignore[return-value]


def text_template(rel: str, executable: str) -> str:
    """A text template; a JS/JSON string literal ``"{{AIMEM_PATH}}"`` becomes the JSON-quoted path
    (valid in both languages whatever the path holds)."""
    text = (templates_dir() / rel).read_text(encoding="utf-8")
    return text.replace('"{{AIMEM_PATH}}"', json.dumps(executable))


# --- recognising aimem's own entries ----------------------------------------------------------


def aimem_argv(command: object) -> list[str] | None:
    """A command line as argv when it runs aimem (``…/aimem <sub> …`` or ``… -m aimem <sub> …``),
    else ``None``. Recognition is by the command, so entries survive being re-pointed."""
    if isinstance(command, list):
        argv = [a for a in command if isinstance(a, str)]
    elif isinstance(command, str):
        try:
            argv = shlex.split(command)
        except ValueError:
            return None
    else:
        return None
    for i, part in enumerate(argv[:-1]):
        if os.path.basename(part) in ("aimem", "aimem.exe"):
            return argv[i:]
        if part == "-m" and argv[i + 1] == "aimem":
            return argv[i + 1 :]
    return None


def runs_aimem(command: object, sub: str) -> bool:
    argv = aimem_argv(command)
    return argv is not None and len(argv) > 1 and argv[1] == sub


def is_aimem_handler(handler: object) -> bool:
    return isinstance(handler, dict) and runs_aimem(handler.get("command"), "hook")


# --- files ------------------------------------------------------------------------------------


@dataclass
class FileChange:
    """One file's planned content. ``None`` means absent (before) or delete (after)."""

    path: str
    before: str | None
    after: str | None
    backup: bool = True  # keep the previous content as ``<file>.bak``
    mode: int | None = None  # for a new file; an existing file keeps its mode

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def action(self) -> str:
        if not self.changed:
            return "unchanged" if self.before is not None else "absent"
        if self.before is None:
            return "created"
        return "deleted" if self.after is None else "updated"


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise InstallError(f"{path}: not UTF-8 text; nothing was written") from None
    except OSError as exc:
        raise InstallError(f"{path}: cannot read ({exc.strerror}); nothing was written") from None


def unified_diff(change: FileChange) -> str:
    before = (change.before or "").splitlines(keepends=True)
    after = (change.after or "").splitlines(keepends=True)
    lines = difflib.unified_diff(
        before,
        after,
        fromfile=change.path if change.before is not None else "/dev/null",
        tofile=change.path if change.after is not None else "/dev/null",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str, text: str, mode: int | None = None) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old or the new file, never
    half of one. An existing file keeps its permissions."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644 if mode is None else mode
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def apply(changes: list[FileChange]) -> None:
    """Write every changed file. A file that changed since it was planned (an agent rewrote it)
    stops the run before anything more is written. Symlinked configs (dotfile managers) are
    written through: the link stays a link."""
    for change in changes:
        if not change.changed:
            continue
        if read_text(change.path) != change.before:
            raise InstallError(f"{change.path} changed while aimem was planning; run it again")
    for change in changes:
        if not change.changed:
            continue
        real = os.path.realpath(change.path)
        if change.before is not None and change.backup:
            atomic_write(real + ".bak", change.before)
        if change.after is None:
            os.unlink(real)
            _fsync_dir(os.path.dirname(real))
        else:
            atomic_write(real, change.after, change.mode)


# --- JSON -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JsonStyle:
    indent: int | str | None = 2
    compact: bool = False  # separators "," and ":" (only without indent)
    ensure_ascii: bool = False
    newline: bool = True  # text ends with "\n"

    def dumps(self, data: object) -> str:
        separators = (",", ":") if self.compact else None
        text = json.dumps(
            data, indent=self.indent, separators=separators, ensure_ascii=self.ensure_ascii
        )
        return text + ("\n" if self.newline else "")


_STYLES = [
    JsonStyle(indent=indent, compact=compact, ensure_ascii=ascii_)
    for indent, compact in ((2, False), (4, False), ("\t", False), (1, False), (None, False),
                            (None, True), (3, False), (8, False))
    for ascii_ in (False, True)
]  # fmt: skip


def json_style(text: str, data: object) -> JsonStyle:
    """The ``json.dumps`` style that reproduces ``text`` exactly, else the closest guess."""
    newline = text.endswith("\n")
    for style in _STYLES:
        candidate = JsonStyle(style.indent, style.compact, style.ensure_ascii, newline)
        if candidate.dumps(data) == text:
            return candidate
    indent: int | str | None = 2
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            lead = line[: len(line) - len(stripped)]
            indent = "\t" if lead.startswith("\t") else len(lead)
            break
    else:
        if "\n" not in text.strip():
            indent = None
    return JsonStyle(indent=indent, newline=newline or indent is not None)


def parse_json_object(path: str, text: str | None) -> dict:
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InstallError(
            f"{path}: not valid JSON ({exc}); fix it or move it away, nothing was written"
        ) from None
    if not isinstance(data, dict):
        raise InstallError(f"{path}: expected a JSON object at the top; nothing was written")
    return data


def edit_json(
    path: str,
    mutate: Callable[[dict], None],
    empty: tuple[dict, ...] = ({},),
    mode: int | None = None,
) -> FileChange:
    """Plan ``mutate`` on the JSON object in ``path``. Unchanged data plans no write; data left
    equal to one of ``empty`` (nothing but what aimem would have created) deletes the file."""
    before = read_text(path)
    data = parse_json_object(path, before)
    new = copy.deepcopy(data)
    mutate(new)
    if new == data:
        return FileChange(path, before, before)
    if before is not None and any(new == e for e in empty):
        return FileChange(path, before, None)
    style = json_style(before, data) if before and before.strip() else JsonStyle()
    return FileChange(path, before, style.dumps(new), mode=mode)


def child(data: dict, key: str, path: str) -> dict:
    """``data[key]`` as an object, created when missing; a non-object stops the install."""
    value = data.setdefault(key, {})
    if not isinstance(value, dict):
        raise InstallError(f"{path}: `{key}` is not a JSON object; nothing was written")
    return value


def drop_if_empty(data: dict, key: str) -> None:
    if data.get(key) in ({}, []):
        del data[key]


# --- hooks in the Claude Code shape (also Codex and Gemini) -----------------------------------


def _strip_aimem_groups(groups: list) -> list:
    """The groups without aimem's handlers; groups left empty by that go too."""
    kept = []
    for group in groups:
        if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
            kept.append(group)
            continue
        handlers = [h for h in group["hooks"] if not is_aimem_handler(h)]
        if len(handlers) == len(group["hooks"]):
            kept.append(group)
        elif handlers:
            kept.append({**group, "hooks": handlers})
    return kept


def _aimem_groups(groups: list) -> list:
    return [
        g
        for g in groups
        if isinstance(g, dict)
        and isinstance(g.get("hooks"), list)
        and any(is_aimem_handler(h) for h in g["hooks"])
    ]


def merge_nested_hooks(data: dict, desired: dict[str, list], path: str) -> None:
    """Make aimem's groups in ``data["hooks"]`` exactly ``desired``; every other group, handler
    and key stays where it is. Aimem's groups go after the user's."""
    hooks = child(data, "hooks", path)
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        mine = _aimem_groups(groups)
        if (
            event in desired
            and mine == desired[event]
            and all(all(is_aimem_handler(h) for h in g["hooks"]) for g in mine)
        ):
            continue
        kept = _strip_aimem_groups(groups)
        if event in desired:
            kept = kept + copy.deepcopy(desired[event])
        if kept:
            hooks[event] = kept
        elif mine:
            del hooks[event]
    for event, groups in desired.items():
        if event not in hooks:
            hooks[event] = copy.deepcopy(groups)


def remove_nested_hooks(data: dict, path: str) -> None:
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list) or not _aimem_groups(groups):
            continue
        kept = _strip_aimem_groups(groups)
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    drop_if_empty(data, "hooks")


def nested_hook_commands(data: dict) -> dict[str, list[str]]:
    """Event -> aimem hook commands found (for ``aimem doctor``)."""
    found: dict[str, list[str]] = {}
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return found
    for event, groups in hooks.items():
        for group in _aimem_groups(groups) if isinstance(groups, list) else []:
            for handler in group["hooks"]:
                if is_aimem_handler(handler):
                    found.setdefault(event, []).append(handler["command"])
    return found


# --- MCP server entries -----------------------------------------------------------------------


def is_aimem_server(entry: object) -> bool:
    """An MCP entry that starts ``aimem mcp`` (``command`` + ``args``, or opencode's argv list)."""
    if not isinstance(entry, dict):
        return False
    command = entry.get("command")
    if isinstance(command, list):
        return runs_aimem(command, "mcp")
    args = entry.get("args")
    argv = [command] + (args if isinstance(args, list) else [])
    return runs_aimem(argv, "mcp")


def set_server(data: dict, key: str, name: str, entry: dict, path: str) -> None:
    servers = child(data, key, path)
    current = servers.get(name)
    if current is not None and not is_aimem_server(current):
        raise InstallError(
            f"{path}: an MCP server named {name!r} that does not run `aimem mcp` is already "
            "configured; rename or remove it, nothing was written"
        )
    servers[name] = entry


def remove_server(data: dict, key: str, name: str) -> None:
    servers = data.get(key)
    if isinstance(servers, dict) and is_aimem_server(servers.get(name)):
        del servers[name]
        drop_if_empty(data, key)


def server_argv(data: dict, key: str, name: str) -> list[str] | None:
    entry = (data.get(key) or {}).get(name) if isinstance(data.get(key), dict) else None
    if not is_aimem_server(entry):
        return None
    command = entry["command"]
    if isinstance(command, list):
        return [str(c) for c in command]
    return [str(command)] + [str(a) for a in entry.get("args") or []]


# --- a marked block in a TOML file ------------------------------------------------------------


def _block_span(text: str, path: str) -> tuple[int, int] | None:
    """``(start, end)`` of aimem's block including its line ends, or ``None``."""
    start = text.find(TOML_BEGIN)
    end_mark = text.find(TOML_END)
    if start < 0 and end_mark < 0:
        return None
    if start < 0 or end_mark < start or text.find(TOML_BEGIN, start + 1) >= 0:
        raise InstallError(f"{path}: aimem's block markers do not pair up; fix them by hand")
    if start > 0 and text[start - 1] != "\n":
        raise InstallError(f"{path}: aimem's block marker is not at a line start; fix it by hand")
    end = end_mark + len(TOML_END)
    if text.startswith("\n", end):
        end += 1
    return start, end


def parse_toml(path: str, text: str | None) -> dict:
    try:
        return tomllib.loads(text or "")
    except tomllib.TOMLDecodeError as exc:
        raise InstallError(
            f"{path}: not valid TOML ({exc}); fix it or move it away, nothing was written"
        ) from None


def toml_without_block(path: str, text: str | None) -> dict:
    """The file's data outside aimem's block: what aimem must not define a second time."""
    text = text or ""
    span = _block_span(text, path)
    if span is not None:
        text = text[: span[0]] + text[span[1] :]
    return parse_toml(path, text)


def toml_block(path: str, text: str | None) -> str | None:
    """The body of aimem's block (between the marker lines), or ``None``."""
    text = text or ""
    span = _block_span(text, path)
    if span is None:
        return None
    inner = text[span[0] : span[1]]
    return inner[inner.find("\n") + 1 : inner.rfind(TOML_END)]


def edit_toml_block(path: str, body: str | None, header: str) -> FileChange:
    """Plan aimem's block in ``path`` to hold ``body`` (TOML text ending in a newline), or to be
    gone for ``None``. Appended at the end after one blank line; removal takes that blank line
    back, so install + uninstall restores the original bytes (for a file ending in a newline)."""
    before = read_text(path)
    parse_toml(path, before)
    text = before or ""
    span = _block_span(text, path)
    block = f"{TOML_BEGIN} {header}\n{body}{TOML_END}\n" if body else ""
    if span is not None:
        start, end = span
        if not block and start >= 2 and text[start - 2 : start] == "\n\n":
            start -= 1  # the blank line install put before the block
        after = text[:start] + block + text[end:]
    elif not block:
        after = text
    elif not text:
        after = block
    else:
        after = text + ("" if text.endswith("\n") else "\n") + "\n" + block
    if after == text:
        return FileChange(path, before, before)
    parse_toml(path, after)  # never write a file Codex could not read
    if before is not None and not after.strip():
        return FileChange(path, before, None)
    return FileChange(path, before, after)


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML for everything json.dumps emits)."""
    return json.dumps(value, ensure_ascii=False)


# --- whole files aimem owns -------------------------------------------------------------------


def managed_file(path: str, content: str | None) -> FileChange:
    """Plan a file aimem owns outright (it carries ``MANAGED_MARK``): written for ``content``,
    deleted for ``None``. A file of the same name that is not aimem's is never touched."""
    before = read_text(path)
    if before is not None and MANAGED_MARK not in before:
        if content is None:
            return FileChange(path, before, before)
        raise InstallError(f"{path} exists and is not aimem's; move it away, nothing was written")
    return FileChange(path, before, content, backup=False)


@dataclass
class ConfigFile:
    """One config file as ``aimem doctor`` sees it."""

    path: str
    exists: bool
    error: str | None = None


@dataclass
class Inspection:
    """What an agent's configs say about aimem (read only; for ``aimem doctor``)."""

    files: list[ConfigFile] = field(default_factory=list)
    hooks: dict[str, list[str]] = field(default_factory=dict)  # event -> aimem commands
    expected: list[str] = field(default_factory=list)  # events aimem installs
    mcp: list[str] | None = None  # argv of the aimem MCP entry
    start_command: str | None = None  # the session-start hook command, for the round trip
    problems: list[tuple[str, str]] = field(default_factory=list)  # (detail, fix command)
    facts: list[tuple[str, str]] = field(default_factory=list)  # (check name, detail): all good

    @property
    def installed(self) -> bool:
        return bool(self.hooks) or self.mcp is not None


def inspect_json(path: str, result: Inspection) -> dict:
    """Read a JSON config for doctor: parse errors are recorded, not raised."""
    try:
        text = read_text(path)
        data = parse_json_object(path, text)
    except InstallError as exc:
        result.files.append(ConfigFile(path, True, str(exc).split("; ")[0]))
        return {}
    result.files.append(ConfigFile(path, text is not None))
    return data
