"""Merging duplicate contacts into one (`mergeContacts`), and taking a
merge back (`undoMerge`).

The rules of a merge (`merged_fields`), over the primary and then the
others in the order given:

- Each declared field (app/fields.py, so a new field follows) keeps the
  primary's value; one the primary lacks (no value, or false) is filled
  from the first other that has it. So `favorite` is true if any is.
  Long text (`notes`) is joined instead: the primary's, then each other's
  that the text so far does not already contain, a blank line between.
- Emails, phones, addresses and tags are unioned in that order, each value
  once by its key (app/services/matching.py: emails compared as accounts
  compare theirs, phones by E.164, addresses part by part ignoring case
  and the label, tags ignoring case); the first spelling (and label) met
  is kept. The email and phone that are primary are the primary's (or,
  when it has none, the first other's that has one).
- The merged values are cleaned as an update's are
  (`contacts.clean`): the limits (50 items a list, the notes' length)
  hold, with the update's error paths (["input", "emails"], …).

What a merge writes, in one transaction, after the user's turn
(`contacts.take_turns`) and with every contact locked:

- The primary gets the merged values and a new version with one
  change-log entry, MERGED (always a new version, even when the others
  added nothing: the merge is an event in its history).
- Each other goes to the trash as `deleteContact` sends it there
  (`deleted_at`, a new version, a DELETED entry). That is how history and
  sync, which read the one log, stay consistent: sync sends a tombstone
  for each other, exactly as for a delete, and the primary's new state
  once; the other's history ends with DELETED; `restoreContact` and the
  purges treat it as any contact in the trash. MERGED is therefore the
  primary's kind only, and not one of change_log.GONE.
- A `contact_merges` row (models.ContactMerge) records the primary's
  snapshot before the merge, the version the merge gave it and the
  others' ids: it is what marks the others as merged, and what the undo
  reads.

`dryRun` runs the same reads and rules without a lock or a write: the
merged contact comes back unsaved (the primary's id, version and times,
the merged values) and nothing changes anywhere.

`undoMerge` (one transaction, the same turn and locks) writes the
primary's snapshot back, lists and tags exactly (a new version, REVERTED:
the primary is made equal to an earlier version of itself, which is what
REVERTED means in `revertContact`), and takes each other that is still in
the trash out of it as `restoreContact` does (RESTORED; it reappears in
sync). It is refused with CONFLICT at ["id"], changing nothing, when:

- the primary has changed since the merge (its version is no longer the
  merge's; in the trash counts as changed): the changes would be lost;
- one of the others has been purged since (purgeContact, emptyTrash or
  `flask purge` after TRASH_RETENTION_DAYS): its data now lives only in
  the primary, and putting the primary back would lose it for good;
- the merge has already been undone.

An other taken out of the trash by hand since (restoreContact) is left as
it is. An id that names no merge of the viewer's is NOT_FOUND. A merge row
goes with its primary when that is purged, and with the account.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import ColumnElement, select, update

from app.db.transaction import transactional
from app.errors import FieldError, InvalidInput, UserErrorCode
from app.extensions import db
from app.fields import CONTACT_FIELDS, ContactField, Kind
from app.models import Contact, ContactMerge, Tag, utcnow
from app.services import change_log, contacts, history, matching, trash
from app.services.change_log import ChangeKind
from app.services.contact_input import (
    LIST_MAX_ITEMS,
    AddressInput,
    EmailInput,
    PhoneInput,
)

T = TypeVar("T")

MAX_OTHERS = LIST_MAX_ITEMS
PRIMARY_PATH = ("input", "primaryId")
OTHERS_PATH = ("input", "otherIds")
ID_PATH = ("id",)
NOTES_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class MergeResult:
    """The merged contact (unsaved with dryRun) and the merge's row (None
    with dryRun)."""

    contact: Contact
    merge: ContactMerge | None


def merge_contacts(
    user_id: int,
    primary_id: int | None,
    other_ids: Sequence[int | None],
    dry_run: bool = False,
) -> MergeResult:
    """Merge the user's contacts `other_ids` into `primary_id` (None: an ID
    of another type, never found); InvalidInput, nothing changed, when an
    id is wrong or the merged values break a rule. With `dry_run`, the
    merged contact unsaved."""
    if dry_run:
        primary, others = _contacts(user_id, primary_id, other_ids, lock=False)
        return MergeResult(_preview(primary, others, _cleaned(primary, others)), None)
    return _merge(user_id, primary_id, other_ids)


@transactional
def _merge(
    user_id: int, primary_id: int | None, other_ids: Sequence[int | None]
) -> MergeResult:
    contacts.take_turns(user_id)
    primary, others = _contacts(user_id, primary_id, other_ids, lock=True)
    cleaned = _cleaned(primary, others)
    before = change_log.snapshot(primary)
    _write(primary, cleaned, ChangeKind.MERGED)
    _trash(others, primary.updated_at)
    merge = ContactMerge(
        user_id=user_id,
        contact=primary,
        snapshot=orjson.dumps(before).decode(),
        version=primary.version,
        merged_ids=orjson.dumps([other.id for other in others]).decode(),
        created_at=primary.updated_at,
    )
    db.session.add(merge)
    db.session.flush()
    return MergeResult(primary, merge)


@transactional
def undo_merge(user_id: int, merge_id: int | None) -> MergeResult:
    """Put the primary back as it was before the merge and bring the others
    back from the trash; see the module's docstring for when it is
    refused (CONFLICT) and what it writes."""
    contacts.take_turns(user_id)
    merge = _locked_merge(user_id, merge_id)
    if merge.undone_at is not None:
        raise _conflict("This merge has already been undone.")
    ids = merged_ids(merge)
    found = _locked(user_id, [merge.contact_id, *ids])
    primary = found[merge.contact_id]
    if primary.deleted_at is not None or primary.version != merge.version:
        raise _conflict(
            "The contact has changed since the merge (it was at version "
            f"{merge.version}); undoing would lose the changes."
        )
    if any(pk not in found for pk in ids):
        raise _conflict(
            "A contact of this merge has been deleted for good since; "
            "undoing would lose what it brought."
        )
    snapshot = change_log.decode_snapshot(merge.snapshot)
    _write(primary, history.cleaned_values(snapshot), ChangeKind.REVERTED)
    for pk in ids:
        if found[pk].deleted_at is not None:
            trash.restore(found[pk])
    merge.undone_at = utcnow()
    db.session.flush()
    return MergeResult(primary, merge)


def get_merge(user_id: int, merge_id: int) -> ContactMerge | None:
    """The user's merge with this id, or None (also when it is someone
    else's)."""
    if not 0 < merge_id <= contacts.MAX_ID:
        return None
    return db.session.scalar(
        select(ContactMerge).where(
            ContactMerge.id == merge_id, ContactMerge.user_id == user_id
        )
    )


