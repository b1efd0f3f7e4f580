"""app.services.matching: the keys two values are compared by, and when a
match by name is contradicted."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.fields import NO_YEAR
from app.services.contact_input import CleanAddress
from app.services.matching import (
    NAME_KEY_LENGTH,
    Facts,
    address_key,
    contradicts,
    email_key,
    facts,
    name_key,
    phone_key,
    tag_key,
    text_key,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ada", "ada"),
        ("  Ada \t  Lovelace\n", "ada lovelace"),
        ("ＡＤＡ", "ada"),  # full-width letters (NFKC)
        ("ﬁnn", "finn"),  # a ligature (NFKC)
        ("Straße", "strasse"),  # case-folded, not lower-cased
        ("ÉLODIE", "élodie"),
        ("E\u0301lodie", "élodie"),  # a combining accent composes
        ("", ""),
        (None, ""),
    ],
)
def test_text_key(value: str | None, expected: str) -> None:
    assert text_key(value) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"first_name": "Ada", "last_name": "Lovelace"}, "ada lovelace"),
        ({"first_name": " ADA ", "last_name": "lovelace "}, "ada lovelace"),
        ({"first_name": "Ada"}, "ada"),
        ({"first_name": None, "last_name": "Lovelace"}, "lovelace"),
        ({"first_name": "Ａｄａ", "last_name": "Ｌｏｖｅｌａｃｅ"}, "ada lovelace"),
        ({"company": "Acme", "nickname": "Bob"}, None),
        ({"first_name": None, "last_name": None}, None),
        ({"first_name": "  "}, None),
    ],
)
def test_name_key_is_first_and_last_name_only(
    values: dict[str, Any], expected: str | None
) -> None:
    assert name_key(values) == expected


def test_name_key_is_cut_to_its_column() -> None:
    long_name = "ß" * 100
    assert (
        name_key({"first_name": long_name, "last_name": long_name})
        == ("ss" * 100 + " " + "ss" * 100)[:NAME_KEY_LENGTH]
    )
    assert len(name_key({"first_name": "ﷺ" * 100}) or "") == NAME_KEY_LENGTH


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("Ada@Example.COM", "ada@example.com"),
        ("ÄRGER@example.com", "ärger@example.com"),
        ("Maß@example.com", "mass@example.com"),
    ],
)
def test_email_key_compares_lower_cased(value: str, expected: str) -> None:
    assert email_key(value) == expected


def test_phone_key_is_the_stored_e164() -> None:
    assert phone_key("+16502530000") == "+16502530000"


def test_tag_key_ignores_case_as_the_tags_table_does() -> None:
    assert tag_key("Friends") == tag_key("FRIENDS") == "friends"
    assert tag_key("Straße") == "strasse"


def test_address_key_normalises_every_part_and_ignores_the_label() -> None:
    home = CleanAddress(
        label="home",
        street="1  Main   St",
        city="Springfield",
        region=None,
        postal_code="12345",
        country="US",
    )
    same = CleanAddress(
        label=None,
        street="1 main st ",
        city="SPRINGFIELD",
        postal_code="12345",
        country="US",
    )
    assert address_key(home) == ("1 main st", "springfield", "", "12345", "us")
    assert address_key(same) == address_key(home)
    assert address_key(CleanAddress(city="Shelbyville")) != address_key(home)


def test_facts_hold_keys() -> None:
    assert facts(
        {"birthday": date(1815, 12, 10), "company": " Analytical  ENGINES "},
        ["Ada@Example.com"],
        ["+441234567890"],
    ) == Facts(
        birthday=date(1815, 12, 10),
        company="analytical engines",
        emails=frozenset({"ada@example.com"}),
        phones=frozenset({"+441234567890"}),
    )


BIRTHDAY = date(1815, 12, 10)
ADA = Facts(
    birthday=BIRTHDAY,
    company="acme",
    emails=frozenset({"ada@example.com"}),
    phones=frozenset({"+441234567890"}),
)


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        # Nothing known of the other: nothing contradicts.
        (Facts(), False),
        (ADA, False),
        # Birthdays: both have one and they differ.
        (Facts(birthday=date(1815, 12, 11)), True),
        (Facts(birthday=date(1816, 12, 10)), True),
        (Facts(birthday=date(NO_YEAR, 12, 10)), False),  # no year: same day
        (Facts(birthday=date(NO_YEAR, 12, 11)), True),
        # Emails: both have some and share none.
        (Facts(emails=frozenset({"ada@example.org"})), True),
        (Facts(emails=frozenset({"ada@example.org", "ada@example.com"})), False),
        # Phones: both have some and share none.
        (Facts(phones=frozenset({"+441234567891"})), True),
        (Facts(phones=frozenset({"+441234567891", "+441234567890"})), False),
        # Companies: both have one and they differ.
        (Facts(company="initech"), True),
        (Facts(company="acme"), False),
        # An email shared does not outweigh a different birthday.
        (
            Facts(birthday=date(1900, 1, 1), emails=frozenset({"ada@example.com"})),
            True,
        ),
    ],
)
def test_contradicts(other: Facts, expected: bool) -> None:
    assert contradicts(ADA, other) is expected
    assert contradicts(other, ADA) is expected


def test_what_one_side_lacks_never_contradicts() -> None:
    assert contradicts(Facts(), Facts()) is False
    assert contradicts(Facts(company="acme"), Facts(birthday=BIRTHDAY)) is False
    assert (
        contradicts(
            Facts(emails=frozenset({"a@example.com"})),
            Facts(phones=frozenset({"+441234567890"})),
        )
        is False
    )
    # A birthday in a year-less year agrees with itself.
    assert (
        contradicts(
            Facts(birthday=date(NO_YEAR, 2, 29)), Facts(birthday=date(NO_YEAR, 2, 29))
        )
        is False
    )
