"""app.services.batches called directly: all or nothing, errors at the item's
index, one change-log entry per changed contact, and the rows written as the
single-contact services write them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.errors import BadUserInput, InvalidInput, UserErrorCode
from app.extensions import db
from app.models import Contact, ContactChange, Tag
from app.services import batches, contacts
from app.services.batches import UpdateItem
from app.services.contact_input import EmailInput, PhoneInput


def count(model: type[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def entries(user_id: int) -> list[tuple[int, int, str]]:
    db.session.expire_all()
    return [
        (entry.contact_id, entry.version, entry.kind)
        for entry in db.session.scalars(
            select(ContactChange)
            .where(ContactChange.user_id == user_id)
            .order_by(ContactChange.id)
        )
    ]


def errors(raised: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[Any, Any]]:
    return [(error.field, error.code) for error in raised.value.errors]


def test_created_contacts_match_what_create_contact_stores(user_id: int) -> None:
    fields = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "emails": [EmailInput("Ada@Example.com")],
        "phones": [PhoneInput("+1 650-253-0000")],
        "tags": ["Work", "work", "Friends"],
    }
    single = contacts.create_contact(user_id, fields)
    [batched] = batches.create_contacts(user_id, [fields])

    def stored(contact_id: int) -> tuple[Any, ...]:
        db.session.expire_all()
        contact = contacts.get_contact(user_id, contact_id)
        assert contact is not None
        return (
            contact.first_name,
            contact.sort_first,
            contact.sort_last,
            contact.search_text,
            contact.birthday_md,
            contact.version,
            contact.favorite,
            [(e.value, e.primary) for e in contact.emails],
            [p.value for p in contact.phones],
            [t.name for t in contact.tags],
        )

    assert stored(batched.id) == stored(single.id)
    assert count(Tag) == 2


def test_create_contacts_logs_one_entry_per_contact_in_order(user_id: int) -> None:
    created = batches.create_contacts(
        user_id, [{"first_name": "A"}, {"company": "B"}, {"last_name": "C"}]
    )

    assert [c.id for c in created] == sorted(c.id for c in created)
    assert entries(user_id) == [(c.id, 1, "CREATED") for c in created]


def test_a_failing_item_creates_nothing_and_every_error_names_its_item(
    user_id: int,
) -> None:
    with pytest.raises(InvalidInput) as raised:
        batches.create_contacts(
            user_id,
            [
                {"first_name": "Fine", "tags": ["New"]},
                {"emails": [EmailInput("bad")]},
                {"notes": "nameless"},
            ],
        )

    assert errors(raised) == [
        (("input", "1", "emails", "0", "value"), UserErrorCode.INVALID),
        (("input", "2"), UserErrorCode.REQUIRED),
    ]
    assert (count(Contact), count(Tag), count(ContactChange)) == (0, 0, 0)


@pytest.mark.parametrize(
    ("call", "argument", "limit"),
    [
        (batches.create_contacts, "input", 200),
        (batches.update_contacts, "input", 200),
        (batches.delete_contacts, "ids", 500),
    ],
)
def test_too_many_items(user_id: int, call: Any, argument: str, limit: int) -> None:
    with pytest.raises(BadUserInput, match=f"`{argument}` may hold at most {limit}"):
        call(user_id, [None] * (limit + 1))


def test_update_contacts_logs_only_the_contacts_that_changed(user_id: int) -> None:
    a, b = batches.create_contacts(user_id, [{"first_name": "A"}, {"first_name": "B"}])

    updated = batches.update_contacts(
        user_id,
        [
            UpdateItem(a.id, {"first_name": "A"}),
            UpdateItem(b.id, {"job_title": "Boss"}, expected_version=1),
        ],
    )

    assert [(c.id, c.version, c.job_title) for c in updated] == [
        (a.id, 1, None),
        (b.id, 2, "Boss"),
    ]
    assert entries(user_id)[2:] == [(b.id, 2, "UPDATED")]


def test_update_contacts_refuses_a_contact_named_twice(user_id: int) -> None:
    [a] = batches.create_contacts(user_id, [{"first_name": "A"}])

    with pytest.raises(InvalidInput) as raised:
        batches.update_contacts(
            user_id,
            [
                UpdateItem(a.id, {"job_title": "One"}),
                UpdateItem(a.id, {"job_title": "Two"}),
                UpdateItem(None, {}),
            ],
        )

    assert errors(raised) == [
        (("input", "1", "id"), UserErrorCode.INVALID),
        (("input", "2", "id"), UserErrorCode.NOT_FOUND),
    ]
    db.session.expire_all()
    assert db.session.get(Contact, a.id).job_title is None  # type: ignore[union-attr]


def test_delete_contacts_trashes_them_with_a_new_version_each(user_id: int) -> None:
    a, b = batches.create_contacts(user_id, [{"first_name": "A"}, {"first_name": "B"}])

    assert batches.delete_contacts(user_id, [b.id, a.id]) == [b.id, a.id]

    db.session.expire_all()
    assert contacts.get_contact(user_id, a.id) is None
    trashed = db.session.scalars(select(Contact).order_by(Contact.id)).all()
    assert [(c.version, c.deleted_at is not None) for c in trashed] == [
        (2, True),
        (2, True),
    ]
    assert trashed[0].deleted_at == trashed[0].updated_at
    assert entries(user_id)[2:] == [(b.id, 2, "DELETED"), (a.id, 2, "DELETED")]
    with pytest.raises(InvalidInput) as raised:
        batches.delete_contacts(user_id, [a.id])
    assert errors(raised) == [(("ids", "0"), UserErrorCode.NOT_FOUND)]
