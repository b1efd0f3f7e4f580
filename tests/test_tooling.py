"""The commit hook and `make test` run the same checks, so a commit that
passes the hook does not fail CI on lint, format or types."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _make_test_checks() -> list[str]:
    """The commands of `make test` before the test runs, without `$(BIN)/`."""
    recipe = re.search(
        r"^test:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M
    )
    assert recipe is not None
    lines = [line.strip() for line in recipe.group(1).splitlines()]
    return [
        line.removeprefix("$(BIN)/")
        for line in lines
        if line.startswith("$(BIN)/") and "pytest" not in line
    ]


def _hook_commands() -> list[str]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    (local,) = config["repos"]
    return [
        hook["entry"].removeprefix(".venv/bin/").replace(" --force-exclude", "")
        for hook in local["hooks"]
    ]


def test_the_commit_hook_runs_what_make_test_runs_first() -> None:
    assert _make_test_checks() == [
        "ruff check .",
        "ruff format --check .",
        "mypy",
    ]
    assert _hook_commands() == ["ruff check", "ruff format --check", "mypy"]
    assert [c.removesuffix(" .") for c in _make_test_checks()] == _hook_commands()
