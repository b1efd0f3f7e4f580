"""vCard in and out (app/formats/vcard.py): the iPhone, Google, Android 2.1
and 4.0 fixtures in tests/data/contacts read with every field of every
record asserted; each awkward case in a table of its own; reading in
constant memory and linear time; cards written byte for byte, and read
back equal for generated contacts in both versions."""

from __future__ import annotations

import io
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings

from app.errors import FieldError, UserErrorCode
from app.fields import NO_YEAR
from app.formats.record import ContactData, ParsedRecord
from app.formats.sniffing import open_text
from app.formats.vcard import read_vcards, write_vcard
from app.services.contact_input import AddressInput, EmailInput, PhoneInput
from tests.support.vcard_data import contacts

DATA = Path(__file__).resolve().parent.parent / "data" / "contacts"
BDAY_MESSAGE = "is not a date: write 1985-04-15, or --04-15 without the year."


def email(value: str, label: str | None = None, primary: bool = False) -> EmailInput:
    return EmailInput(value=value, label=label, primary=primary)


def phone(value: str, label: str | None = None, primary: bool = False) -> PhoneInput:
    return PhoneInput(value=value, label=label, primary=primary)


def invalid(path: tuple[str, ...], message: str) -> FieldError:
    return FieldError(path, message, UserErrorCode.INVALID)


def read_file(name: str) -> list[ParsedRecord]:
    """The fixture read as the CLI reads a file: by its BOM, streamed."""
    with (DATA / name).open("rb") as stream, open_text(stream) as text:
        return list(read_vcards(text))


def read_text(text: str) -> list[ParsedRecord]:
    """Text read as the GraphQL import reads its `data`."""
    return list(read_vcards(text.splitlines(keepends=True)))


def card(*lines: str, version: str = "3.0") -> str:
    return "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""])


def only(*lines: str, version: str = "3.0") -> ParsedRecord:
    [record] = read_text(card(*lines, version=version))
    return record


def contact_of(*lines: str, version: str = "3.0") -> ContactData:
    record = only(*lines, version=version)
    assert record.problems == []
    return record.contact


# The fixtures, every record

