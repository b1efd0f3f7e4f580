"""The package imports only graphql-core, strawberry and the standard library,
so that it can be read, tested and upgraded apart from the app."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent
ALLOWED = {"graphql", "strawberry", "graphql_fastpath"}
# Its tests may use pytest as well.
ALLOWED_IN_TESTS = ALLOWED | {"pytest"}


def imported_modules(path: Path) -> set[str]:
    """The top-level names of the modules that `path` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


@pytest.mark.parametrize(
    "path",
    sorted(PACKAGE.rglob("*.py")),
    ids=lambda path: str(path.relative_to(PACKAGE.parent)),
)
def test_the_package_imports_only_graphql_core_strawberry_and_the_stdlib(
    path: Path,
) -> None:
    allowed = (
        ALLOWED_IN_TESTS if "tests" in path.relative_to(PACKAGE).parts else ALLOWED
    )
    foreign = imported_modules(path) - allowed - set(sys.stdlib_module_names)
    assert not foreign, f"{path.relative_to(PACKAGE.parent)} imports {sorted(foreign)}"
