"""CSV in and out (app/formats/csv_formats.py): Google Contacts' exports
(today's and the older UTF-16 one), Outlook's, and our own layout, read
from the fixtures in tests/data/contacts with every field asserted; our
layout written byte for byte, and read back equal for generated
contacts."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings

from app.errors import FieldError, UserErrorCode
from app.fields import CONTACT_FIELDS
from app.formats.csv_formats import (
    OWN_HEADER,
    CsvError,
    UnknownHeader,
    read_csv,
    write_csv,
)
from app.formats.record import ContactData, ParsedRecord
from app.formats.sniffing import decode, open_text
from app.services.contact_input import AddressInput, EmailInput, PhoneInput
from tests.support.csv_data import contacts_lists

DATA = Path(__file__).resolve().parent.parent / "data" / "contacts"
ISO_MESSAGE = "Not a date: write 1985-04-15, or --04-15 without the year."


def email(value: str, label: str | None = None, primary: bool = False) -> EmailInput:
    return EmailInput(value=value, label=label, primary=primary)


def phone(value: str, label: str | None = None, primary: bool = False) -> PhoneInput:
    return PhoneInput(value=value, label=label, primary=primary)


def read_file(name: str) -> list[ParsedRecord]:
    """The fixture read as the CLI reads a file: by its BOM, streamed."""
    with (DATA / name).open("rb") as stream, open_text(stream) as text:
        return list(read_csv(text))


def read_text(text: str) -> list[ParsedRecord]:
    """Text read as the GraphQL import reads its `data`."""
    return list(read_csv(text.splitlines(keepends=True)))


def only(text: str) -> ParsedRecord:
    [record] = read_text(text)
    return record


def test_google_export() -> None:
    text = decode((DATA / "google.csv").read_bytes())
    assert read_text(text) == [
        ParsedRecord(
            0,
            ContactData(
                fields={
                    "first_name": "Ada Augusta",
                    "last_name": "Lovelace",
                    "nickname": "Addie",
                    "company": "Analytical Engines",
                    "job_title": "Programmer",
                    "birthday": date(1815, 12, 10),
                    "notes": 'Met at "the Society",\nthinks in "poetical science".',
                    "favorite": True,
                },
                emails=[
                    email("ada@example.com", "home", primary=True),
                    email("ada.l@example.org", "home"),
                    email("ada@engines.example", "work"),
                ],
                phones=[
                    phone("+44 20 7946 0000", "mobile", primary=True),
                    phone("020 7946 0001", "work fax"),
                ],
                addresses=[
                    AddressInput(
                        label="home",
                        street="12 St James's Square\nFlat 2",
                        city="London",
                        postal_code="SW1Y 4JH",
                        country="GB",
                    )
                ],
                tags=["Friends"],
            ),
        ),
        ParsedRecord(
            1,
            ContactData(
                fields={
                    "first_name": "Grace",
                    "last_name": "Hopper",
                    "birthday": date(1604, 12, 9),
                },
                emails=[email("grace@navy.example", "other")],
                phones=[phone("(202) 555-0143", "Boat, the big one")],
                addresses=[
                    AddressInput(
                        label="work",
                        street="1 Navy Way",
                        city="Arlington",
                        region="VA",
                        country="US",
                    ),
                    AddressInput(
                        label="work",
                        street="2 Dock Rd",
                        city="Norfolk",
                        region="VA",
                        postal_code="23511",
                        country="US",
                    ),
                ],
                tags=["Navy", "Work"],
            ),
        ),
        ParsedRecord(
            2, ContactData(fields={"first_name": "Linus", "last_name": "Torvalds"})
        ),
        ParsedRecord(3, ContactData(fields={"company": "Acme Corp"})),
        ParsedRecord(
            4,
            ContactData(
                fields={"first_name": "Bad", "last_name": "Date"},
                emails=[email("bad@example.com", "work", primary=True)],
                addresses=[
                    AddressInput(
                        street="1 Infinite Loop\nCupertino, CA 95014",
                        country="Atlantis",
                    )
                ],
            ),
            [FieldError(("birthday",), ISO_MESSAGE, UserErrorCode.INVALID)],
        ),
    ]


def test_google_older_export_in_utf16() -> None:
    assert (DATA / "google-utf16.csv").read_bytes()[:2] == b"\xff\xfe"
    assert read_file("google-utf16.csv") == [
        ParsedRecord(
            0,
            ContactData(
                fields={
                    "first_name": "太郎",
                    "last_name": "山田",
                    "company": "株式会社テスト",
                    "job_title": "部長",
                    "birthday": date(1990, 1, 31),
                    "favorite": True,
                },
                emails=[email("taro@example.jp", "home", primary=True)],
                phones=[phone("090-1234-5678", "mobile")],
                addresses=[
                    AddressInput(
                        label="home",
                        street="千代田1-1",
                        city="千代田区",
                        region="東京都",
                        postal_code="100-0001",
                        country="JP",
                    )
                ],
                tags=["友達"],
            ),
        ),
        ParsedRecord(
            1,
            ContactData(
                fields={
                    "first_name": "Иван",
                    "last_name": "Петров",
                    "birthday": date(1604, 2, 29),
                    "notes": "Привет,\nмир",
                },
                emails=[email("ivan@example.ru", "work")],
                phones=[
                    phone("+7 495 123-45-67", "work", primary=True),
                    phone("+7 495 765-43-21", "home"),
                    phone("+7 916 000-00-00", "home"),
                ],
                tags=["Семья"],
            ),
        ),
        ParsedRecord(
            2,
            ContactData(
                fields={"first_name": "محمد", "favorite": True},
                phones=[phone("+20 10 1234 5678", "mobile")],
            ),
        ),
    ]


def test_outlook_export() -> None:
    assert (DATA / "outlook.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert read_file("outlook.csv") == [
        ParsedRecord(
            0,
            ContactData(
                fields={
                    "first_name": "John Q.",
                    "last_name": "Smith",
                    "nickname": "Johnny",
                    "company": "Contoso",
                    "job_title": "Engineer",
                    "birthday": date(1985, 4, 15),
                    "notes": "Plays golf, badly.",
                },
                emails=[email("john@contoso.example"), email("john@home.example")],
                phones=[
                    phone("555-010-3000", "mobile", primary=True),
                    phone("(555) 010-1000", "home"),
                    phone("(555) 010-1001", "home"),
                    phone("555-010-2000", "work"),
                    phone("555-010-2001", "work"),
                    phone("555-010-4000", "pager"),
                    phone("555-010-5000", "work fax"),
                    phone("555-010-5001", "home fax"),
                ],
                addresses=[
                    AddressInput(
                        label="work",
                        street="1 Microsoft Way",
                        city="Redmond",
                        region="WA",
                        postal_code="98052",
                        country="US",
                    ),
                    AddressInput(
                        label="home",
                        street="2 Home Rd\nUnit 5",
                        city="Seattle",
                        region="WA",
                        postal_code="98101",
                        country="US",
                    ),
                ],
                tags=["Work", "Golf"],
            ),
        ),
        ParsedRecord(
            1,
            ContactData(
                fields={"first_name": "Jane", "last_name": "Doe"},
                emails=[email("jane@doe.example")],
                phones=[
                    phone("+1 425 555 0199", primary=True),
                    phone("555-020-4000", "main"),
                    phone("555-020-2000", "other"),
                    phone("555-020-1000", "car"),
                    phone("555-020-3000", "other fax"),
                    phone("555-020-9000", "assistant"),
                    phone("555-020-5000", "callback"),
                    phone("555-020-6000", "radio"),
                    phone("555-020-7000", "telex"),
                    phone("555-020-8000", "tty"),
                ],
                addresses=[AddressInput(label="other", city="Paris", country="FR")],
                tags=["Friends"],
            ),
        ),
        ParsedRecord(
            2,
            ContactData(
                fields={"company": "Nobody Ltd"},
                emails=[email("nobody@example.com")],
            ),
            [
                FieldError(
                    ("birthday",),
                    "Not a date: Outlook writes 4/15/1985.",
                    UserErrorCode.INVALID,
                )
            ],
        ),
    ]


OUTLOOK_DESKTOP_HEADER = (
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,"
    "Business Street,Business Street 2,Business Street 3,Business City,"
    "Business State,Business Postal Code,Business Country/Region,Home Street,"
    "Home City,Home Country/Region,Business Address PO Box,Business Phone,"
    "Primary Phone,ISDN,Birthday,Categories,E-mail Address,E-mail Type,"
    "E-mail Display Name,Notes\r\n"
)


def test_outlook_desktop_export_with_street_lines_and_po_box() -> None:
    row = (
        ",Ann,,Lee,,Initech,,,1 Main St,Floor 2,Suite 9,Austin,TX,73301,"
        "United States,,,,Box 7,512-555-0100,512-555-0100,512-555-0111,"
        "1/1/4501,,ann@initech.example,SMTP,Ann Lee (ann@initech.example),\r\n"
    )
    assert only(OUTLOOK_DESKTOP_HEADER + row) == ParsedRecord(
        0,
        ContactData(
            fields={"first_name": "Ann", "last_name": "Lee", "company": "Initech"},
            emails=[email("ann@initech.example")],
            phones=[
                phone("512-555-0100", "work", primary=True),
                phone("512-555-0111", "isdn"),
            ],
            addresses=[
                AddressInput(
                    label="work",
                    street="1 Main St\nFloor 2\nSuite 9\nBox 7",
                    city="Austin",
                    region="TX",
                    postal_code="73301",
                    country="US",
                )
            ],
        ),
    )


OUTLOOK_BIRTHDAY = "First Name,Birthday,Categories\r\nAnn,{},\r\n"
GOOGLE_BIRTHDAY = "First Name,Birthday,Labels\r\nAnn,{},\r\n"


def test_outlook_leaves_out_exchange_directory_paths() -> None:
    header = "First Name,E-mail Address,E-mail Type,E-mail 2 Address,E-mail 2 Type"
    row = "Ann,/o=ExchangeLabs/ou=Exchange/cn=Recipients/cn=ann,EX,ann@x.com,SMTP"
    assert only(f"{header}\r\n{row}\r\n") == ParsedRecord(
        0, ContactData(fields={"first_name": "Ann"}, emails=[email("ann@x.com")])
    )


@pytest.mark.parametrize(
    ("template", "birthday", "expected"),
    [
        (OUTLOOK_BIRTHDAY, "4/15/1985", {"birthday": date(1985, 4, 15)}),
        (OUTLOOK_BIRTHDAY, "12/1/2000", {"birthday": date(2000, 12, 1)}),
        (OUTLOOK_BIRTHDAY, "0/0/00", {}),
        (OUTLOOK_BIRTHDAY, "1/1/4501", {}),
        (OUTLOOK_BIRTHDAY, "1985-04-15", {"birthday": date(1985, 4, 15)}),
        (GOOGLE_BIRTHDAY, "1985-04-15", {"birthday": date(1985, 4, 15)}),
        (GOOGLE_BIRTHDAY, "--02-29", {"birthday": date(1604, 2, 29)}),
        (GOOGLE_BIRTHDAY, "--0415", {"birthday": date(1604, 4, 15)}),
    ],
)
def test_birthdays(template: str, birthday: str, expected: dict[str, date]) -> None:
    assert only(template.format(birthday)) == ParsedRecord(
        0, ContactData(fields={"first_name": "Ann", **expected})
    )


OUTLOOK_MESSAGE = "Not a date: Outlook writes 4/15/1985."


@pytest.mark.parametrize(
    ("template", "birthday", "message"),
    [
        (OUTLOOK_BIRTHDAY, "4/15/85", OUTLOOK_MESSAGE),
        (OUTLOOK_BIRTHDAY, "2/30/1985", OUTLOOK_MESSAGE),
        (OUTLOOK_BIRTHDAY, "4/15", OUTLOOK_MESSAGE),
        (OUTLOOK_BIRTHDAY, "x/y/z", OUTLOOK_MESSAGE),
        (OUTLOOK_BIRTHDAY, "April 15", OUTLOOK_MESSAGE),
        (GOOGLE_BIRTHDAY, "31/02/1985", ISO_MESSAGE),
        (GOOGLE_BIRTHDAY, "--02-30", ISO_MESSAGE),
        (GOOGLE_BIRTHDAY, "--4-15", ISO_MESSAGE),
        (GOOGLE_BIRTHDAY, "--ab-cd", ISO_MESSAGE),
    ],
)
def test_a_birthday_that_cannot_be_read_is_a_problem_of_the_record(
    template: str, birthday: str, message: str
) -> None:
    assert only(template.format(birthday)) == ParsedRecord(
        0,
        ContactData(fields={"first_name": "Ann"}),
        [FieldError(("birthday",), message, UserErrorCode.INVALID)],
    )


OWN_RECORDS = [
    ParsedRecord(
        0,
        ContactData(
            fields={
                "first_name": "Ada",
                "last_name": "Lovelace",
                "nickname": "Addie",
                "company": "Analytical Engines, Ltd",
                "job_title": "Programmer",
                "birthday": date(1815, 12, 10),
                "notes": 'She said "hi",\r\nthen left. C:\\new',
                "favorite": True,
            },
            emails=[
                email("ada@example.com", "home", primary=True),
                email("ada@engines.example", "work"),
            ],
            phones=[
                phone("+442079460000", "mobile", primary=True),
                phone("+12025550143"),
            ],
            addresses=[
                AddressInput(
                    label="home",
                    street="12 St James's Square\nFlat 2",
                    city="London",
                    postal_code="SW1Y 4JH",
                    country="GB",
                ),
                AddressInput(label="work;ish", city="Cambridge"),
            ],
            tags=["Friends", "Golf; Chess", "友達"],
        ),
    ),
    ParsedRecord(
        1,
        ContactData(
            fields={
                "first_name": "Grace",
                "last_name": "Hopper",
                "birthday": date(1604, 12, 9),
                "notes": "=1+1 is two",
            },
            emails=[email("grace@navy.example", "C:\\Users")],
            phones=[
                phone("+12025550100", "=cmd|' /C calc'!A0", primary=True),
                phone("+12025550101", "work"),
            ],
            tags=["'quoted", "a ::: b"],
        ),
    ),
    ParsedRecord(
        2,
        ContactData(
            fields={"company": "Acme; Co"},
            addresses=[AddressInput(city="Paris", country="FR")],
        ),
    ),
]


def test_own_layout_read() -> None:
    assert read_file("own.csv") == OWN_RECORDS


def test_own_layout_written_byte_for_byte() -> None:
    written = "".join(write_csv(record.contact for record in OWN_RECORDS))
    assert written == (DATA / "own.csv").read_bytes().decode("utf-8")


def test_own_header_follows_the_declared_fields() -> None:
    assert (
        *(declared.api_name for declared in CONTACT_FIELDS),
        "emails",
        "phones",
        "addresses",
        "tags",
    ) == OWN_HEADER
    assert next(write_csv([])) == ",".join(OWN_HEADER) + "\r\n"


def test_own_layout_written_from_the_exports_shape() -> None:
    """The export hands every field, empty ones as None and favorite as
    False: blank cells, and false."""
    contact = ContactData(
        fields={declared.name: None for declared in CONTACT_FIELDS}
        | {"first_name": "Ada", "favorite": False},
    )
    assert list(write_csv([contact]))[1] == "Ada,,,,,,,false,,,,\r\n"
    assert only("".join(write_csv([contact]))) == ParsedRecord(
        0, ContactData(fields={"first_name": "Ada"})
    )


def test_own_layout_from_before_a_field_was_added() -> None:
    """Columns are found by name: a file without some still reads, in any
    order."""
    assert only("tags,lastName\r\nFriends,Lovelace\r\n") == ParsedRecord(
        0, ContactData(fields={"last_name": "Lovelace"}, tags=["Friends"])
    )


@pytest.mark.parametrize(
    ("row", "path", "message"),
    [
        ("Ada,maybe,", ("favorite",), "Write true or false."),
        ("Ada,,1985-13-01", ("birthday",), ISO_MESSAGE),
    ],
)
def test_own_layout_scalar_that_cannot_be_read(
    row: str, path: tuple[str, ...], message: str
) -> None:
    assert only(f"firstName,favorite,birthday\r\n{row}\r\n") == ParsedRecord(
        0,
        ContactData(fields={"first_name": "Ada"}),
        [FieldError(path, message, UserErrorCode.INVALID)],
    )


def own_lists(emails: str = "", addresses: str = "", tags: str = "") -> str:
    cells = [emails, addresses, tags]
    quoted = ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
    return f"emails,addresses,tags\r\n{quoted}\r\n"


EMAIL_SHAPE = "Write each item as label;value;primary (a ; inside a value as \\;)."


@pytest.mark.parametrize(
    ("text", "expected", "problems"),
    [
        (
            own_lists(emails=" home ; a@x.com ; primary \n\n  \r\n;b@x.com\r;c@x.com;"),
            ContactData(
                emails=[
                    email("a@x.com", "home", primary=True),
                    email("b@x.com"),
                    email("c@x.com"),
                ]
            ),
            [],
        ),
        (
            own_lists(emails="home;a@x.com;yes"),
            ContactData(emails=[email("a@x.com", "home")]),
            [
                FieldError(
                    ("emails", "0", "primary"),
                    "Write primary or leave it empty.",
                    UserErrorCode.INVALID,
                )
            ],
        ),
        (
            own_lists(emails="work;b@x.com\nhome;a@x.com;PRIMARY;extra"),
            ContactData(
                emails=[
                    email("b@x.com", "work"),
                    email("a@x.com", "home", primary=True),
                ]
            ),
            [FieldError(("emails", "1"), EMAIL_SHAPE, UserErrorCode.INVALID)],
        ),
        (
            own_lists(addresses="home;1 Main St;Springfield;IL;62704;US;Earth"),
            ContactData(
                addresses=[
                    AddressInput(
                        label="home",
                        street="1 Main St",
                        city="Springfield",
                        region="IL",
                        postal_code="62704",
                        country="US",
                    )
                ]
            ),
            [
                FieldError(
                    ("addresses", "0"),
                    "Write each item as label;street;city;region;postal code;country"
                    " (a ; inside a value as \\;).",
                    UserErrorCode.INVALID,
                )
            ],
        ),
        (
            own_lists(tags="a;b\n \\x\\\\y\\; \nline\\nbreak\n\\\n\n'"),
            ContactData(tags=["a;b", "x\\y;", "line\nbreak", "\\", "'"]),
            [],
        ),
    ],
)
def test_own_layout_lists(
    text: str, expected: ContactData, problems: list[FieldError]
) -> None:
    assert only(text) == ParsedRecord(0, expected, problems)


GOOGLE_HEADER = "First Name,Last Name,Labels,E-mail 1 - Label,E-mail 1 - Value\r\n"


@pytest.mark.parametrize(
    ("labels", "tags", "favorite"),
    [
        ("* myContacts ::: Friends ::: * starred", ["Friends"], True),
        ("Friends:::Golf ::: ", ["Friends", "Golf"], False),
        ("* friends ::: * family ::: * coworkers", [], False),
        ("System Group: My Contacts ::: Club", ["Club"], False),
        ("* Starred in Android", [], True),
    ],
)
def test_google_labels(labels: str, tags: list[str], favorite: bool) -> None:
    record = only(f"{GOOGLE_HEADER}Ada,,{labels},,\r\n")
    fields: dict[str, object] = {"first_name": "Ada"}
    if favorite:
        fields["favorite"] = True
    assert record == ParsedRecord(0, ContactData(fields=fields, tags=tags))


def test_google_marks_one_primary_only() -> None:
    """Two starred groups (a file edited by hand): the first keeps it."""
    header = (
        "First Name,E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value"
    )
    row = "Ada,* Work,a@x.com ::: b@x.com,* My Own Label,c@x.com"
    assert only(f"{header}\r\n{row}\r\n").contact.emails == [
        email("a@x.com", "work", primary=True),
        email("b@x.com", "work"),
        email("c@x.com", "My Own Label"),
    ]


def test_google_name_only_in_the_older_name_column() -> None:
    header = "Name,Given Name,Family Name,Group Membership\r\n"
    assert read_text(f"{header}Ada Lovelace,,,\r\nX,,Lovelace,\r\n") == [
        ParsedRecord(0, ContactData(fields={"first_name": "Ada Lovelace"})),
        ParsedRecord(1, ContactData(fields={"last_name": "Lovelace"})),
    ]


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("United States", "US"),
        ("united kingdom", "GB"),
        ("DEU", "DE"),
        ("fr", "FR"),
        ("Deutschland", "Deutschland"),
        ("UK", "UK"),
    ],
)
def test_countries_by_name_become_codes(country: str, expected: str) -> None:
    header = "First Name,Address 1 - Label,Address 1 - City,Address 1 - Country"
    record = only(f"{header}\r\nAda,Home,Town,{country}\r\n")
    assert record.contact.addresses == [
        AddressInput(label="home", city="Town", country=expected)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Outlook and Excel in locales with decimal commas.
        (
            "First Name;Last Name;E-mail Address;Categories\r\n"
            'Ann;Lee;a@x.com;"A;B"\r\n',
            ContactData(
                fields={"first_name": "Ann", "last_name": "Lee"},
                emails=[email("a@x.com")],
                tags=["A", "B"],
            ),
        ),
        (
            "First Name\tLabels\tPhone 1 - Label\tPhone 1 - Value\n"
            "Ann\tClub\tWork\t+1, 202\n",
            ContactData(
                fields={"first_name": "Ann"},
                phones=[phone("+1, 202", "work")],
                tags=["Club"],
            ),
        ),
    ],
)
def test_semicolon_and_tab_delimiters(text: str, expected: ContactData) -> None:
    assert only(text) == ParsedRecord(0, expected)


def test_blank_lines_before_the_header_and_between_rows() -> None:
    text = "\ufeff\r\n  \r\nfirstName\r\n\r\nAda\r\n,\r\n\r\nGrace"
    assert read_text(text) == [
        ParsedRecord(0, ContactData(fields={"first_name": "Ada"})),
        ParsedRecord(1, ContactData(fields={"first_name": "Grace"})),
    ]


def test_line_breaks_that_only_splitlines_sees_do_not_end_a_row() -> None:
    """str.splitlines breaks at U+2028, form feeds and the like, which an
    unquoted cell may hold; csv (and a file opened with newline="") does
    not."""
    text = f"{GOOGLE_HEADER}Ada\u2028Byron,Love\x0clace\x85,,,\r\n"
    assert len(text.splitlines()) == 5
    assert read_text(text) == [
        ParsedRecord(
            0,
            ContactData(
                fields={"first_name": "Ada\u2028Byron", "last_name": "Love\x0clace"}
            ),
        )
    ]


def test_unknown_header() -> None:
    with pytest.raises(UnknownHeader) as raised:
        read_text("Vorname,Nachname,E-Mail-Adresse,Telefon,Notizen\r\nAnn,Lee,,,\r\n")
    assert str(raised.value) == (
        "The CSV header (Vorname, Nachname, E-Mail-Adresse, Telefon, …) is not one "
        "this app reads: use Google Contacts' export (First Name, …, E-mail 1 - "
        "Value, …), Outlook's (First Name, …, E-mail Address, …) or this app's own "
        "(firstName, lastName, …)."
    )
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("text", ["", "\r\n\r\n", "\ufeff"])
def test_no_header_at_all(text: str) -> None:
    with pytest.raises(UnknownHeader, match=r"^The CSV header \(empty\) is not one"):
        read_text(text)


def test_a_row_that_cannot_be_split_ends_the_file_with_an_error() -> None:
    huge = "x" * (csv.field_size_limit() + 1)
    lines = ["firstName,notes\r\n", "Ada,short\r\n", f"Bob,{huge}\r\n"]
    records = read_csv(lines)
    assert next(records) == ParsedRecord(
        0, ContactData(fields={"first_name": "Ada", "notes": "short"})
    )
    with pytest.raises(CsvError) as raised:
        next(records)
    assert str(raised.value) == (
        "Line 3 of the CSV file cannot be read: field larger than field limit "
        f"({csv.field_size_limit()})."
    )


def test_reading_is_lazy() -> None:
    def lines() -> Iterator[str]:
        yield "firstName\r\n"
        yield "Ada\r\n"
        raise AssertionError("read past the first record")

    assert next(read_csv(lines())) == ParsedRecord(
        0, ContactData(fields={"first_name": "Ada"})
    )


def test_writing_is_lazy() -> None:
    def contacts_then_fail() -> Iterator[ContactData]:
        yield ContactData(fields={"first_name": "Ada"})
        raise AssertionError("asked for a second contact")

    lines = write_csv(contacts_then_fail())
    assert next(lines) == ",".join(OWN_HEADER) + "\r\n"
    assert next(lines) == "Ada,,,,,,,false,,,,\r\n"


def test_reading_many_rows_keeps_memory_flat() -> None:
    """10,000 rows read from a generator: the peak is a few rows' worth."""

    def lines() -> Iterator[str]:
        yield "First Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,Labels\r\n"
        for number in range(10_000):
            yield f"Ann,Lee {number},* Work,ann{number}@x.com ::: b@x.com,Club\r\n"

    tracemalloc.start()
    try:
        count = sum(1 for _ in read_csv(lines()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 10_000
    assert peak < 256 * 1024


@settings(deadline=None, derandomize=True, database=None, max_examples=300)
@given(generated=contacts_lists)
def test_write_then_read_gives_the_contacts_back(generated: list[ContactData]) -> None:
    text = "".join(write_csv(generated))
    expected = [ParsedRecord(index, contact) for index, contact in enumerate(generated)]
    assert read_text(text) == expected
    assert list(read_csv(io.StringIO(text, newline=""))) == expected