def primary_now(user_id: int, merge_id: int | None) -> Contact | None:
    """The primary of the user's merge as it is now, in the trash or not:
    what a refused undo shows (`currentContact`)."""
    merge = get_merge(user_id, merge_id) if merge_id is not None else None
    return merge.contact if merge is not None else None


def merged_ids(merge: ContactMerge) -> list[int]:
    """The ids of the contacts merged into the primary, in the order given."""
    ids: list[int] = orjson.loads(merge.merged_ids)
    return ids


# --- the rules ---------------------------------------------------------------


def merged_fields(primary: Contact, others: Sequence[Contact]) -> dict[str, Any]:
    """Every field of `primary` with `others` merged in (the module's
    rules), as an update takes them (raw, to be cleaned)."""
    everyone = (primary, *others)
    fields: dict[str, Any] = {
        field.name: _merged_scalar(field, [getattr(c, field.name) for c in everyone])
        for field in CONTACT_FIELDS
    }
    emails = [contact.emails for contact in everyone]
    email_primary = _primary_key(emails, _email_key)
    fields["emails"] = [
        EmailInput(email.value, email.label, key == email_primary)
        for key, email in _union(emails, _email_key).items()
    ]
    phones = [contact.phones for contact in everyone]
    phone_primary = _primary_key(phones, _phone_key)
    fields["phones"] = [
        PhoneInput(phone.value, phone.label, key == phone_primary)
        for key, phone in _union(phones, _phone_key).items()
    ]
    addresses = _union((c.addresses for c in everyone), matching.address_key)
    fields["addresses"] = [
        AddressInput(
            label=address.label,
            street=address.street,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
        )
        for address in addresses.values()
    ]
    tags = _union((c.tags for c in everyone), _tag_key)
    fields["tags"] = [tag.name for tag in tags.values()]
    return fields


