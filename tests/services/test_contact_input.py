"""app.services.contact_input.Cleaner and the text helpers: clean values out,
every problem collected with its path. Pure functions, no database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.errors import FieldError, UserErrorCode
from app.services.contact_input import (
    AddressInput,
    CleanAddress,
    CleanEmail,
    Cleaner,
    CleanPhone,
    EmailInput,
    PhoneInput,
)
from app.services.text import clean_email, clean_text, required_unless_reported

INVALID = UserErrorCode.INVALID
REQUIRED = UserErrorCode.REQUIRED
TOO_LONG = UserErrorCode.TOO_LONG
NUMBERS = ["+1 650-253-0000", "+1 415 555 2671"]


def clean(fields: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[Any, Any]]]:
    """The cleaned fields and the (path, code) of every error."""
    cleaner = Cleaner()
    cleaned = cleaner.clean(fields)
    assert all(error.message for error in cleaner.errors)
    return cleaned, [(error.field, error.code) for error in cleaner.errors]


def test_clean_returns_only_the_given_fields_trimmed() -> None:
    cleaned, errors = clean(
        {"first_name": "  Ada ", "job_title": " ", "notes": None, "favorite": None}
    )

    assert errors == []
    assert cleaned == {
        "first_name": "Ada",
        "job_title": None,
        "notes": None,
        "favorite": False,
    }


def test_clean_normalises_every_kind_of_field() -> None:
    cleaned, errors = clean(
        {
            "last_name": "Lovelace",
            "company": "ACME",
            "birthday": date(1815, 12, 10),
            "favorite": True,
            "emails": [
                EmailInput("Ada@Example.COM", " work "),
                EmailInput("ada@home.example.org", primary=True),
            ],
            "phones": [
                PhoneInput("020 7946 0958", region="gb"),
                PhoneInput("+1 650-253-0000", label="mobile"),
            ],
            "addresses": [AddressInput(city=" London ", country="gb", region="")],
            "tags": ["Friends", " work ", "friends", "WORK", "home"],
        }
    )

    assert errors == []
    assert cleaned == {
        "last_name": "Lovelace",
        "company": "ACME",
        "birthday": date(1815, 12, 10),
        "favorite": True,
        "emails": [
            CleanEmail("Ada@example.com", "work", False),
            CleanEmail("ada@home.example.org", None, True),
        ],
        "phones": [
            CleanPhone("+442079460958", None, True),
            CleanPhone("+16502530000", "mobile", False),
        ],
        "addresses": [CleanAddress(city="London", country="GB")],
        "tags": ["Friends", "work", "home"],
    }


@pytest.mark.parametrize("empty", [None, []])
def test_an_empty_or_null_list_cleans_to_an_empty_list(empty: Any) -> None:
    cleaned, errors = clean(
        {"emails": empty, "phones": empty, "addresses": empty, "tags": empty}
    )

    assert errors == []
    assert cleaned == {"emails": [], "phones": [], "addresses": [], "tags": []}


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ([None, None], [True, False]),
        ([False, False], [True, False]),
        ([None, True], [False, True]),
        ([True, False], [True, False]),
    ],
)
def test_at_most_one_primary_and_the_first_when_none_is_marked(
    marks: list[bool | None], expected: list[bool]
) -> None:
    emails = [EmailInput(f"{i}@example.com", primary=m) for i, m in enumerate(marks)]
    phones = [
        PhoneInput(number, primary=mark)
        for number, mark in zip(NUMBERS, marks, strict=True)
    ]

    cleaned, errors = clean({"emails": emails, "phones": phones})

    assert errors == []
    assert [email.primary for email in cleaned["emails"]] == expected
    assert [phone.primary for phone in cleaned["phones"]] == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"first_name": "a" * 101}, [(("input", "firstName"), TOO_LONG)]),
        ({"last_name": "a" * 101}, [(("input", "lastName"), TOO_LONG)]),
        ({"company": "a" * 201}, [(("input", "company"), TOO_LONG)]),
        ({"job_title": "a" * 201}, [(("input", "jobTitle"), TOO_LONG)]),
        ({"notes": "a" * 10_001}, [(("input", "notes"), TOO_LONG)]),
        ({"notes": "\x00"}, [(("input", "notes"), INVALID)]),
        (
            {"emails": [EmailInput("a@example.com"), EmailInput("b@")]},
            [(("input", "emails", "1", "value"), INVALID)],
        ),
        (
            {"emails": [EmailInput(" ")]},
            [(("input", "emails", "0", "value"), REQUIRED)],
        ),
        (
            {"emails": [EmailInput("a\x00@example.com")]},
            [(("input", "emails", "0", "value"), INVALID)],
        ),
        (
            {"emails": [EmailInput("a@example.com", primary=True)] * 2},
            [(("input", "emails"), INVALID)],
        ),
        (
            {"emails": [EmailInput("a@example.com")] * 51},
            [(("input", "emails"), TOO_LONG)],
        ),
        (
            {"phones": [PhoneInput("020 7946 0958")]},
            [(("input", "phones", "0", "value"), INVALID)],
        ),
        (
            {"phones": [PhoneInput("020 7946 0958", region="ZZ", label="a" * 51)]},
            [
                (("input", "phones", "0", "region"), INVALID),
                (("input", "phones", "0", "label"), TOO_LONG),
            ],
        ),
        (
            {"phones": [PhoneInput("+1 650-253-0000", region="GBR")]},
            [(("input", "phones", "0", "region"), INVALID)],
        ),
        (
            {"phones": [PhoneInput("1" * 51)]},
            [(("input", "phones", "0", "value"), TOO_LONG)],
        ),
        (
            {"phones": [PhoneInput("+44 20 7946 095")]},
            [(("input", "phones", "0", "value"), INVALID)],
        ),
        (
            {"addresses": [AddressInput(label="home")]},
            [(("input", "addresses", "0"), REQUIRED)],
        ),
        (
            {"addresses": [AddressInput(street="x", country="XX")]},
            [(("input", "addresses", "0", "country"), INVALID)],
        ),
        (
            {"addresses": [AddressInput(country="United Kingdom")]},
            [(("input", "addresses", "0", "country"), INVALID)],
        ),
        (
            {"addresses": [AddressInput(postal_code="1" * 21)]},
            [(("input", "addresses", "0", "postalCode"), TOO_LONG)],
        ),
        ({"tags": ["ok", ""]}, [(("input", "tags", "1"), REQUIRED)]),
        ({"tags": ["a" * 51]}, [(("input", "tags", "0"), TOO_LONG)]),
        ({"tags": ["a\x00"]}, [(("input", "tags", "0"), INVALID)]),
        ({"tags": ["t"] * 51}, [(("input", "tags"), TOO_LONG)]),
    ],
)
def test_clean_reports_each_problem_at_its_path(
    fields: dict[str, Any], expected: list[tuple[Any, Any]]
) -> None:
    _, errors = clean(fields)

    assert errors == expected


def test_clean_reports_every_problem_of_one_input_in_order() -> None:
    _, errors = clean(
        {
            "first_name": "a" * 101,
            "emails": [EmailInput("nope", label="a" * 51)],
            "phones": [PhoneInput("")],
            "tags": ["a" * 51, " "],
        }
    )

    assert errors == [
        (("input", "firstName"), TOO_LONG),
        (("input", "emails", "0", "value"), INVALID),
        (("input", "emails", "0", "label"), TOO_LONG),
        (("input", "phones", "0", "value"), REQUIRED),
        (("input", "tags", "0"), TOO_LONG),
        (("input", "tags", "1"), REQUIRED),
    ]


def test_error_paths_start_at_the_cleaners_root() -> None:
    cleaner = Cleaner(root=("contact",))

    cleaner.clean({"emails": [EmailInput("nope")]})

    assert [error.field for error in cleaner.errors] == [
        ("contact", "emails", "0", "value")
    ]


def test_values_at_the_limits_are_kept() -> None:
    tag = "ß" * 50  # 100 characters once case-folded; the key column fits it
    cleaned, errors = clean(
        {
            "first_name": "a" * 100,
            "notes": "n" * 10_000,
            "tags": [tag, "t" * 50],
            "addresses": [AddressInput(postal_code="1" * 20, label="l" * 50)],
        }
    )

    assert errors == []
    assert cleaned["tags"] == [tag, "t" * 50]
    assert cleaned["addresses"] == [CleanAddress(label="l" * 50, postal_code="1" * 20)]


# --- app.services.text ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("  \t\n", None), (" a b ", "a b"), ("abc", "abc")],
)
def test_clean_text_trims_and_turns_blank_into_none(
    value: str | None, expected: str | None
) -> None:
    errors: list[FieldError] = []

    assert clean_text(value, ("f",), 3, errors) == expected
    assert errors == []


@pytest.mark.parametrize(
    ("value", "code"), [("abcd", TOO_LONG), ("a\x00", INVALID), (" \x00 ", INVALID)]
)
def test_clean_text_refuses_long_values_and_nul(value: str, code: Any) -> None:
    errors: list[FieldError] = []

    assert clean_text(value, ("f",), 3, errors) is None
    assert [(error.field, error.code) for error in errors] == [(("f",), code)]


def test_clean_text_measures_the_length_after_trimming() -> None:
    errors: list[FieldError] = []

    assert clean_text("  abc  ", ("f",), 3, errors) == "abc"
    assert errors == []


def test_required_unless_reported_does_not_repeat_an_error() -> None:
    errors = [FieldError(("a",), "Too long.", TOO_LONG)]

    required_unless_reported(("a",), "Enter a.", errors)
    required_unless_reported(("b",), "Enter b.", errors)

    assert [(error.field, error.code) for error in errors] == [
        (("a",), TOO_LONG),
        (("b",), REQUIRED),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada@Example.COM", "Ada@example.com"),
        ("  ada@example.com ", "ada@example.com"),
        ("ADA.LOVELACE+tag@EXAMPLE.co.UK", "ADA.LOVELACE+tag@example.co.uk"),
    ],
)
def test_clean_email_lower_cases_the_domain_only(raw: str, expected: str) -> None:
    errors: list[FieldError] = []

    assert clean_email(raw, ("e",), errors) == expected
    assert errors == []


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", REQUIRED),
        ("plainaddress", INVALID),
        ("a@b", INVALID),
        ("two@@example.com", INVALID),
        ("a" * 255 + "@example.com", TOO_LONG),
    ],
)
def test_clean_email_reports_one_error(raw: str, code: Any) -> None:
    errors: list[FieldError] = []

    assert clean_email(raw, ("e",), errors) is None
    assert [(error.field, error.code) for error in errors] == [(("e",), code)]
