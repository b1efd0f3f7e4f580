"""The layout of the suite: fixtures live in conftest.py, and test modules
import helpers (tests/helpers.py, tests/operations.py, tests/factories.py,
tests/support/), never another test module or a conftest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def all_test_modules() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def imported_modules(tree: ast.Module) -> list[str]:
    """Every module an `import` or `from ... import` names, relative ones
    with their dots."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            names.append(module)
            # `from tests import test_x` or `from . import conftest`
            names += [f"{module}.{alias.name}" for alias in node.names]
    return names


def is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def fixtures_defined(tree: ast.Module) -> list[str]:
    """Functions decorated with pytest.fixture, called or not."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = (
                    decorator.func if isinstance(decorator, ast.Call) else decorator
                )
                if ast.unparse(target) in {"pytest.fixture", "fixture"}:
                    found.append(node.name)
    return found


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_checks_see_the_suite() -> None:
    assert TESTS / "test_layout.py" in all_test_modules()
    assert fixtures_defined(parsed(TESTS / "conftest.py"))
    assert is_test_module("tests.graphql.test_auth")
    assert is_test_module("tests.conftest")
    assert not is_test_module("tests.helpers")


@pytest.mark.parametrize("path", all_test_modules(), ids=relative)
def test_no_test_module_imports_another_or_a_conftest(path: Path) -> None:
    imported = [name for name in imported_modules(parsed(path)) if is_test_module(name)]
    assert imported == [], (
        f"{relative(path)} imports {imported}: move what it needs to "
        "tests/helpers.py, tests/operations.py or tests/support/, or make it a "
        "fixture in tests/conftest.py"
    )


def test_only_conftest_defines_fixtures() -> None:
    defining = {
        relative(path): fixtures
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != "conftest.py" and (fixtures := fixtures_defined(parsed(path)))
    }
    assert defining == {}, f"fixtures belong in tests/conftest.py: {defining}"