IPHONE = [
    ParsedRecord(
        0,
        ContactData(
            fields={
                "first_name": "Ada Augusta",
                "last_name": "Lovelace",
                "nickname": "Ada",
                "company": "Analytical Engines Ltd",
                "job_title": "Programmer",
                "birthday": date(NO_YEAR, 12, 10),
                "notes": "Met at the Royal Society, 1843.\nLikes: engines; "
                "poetry; café au lait and crème brûlée.",
            },
            emails=[
                email("ada@example.com", "other", True),
                email("ada.home@example.com", "home"),
                email("ada@gym.example", "Gym"),
            ],
            phones=[
                phone("+44 7700 900123", "iphone", True),
                phone("+44 20 7946 0001", "home fax"),
                phone("+44 20 7946 0000", "main"),
            ],
            addresses=[
                AddressInput(
                    label="home",
                    street="12 St James's Square\nFlat 3",
                    city="London",
                    postal_code="SW1Y 4JH",
                    country="GB",
                ),
                AddressInput(
                    label="Office, Cupertino",
                    street="1 Infinite Loop",
                    city="Cupertino",
                    region="CA",
                    postal_code="95014",
                    country="US",
                ),
            ],
            tags=["Friends", "Science, Maths"],
        ),
    ),
    ParsedRecord(
        1,
        ContactData(
            fields={"company": "Babbage & Co."},
            emails=[email("info@babbage.example", "work")],
            phones=[phone("+44 20 7946 0100", "work")],
        ),
    ),
    ParsedRecord(
        2,
        ContactData(
            fields={
                "first_name": "太郎",
                "last_name": "山田",
                "birthday": date(NO_YEAR, 2, 29),
                "notes": "東京本社の営業部長。会議は毎週月曜日の午前十時から、"
                "会議室Ｂで行われます。連絡はメールで。",
            },
            emails=[email("taro@example.jp", "work", True)],
            phones=[
                phone("+81 3-1234-5678", "会社", True),
                phone("+81 90-1234-5678", "mobile"),
            ],
        ),
    ),
]
GOOGLE = [
    ParsedRecord(
        0,
        ContactData(
            fields={
                "first_name": "Grace",
                "last_name": "Hopper",
                "nickname": "Amazing Grace",
                "company": "US Navy",
                "job_title": "Rear Admiral",
                "birthday": date(1906, 12, 9),
                "notes": "Invented the first compiler.\n"
                "Found a moth; taped it in the log.",
                "favorite": True,
            },
            emails=[
                email("grace@example.com", "home"),
                email("ghopper@navy.example", "work"),
                email("grace@cobol.example", "COBOL"),
            ],
            phones=[
                phone("+1 202-555-0143", "mobile"),
                phone("(202) 555-0100", "work"),
                phone("+1 202 555 0199", "Lab"),
            ],
            addresses=[
                AddressInput(
                    label="home",
                    street="1 Navy Way",
                    city="Arlington",
                    region="VA",
                    postal_code="22201",
                    country="US",
                )
            ],
            tags=["Friends", "Navy"],
        ),
    ),
    ParsedRecord(
        1,
        ContactData(
            fields={
                "first_name": "Alan Mathison",
                "last_name": "Turing",
                "birthday": date(NO_YEAR, 6, 23),
            },
            emails=[
                email("alan@example.com"),
                email("turing@bletchley.example", "work", True),
            ],
            tags=["Work, Colleagues"],
        ),
    ),
    ParsedRecord(
        2,
        ContactData(
            emails=[email("katherine@example.com")],
            phones=[phone("+1 757-555-0123", "mobile")],
        ),
    ),
]
ANDROID = [
    ParsedRecord(
        0,
        ContactData(
            fields={
                "first_name": "Jürgen",
                "last_name": "Müller",
                "company": "Café Müller GmbH",
                "job_title": "Geschäftsführer",
                "birthday": date(1970, 1, 31),
                "notes": "Erste Zeile\nZweite Zeile: äöü €, und ein weicher "
                "Zeilenumbruch mitten in Noël.",
            },
            emails=[
                email("juergen@example.de", "home"),
                email("j.mueller@firma.example", "work"),
            ],
            phones=[
                phone("+49 151 23456789", "mobile", True),
                phone("030 1234567", "home"),
                phone("030 7654321", "work fax"),
                phone("030 555555"),
            ],
            addresses=[
                AddressInput(
                    label="home",
                    street="Straße des 17. Juni 1\nHinterhaus",
                    city="Berlin",
                    postal_code="10623",
                    # Not a name pycountry knows: the import reports it.
                    country="Deutschland",
                )
            ],
        ),
    ),
    ParsedRecord(
        1,
        ContactData(
            fields={"first_name": "小明", "last_name": "王", "notes": "日本語のメモ"},
            emails=[email("xiaoming@example.cn", None, True)],
            phones=[phone("+86 138 0013 8000", "mobile")],
        ),
    ),
    ParsedRecord(
        2,
        ContactData(
            fields={"first_name": "José", "last_name": "García"},
            phones=[phone("+34 91 123 45 67", "work")],
        ),
    ),
]
VCARD_4 = [
    ParsedRecord(
        0,
        ContactData(
            fields={
                "first_name": "Marie",
                "last_name": "Curie",
                "nickname": "Manya",
                "company": "Institut du Radium",
                "job_title": "Directrice",
                "birthday": date(NO_YEAR, 11, 7),
                "notes": "Prix Nobel de physique (1903), de chimie (1911).\n"
                "Deux lignes.",
                "favorite": True,
            },
            emails=[
                email("marie@institut.example", "work"),
                email("marie@home.example", "home", True),
            ],
            phones=[
                phone("+33-1-23-45-67-89", "work", True),
                phone("+33-6-12-34-56-78", "mobile"),
                phone("+33-1-98-76-54-32 ext. 5", "work"),
            ],
            addresses=[
                AddressInput(
                    label="work",
                    street="11 rue Pierre et Marie Curie",
                    city="Paris",
                    postal_code="75005",
                    country="FR",
                )
            ],
            tags=["Science", "Nobel, Laureates"],
        ),
    ),
    ParsedRecord(
        1,
        ContactData(
            fields={"company": "Institut Pasteur"},
            emails=[email("contact@pasteur.example", "work")],
            addresses=[
                AddressInput(
                    label="work",
                    street="25-28 rue du Docteur Roux",
                    city="Paris",
                    region="Île-de-France",
                    postal_code="75015",
                    country="FR",
                )
            ],
        ),
    ),
    ParsedRecord(
        2,
        ContactData(
            fields={
                "first_name": "Σωκράτης",
                "last_name": "Παπαδόπουλος",
                "birthday": date(1985, 4, 15),
            },
            phones=[phone("+30 21 0123 4567", "home")],
        ),
    ),
]
BROKEN = [
    ParsedRecord(
        0,
        ContactData(
            fields={"first_name": "Jane", "last_name": "Doe"},
            emails=[email("jane@example.com")],
        ),
        [
            invalid(
                (),
                "Line 1: the card has no END:VCARD before the next BEGIN:VCARD "
                "(line 5).",
            )
        ],
    ),
    ParsedRecord(
        1,
        ContactData(
            fields={"first_name": "John", "last_name": "Roe"},
            emails=[email("john@example.com")],
        ),
        [invalid(("birthday",), f'Line 8: BDAY "1985-02-30" {BDAY_MESSAGE}')],
    ),
    ParsedRecord(
        2,
        ContactData(
            fields={"first_name": "Edgar Allan", "last_name": "Poe"},
            emails=[email("ed@example.com")],
        ),
        [
            invalid((), "Line 11: the file ends before the card's END:VCARD."),
            invalid(
                ("notes",),
                "Line 14: the quoted-printable NOTE is not text in X-UNKNOWN.",
            ),
            invalid(
                ("phones",), "Line 15: the TEL line has no colon before its value."
            ),
            invalid(("birthday",), f'Line 16: BDAY "circa 1809" {BDAY_MESSAGE}'),
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("iphone-3.0.vcf", IPHONE),
        ("google-3.0.vcf", GOOGLE),
        ("android-2.1.vcf", ANDROID),
        ("contacts-4.0.vcf", VCARD_4),
        ("broken-3.0.vcf", BROKEN),
    ],
)
def test_fixture_read_record_for_record(
    name: str, expected: list[ParsedRecord]
) -> None:
    assert read_file(name) == expected
    # The import's data: the text with the BOM left in (a JSON string can
    # hold one), line ends as written.
    text = (DATA / name).read_bytes().decode("utf-8")
    assert read_text(text) == expected
    assert list(read_vcards(io.StringIO(text, newline=""))) == expected


def test_the_fixtures_are_written_with_crlf() -> None:
    for path in DATA.glob("*.vcf"):
        data = path.read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n") == data.count(b"\r"), path


# Awkward cases, one table each


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["BDAY:19850415"], date(1985, 4, 15)),
        (["BDAY:1985-04-15"], date(1985, 4, 15)),
        (["BDAY:1985-04-15T00:00:00Z"], date(1985, 4, 15)),
        (["BDAY:19850415T235959+0200"], date(1985, 4, 15)),
        (["BDAY:--0415"], date(NO_YEAR, 4, 15)),
        (["BDAY:--04-15"], date(NO_YEAR, 4, 15)),
        (["BDAY:--0229"], date(NO_YEAR, 2, 29)),
        (["BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15"], date(NO_YEAR, 4, 15)),
        (["BDAY;X-APPLE-OMIT-YEAR=1900:1900-04-15"], date(NO_YEAR, 4, 15)),
        (["BDAY:0000-04-15"], date(NO_YEAR, 4, 15)),
        (["BDAY;VALUE=date:0005-01-01"], date(5, 1, 1)),
        (["bday ; X-A=1 : 1985-04-15 "], date(1985, 4, 15)),
        (["BDAY:"], None),
    ],
)
def test_birthdays(lines: list[str], expected: date | None) -> None:
    fields = {"birthday": expected} if expected else {}
    assert contact_of(*lines).fields == fields