def _merged_scalar(field: ContactField, values: Sequence[Any]) -> Any:
    """The primary's value (first of `values`), or the first other's when
    it lacks one; long text joined."""
    if field.kind is Kind.LONG_TEXT:
        return _joined(values)
    return next((value for value in values if not _lacking(value)), values[0])


def _lacking(value: Any) -> bool:
    return value is None or value == "" or value is False


def _joined(texts: Iterable[str | None]) -> str | None:
    """Each text that the ones before it do not already contain, in order,
    a blank line between; None when there is none."""
    joined = ""
    for text in texts:
        if text and text not in joined:
            joined = f"{joined}{NOTES_SEPARATOR}{text}" if joined else text
    return joined or None


def _union(lists: Iterable[Sequence[T]], key: Callable[[T], Hashable]) -> dict[Any, T]:
    """The items of `lists` in order, by key, each key's first item."""
    kept: dict[Any, T] = {}
    for items in lists:
        for item in items:
            kept.setdefault(key(item), item)
    return kept


def _primary_key(
    lists: Iterable[Sequence[Any]], key: Callable[[Any], str]
) -> str | None:
    """The key of the first item marked primary: the primary contact's
    when it has any (a contact with items has one primary)."""
    marked = (key(item) for items in lists for item in items if item.primary)
    return next(marked, None)


def _email_key(email: Any) -> str:
    return matching.email_key(email.value)


def _phone_key(phone: Any) -> str:
    return matching.phone_key(phone.value)


def _tag_key(tag: Tag) -> str:
    return matching.tag_key(tag.name)


def _cleaned(primary: Contact, others: Sequence[Contact]) -> dict[str, Any]:
    """The merged fields cleaned as an update's; InvalidInput when they
    break a rule (a list over its limit, notes too long)."""
    return contacts.clean(merged_fields(primary, others), current={})


# --- reading and writing -----------------------------------------------------


def _contacts(
    user_id: int,
    primary_id: int | None,
    other_ids: Sequence[int | None],
    lock: bool,
) -> tuple[Contact, list[Contact]]:
    """The primary and the others (the user's, outside the trash), locked
    when `lock`; InvalidInput naming every id that is wrong."""
    errors = _shape_errors(primary_id, other_ids)
    if errors:
        raise InvalidInput(errors)
    wanted = [pk for pk in (primary_id, *other_ids) if pk is not None]
    live = Contact.deleted_at.is_(None)
    found = _locked(user_id, wanted, live) if lock else _read(user_id, wanted, live)
    paths = [PRIMARY_PATH, *((*OTHERS_PATH, str(i)) for i in range(len(other_ids)))]
    for path, pk in zip(paths, (primary_id, *other_ids), strict=True):
        if pk not in found:
            errors.append(
                FieldError(path, "No contact with this id.", UserErrorCode.NOT_FOUND)
            )
    if errors:
        raise InvalidInput(errors)
    assert primary_id is not None
    return found[primary_id], [found[pk] for pk in other_ids if pk is not None]


def _shape_errors(
    primary_id: int | None, other_ids: Sequence[int | None]
) -> list[FieldError]:
    """What is wrong with the ids before any is looked up: no others, too
    many, the primary among them, one given twice."""
    if not other_ids:
        return [
            FieldError(
                OTHERS_PATH,
                "Give at least one contact to merge into the primary.",
                UserErrorCode.INVALID,
            )
        ]
    if len(other_ids) > MAX_OTHERS:
        return [
            FieldError(
                OTHERS_PATH, f"At most {MAX_OTHERS} items.", UserErrorCode.TOO_LONG
            )
        ]
    errors = []
    seen: set[int] = set()
    for index, pk in enumerate(other_ids):
        path = (*OTHERS_PATH, str(index))
        if pk is not None and pk == primary_id:
            message = "The primary cannot be merged into itself."
        elif pk is not None and pk in seen:
            message = "This contact is already given in otherIds."
        else:
            message = ""
        if message:
            errors.append(FieldError(path, message, UserErrorCode.INVALID))
        if pk is not None:
            seen.add(pk)
    return errors


