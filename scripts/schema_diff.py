"""Print the breaking and dangerous changes between schema.graphql at a git
ref and schema.graphql in the working tree; exit 1 on a breaking change.

    python scripts/schema_diff.py BASE          # e.g. HEAD~1, origin/main, v1.2.0

Every change is one line: `BREAKING <type>: <description>` or
`DANGEROUS <type>: <description>` (graphql-core's find_breaking_changes and
find_dangerous_changes). Dangerous changes only warn.

A deliberate break passes when a line

    SCHEMA_BREAKING_OK: <coordinate or description>

names it, in a commit message since BASE (`git log BASE..HEAD`) or in a line
added to CHANGELOG.md since BASE. The coordinate is the one printed in
brackets after the change, e.g. `Contact.nickname`, `Query.contacts(first:)`,
`ContactOrderField.NAME`, `Tag`; the description is the text after the colon.
Each breaking change needs its own line.

Exit status: 0 no breaking change (or every one allowed, or no schema.graphql
at BASE yet); 1 a breaking change not allowed; 2 a usage error (unknown ref,
no schema.graphql in the working tree, a schema that does not parse).
Needs only the standard library and graphql-core.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    BreakingChange,
    BreakingChangeType,
    DangerousChange,
    GraphQLError,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

ALLOW_MARKER = "SCHEMA_BREAKING_OK:"
CHANGELOG = "CHANGELOG.md"

_NAME = r"[_A-Za-z][_0-9A-Za-z]*"
_FIELD = rf"{_NAME}\.{_NAME}"
_ARGUMENT = rf"(?:@{_NAME}|{_FIELD})\({_NAME}:\)"
# Where each kind of breaking change names the thing it changed, read from
# graphql-core's descriptions. A change whose description does not match
# (a future graphql-core) can still be allowed by its description.
_COORDINATE_PATTERNS: dict[BreakingChangeType, str] = {
    BreakingChangeType.TYPE_REMOVED: rf"^(?:Standard scalar )?(?P<c>{_NAME}) was",
    BreakingChangeType.TYPE_CHANGED_KIND: rf"^(?P<c>{_NAME}) changed from",
    BreakingChangeType.TYPE_REMOVED_FROM_UNION: rf"union type (?P<c>{_NAME})\.$",
    BreakingChangeType.VALUE_REMOVED_FROM_ENUM: rf"^Enum value (?P<c>{_FIELD}) ",
    BreakingChangeType.REQUIRED_INPUT_FIELD_ADDED: rf"field (?P<c>{_FIELD}) was",
    BreakingChangeType.IMPLEMENTED_INTERFACE_REMOVED: rf"^(?P<c>{_NAME}) no longer",
    BreakingChangeType.FIELD_REMOVED: rf"^Field (?P<c>{_FIELD}) ",
    BreakingChangeType.FIELD_CHANGED_KIND: rf"^Field (?P<c>{_FIELD}) ",
    BreakingChangeType.REQUIRED_ARG_ADDED: rf"argument (?P<c>{_ARGUMENT}) was",
    BreakingChangeType.ARG_REMOVED: rf"^Argument (?P<c>{_ARGUMENT}) ",
    BreakingChangeType.ARG_CHANGED_KIND: rf"^Argument (?P<c>{_ARGUMENT}) ",
    BreakingChangeType.DIRECTIVE_REMOVED: rf"^Directive (?P<c>@{_NAME}) ",
    BreakingChangeType.DIRECTIVE_ARG_REMOVED: rf"^Argument (?P<c>{_ARGUMENT}) ",
    BreakingChangeType.REQUIRED_DIRECTIVE_ARG_ADDED: rf"argument (?P<c>{_ARGUMENT}) ",
    BreakingChangeType.DIRECTIVE_REPEATABLE_REMOVED: rf"from (?P<c>@{_NAME})\.$",
    BreakingChangeType.DIRECTIVE_LOCATION_REMOVED: rf"from (?P<c>@{_NAME})\.$",
}


class UsageError(Exception):
    """Something the caller must fix; exit status 2."""


@dataclass(frozen=True)
class Change:
    severity: str  # "BREAKING" or "DANGEROUS"
    kind: str
    description: str
    coordinate: str | None

    def line(self) -> str:
        where = f" [{self.coordinate}]" if self.coordinate else ""
        return f"{self.severity} {self.kind}: {self.description}{where}"

    def names(self) -> set[str]:
        """What a SCHEMA_BREAKING_OK line may say to allow this change."""
        names = {self.description, self.description.rstrip(".")}
        if self.coordinate:
            names.add(self.coordinate)
        return names


def coordinate(change: BreakingChange) -> str | None:
    pattern = _COORDINATE_PATTERNS.get(change.type)
    match = re.search(pattern, change.description) if pattern else None
    return match.group("c") if match else None


def compare(old: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    """Breaking changes first, then dangerous ones, each in graphql-core's order."""
    breaking = [
        Change("BREAKING", change.type.name, change.description, coordinate(change))
        for change in find_breaking_changes(old, new)
    ]
    dangerous: list[DangerousChange] = find_dangerous_changes(old, new)
    return breaking + [
        Change("DANGEROUS", change.type.name, change.description, None)
        for change in dangerous
    ]