@pytest.mark.parametrize(
    "value",
    ["1985-02-30", "--1304", "1985", "1985-04", "--04", "circa 1800", "15/04/1985"],
)
def test_a_birthday_that_is_no_date_is_a_problem_of_the_record(value: str) -> None:
    record = only("FN:Ann", f"BDAY:{value}")

    assert record.contact.fields == {"first_name": "Ann"}
    assert record.problems == [
        invalid(("birthday",), f'Line 4: BDAY "{value}" {BDAY_MESSAGE}')
    ]


@pytest.mark.parametrize(
    ("line", "label", "primary"),
    [
        ("TEL;TYPE=work,voice:1", "work", False),
        ("TEL;TYPE=WORK:1", "work", False),
        ('TEL;TYPE="work,voice":1', "work", False),
        ("TEL;type=pref:1", None, True),
        ("TEL;TYPE=voice;TYPE=pref;TYPE=CELL:1", "mobile", True),
        ("TEL;WORK;VOICE;PREF:1", "work", True),  # 2.1's bare types
        ("TEL;CELL:1", "mobile", False),
        ("TEL;TYPE=cell;PREF=1:1", "mobile", True),
        ("TEL;TYPE=iphone,cell:1", "iphone", False),
        ("TEL;TYPE=main:1", "main", False),
        ("TEL;TYPE=pager:1", "pager", False),
        ("TEL;TYPE=fax:1", "fax", False),
        ("TEL;TYPE=fax;TYPE=work:1", "work fax", False),
        ("TEL;TYPE=text,video,textphone:1", None, False),
        ("TEL;TYPE=x400,msg,bbs,modem,isdn,pcs:1", None, False),
        ("EMAIL;TYPE=INTERNET;TYPE=HOME:1", "home", False),
        ("EMAIL;TYPE=internet,x400:1", None, False),
        ("EMAIL;TYPE=OTHER:1", "other", False),
        ("EMAIL;INTERNET:1", None, False),
        ("EMAIL:1", None, False),
        ("item1.EMAIL;TYPE=HOME:1\r\nitem1.X-ABLabel:_$!<Other>!$_", "other", False),
        ("item1.TEL:1\r\nITEM1.X-ABLabel:_$!<HomeFAX>!$_", "home fax", False),
        ("item1.TEL:1\r\nitem1.X-ABLabel:_$!<WorkFAX>!$_", "work fax", False),
        ("item1.TEL:1\r\nitem1.X-ABLabel:_$!<Mobile>!$_", "mobile", False),
        ("item1.X-ABLabel:Gym\r\nitem1.TEL;TYPE=pref:1", "Gym", True),
        ("item1.TEL;TYPE=work:1\r\nitem1.X-ABLabel: ", "work", False),
        ("item1.TEL:1\r\nitem2.X-ABLabel:Gym", None, False),
        (
            "item1.TEL:1\r\nitem1.X-ABLabel:Gym\\, Pool\\; \\\\ 2",
            "Gym, Pool; \\ 2",
            False,
        ),
    ],
)
def test_labels_and_primary(line: str, label: str | None, primary: bool) -> None:
    contact = contact_of(line)
    item = (
        EmailInput("1", label, primary)
        if "EMAIL" in line
        else phone("1", label, primary)
    )
    assert [*contact.emails, *contact.phones] == [item]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # The first marked, however many are.
        (["TEL;TYPE=pref:1", "TEL;TYPE=pref:2"], [True, False]),
        (["TEL:1", "TEL;PREF=1:2", "TEL;TYPE=pref:3"], [False, True, False]),
        # 4.0: the lowest PREF.
        (["TEL;PREF=3:1", "TEL;PREF=2:2", "TEL;PREF=2:3"], [False, True, False]),
        (["TEL:1", "TEL:2"], [False, False]),
    ],
)
def test_at_most_one_primary_per_list(lines: list[str], expected: list[bool]) -> None:
    assert [item.primary for item in contact_of(*lines).phones] == expected


