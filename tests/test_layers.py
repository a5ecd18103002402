"""The layers of ``aimem/`` (docs/architecture.md, "Layers"), read from every module's imports.

Bottom up: base (config, logging, project identity, hashing, redaction, atomic files), then
``capture/`` (the stdlib-only hook path) beside ``wiki/`` (pages, git, lock, catalogue files),
``index/`` (derived from the wiki), the operations that read and change memory, and the
interfaces (``mcp/``, ``cli/``, ``web/``) on top. A module imports only from its own layer and
the layers it may see; every import counts, the ones inside functions too, since a lazy import
is as much a dependency as one at the top of the file.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aimem"

# Where each module belongs: the longest matching prefix of its dotted name wins.
LAYER_OF = {
    "aimem": "base",  # the package itself: __version__
    "aimem._hash": "base",
    "aimem.config": "base",
    "aimem.files": "base",
    "aimem.logfile": "base",
    "aimem.project": "base",
    "aimem.redact": "base",
    "aimem.spawn": "base",
    "aimem.capture": "capture",
    "aimem.wiki": "wiki",
    "aimem.index": "index",
    "aimem.memory": "operations",
    "aimem.consolidate": "operations",
    "aimem.lifecycle": "operations",
    "aimem.compile": "operations",
    "aimem.sync": "operations",
    "aimem.admin": "operations",
    "aimem.install": "operations",
    "aimem.recall": "operations",
    "aimem.routing": "operations",
    "aimem.timeline": "operations",
    "aimem.mcp": "interfaces",
    "aimem.cli": "interfaces",
    "aimem.web": "interfaces",
    "aimem.entry": "interfaces",
    "aimem.__main__": "interfaces",
}

# What each layer may import (its own layer included). ``capture/`` sits beside ``wiki/`` and
# ``index/``: the hook must not load git or SQLite, and storage must not depend on the hook.
MAY_IMPORT = {
    "base": {"base"},
    "capture": {"base", "capture"},
    "wiki": {"base", "wiki"},
    "index": {"base", "wiki", "index"},
    "operations": {"base", "capture", "wiki", "index", "operations"},
    "interfaces": {"base", "capture", "wiki", "index", "operations", "interfaces"},
}
ORDER = ["base", "capture", "wiki", "index", "operations", "interfaces"]


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository
    line: int
    module: str  # the importing module
    target: str  # the imported aimem module


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    rel = PACKAGE.parent.joinpath(*name.split("."))
    return rel.with_suffix(".py").is_file() or (rel / "__init__.py").is_file()


def imports_of(path: Path, source: str | None = None) -> list[Import]:
    """Every ``aimem`` module ``path`` imports, at any depth of the file. ``from aimem.x import
    y`` counts as ``aimem.x.y`` when ``y`` is a module, else as ``aimem.x``."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    file = str(path.relative_to(PACKAGE.parent))
    out: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from its package upwards
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [
                f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target == "aimem" or target.startswith("aimem."):
                out.append(Import(file, node.lineno, module, target))
    return out


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        layer = LAYER_OF.get(".".join(parts[:n]))
        if layer is not None:
            return layer
    return None


def violation(imp: Import) -> str | None:
    """Why ``imp`` breaks the layering, or ``None``."""
    own, target = layer_of(imp.module), layer_of(imp.target)
    if own is None:
        return f"{imp.file}: module {imp.module} is in no layer; add it to LAYER_OF"
    if target is None:
        return f"{imp.file}:{imp.line}: imports {imp.target}, which is in no layer"
    if target in MAY_IMPORT[own]:
        return None
    allowed = ", ".join(layer for layer in ORDER if layer in MAY_IMPORT[own])
    return (
        f"{imp.file}:{imp.line}: imports {imp.target} ({target} layer); "
        f"rule: {own} modules may import only {allowed}"
    )


def all_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_is_in_a_layer() -> None:
    missing = [module_name(p) for p in all_modules() if layer_of(module_name(p)) is None]
    assert missing == [], f"modules in no layer (add them to LAYER_OF): {missing}"


def test_no_import_goes_against_the_layers() -> None:
    problems = [
        why for path in all_modules() for imp in imports_of(path) if (why := violation(imp))
    ]
    assert problems == [], "imports against the layers:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("module_file", "code", "rule"),
    [
        ("wiki/lock.py", "def f():\n    from aimem.capture.state import state_lock\n", "wiki"),
        ("index/graph.py", "from aimem.consolidate import run\n", "index"),
        ("capture/hook.py", "import aimem.wiki.repo\n", "capture"),
        ("project.py", "from aimem import recall\n", "base"),
        ("wiki/pages.py", "from ..index import fts\n", "wiki"),
    ],
)
def test_an_upward_import_is_reported_with_the_file_and_the_rule(
    module_file: str, code: str, rule: str
) -> None:
    """The checker itself, on a source with a deliberate upward import (a lazy one included)."""
    path = PACKAGE / module_file
    found = [why for imp in imports_of(path, code) if (why := violation(imp))]
    assert len(found) == 1, found
    assert found[0].startswith(f"aimem/{module_file}:")
    assert f"rule: {rule} modules may import only" in found[0]
