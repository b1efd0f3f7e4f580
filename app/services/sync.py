"""Incremental sync (`contactChanges`), read from the change log
(app/services/change_log.py), the same log history reads.

Without a token: every contact outside the trash, by id, a page at a time,
and on the last page a token. With one: each contact created or changed
since the token was issued, once, as it is now (ordered by its latest
entry), and a tombstone for each one trashed, purged or merged since; the
next token on the last page. Applying the changes in order leaves a client
equal to a full download.

A token is the log position it was issued at, signed (itsdangerous, with
SECRET_KEY) with the account's id and the time: opaque to clients, bound
to the account, and valid SYNC_TOKEN_TTL_DAYS; the log keeps its entries
that long (and a day), so nothing after a valid token has been pruned.

Pages of one sync share the log position read on the first page (the
watermark, carried in the cursor): a change made while a client pages is
sent in the next sync, and maybe in this one too, as its current state;
never lost. The log's ids grow in commit order for each user (the writes
take turns), so a position read once is never filled in behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.errors import BadUserInput, SyncTokenExpired
from app.extensions import db
from app.models import Contact, ContactChange
from app.services import contacts, opaque
from app.services.contact_queries import DEFAULT_PAGE_SIZE, page_size

SALT = "contact-sync"
CURSOR_KIND = "sync"


@dataclass(frozen=True)
class SyncChange:
    """A contact as it is now, or the tombstone of one gone (`deleted_id`)."""

    contact: Contact | None
    deleted_id: int | None = None
    deleted_at: datetime | None = None


@dataclass
class SyncPage:
    changes: list[SyncChange]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    next_sync_token: str | None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def window() -> timedelta:
    return timedelta(days=current_app.config["SYNC_TOKEN_TTL_DAYS"])


def issue_token(user_id: int, position: int) -> str:
    return str(_serializer().dumps([user_id, position]))


def token_position(user_id: int, token: str) -> int:
    """The log position `token` was issued at; SYNC_TOKEN_EXPIRED when it
    is past the window, someone else's, or not a token at all."""
    try:
        owner, position = _serializer().loads(
            token, max_age=int(window().total_seconds())
        )
    except (BadData, TypeError, ValueError):
        raise SyncTokenExpired() from None
    if owner != user_id or type(position) is not int or position < 0:
        raise SyncTokenExpired()
    return position


def contact_changes(
    user_id: int,
    sync_token: str | None,
    first: int | None = None,
    after: str | None = None,
) -> SyncPage:
    size = page_size("first", first)
    size = DEFAULT_PAGE_SIZE if size is None else size
    since = token_position(user_id, sync_token) if sync_token is not None else None
    if after is None:
        watermark, position = _log_position(user_id), 0
    else:
        watermark, position = _decode_cursor(after, since)
    if since is None:
        changes, positions = _live_contacts(user_id, position, size + 1)
    else:
        changes, positions = _changed_since(
            user_id, since, watermark, position, size + 1
        )
    more = len(changes) > size
    changes, positions = changes[:size], positions[:size]
    return SyncPage(
        changes=changes,
        cursors=[_encode_cursor(since, watermark, p) for p in positions],
        has_next_page=more,
        has_previous_page=after is not None,
        next_sync_token=None if more else issue_token(user_id, watermark),
    )


def _log_position(user_id: int) -> int:
    """The id of the user's latest entry; 0 when there is none."""
    latest = db.session.scalar(
        select(func.max(ContactChange.id)).where(ContactChange.user_id == user_id)
    )
    return latest or 0


def _live_contacts(
    user_id: int, after_id: int, limit: int
) -> tuple[list[SyncChange], list[int]]:
    found = list(
        db.session.scalars(
            select(Contact)
            .where(
                Contact.user_id == user_id,
                Contact.deleted_at.is_(None),
                Contact.id > after_id,
            )
            .order_by(Contact.id)
            .options(*contacts.CONTACT_RELATIONS)
            .limit(limit)
        )
    )
    return [SyncChange(contact) for contact in found], [c.id for c in found]


def _changed_since(
    user_id: int, since: int, watermark: int, after: int, limit: int
) -> tuple[list[SyncChange], list[int]]:
    """Each contact with entries in (since, watermark], once, by its latest
    entry there, from the one after `after`."""
    latest = func.max(ContactChange.id)
    rows = db.session.execute(
        select(ContactChange.contact_id, latest)
        .where(
            ContactChange.user_id == user_id,
            ContactChange.id > since,
            ContactChange.id <= watermark,
        )
        .group_by(ContactChange.contact_id)
        .having(latest > after)
        .order_by(latest)
        .limit(limit)
    ).all()
    ids = [contact_id for contact_id, _ in rows]
    found = {
        contact.id: contact
        for contact in db.session.scalars(
            select(Contact)
            .where(Contact.user_id == user_id, Contact.id.in_(ids))
            .options(*contacts.CONTACT_RELATIONS)
        )
    }
    gone_at = dict(
        db.session.execute(
            select(ContactChange.id, ContactChange.changed_at).where(
                ContactChange.id.in_([entry for _, entry in rows])
            )
        ).all()
    )
    changes = []
    for contact_id, entry in rows:
        contact = found.get(contact_id)
        if contact is not None and contact.deleted_at is None:
            changes.append(SyncChange(contact))
        elif contact is not None:
            changes.append(SyncChange(None, contact_id, contact.deleted_at))
        else:
            changes.append(SyncChange(None, contact_id, gone_at[entry]))
    return changes, [entry for _, entry in rows]


def _encode_cursor(since: int | None, watermark: int, position: int) -> str:
    return opaque.encode(json.dumps([CURSOR_KIND, since, watermark, position]))


def _decode_cursor(encoded: str, since: int | None) -> tuple[int, int]:
    """(watermark, position) of a cursor of this sync (same token)."""
    invalid = BadUserInput("`after` is not a valid cursor.")
    try:
        kind, cursor_since, watermark, position = json.loads(opaque.decode(encoded))
    except (ValueError, TypeError, RecursionError):
        raise invalid from None
    numbers: list[Any] = [watermark, position]
    if (
        kind != CURSOR_KIND
        or cursor_since != since
        or any(type(n) is not int or n < 0 for n in numbers)
    ):
        raise BadUserInput(
            "`after` is not a cursor of this sync; give the syncToken it came with."
        )
    return watermark, position