@pytest.mark.parametrize(
    ("lines", "fields"),
    [
        # N wins over FN.
        (["N:Lovelace;Ada;;;", "FN:Countess of Lovelace"], ("Ada", "Lovelace")),
        (["FN:Ada King", "N:Lovelace;Ada;;Lady;"], ("Ada", "Lovelace")),
        (["N:Stevenson;John;Philip,Paul;Dr.;Jr."], ("John Philip,Paul", "Stevenson")),
        (["N:Doe"], (None, "Doe")),
        (["N:;Ann;;;"], ("Ann", None)),
        (["N:Gr\\;ay\\, Jr.;Ann\\\\;;;"], ("Ann\\", "Gr;ay, Jr.")),
        # FN only when N has no name: its last word is the last name.
        (["N:;;;;", "FN:Alan Mathison Turing"], ("Alan Mathison", "Turing")),
        (["N:;;;Dr.;", "FN:  Grace   Hopper "], ("Grace", "Hopper")),
        (["FN:Cher"], ("Cher", None)),
        (["FN:山田太郎"], ("山田太郎", None)),
        (["FN:"], (None, None)),
        # FN repeating what a writer shows for a contact with no name.
        (["FN:Acme", "ORG:Acme;Sales"], (None, None)),
        (["FN:Bob", "NICKNAME:Bob"], (None, None)),
        (["FN:ann@example.com", "EMAIL:ann@example.com"], (None, None)),
        (["FN:+1 555", "TEL:+1 555"], (None, None)),
        (["FN:Ann Example", "EMAIL:ann@example.com"], ("Ann", "Example")),
    ],
)
def test_names(lines: list[str], fields: tuple[str | None, str | None]) -> None:
    first, last = fields
    read = contact_of(*lines).fields
    assert (read.get("first_name"), read.get("last_name")) == (first, last)


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("ORG:Acme;Sales;EMEA", {"company": "Acme"}),
        ("ORG:Acme\\; Sons;Sales", {"company": "Acme; Sons"}),
        ("ORG:;Sales", {}),
        ("TITLE:Head of R&D\\, EMEA", {"job_title": "Head of R&D, EMEA"}),
        ("NICKNAME:Bob,Bobby", {"nickname": "Bob"}),
        ("NICKNAME:,Bobby", {"nickname": "Bobby"}),
        ("NICKNAME:Bob\\, the Builder", {"nickname": "Bob, the Builder"}),
        ("NOTE:a\\nb\\Nc\\\\n\\;\\,\\:", {"notes": "a\nb\nc\\n;,:"}),
        ("NOTE:https\\://example.com", {"notes": "https://example.com"}),
        ("NOTE:C:\\Temp", {"notes": "C:\\Temp"}),  # unknown escapes stay
        ("NOTE:one\r\nNOTE:two", {"notes": "one\ntwo"}),
        ("NOTE:   ", {}),
        ("X-FAVORITE:TRUE", {"favorite": True}),
        ("X-FAVORITE:1", {"favorite": True}),
        ("X-FAVORITE:false", {}),
        ("CATEGORIES:starred", {"favorite": True}),
    ],
)
def test_single_values(line: str, fields: dict[str, object]) -> None:
    assert contact_of(line).fields == fields


