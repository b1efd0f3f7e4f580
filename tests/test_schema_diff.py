"""scripts/schema_diff.py (`make schema-diff`), run the way CI runs it: as a
process in a git repository, comparing schema.graphql at a ref with the
working tree. Also: the committed schema breaks nothing in the API contract."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes

from tests.support.schema_repo import BASE_SDL, REPO, Repo

SCHEMA_FILE = REPO / "schema.graphql"
CONTRACT_FILE = REPO.parent / "shared" / "api-contract.md"
SDL_BLOCK = re.compile(r"## Schema\s+```graphql\n(.*?)```", re.DOTALL)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def summary(breaking: int, dangerous: int, base: str = "HEAD") -> str:
    return (
        f"schema-diff: {breaking} breaking, {dangerous} dangerous change(s) in "
        f"schema.graphql since {base}."
    )


def test_no_change_passes(repo: Repo) -> None:
    result = repo.diff()

    assert (result.code, result.lines) == (0, [summary(0, 0)])


def test_a_removed_field_is_breaking_and_fails(repo: Repo) -> None:
    repo.write(BASE_SDL.replace("  nickname: String\n", ""))

    result = repo.diff()

    assert result.code == 1
    assert result.lines == [
        "BREAKING FIELD_REMOVED: Field Contact.nickname was removed. "
        "[Contact.nickname]",
        summary(1, 0),
    ]
    assert "SCHEMA_BREAKING_OK: Contact.nickname" in result.err


def test_a_committed_removal_fails_against_the_previous_commit(repo: Repo) -> None:
    repo.write(BASE_SDL.replace("  nickname: String\n", ""))
    repo.commit("Drop nickname")

    result = repo.diff("HEAD~1")

    assert result.code == 1
    assert result.lines[0] == (
        "BREAKING FIELD_REMOVED: Field Contact.nickname was removed. [Contact.nickname]"
    )


def test_an_added_field_and_type_are_safe(repo: Repo) -> None:
    repo.write(
        BASE_SDL.replace(
            "  nickname: String\n", "  nickname: String\n  notes: String\n"
        )
        + "\ntype Tag {\n  name: String!\n}\n"
    )

    result = repo.diff()

    assert (result.code, result.lines) == (0, [summary(0, 0)])


def test_an_added_optional_argument_is_dangerous_not_breaking(repo: Repo) -> None:
    repo.write(
        BASE_SDL.replace("contacts(first: Int)", "contacts(first: Int, after: String)")
    )

    result = repo.diff()

    assert (result.code, result.lines) == (
        0,
        [
            "DANGEROUS OPTIONAL_ARG_ADDED: "
            "An optional argument Query.contacts(after:) was added.",
            summary(0, 1),
        ],
    )


def test_an_added_enum_value_is_dangerous_and_passes(repo: Repo) -> None:
    repo.write(BASE_SDL.replace("  LAST_NAME\n", "  LAST_NAME\n  CREATED_AT\n"))

    result = repo.diff()

    assert (result.code, result.lines) == (
        0,
        [
            "DANGEROUS VALUE_ADDED_TO_ENUM: "
            "Enum value ContactOrderField.CREATED_AT was added.",
            summary(0, 1),
        ],
    )
    assert result.err == ""


def test_an_output_field_made_nullable_is_breaking(repo: Repo) -> None:
    # graphql-core counts String! -> String on an output field as breaking: a
    # client that relied on a value now may get null.
    repo.write(BASE_SDL.replace("displayName: String!", "displayName: String"))

    result = repo.diff()

    assert result.code == 1
    assert result.lines[0] == (
        "BREAKING FIELD_CHANGED_KIND: "
        "Field Contact.displayName changed type from String! to String. "
        "[Contact.displayName]"
    )


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        (
            "contacts(first: Int)",
            "contacts(first: Int!)",
            "BREAKING ARG_CHANGED_KIND: Argument Query.contacts(first:) has changed "
            "type from Int to Int!. [Query.contacts(first:)]",
        ),
        (
            "contact(id: ID!)",
            "contact",
            "BREAKING ARG_REMOVED: Argument Query.contact(id:) was removed. "
            "[Query.contact(id:)]",
        ),
        (
            "contact(id: ID!)",
            "contact(id: ID!, scope: String!)",
            "BREAKING REQUIRED_ARG_ADDED: A required argument Query.contact(scope:) "
            "was added. [Query.contact(scope:)]",
        ),
        (
            "  LAST_NAME\n",
            "",
            "BREAKING VALUE_REMOVED_FROM_ENUM: Enum value ContactOrderField.LAST_NAME "
            "was removed. [ContactOrderField.LAST_NAME]",
        ),
        (
            "enum ContactOrderField",
            "scalar ContactOrderField\nenum Unused",
            "BREAKING TYPE_CHANGED_KIND: ContactOrderField changed from an Enum "
            "type to a Scalar type. [ContactOrderField]",
        ),
    ],
)
def test_each_breaking_change_names_what_it_changed(
    repo: Repo, old: str, new: str, line: str
) -> None:
    assert old in BASE_SDL
    repo.write(BASE_SDL.replace(old, new))

    result = repo.diff()

    assert result.code == 1
    assert result.lines[0] == line


@pytest.mark.parametrize(
    "allow",
    [
        "SCHEMA_BREAKING_OK: Contact.nickname",
        "- SCHEMA_BREAKING_OK: `Contact.nickname`",
        "SCHEMA_BREAKING_OK: Field Contact.nickname was removed.",
        "SCHEMA_BREAKING_OK: Field Contact.nickname was removed",
    ],
)
def test_schema_breaking_ok_in_the_commit_message_allows_the_removal(
    repo: Repo, allow: str
) -> None:
    repo.write(BASE_SDL.replace("  nickname: String\n", ""))
    repo.commit(f"Drop Contact.nickname\n\nNobody reads it.\n{allow}\n")

    result = repo.diff("HEAD~1")

    assert result.code == 0, result.err
    assert result.lines[0] == (
        "BREAKING FIELD_REMOVED: Field Contact.nickname was removed. "
        "[Contact.nickname]  (allowed by SCHEMA_BREAKING_OK:)"
    )


def test_each_breaking_change_needs_its_own_allowance(repo: Repo) -> None:
    repo.write(
        BASE_SDL.replace("  nickname: String\n", "").replace(
            "displayName: String!", "displayName: String"
        )
    )
    repo.commit("Drop nickname\n\nSCHEMA_BREAKING_OK: Contact.nickname\n")

    result = repo.diff("HEAD~1")

    assert result.code == 1
    assert "SCHEMA_BREAKING_OK: Contact.displayName" in result.err
    assert "SCHEMA_BREAKING_OK: Contact.nickname" not in result.err


def test_an_allowance_in_an_older_commit_does_not_count(repo: Repo) -> None:
    repo.commit("Plan\n\nSCHEMA_BREAKING_OK: Contact.nickname\n")
    repo.commit("Something else")
    repo.write(BASE_SDL.replace("  nickname: String\n", ""))
    repo.commit("Drop nickname")

    assert repo.diff("HEAD~1").code == 1


def test_a_new_changelog_line_allows_an_uncommitted_removal(repo: Repo) -> None:
    repo.write(
        "# Changelog\n\n- Renamed nickname.\n  SCHEMA_BREAKING_OK: Contact.nickname\n",
        "CHANGELOG.md",
    )
    repo.commit("Changelog")
    repo.write(BASE_SDL.replace("  nickname: String\n", ""))

    assert repo.diff().code == 1, "a line already there at BASE allows nothing"

    repo.write(
        "# Changelog\n\n- Contact.nickname is gone.\n"
        "  SCHEMA_BREAKING_OK: Field Contact.nickname was removed.\n"
        "- Renamed nickname.\n  SCHEMA_BREAKING_OK: Contact.nickname\n",
        "CHANGELOG.md",
    )
    result = repo.diff()

    assert result.code == 0, result.err
    assert result.lines[0].endswith("(allowed by SCHEMA_BREAKING_OK:)")


def test_no_schema_at_base_passes_with_a_note(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.write("# Contacts\n", "README.md")
    repo.commit("First commit")
    repo.write(BASE_SDL)

    result = repo.diff()

    assert (result.code, result.lines) == (
        0,
        ["schema-diff: no schema.graphql at HEAD; nothing to compare with."],
    )


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("no-such-ref", "unknown git ref 'no-such-ref'"),
        ("HEAD~1", "unknown git ref 'HEAD~1'"),
    ],
)
def test_an_unknown_base_is_a_usage_error(repo: Repo, base: str, message: str) -> None:
    result = repo.diff(base)

    assert result.code == 2
    assert message in result.err


def test_a_missing_or_invalid_schema_is_a_usage_error(repo: Repo) -> None:
    (repo.path / "schema.graphql").unlink()
    missing = repo.diff()
    repo.write("type Query {")
    invalid = repo.diff()

    assert (missing.code, invalid.code) == (2, 2)
    assert "schema.graphql is missing from the working tree" in missing.err
    assert "schema.graphql is not a valid schema" in invalid.err


def test_the_committed_schema_breaks_nothing_in_the_api_contract() -> None:
    """The project may add to the contract, never break it."""
    if not CONTRACT_FILE.is_file():
        pytest.skip(f"the API contract is not at {CONTRACT_FILE}")
    match = SDL_BLOCK.search(CONTRACT_FILE.read_text(encoding="utf-8"))
    assert match, f"no ```graphql block under '## Schema' in {CONTRACT_FILE}"
    contract = build_schema(match.group(1))
    ours = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))

    assert [
        change.description for change in find_breaking_changes(contract, ours)
    ] == []


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_schema_diff_runs_the_script_against_base() -> None:
    """`make schema-diff BASE=<ref>`, default HEAD~1 (dry run: nothing runs)."""

    def dry_run(*args: str) -> str:
        result = subprocess.run(
            ["make", "--no-print-directory", "-n", "schema-diff", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout.splitlines()[-1]

    assert dry_run() == ".venv/bin/python scripts/schema_diff.py HEAD~1"
    assert dry_run("BASE=v1.0") == ".venv/bin/python scripts/schema_diff.py v1.0"
