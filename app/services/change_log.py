"""The change log: one append-only table, `contact_changes`, that every
write to a contact adds to in its own transaction. History (`history`,
`revertContact`) and sync (`contactChanges`) both read it, so the two never
disagree.

How to write to it, from any service that changes contacts:

    before = change_log.snapshot(contact)   # before touching the contact
    ...change the contact...
    db.session.flush()                       # the new version is known
    change_log.record(contact, Kind.UPDATED, before)

- `record(contact, kind, before=None)` adds one entry (no statement of its
  own: the session inserts every entry of a flush in one INSERT, so a batch
  of 200 contacts costs one statement for the log). `before` is the
  snapshot taken before the change (None for a contact just created); the
  entry keeps the contact's snapshot after it and the fields that differ.
  Call it after the flush that bumped `contact.version`, inside the
  service's transaction (`@transactional`), and only when something
  changed: nothing to record means no entry.
- `record_purge(user_id, contact_id, version)` adds the tombstone of a
  contact deleted for good, and `forget_contacts` deletes the entries that
  held a purged contact's data (its snapshots must not outlive it).
- `rematched(session)`: the contacts, by user, whose entries in the
  session's transaction may have changed how they match others (all but
  edits of fields matching does not read); the groups of duplicates are
  regrouped from it before the transaction commits
  (app/services/duplicate_groups.py).
- Ordering: the log's id is global, and for each user it increases in
  commit order only because the user's writes take turns: a writer must
  hold the user's lock (`contacts.take_turns(user_id)`) before it locks
  any contact, as every service of app/services/contacts.py does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.fields import CONTACT_FIELDS, Kind
from app.models import Contact, ContactChange, utcnow
from app.services.matching import MATCHED_FIELDS

Snapshot = dict[str, Any]


class ChangeKind(Enum):
    """What a change did (the API's ContactChangeKind, and PURGED for the
    tombstones only sync reads)."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"
    RESTORED = "RESTORED"
    REVERTED = "REVERTED"
    MERGED = "MERGED"
    TAG_RENAMED = "TAG_RENAMED"
    TAG_DELETED = "TAG_DELETED"
    PURGED = "PURGED"


# The kinds after which the contact is gone from every read but the trash.
# Not MERGED: that is the entry of a merge's primary, which stays; each
# contact merged into it goes to the trash with a DELETED entry of its own
# (app/services/merges.py), so sync sends its tombstone as for a delete.
GONE = frozenset({ChangeKind.DELETED, ChangeKind.PURGED})

# The kinds that edit a contact in place, live before and after: the only
# ones that leave it matching others as before, when the fields they
# change are none of matching.MATCHED_FIELDS.
EDITS = frozenset({ChangeKind.UPDATED, ChangeKind.TAG_RENAMED, ChangeKind.TAG_DELETED})
# Where a session keeps `rematched`'s contacts until its transaction ends.
REMATCHED = "change_log.rematched"

# A snapshot's keys, in the API's order: the declared fields, the lists,
# then when it went to the trash. Each is the field's GraphQL name.
SCALAR_KEYS = tuple((field.name, field.api_name) for field in CONTACT_FIELDS)
LIST_KEYS = ("emails", "phones", "addresses", "tags")
DELETED_AT = "deletedAt"
ADDRESS_KEYS = (
    ("label", "label"),
    ("street", "street"),
    ("city", "city"),
    ("region", "region"),
    ("postal_code", "postalCode"),
    ("country", "country"),
)
DATE_FIELDS = frozenset(
    field.api_name for field in CONTACT_FIELDS if field.kind is Kind.DATE
)


def snapshot(contact: Contact) -> Snapshot:
    """The contact as JSON values, by GraphQL name: what an entry keeps,
    and what a revert writes back (all but `deletedAt`)."""
    values: Snapshot = {
        api_name: _json_value(getattr(contact, name)) for name, api_name in SCALAR_KEYS
    }
    values["emails"] = [
        {"value": e.value, "label": e.label, "primary": e.primary}
        for e in contact.emails
    ]
    values["phones"] = [
        {"value": p.value, "label": p.label, "primary": p.primary}
        for p in contact.phones
    ]
    values["addresses"] = [
        {api: getattr(a, name) for name, api in ADDRESS_KEYS} for a in contact.addresses
    ]
    values["tags"] = [tag.name for tag in contact.tags]
    values[DELETED_AT] = _json_value(contact.deleted_at)
    return values


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class FieldChange:
    """One field a change changed; the values are JSON values (None: no
    value, which the API shows as null)."""

    field: str
    before: Any
    after: Any