@pytest.mark.parametrize(
    ("lines", "tags"),
    [
        (["CATEGORIES:Friends,Work"], ["Friends", "Work"]),
        (["CATEGORIES:Work\\, Colleagues,Golf"], ["Work, Colleagues", "Golf"]),
        (["CATEGORIES: a , ,b,"], ["a", "b"]),
        (["CATEGORIES:myContacts,MYCONTACTS,Starred,Friends"], ["Friends"]),
        (["CATEGORIES:Friends", "CATEGORIES:friends,Golf"], ["Friends", "Golf"]),
    ],
)
def test_categories_are_tags(lines: list[str], tags: list[str]) -> None:
    assert contact_of(*lines).tags == tags


@pytest.mark.parametrize(
    ("line", "address"),
    [
        (
            "ADR;TYPE=home:PO Box 12;Apt 4;1 Main St;Springfield;IL;62704;USA",
            AddressInput(
                label="home",
                street="1 Main St\nApt 4\nPO Box 12",
                city="Springfield",
                region="IL",
                postal_code="62704",
                country="US",
            ),
        ),
        (
            "ADR;TYPE=dom,postal,parcel,pref:;;1 Rue\\, 2e;Paris;;;France",
            AddressInput(street="1 Rue, 2e", city="Paris", country="FR"),
        ),
        ("ADR:;;;;;;Germany", AddressInput(country="DE")),
        ("ADR:;;;;;;United States", AddressInput(country="US")),
        ("ADR:;;;;;;UK", AddressInput(country="GB")),
        ("ADR:;;;;;;de", AddressInput(country="DE")),
        ("ADR:;;;;;;Atlantis", AddressInput(country="Atlantis")),
        ("ADR:PO Box 7", AddressInput(street="PO Box 7")),
        (
            "item1.ADR:;;1 Infinite Loop;Cupertino;CA;95014;\r\n"
            "item1.X-ABLabel:_$!<Work>!$_",
            AddressInput(
                label="work",
                street="1 Infinite Loop",
                city="Cupertino",
                region="CA",
                postal_code="95014",
            ),
        ),
    ],
)
def test_addresses(line: str, address: AddressInput) -> None:
    assert contact_of(line).addresses == [address]


def test_an_empty_address_is_left_out() -> None:
    assert contact_of("ADR;TYPE=home:;;;;;;", "ADR: ; ; ;").addresses == []


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("TEL;VALUE=uri:tel:+1-555-555-0100", "+1-555-555-0100"),
        ("TEL;VALUE=uri:TEL:+1-555-555-0100;ext=42", "+1-555-555-0100 ext. 42"),
        ("TEL:  +1 555 555 0100  ", "+1 555 555 0100"),
        ("TEL:(555) 555\\,0100", "(555) 555,0100"),
    ],
)
def test_phone_values(line: str, value: str) -> None:
    assert contact_of(line, version="4.0").phones == [phone(value)]


def test_empty_values_are_left_out() -> None:
    assert contact_of("TEL:", "EMAIL: ", "TEL;VALUE=uri:tel:", "ORG:") == ContactData()


# Quoted-printable (2.1)


@pytest.mark.parametrize(
    ("lines", "notes"),
    [
        # A soft break inside a multi-byte character.
        (["NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:No=C3=", "=ABl"], "Noël"),
        (["NOTE;ENCODING=QUOTED-PRINTABLE:No=C3=AB=", "l"], "Noël"),
        # The bare parameter, any case, lower-case hex.
        (["NOTE;QUOTED-PRINTABLE;CHARSET=UTF-8:No=c3=abl"], "Noël"),
        (["NOTE;encoding=quoted-printable;charset=utf-8:No=C3=ABl"], "Noël"),
        # A continuation line's leading space is text, not a fold.
        (["NOTE;ENCODING=QUOTED-PRINTABLE:one=", " two=", "=20three"], "one two three"),
        # Line breaks in the text, and text written as is.
        (["NOTE;ENCODING=QUOTED-PRINTABLE:a=0D=0Ab=0Ac=0Dd"], "a\nb\nc\nd"),
        (["NOTE;ENCODING=QUOTED-PRINTABLE:Noël =3D ok"], "Noël = ok"),
        (["NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:No=EBl"], "Noël"),
        # Without a CHARSET, not UTF-8: the Windows code page.
        (["NOTE;ENCODING=QUOTED-PRINTABLE:=93No=EBl=94"], "\u201cNoël\u201d"),
        # A QUOTED-PRINTABLE parameter elsewhere does not make soft breaks.
        (["NOTE;X-NOTE=QUOTED-PRINTABLE:a=", "TITLE:b"], "a="),
        (["NOTE:quoted-printable=", " folded"], "quoted-printable=folded"),
    ],
)
def test_quoted_printable(lines: list[str], notes: str) -> None:
    assert contact_of(*lines, version="2.1").fields["notes"] == notes


