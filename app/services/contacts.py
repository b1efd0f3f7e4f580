"""Contacts and tags of one user: reads by id, and every write.

Ownership is checked in one place, `_owned_contact`: a contact or tag that
belongs to someone else is handled exactly like one that does not exist.
A contact in the trash (`deleted_at` set) is missing to every read and
write here; app/services/trash.py restores and purges it. Every write adds
its entry to the change log (app/services/change_log.py) in its own
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    delete,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.db.transaction import transactional
from app.errors import FieldError, InvalidInput, UserErrorCode
from app.extensions import db
from app.fields import CONTACT_FIELDS as DECLARED_FIELDS
from app.fields import NAMING_FIELDS, needs_one_of
from app.models import (
    Contact,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    Tag,
    User,
    contact_tags,
    utcnow,
)
from app.services import change_log
from app.services.change_log import ChangeKind
from app.services.contact_input import Cleaner

SCALAR_FIELDS = tuple(field.name for field in DECLARED_FIELDS)
LIST_FIELDS = ("emails", "phones", "addresses", "tags")
CONTACT_FIELDS = SCALAR_FIELDS + LIST_FIELDS
IDENTIFYING_FIELDS = (*NAMING_FIELDS, "emails", "phones")
# Primary keys are 32-bit integers on PostgreSQL; a larger one (from a
# hand-made global ID) names nothing, and must not reach the database.
MAX_ID = 2**31 - 1
CONTACT_RELATIONS = (
    selectinload(Contact.emails),
    selectinload(Contact.phones),
    selectinload(Contact.addresses),
    selectinload(Contact.tags),
)


def get_contact(user_id: int, contact_id: int) -> Contact | None:
    """The user's contact with this id, or None (also when it is someone else's)."""
    if not 0 < contact_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Contact)
        .where(
            Contact.id == contact_id,
            Contact.user_id == user_id,
            Contact.deleted_at.is_(None),
        )
        .options(*CONTACT_RELATIONS)
    )


def _carried_by_a_live_contact() -> ColumnElement[bool]:
    """Whether a tag has a contact outside the trash: one that carries it
    only from the trash keeps it, for a restore, but does not show it."""
    return exists().where(
        contact_tags.c.tag_id == Tag.id,
        contact_tags.c.contact_id == Contact.id,
        Contact.deleted_at.is_(None),
    )


def get_tag(user_id: int, tag_id: int) -> Tag | None:
    if not 0 < tag_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Tag).where(
            Tag.id == tag_id, Tag.user_id == user_id, _carried_by_a_live_contact()
        )
    )


def list_tags(user_id: int) -> list[Tag]:
    """The user's tags that a contact outside the trash carries, by name."""
    return list(
        db.session.scalars(
            select(Tag)
            .where(Tag.user_id == user_id, _carried_by_a_live_contact())
            .order_by(Tag.name_key, Tag.id)
        )
    )


def tag_contact_counts(user_id: int) -> dict[int, int]:
    """How many contacts outside the trash carry each of the user's tags,
    in one query."""
    rows = db.session.execute(
        select(contact_tags.c.tag_id, func.count())
        .join(Tag, Tag.id == contact_tags.c.tag_id)
        .join(Contact, Contact.id == contact_tags.c.contact_id)
        .where(Tag.user_id == user_id, Contact.deleted_at.is_(None))
        .group_by(contact_tags.c.tag_id)
    )
    return {tag_id: count for tag_id, count in rows}


@transactional
def create_contact(user_id: int, fields: Mapping[str, Any]) -> Contact:
    take_turns(user_id)
    cleaned = _clean(fields, current={})
    now = utcnow()
    contact = Contact(user_id=user_id, favorite=False, created_at=now, updated_at=now)
    _apply(contact, cleaned, _resolve_tags(user_id, cleaned))
    db.session.add(contact)
    db.session.flush()
    change_log.record(contact, ChangeKind.CREATED)
    return contact


@transactional
def update_contact(
    user_id: int,
    contact_id: int | None,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
) -> Contact:
    """Change the given fields (None clears; a list replaces the whole list).

    `version` and `updatedAt` move only when something actually changed.
    """
    take_turns(user_id)
    contact = _owned_contact(user_id, contact_id, ("input", "id"))
    check_version(contact, expected_version)
    cleaned = _clean(fields, current=_identifying_values(contact))
    write(contact, cleaned, ChangeKind.UPDATED)
    return contact


def check_version(contact: Contact, expected_version: int | None) -> None:
    """CONFLICT at ["input", "expectedVersion"] when it is given and stale."""
    if expected_version is not None and expected_version != contact.version:
        raise _conflict(
            f"The contact is at version {contact.version}, not {expected_version}; "
            "reload it and try again."
        )


