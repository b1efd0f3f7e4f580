"""The trash: contacts deleted with `deleteContact`, kept whole (lists,
tags and all) for TRASH_RETENTION_DAYS, then purged by `flask purge`.

A contact in the trash has `deleted_at` set and is missing to every other
read (app/services/contacts.py, the listing's statements). Its tags stay
linked, so a restore brings them back; a tag carried only from the trash
is kept but not shown. Purging deletes the contact for good, with every
change-log entry that held its data, and leaves a tombstone for sync.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.db.transaction import transactional
from app.errors import BadUserInput
from app.extensions import db
from app.models import Contact, User, utcnow
from app.services import change_log, contacts, opaque
from app.services.change_log import ChangeKind
from app.services.contact_queries import DEFAULT_PAGE_SIZE, page_size

CURSOR_KIND = "trash"


@dataclass
class TrashPage:
    """A page of the trash, newest deletion first."""

    contacts: list[Contact]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    user_id: int

    def count(self) -> int:
        return trash_count(self.user_id)


def list_trash(user_id: int, first: int | None, after: str | None) -> TrashPage:
    """A page of the user's trash, newest deletion first (ties: newest id)."""
    size = page_size("first", first)
    size = DEFAULT_PAGE_SIZE if size is None else size
    query = (
        select(Contact)
        .where(Contact.user_id == user_id, Contact.deleted_at.is_not(None))
        .order_by(Contact.deleted_at.desc(), Contact.id.desc())
        .options(*contacts.CONTACT_RELATIONS)
        .limit(size + 1)
    )
    if after is not None:
        deleted_at, contact_id = _decode_cursor(after)
        query = query.where(
            (Contact.deleted_at < deleted_at)
            | ((Contact.deleted_at == deleted_at) & (Contact.id < contact_id))
        )
    found = list(db.session.scalars(query))
    page = found[:size]
    return TrashPage(
        contacts=page,
        cursors=[_encode_cursor(contact) for contact in page],
        has_next_page=len(found) > size,
        has_previous_page=after is not None,
        user_id=user_id,
    )


def trash_count(user_id: int) -> int:
    count = db.session.scalar(
        select(func.count()).where(
            Contact.user_id == user_id, Contact.deleted_at.is_not(None)
        )
    )
    return count or 0


def _encode_cursor(contact: Contact) -> str:
    assert contact.deleted_at is not None
    return opaque.encode(
        json.dumps([CURSOR_KIND, contact.deleted_at.isoformat(), contact.id])
    )


def _decode_cursor(encoded: str) -> tuple[datetime, int]:
    try:
        kind, moment, contact_id = json.loads(opaque.decode(encoded))
        deleted_at = datetime.fromisoformat(moment)
    except (ValueError, TypeError, RecursionError):
        raise BadUserInput("`after` is not a valid cursor.") from None
    if (
        kind != CURSOR_KIND
        or deleted_at.tzinfo is None
        or type(contact_id) is not int
        or not 0 < contact_id <= contacts.MAX_ID
    ):
        raise BadUserInput("`after` is not a valid cursor.")
    return deleted_at, contact_id


@transactional
def restore_contact(user_id: int, contact_id: int | None) -> Contact:
    """Bring the user's contact back from the trash, as it was (a new
    version, logged as RESTORED)."""
    contacts.take_turns(user_id)
    contact = contacts.owned_contact(user_id, contact_id, ("id",), trashed=True)
    restore(contact)
    return contact


def restore(contact: Contact) -> None:
    """Take the locked `contact` out of the trash, as it is there (a new
    version, RESTORED), within the caller's transaction: restoreContact's,
    or undoMerge's (app/services/merges.py), which restores several."""
    before = change_log.snapshot(contact)
    contact.deleted_at = None
    contact.updated_at = utcnow()
    db.session.flush()
    change_log.record(contact, ChangeKind.RESTORED, before)


@transactional
def purge_contact(user_id: int, contact_id: int | None) -> int:
    """Delete the user's contact in the trash for good; returns its id."""
    contacts.take_turns(user_id)
    contact = contacts.owned_contact(user_id, contact_id, ("id",), trashed=True)
    return _purge(user_id, [contact])[0]


@transactional
def empty_trash(user_id: int) -> int:
    """Delete every contact in the user's trash for good; how many."""
    contacts.take_turns(user_id)
    return len(_purge(user_id, _trashed(user_id)))


def _trashed(user_id: int, before: datetime | None = None) -> list[Contact]:
    query = select(Contact).where(
        Contact.user_id == user_id, Contact.deleted_at.is_not(None)
    )
    if before is not None:
        query = query.where(Contact.deleted_at < before)
    return list(db.session.scalars(query.with_for_update()))


def _purge(user_id: int, trashed: list[Contact]) -> list[int]:
    """Delete `trashed` (the user's, locked), their log entries and the tags
    only they carried; log a tombstone for each. The ids."""
    ids = [contact.id for contact in trashed]
    versions = [contact.version for contact in trashed]
    for contact in trashed:
        db.session.delete(contact)
    db.session.flush()
    contacts.delete_unused_tags(user_id)
    change_log.forget_contacts(user_id, ids)
    for contact_id, version in zip(ids, versions, strict=True):
        change_log.record_purge(user_id, contact_id, version)
    db.session.flush()
    return ids


@dataclass(frozen=True)
class PurgeReport:
    contacts: int
    change_log_entries: int


def purge_expired(
    retention: timedelta, sync_window: timedelta, now: datetime | None = None
) -> PurgeReport:
    """The daily clean-up (`flask purge`): every user's contacts trashed
    longer than `retention` ago, one transaction per user, then the change
    log's entries older than `sync_window` (plus a day's grace, so that a
    sync token issued at the window's edge finds every entry after it)."""
    now = now or utcnow()
    cutoff = now - retention
    users = db.session.scalars(
        select(Contact.user_id)
        .where(Contact.deleted_at < cutoff)
        .distinct()
        .order_by(Contact.user_id)
    ).all()
    db.session.rollback()
    purged = sum(_purge_expired_of(user_id, cutoff) for user_id in users)
    entries = transactional(change_log.prune)(sync_window + LOG_GRACE, now)
    return PurgeReport(purged, entries)


LOG_GRACE = timedelta(days=1)


@transactional
def _purge_expired_of(user_id: int, cutoff: datetime) -> int:
    if db.session.get(User, user_id) is None:
        return 0
    contacts.take_turns(user_id)
    return len(_purge(user_id, _trashed(user_id, before=cutoff)))
