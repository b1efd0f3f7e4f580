"""Tag writes: rename (merging into a tag of the same name) and delete.

A tag belongs to the contacts that carry it, so each write here is a write
to every one of them: their tags change, their `version` moves by one and
`updatedAt` to now, and each gets one change-log entry (TAG_RENAMED or
TAG_DELETED; app/services/change_log.py), all in one transaction. That is
what puts the change in the contacts' `history` and in `contactChanges`.

The tag must be one the viewer can see (`contacts.get_tag`: theirs, and
carried by a contact outside the trash); any other id is NOT_FOUND at
["id"] and nothing changes. Contacts in the trash that carry the tag are
changed with the others (renamed, merged or untagged, with a version and
an entry), so that a restore brings back the tags as they are now, never a
tag that was deleted or a name that was given up.

Renaming to a name another of the viewer's tags has, ignoring case (the
tags' `name_key`), merges into that tag: every contact of the renamed tag
carries the other instead (once, even when it carried both), the renamed
tag is deleted, and the other keeps its own name. Renaming to the same
name changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update

from app.db.transaction import transactional
from app.errors import FieldError, InvalidInput, UserErrorCode
from app.extensions import db
from app.models import Contact, Tag, contact_tags, utcnow
from app.services import change_log, contacts
from app.services.change_log import ChangeKind
from app.services.contact_input import TAG_MAX_LENGTH
from app.services.text import clean_text, required_unless_reported

NAME_PATH = ("name",)
ID_PATH = ("id",)


@transactional
def rename_tag(user_id: int, tag_id: int | None, name: str) -> Tag:
    """Rename the user's tag, or merge it into the user's tag of that name
    (ignoring case). The tag that carries the name afterwards."""
    errors: list[FieldError] = []
    cleaned = clean_text(name, NAME_PATH, TAG_MAX_LENGTH, errors)
    if cleaned is None:
        required_unless_reported(NAME_PATH, "Enter a tag name.", errors)
    contacts.take_turns(user_id)
    tag = _owned_tag(user_id, tag_id, errors)
    if errors:
        raise InvalidInput(errors)
    assert tag is not None
    assert cleaned is not None
    if cleaned == tag.name:
        return tag
    key = cleaned.casefold()
    other = (
        db.session.scalar(
            select(Tag).where(Tag.user_id == user_id, Tag.name_key == key)
        )
        if key != tag.name_key
        else None
    )
    carriers = _carriers(user_id, tag)
    before = _snapshots(carriers)
    if other is None:
        tag.name, tag.name_key = cleaned, key
        _rewrite(carriers, before, tag, tag, ChangeKind.TAG_RENAMED)
        return tag
    _rewrite(carriers, before, tag, other, ChangeKind.TAG_RENAMED)
    _delete(tag)
    return other


@transactional
def delete_tag(user_id: int, tag_id: int | None) -> int:
    """Delete the user's tag; the contacts that carried it stay, without
    it. The tag's id."""
    errors: list[FieldError] = []
    contacts.take_turns(user_id)
    tag = _owned_tag(user_id, tag_id, errors)
    if errors:
        raise InvalidInput(errors)
    assert tag is not None
    carriers = _carriers(user_id, tag)
    _rewrite(carriers, _snapshots(carriers), tag, None, ChangeKind.TAG_DELETED)
    deleted = tag.id
    _delete(tag)
    return deleted


def _owned_tag(
    user_id: int, tag_id: int | None, errors: list[FieldError]
) -> Tag | None:
    """The user's visible tag, or None with NOT_FOUND added to `errors`;
    None as the id (an ID of another type) is never found."""
    tag = contacts.get_tag(user_id, tag_id) if tag_id is not None else None
    if tag is None:
        errors.append(
            FieldError(ID_PATH, "No tag with this id.", UserErrorCode.NOT_FOUND)
        )
    return tag


def _carriers(user_id: int, tag: Tag) -> list[Contact]:
    """Every contact of the user that carries `tag`, in the trash or not,
    with its lists, locked (after the user's turn, as every write locks)."""
    owned = (
        Contact.user_id == user_id,
        Contact.id.in_(
            select(contact_tags.c.contact_id).where(contact_tags.c.tag_id == tag.id)
        ),
    )
    if db.engine.dialect.name == "sqlite":  # the write lock, as contacts does
        db.session.execute(
            update(Contact)
            .where(*owned)
            .values(version=Contact.version)
            .execution_options(synchronize_session=False)
        )
    return list(
        db.session.scalars(
            select(Contact)
            .where(*owned)
            .order_by(Contact.id)
            .options(*contacts.CONTACT_RELATIONS)
            .with_for_update()
        )
    )


def _snapshots(carriers: Iterable[Contact]) -> dict[int, change_log.Snapshot]:
    return {contact.id: change_log.snapshot(contact) for contact in carriers}


def _rewrite(
    carriers: list[Contact],
    before: dict[int, change_log.Snapshot],
    tag: Tag,
    replacement: Tag | None,
    kind: ChangeKind,
) -> None:
    """Give each carrier `replacement` instead of `tag` (None: no tag in its
    place; `tag` itself: the same tag, renamed), bump its version and
    `updated_at`, and log the change as `kind`."""
    now = utcnow()
    for contact in carriers:
        kept = [t for t in contact.tags if t.id != tag.id]
        if replacement is not None and all(t.id != replacement.id for t in kept):
            kept.append(replacement)
        contact.tags = sorted(kept, key=lambda t: (t.name_key, t.id))
        contact.updated_at = now
    db.session.flush()
    for contact in carriers:
        change_log.record(contact, kind, before[contact.id])


def _delete(tag: Tag) -> None:
    """Delete a tag no contact carries any more (after `_rewrite`)."""
    db.session.delete(tag)
    db.session.flush()
