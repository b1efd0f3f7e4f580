"""`flask export-contacts EMAIL [--format vcard|csv] [--version 4.0|3.0]
[--tag TAG] [-o FILE]`: what GET /export/contacts.vcf and .csv give, from
the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from tests.helpers import Accounts, GraphQL, create_contact
from tests.support.exporting import ADA, ADA_4_0, ADA_ROW, CSV_HEADER, row

EMAIL = "ada@example.com"
BO_4_0 = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "N:;Bo;;;\r\n"
    "FN:Bo\r\n"
    "CATEGORIES:Friends\r\n"
    "END:VCARD\r\n"
)
BO_3_0 = BO_4_0.replace("VERSION:4.0", "VERSION:3.0")


def ada_and_bo(accounts: Accounts, gql: GraphQL) -> None:
    """EMAIL's account with Ada, then Bo tagged Friends; and someone
    else's contact, tagged Friends too."""
    token = accounts.token(EMAIL)
    create_contact(gql, token, ADA)
    create_contact(gql, token, {"firstName": "Bo", "tags": ["Friends"]})
    other = accounts.token("grace@example.com")
    create_contact(gql, other, {"firstName": "Grace", "tags": ["Friends"]})


@pytest.mark.parametrize(
    ("options", "output"),
    [
        ([], ADA_4_0 + BO_4_0),
        (["--version", "3.0", "--tag", "FRIENDS"], BO_3_0),
        (["--format", "csv"], CSV_HEADER + ADA_ROW + row("Bo", "Friends")),
        (["--format", "csv", "--tag", "Family"], CSV_HEADER),
        (["--tag", "Family"], ""),
    ],
)
def test_the_accounts_contacts_go_to_standard_output(
    runner: FlaskCliRunner,
    accounts: Accounts,
    gql: GraphQL,
    options: list[str],
    output: str,
) -> None:
    ada_and_bo(accounts, gql)

    result = runner.invoke(args=["export-contacts", " ADA@Example.com", *options])

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == output.encode()


def test_output_goes_to_the_file_named(
    runner: FlaskCliRunner, accounts: Accounts, gql: GraphQL, tmp_path: Path
) -> None:
    ada_and_bo(accounts, gql)
    target = tmp_path / "contacts.csv"

    result = runner.invoke(
        args=["export-contacts", EMAIL, "--format", "csv", "-o", str(target)]
    )

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == b""
    assert target.read_bytes() == (CSV_HEADER + ADA_ROW + row("Bo", "Friends")).encode()


def test_an_unknown_account_exits_1_saying_so(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["export-contacts", "nobody@example.com"])

    assert result.exit_code == 1
    assert result.output == "Error: No account has the email nobody@example.com.\n"


def test_a_tag_no_filter_could_take_exits_1_saying_why(
    runner: FlaskCliRunner, accounts: Accounts
) -> None:
    accounts.register(EMAIL)

    result = runner.invoke(args=["export-contacts", EMAIL, "--tag", "x" * 201])

    assert result.exit_code == 1
    assert result.output == "Error: `tag` must be at most 200 characters.\n"


@pytest.mark.parametrize(
    "options", [["--version", "2.1"], ["--format", "xml"]], ids=["version", "format"]
)
def test_an_unknown_version_or_format_is_a_usage_error(
    runner: FlaskCliRunner, accounts: Accounts, options: list[str]
) -> None:
    accounts.register(EMAIL)

    result = runner.invoke(args=["export-contacts", EMAIL, *options])

    assert result.exit_code == 2
    assert "Invalid value for" in result.output