def write(contact: Contact, cleaned: Mapping[str, Any], kind: ChangeKind) -> bool:
    """Write `cleaned` values onto the locked `contact` and log the change
    as `kind`; nothing (no version, no entry) when nothing differs.
    Whether it changed."""
    if not _differs(contact, cleaned):
        return False
    before = change_log.snapshot(contact)
    _apply(contact, cleaned, _resolve_tags(contact.user_id, cleaned))
    contact.updated_at = utcnow()
    db.session.flush()
    if "tags" in cleaned:
        _delete_unused_tags(contact.user_id)
    change_log.record(contact, kind, before)
    return True


@transactional
def delete_contact(user_id: int, contact_id: int | None) -> int:
    """Move the user's contact to the trash (app/services/trash.py), with
    its lists and tags; returns its id."""
    take_turns(user_id)
    contact = _owned_contact(user_id, contact_id, ("id",))
    before = change_log.snapshot(contact)
    contact.deleted_at = contact.updated_at = utcnow()
    db.session.flush()
    change_log.record(contact, ChangeKind.DELETED, before)
    return contact.id


def take_turns(user_id: int) -> None:
    """Wait for the user's other writes, and hold them back until this
    transaction ends. Every write to a user's contacts takes it first,
    before it locks any contact.

    Two reasons. A tag is deleted when its last contact lets go of it:
    without turns, a request could attach a tag that another request is
    deleting (a foreign key error), or have the link it just made deleted
    along with the tag. And the change log's ids must grow in commit order
    for each user, or a sync could miss an entry committed after a later
    one it saw (app/services/change_log.py).
    The lock is the user's row (FOR NO KEY UPDATE, which inserts referring
    to the user do not wait for); SQLite runs one write at a time anyway.
    """
    db.session.execute(_turn(user_id))


def take_turns_on(connection: Connection, user_id: int) -> None:
    """`take_turns` in a transaction of `connection`, outside the session."""
    connection.execute(_turn(user_id))


def _turn(user_id: int) -> Select[int]:
    return select(User.id).where(User.id == user_id).with_for_update(key_share=True)


def _owned_contact(
    user_id: int,
    contact_id: int | None,
    path: tuple[str, ...],
    trashed: bool = False,
) -> Contact:
    """The user's contact, locked (`_locked_contact`), outside the trash
    (or in it, `trashed`); None as the id (an ID of another type) is never
    found."""
    contact = (
        _locked_contact(user_id, contact_id, trashed)
        if contact_id is not None
        else None
    )
    if contact is None:
        where = " in the trash" if trashed else ""
        raise InvalidInput.single(
            path, f"No contact with this id{where}.", UserErrorCode.NOT_FOUND
        )
    return contact


def owned_contact(
    user_id: int, contact_id: int | None, path: tuple[str, ...], trashed: bool
) -> Contact:
    """`_owned_contact`, for the other services that write contacts."""
    return _owned_contact(user_id, contact_id, path, trashed)


def _locked_contact(
    user_id: int, contact_id: int, trashed: bool = False
) -> Contact | None:
    """The user's contact, which no other write can change or delete until
    this transaction ends.

    Every write to a contact locks its row before reading it, after the
    user's row (`take_turns`) and before any child row, so racing
    writes take turns in one order: none deadlocks on child rows or finds
    at flush that the version it read is gone (StaleDataError). A delete
    that went first leaves nothing to find. PostgreSQL locks the row (FOR
    UPDATE); SQLite has no row locks, so a write that changes nothing takes
    the database's write lock first.
    """
    if not 0 < contact_id <= MAX_ID:
        return None
    owned = (
        Contact.id == contact_id,
        Contact.user_id == user_id,
        Contact.deleted_at.is_not(None) if trashed else Contact.deleted_at.is_(None),
    )
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            update(Contact)
            .where(*owned)
            .values(version=Contact.version)
            .execution_options(synchronize_session=False)
        )
    return db.session.scalar(
        select(Contact).where(*owned).options(*CONTACT_RELATIONS).with_for_update()
    )


def _conflict(message: str) -> InvalidInput:
    return InvalidInput.single(
        ("input", "expectedVersion"), message, UserErrorCode.CONFLICT
    )


def _identifying_values(contact: Contact) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in IDENTIFYING_FIELDS}


