"""The reads that find duplicates by key, on a connection the caller gives:
one user's live contacts (the trash is invisible) by email key, phone key
(`contact_emails.value_key`, `contact_phones.value`) or name key
(`ix_contacts_user_name_key`, migration 0008), with the facts that may
contradict a match by name (app/services/matching.py).

`owners` and `people_named` look many keys up at once, KEYS_PER_LOOKUP
keys per statement; `people_with_ids` reads contacts' facts by id;
`everyone` reads every live contact's facts in three plain statements (no
sort or aggregate in the database) for finding every group anew.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, bindparam, func, select

from app.models import Contact, EmailAddress, PhoneNumber
from app.services.contact_rows import contacts_table
from app.services.matching import Facts, text_key

# Keys a look-up binds at most (a file of 100,000 contacts would pass the
# databases' limits on bound parameters).
KEYS_PER_LOOKUP = 5000
# How a contact's keys travel in one aggregated column (`people_named`,
# `people_with_ids`): no email key or E.164 number holds a line break.
KEY_SEPARATOR = "\n"

# A contact as matching sees it: its name key and its facts.
Person = tuple[str | None, Facts]


def email_owners(
    connection: Connection, user_id: int, keys: set[str]
) -> dict[str, list[int]]:
    """The user's live contacts holding each email key of `keys`, by key."""
    return _owners(
        connection, user_id, _owner_of(EmailAddress, EmailAddress.value_key), keys
    )


def phone_owners(
    connection: Connection, user_id: int, keys: set[str]
) -> dict[str, list[int]]:
    """The user's live contacts holding each phone key of `keys`, by key."""
    return _owners(connection, user_id, _owner_of(PhoneNumber, PhoneNumber.value), keys)


def people_named(
    connection: Connection, user_id: int, names: set[str]
) -> dict[str, list[tuple[int, Facts]]]:
    """The user's live contacts of each name key among `names`, with their
    facts, by name key."""
    people: defaultdict[str, list[tuple[int, Facts]]] = defaultdict(list)
    for chunk in chunks(sorted(names)):
        for row in _rows(connection, _named(), user_id, keys=chunk):
            people[row.name_key].append((row.id, _facts_of(row)))
    return people


def people_with_ids(
    connection: Connection, user_id: int, ids: Iterable[int]
) -> dict[int, Person]:
    """The name key and facts of the user's live contacts among `ids`."""
    people = {}
    for chunk in chunks(sorted(ids)):
        for row in _rows(connection, _with_ids(), user_id, keys=chunk):
            people[row.id] = (row.name_key, _facts_of(row))
    return people


def everyone(connection: Connection, user_id: int) -> dict[int, Person]:
    """The name key and facts of every live contact of the user, from
    three plain reads (names and facts, email keys, phone keys) joined
    here."""
    emails = _keys_by_contact(
        connection, _live_keys(EmailAddress, EmailAddress.value_key), user_id
    )
    phones = _keys_by_contact(
        connection, _live_keys(PhoneNumber, PhoneNumber.value), user_id
    )
    empty: frozenset[str] = frozenset()
    return {
        row.id: (
            row.name_key,
            Facts(
                row.birthday,
                company_key(row.company),
                emails.get(row.id, empty),
                phones.get(row.id, empty),
            ),
        )
        for row in _rows(connection, _live_people(), user_id)
    }


def chunks(keys: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(keys), KEYS_PER_LOOKUP):
        yield keys[start : start + KEYS_PER_LOOKUP]


# An address book names few companies many times over.
company_key = lru_cache(maxsize=4096)(text_key)


def _owners(
    connection: Connection, user_id: int, lookup: Select[Any], keys: set[str]
) -> dict[str, list[int]]:
    owners: defaultdict[str, list[int]] = defaultdict(list)
    for chunk in chunks(sorted(keys)):
        for key, contact_id in _rows(connection, lookup, user_id, keys=chunk):
            owners[key].append(contact_id)
    return owners


def _keys_by_contact(
    connection: Connection, statement: Select[Any], user_id: int
) -> dict[int, frozenset[str]]:
    held: defaultdict[int, set[str]] = defaultdict(set)
    for contact_id, key in _rows(connection, statement, user_id):
        held[contact_id].add(key)
    return {contact_id: frozenset(keys) for contact_id, keys in held.items()}


def _rows(
    connection: Connection, statement: Select[Any], user_id: int, **values: Any
) -> list[Any]:
    return list(connection.execute(statement, {"user_id": user_id, **values}).all())


def _facts_of(row: Any) -> Facts:
    return Facts(
        birthday=row.birthday,
        company=company_key(row.company),
        emails=frozenset(_split(row.emails)),
        phones=frozenset(_split(row.phones)),
    )


def _split(keys: str | None) -> Iterable[str]:
    return keys.split(KEY_SEPARATOR) if keys else ()


# The statements. Every one reads one user's live contacts, bound as
# :user_id, as the listing's do (`deleted_at IS NULL`, which the partial
# indexes say).


def _live() -> list[ColumnElement[bool]]:
    return [Contact.user_id == bindparam("user_id"), Contact.deleted_at.is_(None)]


def _live_keys(model: type[EmailAddress | PhoneNumber], key: Any) -> Select[Any]:
    """(contact id, `key`) of each item of the list `model` that the user's
    live contacts hold."""
    columns: list[Any] = [model.contact_id, key]
    return (
        select(*columns).join(Contact, Contact.id == model.contact_id).where(*_live())
    )


def _owner_of(model: type[EmailAddress | PhoneNumber], key: Any) -> Select[Any]:
    """(key, contact id) of the user's live contacts holding one of :keys
    in `key` (a column of the list `model`)."""
    return (
        select(key, model.contact_id)
        .join(Contact, Contact.id == model.contact_id)
        .where(*_live(), key.in_(bindparam("keys", expanding=True)))
        .distinct()
    )


def _live_people() -> Select[Any]:
    """The user's live contacts: id, name key, and the birthday and
    company, which may contradict a match by name."""
    return select(*_person_columns()).where(*_live())


def _person_columns() -> list[Any]:
    """What a match by name reads of a contact: id, name key, and the
    birthday and company, which may contradict it."""
    return [
        Contact.id,
        Contact.name_key,
        contacts_table.c.birthday,
        contacts_table.c.company,
    ]


def _with_ids() -> Select[Any]:
    """The user's live contacts whose id is one of :keys, with facts."""
    return _with_facts(Contact.id.in_(bindparam("keys", expanding=True)))


def _named() -> Select[Any]:
    """The user's live contacts whose name key is one of :keys."""
    return _with_facts(Contact.name_key.in_(bindparam("keys", expanding=True)))


def _with_facts(condition: ColumnElement[bool]) -> Select[Any]:
    """The user's live contacts meeting `condition`: id, name key, birthday,
    company, and their email and phone keys aggregated."""
    columns: list[Any] = [
        *_person_columns(),
        _keys_of(EmailAddress.value_key, EmailAddress.contact_id).label("emails"),
        _keys_of(PhoneNumber.value, PhoneNumber.contact_id).label("phones"),
    ]
    return select(*columns).where(*_live(), condition)


def _keys_of(key: Any, contact_id: Any) -> Any:
    return (
        select(func.aggregate_strings(key, KEY_SEPARATOR))
        .where(contact_id == Contact.id)
        .correlate(Contact)
        .scalar_subquery()
    )