def test_a_skipped_property_keeps_its_soft_breaks() -> None:
    # Outlook's 2.1 LABEL: the line after the soft break is its text.
    contact = contact_of(
        "LABEL;WORK;ENCODING=QUOTED-PRINTABLE:1 Main St=0D=0A=",
        "TITLE:Springfield",
        "NOTE:n",
        version="2.1",
    )

    assert contact == ContactData({"notes": "n"})


def test_a_stray_soft_break_before_end_vcard_does_not_swallow_it() -> None:
    text = card("NOTE;ENCODING=QUOTED-PRINTABLE:Caf=C3=A9=", version="2.1")

    assert read_text(text + card("FN:Ann")) == [
        ParsedRecord(0, ContactData({"notes": "Café"})),
        ParsedRecord(1, ContactData({"first_name": "Ann"})),
    ]


def test_quoted_printable_in_a_charset_it_is_not_is_a_problem() -> None:
    record = only(
        "FN:Ann", "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:No=EBl", version="2.1"
    )

    assert record.contact.fields == {"first_name": "Ann"}
    assert record.problems == [
        invalid(("notes",), "Line 4: the quoted-printable NOTE is not text in UTF-8.")
    ]


def test_quoted_printable_structured_values_split_after_decoding() -> None:
    contact = contact_of(
        "N;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:=E5=B1=B1=E7=94=B0;=E5=A4=AA=",
        "=E9=83=8E;;;",
        "ADR;HOME;ENCODING=QUOTED-PRINTABLE:;;Stra=C3=9Fe 1=0D=0AHof;Berlin;;;",
        version="2.1",
    )

    assert contact.fields == {"first_name": "太郎", "last_name": "山田"}
    assert contact.addresses == [
        AddressInput(label="home", street="Straße 1\nHof", city="Berlin")
    ]


# Lines: folds, BOM, line ends


@pytest.mark.parametrize(
    "lines",
    [
        ["NOTE:Caf", " é crème"],  # before a multi-byte character
        ["NOTE:Café", "  crème"],  # after one; the fold's space is not text
        ["NOTE:Caf", "\té", " ", "  crème"],  # a tab folds too; an empty piece
        ["NOTE:C", " a", " f", " é", "  crème"],  # a character a line
    ],
)
def test_folded_lines(lines: list[str]) -> None:
    assert contact_of(*lines).fields == {"notes": "Café crème"}


def test_a_fold_can_split_the_name_and_parameters() -> None:
    contact = contact_of("EMA", " IL;TYPE=wo", " rk:ann@exam", " ple.com")

    assert contact.emails == [email("ann@example.com", "work")]


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffBEGIN:VCARD\r\nFN:Ann\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nFN:Ann\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\nFN:Ann\nEND:VCARD",  # LF only, no line end at the end
        "BEGIN:VCARD\rFN:Ann\rEND:VCARD\r",
        "\r\n\r\nbegin:vcard\r\nfn:Ann\r\nend:vcard\r\n\r\n",
    ],
)
def test_line_ends_and_bom(text: str) -> None:
    assert read_text(text) == [ParsedRecord(0, ContactData({"first_name": "Ann"}))]
    assert list(read_vcards(io.StringIO(text, newline=""))) == read_text(text)


def test_breaks_only_splitlines_sees_stay_in_the_value() -> None:
    text = card("NOTE:a\u2028b\x0cc\x85d\x1ce")

    assert read_text(text)[0].contact.fields == {"notes": "a\u2028b\x0cc\x85d\x1ce"}


def test_unknown_properties_and_lines_outside_cards_are_ignored() -> None:
    text = (
        "a line before any card\r\nEND:VCARD\r\nFN:Outside\r\n"
        + card(
            "X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Jürgi;1;;;",
            "X-UNKNOWN;TYPE=x:1",
            "URL:https://example.com",
            "PHOTO;VALUE=uri:https://example.com/a.jpg",
            "KIND:individual",
            "GENDER:F",
            "LOGO;ENCODING=b:AAAA",
            "a line that is no property",
            "a line ending in =",
            "FN:Ann",
        )
        + "X-TRAILING:words\r\n"
    )

    assert read_text(text) == [ParsedRecord(0, ContactData({"first_name": "Ann"}))]


@pytest.mark.parametrize("text", ["", "\r\n", "\ufeff", "FN:Ann\r\n"])
def test_a_file_without_cards_has_no_records(text: str) -> None:
    assert read_text(text) == []


def test_an_empty_card_is_an_empty_record() -> None:
    assert read_text(card() + card("FN:Ann")) == [
        ParsedRecord(0, ContactData()),
        ParsedRecord(1, ContactData({"first_name": "Ann"})),
    ]


