"""The code map (ARCHITECTURE.md) stays true: data flows one way through the subpackages.

Each subpackage has a place in the flow; a module may import from its own subpackage and from
those before it, never from one after it or beside it.  The map must name every subpackage, and
no module may grow past the house limit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ldt_catalog"

FLOW: dict[str, int] = {
    # shared contracts, imported by everyone
    "errors": 0,
    "package_data": 0,
    "accelerators": 0,
    # the flow: pages → raw records → model → entities → RDF → checks → outputs → the world
    "sources": 1,
    "model": 2,
    "ngsild": 3,
    "rdf": 4,
    "validation": 5,
    "federation": 6,
    "site": 6,
    "pipeline": 7,
    "broker": 8,
    "consume": 8,
    "cli": 9,
    "__main__": 10,
}
MAX_LINES = 520
"""The house limit of about 500 lines, with a little room for a docstring that grows."""


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _part(module: Path) -> str:
    relative = module.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imported_parts(module: Path) -> list[tuple[int, str]]:
    """``(line, part)`` for every import of another part of the package (absolute or relative)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's own package
                base = module.relative_to(PACKAGE).parent.parts[
                    : len(module.relative_to(PACKAGE).parts) - node.level
                ]
                names = [".".join(("ldt_catalog", *base, node.module or ""))]
            elif node.module == "ldt_catalog":
                names = [f"ldt_catalog.{alias.name}" for alias in node.names]
            else:
                names = [node.module or ""]
        for name in names:
            parts = name.split(".")
            if parts[0] == "ldt_catalog" and len(parts) > 1 and parts[1] != "__version__":
                found.append((node.lineno, parts[1]))
    return found


def test_every_part_of_the_package_has_a_place_in_the_flow() -> None:
    parts = {_part(m) for m in _modules()} - {"__init__"}
    missing = parts - FLOW.keys()
    assert not missing, f"give these a place in FLOW and in ARCHITECTURE.md: {sorted(missing)}"


def test_the_code_map_names_every_subpackage() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    subpackages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    unnamed = [name for name in subpackages if f"`{name}/`" not in text]
    assert not unnamed, f"ARCHITECTURE.md does not name {unnamed}"


@pytest.mark.parametrize("module", _modules(), ids=lambda m: str(m.relative_to(PACKAGE)))
def test_imports_flow_one_way(module: Path) -> None:
    own = _part(module)
    if own == "__init__":
        return
    against = [
        f"{module.relative_to(ROOT)}:{line}: imports ldt_catalog.{part} (flow {FLOW.get(part)}) "
        f"from {own} (flow {FLOW[own]})"
        for line, part in _imported_parts(module)
        if part != own and FLOW.get(part, 99) >= FLOW[own]
    ]
    assert not against, "\n".join(against)


@pytest.mark.parametrize("module", _modules(), ids=lambda m: str(m.relative_to(PACKAGE)))
def test_modules_stay_under_the_house_limit(module: Path) -> None:
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module.relative_to(ROOT)} has {lines} lines; split it by job"
