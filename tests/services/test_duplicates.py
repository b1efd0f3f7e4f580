"""app.services.duplicates called directly: the import's check
(`match_existing`) and the keys every writer stores for it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.fields import NAME_FIELDS
from app.models import Contact, EmailAddress
from app.services import batches, contacts, seed
from app.services.contact_input import EmailInput, PhoneInput
from app.services.duplicates import Match, match_existing
from app.services.matching import Reason, email_key, name_key
from tests.support.statements import executions


def cleaned(**fields: Any) -> dict[str, Any]:
    """Create input as `contacts.clean` returns it."""
    return contacts.clean(fields, current={})


def test_match_existing_finds_each_kind_of_match(user_id: int) -> None:
    ada = contacts.create_contact(
        user_id,
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "emails": [EmailInput("ada@example.com")],
            "phones": [PhoneInput("+441234567890")],
        },
    ).id
    grace = contacts.create_contact(
        user_id, {"first_name": "Grace", "birthday": date(1906, 12, 9)}
    ).id

    found = match_existing(
        user_id,
        [
            cleaned(first_name="Someone", emails=[EmailInput("ADA@example.com")]),
            cleaned(company="Acme", phones=[PhoneInput("+44 1234 567890")]),
            cleaned(first_name=" ADA ", last_name="lovelace"),
            cleaned(first_name="Grace", birthday=date(1906, 12, 9)),
            cleaned(first_name="Grace", birthday=date(1906, 12, 10)),
            cleaned(first_name="Nobody", emails=[EmailInput("no@example.com")]),
            cleaned(company="Ada Lovelace"),
        ],
    )

    assert found == [
        Match(ada, Reason.SAME_EMAIL),
        Match(ada, Reason.SAME_PHONE),
        Match(ada, Reason.SAME_NAME),
        Match(grace, Reason.SAME_NAME),
        None,
        None,
        None,
    ]


def test_match_existing_prefers_email_then_phone_then_the_lowest_id(
    user_id: int,
) -> None:
    by_name, by_phone, by_email, also_by_email = (
        contacts.create_contact(user_id, fields).id
        for fields in (
            {"first_name": "Ada"},
            {"company": "A", "phones": [PhoneInput("+441234567890")]},
            {"company": "B", "emails": [EmailInput("ada@example.com")]},
            {"company": "C", "emails": [EmailInput("ada@example.com")]},
        )
    )
    candidate = cleaned(
        first_name="Ada",
        emails=[EmailInput("ada@example.com")],
        phones=[PhoneInput("+441234567890")],
    )

    assert match_existing(user_id, [candidate]) == [Match(by_email, Reason.SAME_EMAIL)]
    assert by_email < also_by_email
    without_email = {**candidate, "emails": []}
    assert match_existing(user_id, [without_email]) == [
        Match(by_phone, Reason.SAME_PHONE)
    ]
    only_name = cleaned(first_name="Ada")
    assert match_existing(user_id, [only_name]) == [Match(by_name, Reason.SAME_NAME)]


def test_match_existing_names_contradicted(user_id: int) -> None:
    contacts.create_contact(
        user_id,
        {
            "first_name": "Ada",
            "company": "Acme",
            "emails": [EmailInput("ada@example.com")],
        },
    )

    assert match_existing(
        user_id,
        [
            cleaned(first_name="Ada", company="Initech"),
            cleaned(first_name="Ada", emails=[EmailInput("other@example.com")]),
        ],
    ) == [None, None]


def test_match_existing_ignores_the_trash_and_other_users(
    user_id: int, other_user_id: int
) -> None:
    trashed = contacts.create_contact(
        user_id, {"first_name": "Ada", "emails": [EmailInput("ada@example.com")]}
    )
    contacts.delete_contact(user_id, trashed.id)
    contacts.create_contact(
        other_user_id,
        {
            "first_name": "Grace",
            "emails": [EmailInput("grace@example.com")],
            "phones": [PhoneInput("+441234567890")],
        },
    )

    assert match_existing(
        user_id,
        [
            cleaned(first_name="Ada", emails=[EmailInput("ada@example.com")]),
            cleaned(first_name="Grace", phones=[PhoneInput("+441234567890")]),
        ],
    ) == [None, None]


def test_match_existing_reads_one_statement_per_kind_of_key(
    app: Flask, user_id: int
) -> None:
    contacts.create_contact(user_id, {"first_name": "Ada"})
    many = [
        cleaned(
            first_name=f"Person {index}",
            emails=[EmailInput(f"{index}@example.com")],
            phones=[PhoneInput(f"+4412345678{index:02}")],
        )
        for index in range(50)
    ]

    with executions(app) as seen:
        found = match_existing(user_id, many)

    assert found == [None] * 50
    assert len(seen) == 3
    assert match_existing(user_id, []) == []


def test_every_writer_stores_the_keys(user_id: int) -> None:
    fields = {
        "first_name": "  Ａda ",
        "last_name": "LOVELACE",
        "emails": [EmailInput("Ada@Example.com")],
    }
    single = contacts.create_contact(user_id, fields).id
    [batched] = batches.create_contacts(user_id, [fields])
    contacts.update_contact(user_id, single, {"last_name": "King"})
    batches.update_contacts(
        user_id, [batches.UpdateItem(batched.id, {"first_name": None})]
    )
    db.session.expire_all()

    rows = db.session.execute(
        select(Contact.id, Contact.name_key).order_by(Contact.id)
    ).all()
    keys = db.session.scalars(select(EmailAddress.value_key)).all()

    assert [tuple(row) for row in rows] == [
        (single, "ada king"),
        (batched.id, "lovelace"),
    ]
    assert keys == ["ada@example.com", "ada@example.com"]


def test_seeded_contacts_have_their_keys(app_context: None) -> None:
    seed.seed(1, 30, random_seed=1)

    stored = db.session.scalars(select(Contact)).all()
    assert len(stored) == 30
    named = 0
    for contact in stored:
        values = {name: getattr(contact, name) for name in NAME_FIELDS}
        assert contact.name_key == name_key(values)
        named += contact.name_key is not None
        assert [e.value_key for e in contact.emails] == [
            email_key(e.value) for e in contact.emails
        ]
    assert named > 20