def test_a_property_line_without_a_value() -> None:
    record = only('EMAIL;TYPE="work:ann@example.com', "FN:Ann")

    assert record == ParsedRecord(
        0,
        ContactData({"first_name": "Ann"}),
        [invalid(("emails",), "Line 3: the EMAIL line has no colon before its value.")],
    )


# Size and speed


def photo_lines(size: int) -> Iterator[str]:
    """An inline base64 PHOTO of `size` characters, folded at 75 octets."""
    yield "PHOTO;ENCODING=b;TYPE=JPEG:" + "/9j/" + "A" * 44 + "\r\n"
    for _ in range(size // 74):
        yield " " + "QUFB" * 18 + "AA\r\n"


def test_a_megabyte_photo_is_read_past_without_being_kept() -> None:
    def lines() -> Iterator[str]:
        yield from ["BEGIN:VCARD\r\n", "VERSION:3.0\r\n", "FN:Ann\r\n"]
        yield from photo_lines(1_400_000)
        yield from ["EMAIL:ann@example.com\r\n", "END:VCARD\r\n"]

    tracemalloc.start()
    try:
        records = list(read_vcards(lines()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert records == [
        ParsedRecord(
            0,
            ContactData({"first_name": "Ann"}, emails=[email("ann@example.com")]),
        )
    ]
    assert peak < 100_000


def test_a_4_0_data_uri_photo_is_ignored() -> None:
    contact = contact_of(
        "PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD",
        " /2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8Q",
        "FN:Ann",
        version="4.0",
    )

    assert contact == ContactData({"first_name": "Ann"})


def test_reading_is_lazy_one_card_at_a_time() -> None:
    consumed: list[int] = []

    def lines() -> Iterator[str]:
        for index in range(1_000_000):
            consumed.append(index)
            yield f"BEGIN:VCARD\r\nFN:Card {index}\r\nEND:VCARD\r\n"

    records = read_vcards(
        line for chunk in lines() for line in chunk.splitlines(keepends=True)
    )
    first = next(records)
    second = next(records)

    assert (first.index, first.contact.fields) == (
        0,
        {"first_name": "Card", "last_name": "0"},
    )
    assert (second.index, second.contact.fields) == (
        1,
        {"first_name": "Card", "last_name": "1"},
    )
    # Each record comes as soon as its END:VCARD is read.
    assert len(consumed) == 2


def test_memory_stays_flat_over_many_cards() -> None:
    def lines(count: int) -> Iterator[str]:
        for index in range(count):
            yield from card(
                f"N:Last {index};First;;;",
                f"EMAIL;TYPE=work:person{index}@example.com",
                "TEL;TYPE=cell:+1 555 0100",
                "NOTE:" + "x" * 500,
            ).splitlines(keepends=True)

    peaks = []
    for count in (500, 5_000):
        tracemalloc.start()
        try:
            read = sum(1 for _ in read_vcards(lines(count)))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert read == count

    assert peaks[1] < peaks[0] * 1.5 + 10_000


def test_a_line_of_many_parameters_and_no_colon_is_read_in_linear_time() -> None:
    # vobject's content-line regex takes minutes for 15 of these.
    line = "EMAIL" + ";A=b,c" * 10_000 + ';"'
    started = time.perf_counter()

    record = only(line, "FN:Ann")

    assert time.perf_counter() - started < 1
    assert record.problems == [
        invalid(("emails",), "Line 3: the EMAIL line has no colon before its value.")
    ]


# Writing

ADA = ContactData(
    fields={
        "first_name": "Ada",
        "last_name": "Lovelace",
        "nickname": "Ada, Countess",
        "company": "Analytical; Engines",
        "job_title": "Programmer",
        "birthday": date(1815, 12, 10),
        "notes": "Line one\nback\\slash",
        "favorite": True,
    },
    emails=[
        email("ada@example.com", "home", True),
        email("ada@gym.example", "Gym"),
    ],
    phones=[
        phone("+442079460000", "mobile"),
        phone("+442079460001", "other", True),
        phone("+442079460002", "home fax"),
    ],
    addresses=[
        AddressInput(
            label="work",
            street="1 Main St\nFlat 2",
            city="London",
            postal_code="SW1A 1AA",
            country="GB",
        )
    ],
    tags=["Friends", "a,b"],
)


def lines_of(*lines: str) -> str:
    return "".join(line + "\r\n" for line in lines)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "4.0",
            lines_of(
                "BEGIN:VCARD",
                "VERSION:4.0",
                "N:Lovelace;Ada;;;",
                "FN:Ada Lovelace",
                "NICKNAME:Ada\\, Countess",
                "ORG:Analytical\\; Engines",
                "TITLE:Programmer",
                "BDAY:18151210",
                "NOTE:Line one\\nback\\\\slash",
                "X-FAVORITE:TRUE",
                "EMAIL;TYPE=home;PREF=1:ada@example.com",
                "item1.EMAIL:ada@gym.example",
                "item1.X-ABLabel:Gym",
                "TEL;TYPE=cell:+442079460000",
                "item2.TEL;PREF=1:+442079460001",
                "item2.X-ABLabel:_$!<Other>!$_",
                "TEL;TYPE=home,fax:+442079460002",
                "ADR;TYPE=work:;;1 Main St\\nFlat 2;London;;SW1A 1AA;United Kingdom",
                "CATEGORIES:Friends,a\\,b",
                "END:VCARD",
            ),
        ),
        (
            "3.0",
            lines_of(
                "BEGIN:VCARD",
                "VERSION:3.0",
                "N:Lovelace;Ada;;;",
                "FN:Ada Lovelace",
                "NICKNAME:Ada\\, Countess",
                "ORG:Analytical\\; Engines",
                "TITLE:Programmer",
                "BDAY:1815-12-10",
                "NOTE:Line one\\nback\\\\slash",
                "X-FAVORITE:TRUE",
                "EMAIL;TYPE=home,pref:ada@example.com",
                "item1.EMAIL:ada@gym.example",
                "item1.X-ABLabel:Gym",
                "TEL;TYPE=cell:+442079460000",
                "item2.TEL;TYPE=pref:+442079460001",
                "item2.X-ABLabel:_$!<Other>!$_",
                "TEL;TYPE=home,fax:+442079460002",
                "ADR;TYPE=work:;;1 Main St\\nFlat 2;London;;SW1A 1AA;United Kingdom",
                "CATEGORIES:Friends,a\\,b",
                "END:VCARD",
            ),
        ),
    ],
)
def test_written_byte_for_byte(version: str, expected: str) -> None:
    assert write_vcard(ADA, version) == expected
    assert read_text(expected) == [ParsedRecord(0, ADA)]


