"""The change log, the trash and history as services, without HTTP: every
write adds exactly one entry in its own transaction, a failed write adds
none, purging forgets a contact's data but leaves its tombstone, and the
daily purge keeps what is within its windows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select, update

from app.errors import InvalidInput, UserErrorCode
from app.extensions import db
from app.models import Contact, ContactChange, Tag, utcnow
from app.services import change_log, contacts, history, trash
from app.services.change_log import FieldChange
from app.services.contact_input import EmailInput


def entries(user_id: int) -> list[tuple[int, int, str]]:
    """(contact id, version, kind) of the user's entries, in log order."""
    db.session.expire_all()
    return [
        (entry.contact_id, entry.version, entry.kind)
        for entry in db.session.scalars(
            select(ContactChange)
            .where(ContactChange.user_id == user_id)
            .order_by(ContactChange.id)
        )
    ]


def count(model: type[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_each_write_adds_one_entry_with_the_version_it_made(user_id: int) -> None:
    contact = contacts.create_contact(user_id, {"first_name": "Ada"})
    contacts.update_contact(user_id, contact.id, {"notes": "x"})
    contacts.update_contact(user_id, contact.id, {"notes": "x"})  # no change
    contacts.delete_contact(user_id, contact.id)
    trash.restore_contact(user_id, contact.id)
    history.revert_contact(user_id, contact.id, 1)
    contacts.delete_contact(user_id, contact.id)
    trash.purge_contact(user_id, contact.id)

    assert entries(user_id) == [(contact.id, 7, "PURGED")]


def test_entries_keep_the_snapshot_and_the_changed_fields(user_id: int) -> None:
    contact = contacts.create_contact(
        user_id,
        {"first_name": "Ada", "emails": [EmailInput("ada@example.com")], "tags": ["X"]},
    )
    contacts.update_contact(user_id, contact.id, {"last_name": "Lovelace"})

    stored = db.session.scalars(select(ContactChange).order_by(ContactChange.id)).all()

    assert [(e.version, e.kind) for e in stored] == [(1, "CREATED"), (2, "UPDATED")]
    assert change_log.decode_changes(stored[1].changes) == [
        FieldChange("lastName", None, "Lovelace")
    ]
    assert stored[1].snapshot is not None
    snapshot = orjson.loads(stored[1].snapshot)
    assert snapshot["firstName"] == "Ada"
    assert snapshot["lastName"] == "Lovelace"
    assert snapshot["emails"] == [
        {"value": "ada@example.com", "label": None, "primary": True}
    ]
    assert snapshot["tags"] == ["X"]
    assert snapshot["deletedAt"] is None
    assert stored[1].changed_at == contacts.get_contact(user_id, contact.id).updated_at  # type: ignore[union-attr]


def test_a_refused_write_adds_no_entry(user_id: int) -> None:
    contact = contacts.create_contact(user_id, {"first_name": "Ada"})

    with pytest.raises(InvalidInput):
        contacts.update_contact(user_id, contact.id, {"first_name": "x" * 101})
    with pytest.raises(InvalidInput):
        contacts.update_contact(user_id, contact.id, {"notes": "y"}, 7)
    with pytest.raises(InvalidInput) as raised:
        history.revert_contact(user_id, contact.id, 5)

    assert [e.code for e in raised.value.errors] == [UserErrorCode.NOT_FOUND]
    assert entries(user_id) == [(contact.id, 1, "CREATED")]


def test_diff_of_a_new_contact_lists_only_the_fields_with_a_value() -> None:
    after = {"firstName": "A", "notes": None, "favorite": False, "emails": []}

    assert change_log.diff(None, after) == [FieldChange("firstName", None, "A")]
    assert change_log.diff({**after, "favorite": True}, after) == [
        FieldChange("favorite", True, False)
    ]
    assert change_log.as_json_text("Ada") == '"Ada"'
    assert change_log.as_json_text(None) is None
    assert change_log.as_json_text(["a", {"b": 1}]) == '["a",{"b":1}]'


def test_purge_forgets_every_entry_of_the_contact_but_its_tombstone(
    user_id: int, other_user_id: int
) -> None:
    gone = contacts.create_contact(user_id, {"first_name": "Gone", "tags": ["t"]})
    kept = contacts.create_contact(user_id, {"first_name": "Kept"})
    theirs = contacts.create_contact(other_user_id, {"first_name": "Theirs"})
    contacts.update_contact(user_id, gone.id, {"notes": "secret"})
    contacts.delete_contact(user_id, gone.id)

    trash.purge_contact(user_id, gone.id)

    assert entries(user_id) == [(kept.id, 1, "CREATED"), (gone.id, 4, "PURGED")]
    assert entries(other_user_id) == [(theirs.id, 1, "CREATED")]
    tombstone = db.session.scalars(
        select(ContactChange).where(ContactChange.kind == "PURGED")
    ).one()
    assert (tombstone.snapshot, tombstone.changes) == (None, "[]")
    assert count(Tag) == 0


def test_purge_expired_keeps_what_is_within_its_windows(
    user_id: int, other_user_id: int
) -> None:
    now = utcnow()
    old = contacts.create_contact(user_id, {"first_name": "Old"})
    recent = contacts.create_contact(user_id, {"first_name": "Recent"})
    theirs = contacts.create_contact(other_user_id, {"first_name": "Theirs"})
    live = contacts.create_contact(user_id, {"first_name": "Live"})
    for contact in (old, recent, theirs):
        contacts.delete_contact(contact.user_id, contact.id)
    days_ago = {old.id: 31, recent.id: 29, theirs.id: 40}
    for contact_id, days in days_ago.items():
        db.session.execute(
            update(Contact)
            .where(Contact.id == contact_id)
            .values(deleted_at=now - timedelta(days=days))
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(ContactChange)
        .where(ContactChange.contact_id == live.id)
        .values(changed_at=now - timedelta(days=32))
    )
    db.session.commit()

    report = trash.purge_expired(timedelta(days=30), timedelta(days=30), now)

    assert (report.contacts, report.change_log_entries) == (2, 1)
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Contact.id))) == sorted(
        [recent.id, live.id]
    )
    assert entries(user_id) == [
        (recent.id, 1, "CREATED"),
        (recent.id, 2, "DELETED"),
        (old.id, 3, "PURGED"),
    ]
    assert entries(other_user_id) == [(theirs.id, 3, "PURGED")]