def diff(before: Snapshot | None, after: Snapshot) -> list[FieldChange]:
    """The fields that differ, in the snapshot's order; against no snapshot
    (a contact just created), the fields that have a value."""
    changes = []
    for key, value in after.items():
        old = before.get(key) if before is not None else None
        if before is None and value in (None, [], False):
            continue
        if old != value:
            changes.append(FieldChange(key, old, value))
    return changes


def record(
    contact: Contact, kind: ChangeKind, before: Snapshot | None = None
) -> ContactChange:
    """Add the entry of `kind` for `contact` as it is now (after the flush
    that gave it its new version), with the fields that differ from
    `before`. See the module's docstring for when to call it."""
    after = snapshot(contact)
    changed = diff(before, after)
    entry = ContactChange(
        user_id=contact.user_id,
        contact_id=contact.id,
        version=contact.version,
        kind=kind.value,
        changed_at=contact.updated_at if kind is not ChangeKind.DELETED else utcnow(),
        snapshot=orjson.dumps(after).decode(),
        changes=_encode_changes(changed),
    )
    db.session.add(entry)
    if kind not in EDITS or not MATCHED_FIELDS.isdisjoint(c.field for c in changed):
        rematched(db.session()).setdefault(contact.user_id, set()).add(contact.id)
    return entry


def rematched(session: Session) -> dict[int, set[int]]:
    """The contacts, by user, that entries recorded in the session's
    transaction may have changed the matching of: created, trashed,
    restored, merged or reverted, or edited in a field that matching reads
    (MATCHED_FIELDS). Emptied when the transaction ends (`forget_rematched`)."""
    found: dict[int, set[int]] = session.info.setdefault(REMATCHED, {})
    return found


def forget_rematched(session: Session) -> None:
    session.info.pop(REMATCHED, None)


def record_purge(user_id: int, contact_id: int, version: int) -> ContactChange:
    """Add the tombstone of a contact deleted for good at `version` (its
    last): a version past it, no snapshot, nothing of its data."""
    entry = ContactChange(
        user_id=user_id,
        contact_id=contact_id,
        version=version + 1,
        kind=ChangeKind.PURGED.value,
        changed_at=utcnow(),
        snapshot=None,
        changes="[]",
    )
    db.session.add(entry)
    return entry


def forget_contacts(user_id: int, contact_ids: Sequence[int]) -> None:
    """Delete every entry of these contacts (purged: their snapshots hold
    data that must go with them); one statement."""
    if contact_ids:
        db.session.execute(
            delete(ContactChange)
            .where(
                ContactChange.user_id == user_id,
                ContactChange.contact_id.in_(contact_ids),
            )
            .execution_options(synchronize_session=False)
        )


def _encode_changes(changes: Iterable[FieldChange]) -> str:
    return orjson.dumps(
        [[change.field, change.before, change.after] for change in changes]
    ).decode()


def decode_changes(encoded: str) -> list[FieldChange]:
    return [FieldChange(*item) for item in orjson.loads(encoded)]


def decode_snapshot(encoded: str) -> Snapshot:
    values: Snapshot = orjson.loads(encoded)
    return values


def as_json_text(value: Any) -> str | None:
    """A FieldChange value as the API shows it: JSON text, null for none."""
    return None if value is None else orjson.dumps(value).decode()


def revision_at(user_id: int, contact_id: int, version: int) -> ContactChange | None:
    """The entry that left the contact at `version`, if the log still has it."""
    return db.session.scalars(
        select(ContactChange)
        .where(
            ContactChange.user_id == user_id,
            ContactChange.contact_id == contact_id,
            ContactChange.version == version,
            ContactChange.snapshot.is_not(None),
        )
        .order_by(ContactChange.id.desc())
        .limit(1)
    ).first()


def prune(older_than: timedelta, now: datetime | None = None) -> int:
    """Delete the entries written more than `older_than` ago (every user's);
    returns how many went. History then reaches back that far, and a sync
    token older than that is refused (app/services/sync.py)."""
    cutoff = (now or utcnow()) - older_than
    result = db.session.execute(
        delete(ContactChange)
        .where(ContactChange.changed_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def values_of(entry_snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A snapshot's declared fields by Python name, dates as dates: what a
    revert writes back (the lists are read by the caller)."""
    values: dict[str, Any] = {}
    for name, api_name in SCALAR_KEYS:
        value = entry_snapshot.get(api_name)
        if api_name in DATE_FIELDS and value is not None:
            value = date.fromisoformat(value)
        values[name] = value
    return values
