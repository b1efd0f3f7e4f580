"""The README's Layout section is a map a newcomer follows: every path it
names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A path in the layout block: a top-level entry of the repository, then
# more path segments (`app/db/`, `app/templates/graphiql.html`, `tests/`).
PATH = re.compile(r"(?<![\w./-])((?:[\w.-]+/)+[\w.-]*)")


def layout_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Layout\n", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None, "README.md's Layout section has no code block"
    return block.group(1)


def named_paths(block: str) -> list[str]:
    top_level = {entry.name for entry in ROOT.iterdir()}
    return [path for path in PATH.findall(block) if path.split("/", 1)[0] in top_level]


def test_every_path_the_layout_names_exists() -> None:
    paths = named_paths(layout_block())
    assert len(paths) >= 20, paths  # the block was found and read
    missing = [path for path in paths if not (ROOT / path).exists()]
    assert missing == []


def test_the_layout_names_every_top_level_package() -> None:
    block = layout_block()
    packages = sorted(
        entry.name
        for entry in ROOT.iterdir()
        if (entry / "__init__.py").exists() or entry.name in ("migrations", "deploy")
    )
    assert [name for name in packages if f"{name}/" not in block] == []