def _clean(fields: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Cleaned `fields`, or InvalidInput listing every problem."""
    cleaner = Cleaner()
    cleaned = cleaner.clean(fields)
    resulting = {**current, **cleaned}
    if not cleaner.errors and not any(resulting.get(f) for f in IDENTIFYING_FIELDS):
        cleaner.errors.append(
            FieldError(
                ("input",),
                f"Give at least a {needs_one_of()}.",
                UserErrorCode.REQUIRED,
            )
        )
    if cleaner.errors:
        raise InvalidInput(cleaner.errors)
    return cleaned


def _differs(contact: Contact, cleaned: Mapping[str, Any]) -> bool:
    current = {
        **{name: getattr(contact, name) for name in SCALAR_FIELDS},
        "emails": [(e.value, e.label, e.primary) for e in contact.emails],
        "phones": [(p.value, p.label, p.primary) for p in contact.phones],
        "addresses": [address_values(a) for a in contact.addresses],
        "tags": sorted(tag.name_key for tag in contact.tags),
    }
    wanted = {
        **cleaned,
        "emails": [(e.value, e.label, e.primary) for e in cleaned.get("emails", [])],
        "phones": [(p.value, p.label, p.primary) for p in cleaned.get("phones", [])],
        "addresses": [address_values(a) for a in cleaned.get("addresses", [])],
        "tags": sorted(name.casefold() for name in cleaned.get("tags", [])),
    }
    return any(current[name] != wanted[name] for name in cleaned)


def address_values(address: Any) -> tuple[str | None, ...]:
    """An address's fields in column order (label first)."""
    return (
        address.label,
        address.street,
        address.city,
        address.region,
        address.postal_code,
        address.country,
    )


def _resolve_tags(user_id: int, cleaned: Mapping[str, Any]) -> list[Tag] | None:
    """The tags to set, found or created before the contact is touched: the
    queries flush, and every flush of a changed contact bumps its version."""
    if "tags" not in cleaned:
        return None
    return _tags_named(user_id, cleaned["tags"])


def _apply(
    contact: Contact, cleaned: Mapping[str, Any], tags: list[Tag] | None
) -> None:
    """Write cleaned values onto `contact` and recompute its derived columns."""
    for name in SCALAR_FIELDS:
        if name in cleaned:
            setattr(contact, name, cleaned[name])
    if "emails" in cleaned:
        contact.emails = [
            EmailAddress(position=i, value=e.value, label=e.label, primary=e.primary)
            for i, e in enumerate(cleaned["emails"])
        ]
    if "phones" in cleaned:
        contact.phones = [
            PhoneNumber(position=i, value=p.value, label=p.label, primary=p.primary)
            for i, p in enumerate(cleaned["phones"])
        ]
    if "addresses" in cleaned:
        contact.addresses = [
            PostalAddress(position=i, **asdict(a))
            for i, a in enumerate(cleaned["addresses"])
        ]
    if tags is not None:
        contact.tags = tags
    contact.refresh_derived()


def _tags_named(user_id: int, names: list[str]) -> list[Tag]:
    """The user's tags with these names, creating the ones that are new."""
    keys = {name.casefold(): name for name in names}
    existing = {
        tag.name_key: tag
        for tag in db.session.scalars(
            select(Tag).where(Tag.user_id == user_id, Tag.name_key.in_(keys))
        )
    }
    return [
        existing.get(key) or _create_tag(user_id, name) for key, name in keys.items()
    ]


def _create_tag(user_id: int, name: str) -> Tag:
    """A new tag, or the one a concurrent request created with the same name."""
    tag = Tag(user_id=user_id, name=name, name_key=name.casefold())
    try:
        with db.session.begin_nested():
            db.session.add(tag)
    except IntegrityError:
        return db.session.scalars(
            select(Tag).where(Tag.user_id == user_id, Tag.name_key == tag.name_key)
        ).one()
    return tag


def _delete_unused_tags(user_id: int) -> None:
    """Tags disappear when their last contact lets go of them."""
    db.session.execute(
        delete(Tag).where(
            Tag.user_id == user_id,
            ~exists().where(contact_tags.c.tag_id == Tag.id),
        )
    )


def delete_unused_tags(user_id: int) -> None:
    """`_delete_unused_tags`, for the other services that write contacts."""
    _delete_unused_tags(user_id)


def apply(contact: Contact, cleaned: Mapping[str, Any], tags: list[Tag]) -> None:
    """`_apply`, for a contact that is never saved: a merge's preview
    (app/services/merges.py) is the merged values on a transient contact."""
    _apply(contact, cleaned, tags)


def clean(fields: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """`_clean`, for the other services that write contacts (batches)."""
    return _clean(fields, current)


def differs(contact: Contact, cleaned: Mapping[str, Any]) -> bool:
    """`_differs`: whether writing `cleaned` would change `contact`."""
    return _differs(contact, cleaned)


def identifying_values(contact: Contact) -> dict[str, Any]:
    """`_identifying_values`: what a contact needs one of, as it is now."""
    return _identifying_values(contact)
