"""The house has floors, and imports only go down: cli → output → studies → harness → engine.

Every module of the package is parsed (not imported) and each import it makes, at any depth of
the module, is resolved to the module it names and checked against the floors.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "diffstudy"

# Lower numbers are lower floors. A module may import its own floor and the floors below.
FLOORS = {
    "diffstudy.errors": 0,
    "diffstudy.engine": 1,
    "diffstudy.fn": 1,  # the elementary functions, handed on from the engine's table
    "diffstudy.harness": 2,
    "diffstudy.api": 2,
    "diffstudy.compiled": 2,  # the function API's jit: beside it, on the engine
    "diffstudy.watched": 2,  # what a jitted function reads besides its arguments
    "diffstudy.checkpointing": 2,  # the function API's checkpoint and loop: beside it, on the engine
    "diffstudy.studies": 3,
    "diffstudy.output": 4,
    "diffstudy.cli": 5,
    "diffstudy.notebook": 5,  # the study from Python, displayed: on the output floor, beside the command line
    "diffstudy.__main__": 6,
    "diffstudy": 6,  # the package's face: the public names
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor_of(module: str) -> int:
    """The floor of a module of the package: that of the longest prefix named in FLOORS."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in FLOORS:
            return FLOORS[prefix]
    raise AssertionError(f"{module} stands on no floor: add it to FLOORS")


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import of the package's own modules in ``path``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.append((node.lineno, target if is_module(target) else base))
    return [(line, module) for line, module in found if module.split(".")[0] == "diffstudy"]


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_stands_on_a_floor():
    for path in MODULES:
        floor_of(module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_only_go_down(path):
    here = module_name(path)
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {module} (floor {floor_of(module)} > {floor_of(here)})"
        for line, module in imported_modules(path)
        if floor_of(module) > floor_of(here)
    ]
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    # The test above must be able to fail: an engine module that imports the output floor.
    fake = PACKAGE / "engine" / "primitives.py"
    source = "from ..output import tables\nfrom ..errors import DomainError\n"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    modules = imported_modules(fake)
    assert ("diffstudy.output.tables" in {m for _, m in modules}) and floor_of("diffstudy.output.tables") == 4
    assert floor_of(module_name(fake)) == 1


def test_importing_diffstudy_loads_neither_pandas_nor_matplotlib():
    # The function API and the engines need neither; the tables and figures load them when used.
    code = "import sys, diffstudy; print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