def _owned(user_id: int, ids: Sequence[int], *where: ColumnElement[bool]) -> Any:
    valid = [pk for pk in ids if 0 < pk <= contacts.MAX_ID]
    return (Contact.user_id == user_id, Contact.id.in_(valid), *where)


def _read(
    user_id: int, ids: Sequence[int], *where: ColumnElement[bool]
) -> dict[int, Contact]:
    """The user's contacts among `ids` (and `where`), with their lists."""
    query = select(Contact).where(*_owned(user_id, ids, *where))
    found = db.session.scalars(query.options(*contacts.CONTACT_RELATIONS))
    return {contact.id: contact for contact in found}


def _locked(
    user_id: int, ids: Sequence[int], *where: ColumnElement[bool]
) -> dict[int, Contact]:
    """`_read`, locked as `contacts._locked_contact` locks one (FOR UPDATE
    on PostgreSQL, SQLite's write lock taken first), in one statement."""
    owned = _owned(user_id, ids, *where)
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            update(Contact)
            .where(*owned)
            .values(version=Contact.version)
            .execution_options(synchronize_session=False)
        )
    query = select(Contact).where(*owned).with_for_update()
    found = db.session.scalars(query.options(*contacts.CONTACT_RELATIONS))
    return {contact.id: contact for contact in found}


def _locked_merge(user_id: int, merge_id: int | None) -> ContactMerge:
    """The user's merge, locked; NOT_FOUND at ["id"] when there is none."""
    merge = None
    if merge_id is not None and 0 < merge_id <= contacts.MAX_ID:
        owned = (ContactMerge.id == merge_id, ContactMerge.user_id == user_id)
        if db.engine.dialect.name == "sqlite":
            db.session.execute(
                update(ContactMerge)
                .where(*owned)
                .values(version=ContactMerge.version)
                .execution_options(synchronize_session=False)
            )
        merge = db.session.scalar(select(ContactMerge).where(*owned).with_for_update())
    if merge is None:
        raise InvalidInput.single(
            ID_PATH, "No merge with this id.", UserErrorCode.NOT_FOUND
        )
    return merge


def _write(contact: Contact, cleaned: dict[str, Any], kind: ChangeKind) -> None:
    """`contacts.write`, but always a new version and an entry of `kind`:
    a merge or its undo is an event in the primary's history even when it
    changes no value."""
    if contacts.write(contact, cleaned, kind):
        return
    before = change_log.snapshot(contact)
    contact.updated_at = utcnow()
    db.session.flush()
    change_log.record(contact, kind, before)


def _trash(others: Sequence[Contact], now: datetime) -> None:
    """Send the others to the trash at `now` (the merge's moment) as
    `deleteContact` does: each a new version and a DELETED entry (its
    tombstone in sync)."""
    before = {other.id: change_log.snapshot(other) for other in others}
    for other in others:
        other.deleted_at = other.updated_at = now
    db.session.flush()
    for other in others:
        change_log.record(other, ChangeKind.DELETED, before[other.id])


def _preview(
    primary: Contact, others: Sequence[Contact], cleaned: dict[str, Any]
) -> Contact:
    """The merged contact, never saved: a transient Contact with the
    primary's id, version and times and the merged values (its tags are
    the contacts' own, which exist)."""
    tags = {
        matching.tag_key(tag.name): tag for c in (primary, *others) for tag in c.tags
    }
    preview = Contact(
        id=primary.id,
        user_id=primary.user_id,
        version=primary.version,
        created_at=primary.created_at,
        updated_at=primary.updated_at,
        deleted_at=None,
    )
    merged_tags = [tags[matching.tag_key(name)] for name in cleaned["tags"]]
    contacts.apply(
        preview, cleaned, sorted(merged_tags, key=lambda t: (t.name_key, t.id))
    )
    return preview


def _conflict(message: str) -> InvalidInput:
    return InvalidInput.single(ID_PATH, message, UserErrorCode.CONFLICT)