def test_the_default_version_is_4_0() -> None:
    assert write_vcard(ADA) == write_vcard(ADA, "4.0")


@pytest.mark.parametrize(
    ("version", "line"),
    [("4.0", "BDAY:--0229"), ("3.0", "BDAY;X-APPLE-OMIT-YEAR=1604:1604-02-29")],
)
def test_a_birthday_without_a_year(version: str, line: str) -> None:
    contact = ContactData({"first_name": "Leap", "birthday": date(NO_YEAR, 2, 29)})

    written = write_vcard(contact, version)

    assert line + "\r\n" in written
    assert read_text(written)[0].contact == contact


@pytest.mark.parametrize(
    ("contact", "fn"),
    [
        (ContactData({"last_name": "Hopper"}), "FN:Hopper"),
        (ContactData({"nickname": "Bob", "company": "Acme"}), "FN:Bob"),
        (ContactData({"company": "A\\, B"}), "FN:A\\\\\\, B"),
        (ContactData(emails=[email("x@example.com")]), "FN:x@example.com"),
        (ContactData(phones=[phone("+15550100")]), "FN:+15550100"),
        (ContactData({"notes": "only notes"}), "FN:"),
    ],
)
def test_fn_is_the_display_name(contact: ContactData, fn: str) -> None:
    written = write_vcard(contact)

    assert written.splitlines()[3] == fn
    assert read_text(written)[0].contact == contact


def test_long_lines_fold_at_75_octets_between_characters() -> None:
    notes = "é" * 50 + "日本語" * 30 + "𝔘" * 20 + "x" * 100
    contact = ContactData({"notes": notes})

    written = write_vcard(contact).encode("utf-8")

    lines = written.split(b"\r\n")
    assert max(len(line) for line in lines) == 75
    for line in lines:
        line.decode("utf-8")  # no character split across lines
    assert read_text(written.decode("utf-8"))[0].contact == contact


def test_a_carriage_return_is_written_as_a_line_break() -> None:
    written = write_vcard(ContactData({"notes": "a\r\nb\rc"}))

    assert "NOTE:a\\nb\\nc\r\n" in written
    assert read_text(written)[0].contact.fields == {"notes": "a\nb\nc"}


def test_other_versions_are_refused() -> None:
    with pytest.raises(ValueError, match=r"vCard 2\.1 is not written"):
        write_vcard(ADA, "2.1")


@pytest.mark.parametrize("version", ["4.0", "3.0"])
@settings(max_examples=300, deadline=None)
@given(contact=contacts)
def test_read_back_what_was_written(version: str, contact: ContactData) -> None:
    written = write_vcard(contact, version)

    assert written.endswith("END:VCARD\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in written.split("\r\n"))
    assert read_text(written) == [ParsedRecord(0, contact)]
    # Several cards in one stream, as the export writes them.
    twice = list(read_vcards(io.StringIO(written * 2, newline="")))
    assert [record.contact for record in twice] == [contact, contact]