def allowed_names(lines: Iterable[str]) -> set[str]:
    """The values of every `SCHEMA_BREAKING_OK: value` line."""
    names: set[str] = set()
    for line in lines:
        text = line.strip().lstrip("-*+ ").strip("`").strip()
        if text.startswith(ALLOW_MARKER):
            value = text[len(ALLOW_MARKER) :].strip().strip("`").strip()
            if value:
                names.add(value)
    return names


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def repository_root(start: Path) -> Path:
    result = git(start, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise UsageError(f"not inside a git repository: {start}")
    return Path(result.stdout.strip())


def resolve(root: Path, ref: str) -> str:
    result = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if result.returncode != 0:
        raise UsageError(
            f"unknown git ref {ref!r} (in a shallow clone, fetch more history)"
        )
    return result.stdout.strip()


def file_at(root: Path, commit: str, path: str) -> str | None:
    """The text of `path` at `commit`, or None when it did not exist there."""
    result = git(root, "show", f"{commit}:{path}")
    return result.stdout if result.returncode == 0 else None


def allowances(root: Path, base: str) -> set[str]:
    """SCHEMA_BREAKING_OK values from the commit messages since `base` and
    from the lines added to CHANGELOG.md since `base`."""
    log = git(root, "log", f"{base}..HEAD", "--format=%B")
    lines = log.stdout.splitlines() if log.returncode == 0 else []
    changelog = root / CHANGELOG
    if changelog.is_file():
        before = set((file_at(root, base, CHANGELOG) or "").splitlines())
        lines += [
            line
            for line in changelog.read_text(encoding="utf-8").splitlines()
            if line not in before
        ]
    return allowed_names(lines)


def parse(sdl: str, where: str) -> GraphQLSchema:
    try:
        return build_schema(sdl)
    except GraphQLError as error:
        raise UsageError(f"{where} is not a valid schema: {error.message}") from None


def run(base: str, schema_path: str, cwd: Path) -> int:
    root = repository_root(cwd)
    relative = Path(schema_path).as_posix()
    commit = resolve(root, base)
    current_file = root / relative
    if not current_file.is_file():
        raise UsageError(f"{relative} is missing from the working tree")
    old_sdl = file_at(root, commit, relative)
    if old_sdl is None:
        print(f"schema-diff: no {relative} at {base}; nothing to compare with.")
        return 0
    old = parse(old_sdl, f"{relative} at {base}")
    new = parse(current_file.read_text(encoding="utf-8"), relative)
    changes = compare(old, new)
    allowed = allowances(root, commit)
    refused: list[Change] = []
    for change in changes:
        note = ""
        if change.severity == "BREAKING":
            if change.names() & allowed:
                note = f"  (allowed by {ALLOW_MARKER})"
            else:
                refused.append(change)
        print(change.line() + note)
    breaking = sum(change.severity == "BREAKING" for change in changes)
    dangerous = len(changes) - breaking
    print(
        f"schema-diff: {breaking} breaking, {dangerous} dangerous "
        f"change(s) in {relative} since {base}."
    )
    if refused:
        print(
            f"schema-diff: {len(refused)} breaking change(s) not allowed. If a "
            "break is deliberate, name each one in the commit message or in a "
            f"new {CHANGELOG} line, e.g.\n"
            + "\n".join(
                f"  {ALLOW_MARKER} {change.coordinate or change.description}"
                for change in refused
            ),
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Breaking and dangerous changes in schema.graphql since a git "
        "ref; exit 1 on a breaking change no SCHEMA_BREAKING_OK line allows.",
    )
    parser.add_argument("base", metavar="BASE", help="git ref to compare with")
    parser.add_argument(
        "--schema",
        default="schema.graphql",
        help="the SDL file, relative to the repository root (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        return run(args.base, args.schema, Path.cwd())
    except UsageError as error:
        print(f"schema-diff: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
