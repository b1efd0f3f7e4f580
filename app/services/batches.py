"""Batches of contact writes: create, update and delete (to the trash) many
contacts in one transaction, all or nothing.

Every item is checked before anything is written: when any fails, nothing
changes and `InvalidInput` lists the problems of every item, each at a path
that names the item by its index (["input", "17", "emails", "0", "value"],
["ids", "3"]). Otherwise each item is written as its single-contact
mutation would write it, with the same rules (app/services/contacts.py),
and adds its entry to the change log (app/services/change_log.py).

The SQL does not grow with the number of items: each kind of statement runs
once for the whole batch, as one statement or one executemany. The user's
turn (`take_turns`), then the contacts, locked, by one IN list and their
lists by one statement each; the tags of every item found, and the new ones
created, at once; new contacts get their ids in one statement (a sequence
on PostgreSQL; on SQLite, which runs one write at a time, after the
highest) and are inserted with their lists in one executemany per table;
changed contacts are updated by one executemany (every item writes the
same columns), their replaced lists deleted and inserted once per table;
the change log's entries go in as one executemany. The ORM would insert
row by row on SQLite (it reads each new primary key back), so new rows are
written with Core inserts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.db.transaction import transactional
from app.errors import BadUserInput, FieldError, InvalidInput, UserErrorCode
from app.extensions import db
from app.fields import BY_NAME
from app.models import (
    DERIVED_COLUMNS,
    Contact,
    ContactChange,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    Tag,
    User,
    contact_tags,
    derived_values,
    utcnow,
)
from app.services import change_log
from app.services.change_log import ChangeKind, Snapshot
from app.services.contacts import (
    CONTACT_RELATIONS,
    MAX_ID,
    SCALAR_FIELDS,
    check_version,
    clean,
    delete_unused_tags,
    differs,
    identifying_values,
    take_turns,
)

MAX_ITEMS = 200  # createContacts, updateContacts
MAX_DELETE_ITEMS = 500  # deleteContacts
# What every changed contact's UPDATE sets, whatever the item changed, so
# that the updates are one executemany.
UPDATED_COLUMNS = (
    *SCALAR_FIELDS,
    *DERIVED_COLUMNS,
    "updated_at",
)
TABLES: dict[str, Table] = {
    "contacts": Contact.__table__,  # type: ignore[dict-item]
    "emails": EmailAddress.__table__,  # type: ignore[dict-item]
    "phones": PhoneNumber.__table__,  # type: ignore[dict-item]
    "addresses": PostalAddress.__table__,  # type: ignore[dict-item]
    "tags": contact_tags,
}
# One changed contact, by its id and the version it had (bound as old_*):
# every UPDATED_COLUMNS and the next version (bound as new_*). The ORM
# would update versioned rows one statement each.
UPDATE_CONTACT = (
    update(TABLES["contacts"])
    .where(
        TABLES["contacts"].c.id == bindparam("old_id"),
        TABLES["contacts"].c.version == bindparam("old_version"),
    )
    .values(
        {
            name: bindparam(f"new_{name}", type_=TABLES["contacts"].c[name].type)
            for name in (*UPDATED_COLUMNS, "version")
        }
    )
)
TAGS_TABLE: Table = Tag.__table__  # type: ignore[assignment]
CHANGES_TABLE: Table = ContactChange.__table__  # type: ignore[assignment]
LISTS = ("emails", "phones", "addresses", "tags")


@dataclass(frozen=True)
class UpdateItem:
    """One item of updateContacts: the contact (None: an ID of another
    type, never found), the fields given, and the version expected."""

    contact_id: int | None
    fields: Mapping[str, Any]
    expected_version: int | None = None


def create_contacts(user_id: int, items: Sequence[Mapping[str, Any]]) -> list[Contact]:
    """Create a contact for each of `items` (fields as `create_contact`
    takes them), in order; all or none. The contacts as committed."""
    return _load(_create(user_id, items))


def update_contacts(user_id: int, items: Sequence[UpdateItem]) -> list[Contact]:
    """Change each item's contact as `update_contact` would, in order; all
    or none. A contact named twice is refused (INVALID at the second). The
    contacts as committed."""
    return _load(_update(user_id, items))


@transactional
def _create(user_id: int, items: Sequence[Mapping[str, Any]]) -> list[int]:
    _check_size(len(items), MAX_ITEMS, "input")
    if not items:
        return []
    take_turns(user_id)
    errors: list[FieldError] = []
    cleaned_items: list[dict[str, Any]] = []
    for index, fields in enumerate(items):
        try:
            cleaned_items.append(clean(fields, current={}))
        except InvalidInput as error:
            errors += _at("input", index, error.errors)
    if errors:
        raise InvalidInput(errors)
    return insert_contacts(user_id, cleaned_items)


def insert_contacts(
    user_id: int, cleaned_items: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Insert a new contact for each of `cleaned_items` (as `contacts.clean`
    returns them), with its lists and tags, and log each as CREATED, in
    statements whose number does not grow with the items: the write of
    createContacts, for every service that creates many contacts (the
    import too). The caller holds the transaction and the user's turn
    (`take_turns`). The new ids, in order."""
    if not cleaned_items:
        return []
    tags = _tags_for(user_id, cleaned_items)
    ids = _new_contact_ids(user_id, len(cleaned_items))
    now = utcnow()
    rows = []
    for contact_id, cleaned in zip(ids, cleaned_items, strict=True):
        values = {
            name: cleaned.get(name, BY_NAME[name].default) for name in SCALAR_FIELDS
        }
        rows.append(
            {
                "id": contact_id,
                "user_id": user_id,
                **values,
                **_derived(
                    values, cleaned.get("emails", []), cleaned.get("phones", [])
                ),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    _insert(TABLES["contacts"], rows)
    _insert_lists(zip(ids, cleaned_items, strict=True), tags)
    _log((contact, ChangeKind.CREATED, None) for contact in _load(ids))
    return ids


@transactional
def _update(user_id: int, items: Sequence[UpdateItem]) -> list[int]:
    _check_size(len(items), MAX_ITEMS, "input")
    if not items:
        return []
    take_turns(user_id)
    found = _locked(user_id, [item.contact_id for item in items])
    errors: list[FieldError] = []
    named_at: dict[int, int] = {}
    wanted: list[tuple[Contact, dict[str, Any]]] = []
    for index, item in enumerate(items):
        contact = found.get(item.contact_id) if item.contact_id is not None else None
        problem = _missing_or_repeated(contact, index, named_at)
        if problem is not None:
            errors.append(FieldError(("input", str(index), "id"), *problem))
            continue
        assert contact is not None
        try:
            check_version(contact, item.expected_version)
            cleaned = clean(item.fields, current=identifying_values(contact))
        except InvalidInput as error:
            errors += _at("input", index, error.errors)
            continue
        wanted.append((contact, cleaned))
    if errors:
        raise InvalidInput(errors)
    changed = [
        (contact, cleaned) for contact, cleaned in wanted if differs(contact, cleaned)
    ]
    if changed:
        _write_changes(user_id, changed)
    return [contact.id for contact, _ in wanted]


@transactional
def delete_contacts(user_id: int, ids: Sequence[int | None]) -> list[int]:
    """Move each of the user's contacts `ids` to the trash, as
    `delete_contact` does; all or none. Returns the ids, in order."""
    _check_size(len(ids), MAX_DELETE_ITEMS, "ids")
    if not ids:
        return []
    take_turns(user_id)
    found = _locked(user_id, ids)
    errors: list[FieldError] = []
    named_at: dict[int, int] = {}
    for index, contact_id in enumerate(ids):
        contact = found.get(contact_id) if contact_id is not None else None
        problem = _missing_or_repeated(contact, index, named_at)
        if problem is not None:
            errors.append(FieldError(("ids", str(index)), *problem))
    if errors:
        raise InvalidInput(errors)
    trashed = [found[contact_id] for contact_id in ids if contact_id is not None]
    before = {contact.id: change_log.snapshot(contact) for contact in trashed}
    now = utcnow()
    contacts_table = TABLES["contacts"]
    db.session.execute(
        update(contacts_table)
        .where(contacts_table.c.id.in_([contact.id for contact in trashed]))
        .values(deleted_at=now, updated_at=now, version=contacts_table.c.version + 1)
    )
    for contact in trashed:  # as written, without the ORM writing it again
        set_committed_value(contact, "deleted_at", now)
        set_committed_value(contact, "updated_at", now)
        set_committed_value(contact, "version", contact.version + 1)
    _log((contact, ChangeKind.DELETED, before[contact.id]) for contact in trashed)
    return [contact.id for contact in trashed]


def _check_size(count: int, limit: int, argument: str) -> None:
    if count > limit:
        raise BadUserInput(f"`{argument}` may hold at most {limit} items, not {count}.")


def _at(argument: str, index: int, errors: Iterable[FieldError]) -> list[FieldError]:
    """`errors` of one item, at paths that name the item: the single
    mutation's ["input", "emails", "0"] becomes ["input", "<index>", "emails",
    "0"]."""
    moved = []
    for error in errors:
        rest = error.field[1:] if error.field and error.field[0] == argument else ()
        moved.append(
            FieldError((argument, str(index), *rest), error.message, error.code)
        )
    return moved


def _missing_or_repeated(
    contact: Contact | None, index: int, named_at: dict[int, int]
) -> tuple[str, UserErrorCode] | None:
    """What is wrong with naming `contact` (None: not found) at `index`, if
    anything; remembers where each contact was named."""
    if contact is None:
        return "No contact with this id.", UserErrorCode.NOT_FOUND
    if contact.id in named_at:
        return (
            f"The same contact as at index {named_at[contact.id]}; name it once.",
            UserErrorCode.INVALID,
        )
    named_at[contact.id] = index
    return None


def _locked(user_id: int, ids: Iterable[int | None]) -> dict[int, Contact]:
    """The user's contacts among `ids` that are not in the trash, by id,
    with their lists, locked as `contacts._locked_contact` locks one."""
    wanted = sorted({i for i in ids if i is not None and 0 < i <= MAX_ID})
    if not wanted:
        return {}
    owned = (
        Contact.id.in_(wanted),
        Contact.user_id == user_id,
        Contact.deleted_at.is_(None),
    )
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            update(Contact)
            .where(*owned)
            .values(version=Contact.version)
            .execution_options(synchronize_session=False)
        )
    contacts = db.session.scalars(
        select(Contact).where(*owned).options(*CONTACT_RELATIONS).with_for_update()
    )
    return {contact.id: contact for contact in contacts}


def _write_changes(user_id: int, changed: list[tuple[Contact, dict[str, Any]]]) -> None:
    """Write each cleaned item onto its locked contact, as `contacts.write`
    does for one, with one statement per kind for them all."""
    before = {contact.id: change_log.snapshot(contact) for contact, _ in changed}
    tags = _tags_for(user_id, [cleaned for _, cleaned in changed])
    now = utcnow()
    rows = []
    for contact, cleaned in changed:
        values = {
            name: cleaned[name] if name in cleaned else getattr(contact, name)
            for name in SCALAR_FIELDS
        }
        emails = cleaned.get("emails", contact.emails)
        phones = cleaned.get("phones", contact.phones)
        new = {
            **values,
            **_derived(values, emails, phones),
            "updated_at": now,
            "version": contact.version + 1,
        }
        rows.append(
            {
                "old_id": contact.id,
                "old_version": contact.version,
                **{f"new_{name}": value for name, value in new.items()},
            }
        )
    written = db.session.execute(UPDATE_CONTACT, rows)
    if getattr(written, "rowcount", len(rows)) != len(rows):
        raise StaleDataError("a contact of the batch changed while it was locked")
    for name in LISTS:
        replaced = [contact.id for contact, cleaned in changed if name in cleaned]
        if replaced:
            column = TABLES[name].c.contact_id
            db.session.execute(delete(TABLES[name]).where(column.in_(replaced)))
    _insert_lists(((contact.id, cleaned) for contact, cleaned in changed), tags)
    if any("tags" in cleaned for _, cleaned in changed):
        delete_unused_tags(user_id)
    contacts = _load([contact.id for contact, _ in changed])
    _log((contact, ChangeKind.UPDATED, before[contact.id]) for contact in contacts)


def _derived(
    values: Mapping[str, Any], emails: Sequence[Any], phones: Sequence[Any]
) -> dict[str, Any]:
    """The derived columns of a contact with these field values and lists,
    as `Contact.refresh_derived` sets them."""
    return derived_values(
        values, [email.value for email in emails], [phone.value for phone in phones]
    )


def _tags_for(user_id: int, items: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The ids of the user's tags that the items name, by name key, the new
    ones created (spelt as first named): two statements, three with new ones.
    The user's turn (`take_turns`) keeps other writers from creating or
    deleting the same tags meanwhile."""
    names: dict[str, str] = {}
    for cleaned in items:
        for key, name in _tag_names(cleaned).items():
            names.setdefault(key, name)
    if not names:
        return {}
    found = _tag_ids(user_id, names)
    new = [key for key in names if key not in found]
    if new:
        _insert(
            TAGS_TABLE,
            [{"user_id": user_id, "name": names[key], "name_key": key} for key in new],
        )
        found.update(_tag_ids(user_id, new))
    return found


def _tag_names(cleaned: Mapping[str, Any]) -> dict[str, str]:
    """The item's tags by name key, in its order, as `contacts._tags_named`
    reads them (the last spelling of a name wins)."""
    return {name.casefold(): name for name in cleaned.get("tags") or ()}


def _tag_ids(user_id: int, keys: Iterable[str]) -> dict[str, int]:
    rows = db.session.execute(
        select(Tag.name_key, Tag.id).where(
            Tag.user_id == user_id, Tag.name_key.in_(list(keys))
        )
    )
    return {key: tag_id for key, tag_id in rows}


def _new_contact_ids(user_id: int, count: int) -> list[int]:
    """`count` unused contact ids, in one statement: from the table's
    sequence on PostgreSQL; on SQLite, after the highest, once this
    transaction holds the database's write lock (taken by a write to the
    user's row), which no other writer can then take until it ends."""
    if db.engine.dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence("contacts", "id")
        return list(
            db.session.scalars(
                select(func.nextval(sequence)).select_from(
                    func.generate_series(1, count)
                )
            )
        )
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(name=User.name)
        .execution_options(synchronize_session=False)
    )
    highest = db.session.scalar(select(func.coalesce(func.max(Contact.id), 0))) or 0
    return list(range(highest + 1, highest + 1 + count))


def _insert_lists(
    items: Iterable[tuple[int, Mapping[str, Any]]], tags: Mapping[str, int]
) -> None:
    """Insert the lists each (contact id, cleaned item) gives, one
    executemany per table."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS}
    for contact_id, cleaned in items:
        for position, email in enumerate(cleaned.get("emails") or ()):
            rows["emails"].append(
                {
                    "contact_id": contact_id,
                    "position": position,
                    "value": email.value,
                    "label": email.label,
                    "primary": email.primary,
                }
            )
        for position, phone in enumerate(cleaned.get("phones") or ()):
            rows["phones"].append(
                {
                    "contact_id": contact_id,
                    "position": position,
                    "value": phone.value,
                    "label": phone.label,
                    "primary": phone.primary,
                }
            )
        for position, address in enumerate(cleaned.get("addresses") or ()):
            rows["addresses"].append(
                {"contact_id": contact_id, "position": position, **asdict(address)}
            )
        for key in _tag_names(cleaned):
            rows["tags"].append({"contact_id": contact_id, "tag_id": tags[key]})
    for name, table_rows in rows.items():
        _insert(TABLES[name], table_rows)


def _insert(table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany of `rows` into `table`; nothing for no rows."""
    if rows:
        db.session.execute(insert(table), rows)


def _load(ids: Sequence[int]) -> list[Contact]:
    """The contacts `ids`, in that order, with their lists read anew (one
    statement for the contacts, one per list)."""
    if not ids:
        return []
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.id.in_(ids))
        .options(*CONTACT_RELATIONS)
        .execution_options(populate_existing=True)
    )
    by_id = {contact.id: contact for contact in contacts}
    return [by_id[contact_id] for contact_id in ids]


def _log(changes: Iterable[tuple[Contact, ChangeKind, Snapshot | None]]) -> None:
    """The change log's entries of the batch, in one executemany:
    `change_log.record` makes each, and the pending ones go in by Core
    (the ORM would insert them one by one on SQLite, to read their ids)."""
    entries = [
        change_log.record(contact, kind, before) for contact, kind, before in changes
    ]
    pending = [entry for entry in entries if inspect(entry).pending]
    rows = [
        {
            column.key: getattr(entry, column.key)
            for column in CHANGES_TABLE.columns
            if column.key != "id"
        }
        for entry in pending
    ]
    for entry in pending:
        db.session.expunge(entry)
    _insert(CHANGES_TABLE, rows)
