"""`flask import-contacts EMAIL FILE`: the import's rules from the command
line, for files of any size, read as they go and written a chunk per
transaction; failed records printed with their index, the totals at the
end, exit code 1 without an account or a contact file."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from app.services.batches import MAX_ITEMS
from tests.helpers import NOTHING_STORED, Accounts, GraphQL, create_contact, stored_rows

LIST = "{ contacts(first: 100) { totalCount nodes { displayName emails { value } } } }"
CHANGES = "{ contactChanges(first: 100) { changes { contact { displayName } } } }"


def card(*lines: str) -> str:
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        + "".join(f"{line}\r\n" for line in lines)
        + "END:VCARD\r\n"
    )


FILE = (
    card("N:Lovelace;Ada;;;", "EMAIL:ada@example.com")
    + card()
    + card("FN:Grace Hopper", "EMAIL:grace", "BDAY:1906-13-09")
    + card("FN:Bob Builder", "EMAIL:bob@example.com")
    + card("FN:Ada again", "EMAIL:ADA@example.com")
)
FAILURE = (
    'record 2: birthday: Line 13: BDAY "1906-13-09" is not a date: write '
    "1985-04-15, or --04-15 without the year.\n"
    "  emails.0.value: An email address must have an @-sign.\n"
)


def write(
    tmp_path: Path, text: str, name: str = "contacts.vcf", encoding: str = "utf-8"
) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return path


def listed(gql: GraphQL, token: str) -> list[str]:
    nodes = gql.data(LIST, token=token)["contacts"]["nodes"]
    return sorted(node["displayName"] for node in nodes)


def test_it_imports_a_file_and_prints_failures_and_totals(
    runner: FlaskCliRunner, gql: GraphQL, accounts: Accounts, tmp_path: Path
) -> None:
    token = accounts.token("ada@example.com")
    create_contact(
        gql, token, {"firstName": "Robert", "emails": [{"value": "bob@example.com"}]}
    )

    result = runner.invoke(
        args=["import-contacts", "ADA@example.com", str(write(tmp_path, FILE))]
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        FAILURE + "1 imported, 2 duplicates, 1 skipped, 1 failed: 3 contacts created.\n"
    )
    assert listed(gql, token) == ["Ada Lovelace", "Ada again", "Bob Builder", "Robert"]
    # Each in sync (and so in history) as created.
    changes = gql.data(CHANGES, token=token)["contactChanges"]["changes"]
    assert len(changes) == 4


def test_a_dry_run_writes_nothing_and_says_the_same(
    app: Flask, runner: FlaskCliRunner, accounts: Accounts, tmp_path: Path
) -> None:
    accounts.register("ada@example.com")
    path = write(tmp_path, FILE)

    result = runner.invoke(
        args=["import-contacts", "ada@example.com", str(path), "--dry-run"]
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        FAILURE + "2 imported, 1 duplicates, 1 skipped, 1 failed: "
        "3 contacts would be created (dry run, nothing written).\n"
    )
    assert stored_rows(app) == NOTHING_STORED


def test_skip_duplicates_leaves_them_out(
    runner: FlaskCliRunner, gql: GraphQL, accounts: Accounts, tmp_path: Path
) -> None:
    token = accounts.token("ada@example.com")
    path = write(tmp_path, FILE)

    first = runner.invoke(
        args=["import-contacts", "ada@example.com", str(path), "--skip-duplicates"]
    )
    again = runner.invoke(
        args=["import-contacts", "ada@example.com", str(path), "--skip-duplicates"]
    )

    assert first.stdout.endswith(
        "2 imported, 1 duplicates, 1 skipped, 1 failed: 2 contacts created.\n"
    )
    assert again.stdout.endswith(
        "0 imported, 3 duplicates, 1 skipped, 1 failed: 0 contacts created.\n"
    )
    assert listed(gql, token) == ["Ada Lovelace", "Bob Builder"]


def test_a_csv_file_in_utf16_over_several_chunks(
    runner: FlaskCliRunner, gql: GraphQL, accounts: Accounts, tmp_path: Path
) -> None:
    """Outlook's "Unicode CSV" (UTF-16 with a BOM), 2.5 chunks long: every
    row imported, a chunk per transaction."""
    token = accounts.token("ada@example.com")
    rows = "".join(
        f"Person,{i},p{i}@example.com\r\n"
        for i in range(MAX_ITEMS * 2 + MAX_ITEMS // 2)
    )
    text = "First Name,Last Name,E-mail Address\r\n" + rows
    path = write(tmp_path, "\ufeff" + text, "outlook.csv", encoding="utf-16-le")

    result = runner.invoke(args=["import-contacts", "ada@example.com", str(path)])

    assert result.exit_code == 0, result.output
    assert (
        result.stdout
        == "500 imported, 0 duplicates, 0 skipped, 0 failed: 500 contacts created.\n"
    )
    total = gql.data("{ contacts { totalCount } }", token=token)["contacts"][
        "totalCount"
    ]
    assert total == 500


def test_the_format_may_be_given(
    app: Flask, runner: FlaskCliRunner, accounts: Accounts, tmp_path: Path
) -> None:
    accounts.register("ada@example.com")
    path = write(tmp_path, "firstName\r\nAda\r\n", "contacts.txt")

    as_vcard = runner.invoke(
        args=["import-contacts", "ada@example.com", str(path), "--format", "vcard"]
    )
    as_csv = runner.invoke(
        args=[
            "import-contacts",
            "ada@example.com",
            str(path),
            "--format",
            "CSV",
            "--dry-run",
        ]
    )

    assert (as_vcard.exit_code, as_vcard.stderr.splitlines()[-1]) == (
        1,
        "Error: The file holds no contacts.",
    )
    assert as_csv.stdout.startswith("1 imported,")
    assert stored_rows(app) == NOTHING_STORED


NATIONAL = "First Name,Mobile Phone\r\nAda,020 7946 0958\r\n"
PHONES = "{ contacts(first: 10) { nodes { phones { value } } } }"


def test_national_numbers_are_read_in_the_phone_region(
    runner: FlaskCliRunner, gql: GraphQL, accounts: Accounts, tmp_path: Path
) -> None:
    token = accounts.token("ada@example.com")
    path = write(tmp_path, NATIONAL, "outlook.csv")

    without = runner.invoke(args=["import-contacts", "ada@example.com", str(path)])
    with_region = runner.invoke(
        args=["import-contacts", "ada@example.com", str(path), "--phone-region", "gb"]
    )

    assert without.stdout.splitlines()[0] == (
        "record 0: phones.0.value: Write the number with its country code "
        "(+…), or give the region it is a national number of."
    )
    assert with_region.exit_code == 0, with_region.output
    assert with_region.stdout == (
        "1 imported, 0 duplicates, 0 skipped, 0 failed: 1 contacts created.\n"
    )
    assert gql.data(PHONES, token=token)["contacts"]["nodes"] == [
        {"phones": [{"value": "+442079460958"}]}
    ]


def test_an_unknown_phone_region_is_refused(
    app: Flask, runner: FlaskCliRunner, accounts: Accounts, tmp_path: Path
) -> None:
    accounts.register("ada@example.com")
    path = write(tmp_path, NATIONAL, "outlook.csv")

    result = runner.invoke(
        args=["import-contacts", "ada@example.com", str(path), "--phone-region", "UK"]
    )

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for --phone-region: Must be an ISO 3166-1 "
        "alpha-2 country code, like US or GB."
    )
    assert stored_rows(app) == NOTHING_STORED


def test_without_an_account_or_a_contact_file_it_fails(
    app: Flask, runner: FlaskCliRunner, accounts: Accounts, tmp_path: Path
) -> None:
    accounts.register("ada@example.com")
    path = write(tmp_path, FILE)
    text = write(tmp_path, "Dear Ada,\r\nhello.\r\n", "letter.txt")

    nobody = runner.invoke(args=["import-contacts", "nobody@example.com", str(path)])
    not_contacts = runner.invoke(args=["import-contacts", "ada@example.com", str(text)])

    assert (nobody.exit_code, nobody.stderr) == (
        1,
        "Error: No account for nobody@example.com.\n",
    )
    assert not_contacts.exit_code == 1
    assert not_contacts.stderr.splitlines()[-1] == (
        "Error: The CSV header (Dear Ada, ) is not one this app reads: use Google "
        "Contacts' export (First Name, …, E-mail 1 - Value, …), Outlook's (First "
        "Name, …, E-mail Address, …) or this app's own (firstName, lastName, …)."
    )
    assert stored_rows(app) == NOTHING_STORED
