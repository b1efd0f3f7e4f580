"""A contact's history and reverting to an old version, both read from the
change log (app/services/change_log.py).

Each entry keeps the contact as the change left it, so a revert writes an
old version back whole, lists and tags included: a new version (REVERTED),
not a rewind. The log reaches back SYNC_TOKEN_TTL_DAYS (`flask purge`
prunes it), and so do history and revert.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.db.transaction import transactional
from app.errors import BadUserInput, InvalidInput, UserErrorCode
from app.extensions import db
from app.models import Contact, ContactChange
from app.services import change_log, contacts, opaque
from app.services.change_log import ChangeKind, FieldChange
from app.services.contact_input import CleanAddress, CleanEmail, CleanPhone
from app.services.contact_queries import DEFAULT_PAGE_SIZE, page_size

CURSOR_KIND = "revision"


@dataclass(frozen=True)
class Revision:
    version: int
    changed_at: datetime
    kind: ChangeKind
    changes: list[FieldChange]
    cursor: str


@dataclass
class RevisionPage:
    revisions: list[Revision]
    has_next_page: bool
    has_previous_page: bool


def list_history(
    contact_id: int, first: int | None = None, after: str | None = None
) -> RevisionPage:
    """A page of the contact's revisions, newest first. The caller has the
    contact from a read that checked it is the viewer's; the entries read
    are its current owner's only."""
    size = page_size("first", first)
    size = DEFAULT_PAGE_SIZE if size is None else size
    owner = select(Contact.user_id).where(Contact.id == contact_id).scalar_subquery()
    query = (
        select(ContactChange)
        .where(
            ContactChange.contact_id == contact_id,
            ContactChange.user_id == owner,
            ContactChange.kind != ChangeKind.PURGED.value,
        )
        .order_by(ContactChange.id.desc())
        .limit(size + 1)
    )
    if after is not None:
        query = query.where(ContactChange.id < _decode_cursor(after))
    entries = list(db.session.scalars(query))
    return RevisionPage(
        revisions=[_revision(entry) for entry in entries[:size]],
        has_next_page=len(entries) > size,
        has_previous_page=after is not None,
    )


def _revision(entry: ContactChange) -> Revision:
    return Revision(
        version=entry.version,
        changed_at=entry.changed_at,
        kind=ChangeKind(entry.kind),
        changes=change_log.decode_changes(entry.changes),
        cursor=opaque.encode(json.dumps([CURSOR_KIND, entry.id])),
    )


def _decode_cursor(encoded: str) -> int:
    try:
        kind, entry_id = json.loads(opaque.decode(encoded))
    except (ValueError, TypeError, RecursionError):
        raise BadUserInput("`after` is not a valid cursor.") from None
    if kind != CURSOR_KIND or type(entry_id) is not int or entry_id < 0:
        raise BadUserInput("`after` is not a valid cursor.")
    return entry_id


@transactional
def revert_contact(
    user_id: int,
    contact_id: int | None,
    to_version: int,
    expected_version: int | None = None,
) -> Contact:
    """Make the contact (not in the trash) equal to its version
    `to_version` again: a new version, logged as REVERTED; nothing changes
    when it already is."""
    contacts.take_turns(user_id)
    contact = contacts.owned_contact(user_id, contact_id, ("input", "id"), False)
    contacts.check_version(contact, expected_version)
    entry = (
        change_log.revision_at(user_id, contact.id, to_version)
        if 0 < to_version <= contacts.MAX_ID
        else None
    )
    if entry is None or entry.snapshot is None:
        raise InvalidInput.single(
            ("input", "toVersion"),
            f"This contact has no version {to_version} in its history.",
            UserErrorCode.NOT_FOUND,
        )
    contacts.write(
        contact,
        cleaned_values(change_log.decode_snapshot(entry.snapshot)),
        ChangeKind.REVERTED,
    )
    return contact


def cleaned_values(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as the clean values a write takes (every field)."""
    return {
        **change_log.values_of(snapshot),
        "emails": [CleanEmail(**item) for item in snapshot["emails"]],
        "phones": [CleanPhone(**item) for item in snapshot["phones"]],
        "addresses": [
            CleanAddress(**{name: item[api] for name, api in change_log.ADDRESS_KEYS})
            for item in snapshot["addresses"]
        ],
        "tags": list(snapshot["tags"]),
    }
