"""app.services.contacts called directly, inside an app context: the
transactions, versions, ownership checks and tag bookkeeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from app.errors import InvalidInput, UserErrorCode
from app.extensions import db
from app.models import Contact, EmailAddress, Tag
from app.services import contacts
from app.services.contact_input import EmailInput, PhoneInput


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def errors(raised: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[Any, Any]]:
    return [(error.field, error.code) for error in raised.value.errors]


def tag_names(user_id: int) -> list[str]:
    return [tag.name for tag in contacts.list_tags(user_id)]


def test_create_contact_starts_at_version_1_with_equal_aware_utc_times(
    user_id: int,
) -> None:
    contact = contacts.create_contact(
        user_id,
        {
            "first_name": "Ada",
            "emails": [EmailInput("ada@Example.com")],
            "phones": [PhoneInput("+1 650-253-0000")],
            "tags": ["work"],
        },
    )

    db.session.expire_all()
    stored = contacts.get_contact(user_id, contact.id)
    assert stored is not None
    assert stored.version == 1
    assert stored.favorite is False
    assert stored.created_at == stored.updated_at
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert [e.value for e in stored.emails] == ["ada@example.com"]
    assert [p.value for p in stored.phones] == ["+16502530000"]
    assert [t.name for t in stored.tags] == ["work"]


def test_create_contact_keeps_derived_columns_for_sorting_and_search(
    user_id: int,
) -> None:
    contact = contacts.create_contact(
        user_id,
        {"company": "Straße " * 28, "emails": [EmailInput("Ada@Example.com")]},
    )

    assert contact.sort_last == contact.sort_first
    assert len(contact.sort_last) == 200
    assert contact.sort_last.startswith("strasse strasse")
    assert "ada@example.com" in contact.search_text


def test_invalid_create_raises_and_stores_nothing(user_id: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        contacts.create_contact(
            user_id, {"first_name": "x" * 101, "tags": ["new"], "emails": None}
        )

    assert errors(raised) == [(("input", "firstName"), UserErrorCode.TOO_LONG)]
    assert (count(Contact), count(Tag)) == (0, 0)


def test_update_changes_version_and_updated_at_only_on_a_real_change(
    user_id: int,
) -> None:
    contact = contacts.create_contact(user_id, {"first_name": "Ada"})
    created_at, updated_at = contact.created_at, contact.updated_at

    same = contacts.update_contact(user_id, contact.id, {"first_name": " Ada "})
    assert (same.version, same.updated_at) == (1, updated_at)

    changed = contacts.update_contact(user_id, contact.id, {"last_name": "L"})
    assert changed.version == 2
    assert changed.updated_at > updated_at
    assert changed.created_at == created_at


def test_update_with_a_stale_expected_version_raises_conflict(user_id: int) -> None:
    contact = contacts.create_contact(user_id, {"first_name": "Ada"})
    contacts.update_contact(user_id, contact.id, {"notes": "v2"})

    with pytest.raises(InvalidInput) as raised:
        contacts.update_contact(
            user_id, contact.id, {"notes": "v3"}, expected_version=1
        )

    assert errors(raised) == [(("input", "expectedVersion"), UserErrorCode.CONFLICT)]
    db.session.expire_all()
    stored = contacts.get_contact(user_id, contact.id)
    assert stored is not None
    assert (stored.notes, stored.version) == ("v2", 2)


def other_connection_writes(contact_id: int) -> None:
    """Change the contact on a connection of its own, as a concurrent
    request would, giving up on a lock after a tenth of a second."""
    with db.engine.connect() as other:
        if other.dialect.name == "sqlite":
            other.execute(text("PRAGMA busy_timeout = 100"))
        else:
            other.execute(text("SET lock_timeout = '100ms'"))
        other.execute(
            update(Contact.__table__)
            .where(Contact.__table__.c.id == contact_id)
            .values(version=Contact.__table__.c.version + 1, notes="theirs")
        )
        other.commit()


def update_notes(user_id: int, contact_id: int) -> None:
    contacts.update_contact(user_id, contact_id, {"notes": "mine", "tags": ["New"]})


@pytest.mark.parametrize(
    ("write", "outcome"),
    [(update_notes, ("mine", 2)), (contacts.delete_contact, None)],
    ids=["update", "delete"],
)
def test_a_write_holds_the_contact_against_other_writes_until_it_ends(
    user_id: int,
    monkeypatch: pytest.MonkeyPatch,
    write: Callable[[int, int], object],
    outcome: tuple[str, int] | None,
) -> None:
    """So an update without expectedVersion never meets a version it did
    not read (the last writer wins), and a delete never races an update."""
    contact_id = contacts.create_contact(user_id, {"first_name": "Ada"}).id
    owned_contact = contacts._owned_contact
    refused: list[Exception] = []

    def found_then_another_request_tries(*args: Any) -> Any:
        found = owned_contact(*args)
        with pytest.raises(OperationalError) as raised:
            other_connection_writes(contact_id)
        refused.append(raised.value)
        return found

    monkeypatch.setattr(contacts, "_owned_contact", found_then_another_request_tries)

    write(user_id, contact_id)

    assert len(refused) == 1
    db.session.expire_all()
    stored = contacts.get_contact(user_id, contact_id)
    assert (stored and (stored.notes, stored.version)) == outcome
    other_connection_writes(contact_id)


def test_update_leaving_no_identifying_field_raises_required(user_id: int) -> None:
    contact = contacts.create_contact(
        user_id, {"emails": [EmailInput("ada@example.com")]}
    )

    with pytest.raises(InvalidInput) as raised:
        contacts.update_contact(user_id, contact.id, {"emails": []})

    assert errors(raised) == [(("input",), UserErrorCode.REQUIRED)]
    assert count(EmailAddress) == 1


@pytest.mark.parametrize("contact_id", [None, 999, 2**31, 10**30])
def test_update_and_delete_of_a_missing_contact_raise_not_found(
    user_id: int, contact_id: int | None
) -> None:
    with pytest.raises(InvalidInput) as raised:
        contacts.update_contact(user_id, contact_id, {"notes": "x"})
    assert errors(raised) == [(("input", "id"), UserErrorCode.NOT_FOUND)]

    with pytest.raises(InvalidInput) as raised:
        contacts.delete_contact(user_id, contact_id)
    assert errors(raised) == [(("id",), UserErrorCode.NOT_FOUND)]


def test_another_users_contact_is_missing_to_every_function(
    user_id: int, other_user_id: int
) -> None:
    contact = contacts.create_contact(user_id, {"first_name": "Ada", "tags": ["x"]})
    [tag] = contacts.list_tags(user_id)

    assert contacts.get_contact(other_user_id, contact.id) is None
    assert contacts.get_tag(other_user_id, tag.id) is None
    assert contacts.list_tags(other_user_id) == []
    assert contacts.tag_contact_counts(other_user_id) == {}
    with pytest.raises(InvalidInput):
        contacts.update_contact(other_user_id, contact.id, {"notes": "x"})
    with pytest.raises(InvalidInput):
        contacts.delete_contact(other_user_id, contact.id)

    db.session.expire_all()
    stored = contacts.get_contact(user_id, contact.id)
    assert stored is not None
    assert (stored.notes, stored.version) == (None, 1)


@pytest.mark.parametrize("pk", [0, -1, 2**31, 10**30])
def test_ids_outside_the_database_range_find_nothing(user_id: int, pk: int) -> None:
    assert contacts.get_contact(user_id, pk) is None
    assert contacts.get_tag(user_id, pk) is None


def test_delete_moves_the_contact_to_the_trash_and_hides_its_unshared_tags(
    user_id: int,
) -> None:
    first = contacts.create_contact(
        user_id, {"first_name": "A", "tags": ["shared", "alone"]}
    )
    contacts.create_contact(user_id, {"first_name": "B", "tags": ["Shared"]})

    contacts.delete_contact(user_id, first.id)

    assert tag_names(user_id) == ["shared"]
    assert contacts.get_contact(user_id, first.id) is None
    assert count(Contact) == 2  # kept, with both its tags, for a restore
    assert count(Tag) == 2


def test_tags_are_per_user_sorted_and_counted(user_id: int, other_user_id: int) -> None:
    contacts.create_contact(user_id, {"first_name": "A", "tags": ["b", "A"]})
    contacts.create_contact(user_id, {"first_name": "B", "tags": ["a", "C"]})
    contacts.create_contact(other_user_id, {"first_name": "C", "tags": ["a"]})

    mine = contacts.list_tags(user_id)
    theirs = contacts.list_tags(other_user_id)

    assert [tag.name for tag in mine] == ["A", "b", "C"]
    assert [tag.name for tag in theirs] == ["a"]
    assert contacts.tag_contact_counts(user_id) == {
        mine[0].id: 2,
        mine[1].id: 1,
        mine[2].id: 1,
    }
    assert contacts.tag_contact_counts(other_user_id) == {theirs[0].id: 1}


def test_a_tag_created_meanwhile_by_another_request_is_reused(user_id: int) -> None:
    contacts.create_contact(user_id, {"first_name": "A", "tags": ["Work"]})
    [existing] = contacts.list_tags(user_id)

    # What a request does when its lookup missed a tag that a concurrent
    # request inserted just before it: the unique key makes it reuse that one.
    tag = contacts._create_tag(user_id, "WORK")

    assert tag.id == existing.id
    assert tag.name == "Work"
    assert count(Tag) == 1
