"""Contacts that look like one person, by app.services.matching's rules:
found by key (email, phone, name), never by comparing contacts pair by
pair beyond those of one name, and never merged here.

`list_duplicates(user_id, first, after)`: a page of the groups of the
user's live contacts (the trash is invisible), which every write keeps in
`duplicate_members` (app/services/duplicate_groups.py). Groups come in the
order of their lowest contact id, the contacts of a group by id; the
cursor is the group's lowest id, opaque. One statement reads the page's
groups with their members (`_page`, by `ix_duplicate_members_user_group`),
one more the contacts shown with the lists asked for
(app/services/contact_rows.py, as the listing reads them). An account
whose groups were never found (the backlog of migration 0011) has them
found first, once, in a transaction of its own.

`match_existing(user_id, candidates)` is the import's check: for each of
many contacts about to be created (`contacts.clean`'s output: CleanEmail,
CleanPhone, names, company, birthday…), the user's live contact it
duplicates, as a `Match(contact_id, reason)`, or None. An email match wins
over a phone match, which wins over a name match; among several contacts
the lowest id. A name match needs nothing contradicting it between the
candidate and the contact (`matching.contradicts`). All candidates' keys
are looked up together: one statement per kind of key (per
duplicate_keys.KEYS_PER_LOOKUP keys), however many candidates. It matches
against stored contacts only; two candidates that duplicate each other
are the caller's to see (the same keys, `matching`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, bindparam, select

from app.db.reads import read_connection
from app.errors import BadUserInput
from app.extensions import db
from app.models import Contact, DuplicateMember
from app.services import opaque
from app.services.contact_queries import DEFAULT_PAGE_SIZE, page_size
from app.services.contact_rows import (
    ALL_FIELDS,
    ContactRecord,
    page_columns,
    with_relations,
)
from app.services.contacts import MAX_ID, take_turns_on
from app.services.duplicate_groups import Group, find_anew, groups_of, in_backlog
from app.services.duplicate_keys import email_owners, people_named, phone_owners
from app.services.matching import (
    Facts,
    Reason,
    contradicts,
    email_key,
    facts,
    name_key,
    phone_key,
)

CURSOR_KIND = "duplicates"
MEMBERS: Table = DuplicateMember.__table__  # type: ignore[assignment]


@dataclass
class DuplicatePage:
    """A page of groups, with their contacts as records (by id)."""

    groups: list[Group]
    contacts: dict[int, ContactRecord]
    cursors: list[str]  # each group's, in page order
    has_next_page: bool
    has_previous_page: bool


@dataclass(frozen=True)
class Match:
    """An existing contact a candidate duplicates, and the strongest reason."""

    contact_id: int
    reason: Reason


def list_duplicates(
    user_id: int,
    first: int | None,
    after: str | None,
    fields: frozenset[str] = ALL_FIELDS,
    shown: int = DEFAULT_PAGE_SIZE,
) -> DuplicatePage:
    """A page of the user's groups of duplicates after the cursor `after`,
    with the first `shown` contacts of each group reading the record
    `fields`."""
    size = first_or_default(first)
    after_id = _decode_cursor(after) if after is not None else 0
    _find_backlogged(user_id)
    rows = read_connection().execute(
        _page(), {"user_id": user_id, "after": after_id, "limit": size + 1}
    )
    groups = groups_of(rows.all())
    page = groups[:size]
    ids = [contact_id for group in page for contact_id in group.contact_ids[:shown]]
    return DuplicatePage(
        groups=page,
        contacts=_records(user_id, ids, fields),
        cursors=[_encode_cursor(group) for group in page],
        has_next_page=len(groups) > size,
        has_previous_page=after is not None,
    )


def first_or_default(first: int | None) -> int:
    """A page's size, of groups or of a group's contacts: `first`, from 0
    to MAX_PAGE_SIZE (else BadUserInput), DEFAULT_PAGE_SIZE without it."""
    size = page_size("first", first)
    return DEFAULT_PAGE_SIZE if size is None else size


def _page() -> Select[Any]:
    """The members (group id, contact id, reasons) of the user's first
    :limit groups after :after, by group and contact: the groups' own rows
    (where the contact is the group's lowest) in the index's order, and
    their members by the same index."""
    mine = MEMBERS.c.user_id == bindparam("user_id")
    groups = (
        select(MEMBERS.c.group_id)
        .where(
            mine,
            MEMBERS.c.contact_id == MEMBERS.c.group_id,
            MEMBERS.c.group_id > bindparam("after"),
        )
        .order_by(MEMBERS.c.group_id)
        .limit(bindparam("limit"))
    )
    return (
        select(MEMBERS.c.group_id, MEMBERS.c.contact_id, MEMBERS.c.reasons)
        .where(mine, MEMBERS.c.group_id.in_(groups))
        .order_by(MEMBERS.c.group_id, MEMBERS.c.contact_id)
    )


def _find_backlogged(user_id: int) -> None:
    """Find the groups of an account in the backlog (migration 0011), in a
    transaction of its own that takes the user's turn as writers do: the
    read may run on an autocommit connection."""
    if not in_backlog(read_connection(), user_id):
        return
    with db.engine.begin() as connection:
        take_turns_on(connection, user_id)
        if in_backlog(connection, user_id):
            find_anew(connection, user_id)


def match_existing(
    user_id: int, candidates: Sequence[Mapping[str, Any]]
) -> list[Match | None]:
    """For each candidate (cleaned create input), the user's live contact
    it duplicates and why, or None; see the module's docstring."""
    connection = read_connection()
    found: list[dict[int, Reason]] = [{} for _ in candidates]
    for reason, keys_of, owners_of in (
        (Reason.SAME_EMAIL, _email_keys, email_owners),
        (Reason.SAME_PHONE, _phone_keys, phone_owners),
    ):
        wanted = [keys_of(candidate) for candidate in candidates]
        owners = owners_of(
            connection, user_id, {key for keys in wanted for key in keys}
        )
        for index, keys in enumerate(wanted):
            for key in keys:
                for contact_id in owners.get(key, ()):
                    found[index].setdefault(contact_id, reason)
    names = [name_key(candidate) for candidate in candidates]
    people = people_named(
        connection, user_id, {name for name in names if name is not None}
    )
    for index, (candidate, name) in enumerate(zip(candidates, names, strict=True)):
        mine = _candidate_facts(candidate)
        for contact_id, theirs in people.get(name or "", ()):
            if not contradicts(mine, theirs):
                found[index].setdefault(contact_id, Reason.SAME_NAME)
    return [_strongest(matches) for matches in found]


def _strongest(matches: dict[int, Reason]) -> Match | None:
    if not matches:
        return None
    order = list(Reason)
    contact_id = min(matches, key=lambda c: (order.index(matches[c]), c))
    return Match(contact_id, matches[contact_id])


def _email_keys(candidate: Mapping[str, Any]) -> set[str]:
    return {email_key(email.value) for email in candidate.get("emails") or ()}


def _phone_keys(candidate: Mapping[str, Any]) -> set[str]:
    return {phone_key(phone.value) for phone in candidate.get("phones") or ()}


def _candidate_facts(candidate: Mapping[str, Any]) -> Facts:
    return facts(
        candidate,
        [email.value for email in candidate.get("emails") or ()],
        [phone.value for phone in candidate.get("phones") or ()],
    )


def _records(
    user_id: int, ids: list[int], fields: frozenset[str]
) -> dict[int, ContactRecord]:
    """The records of the user's live contacts `ids`, with the lists among
    `fields`: one statement (PostgreSQL), or one and one per list."""
    if not ids:
        return {}
    connection = read_connection()
    query = select(Contact.id).where(
        Contact.id.in_(ids), Contact.user_id == user_id, Contact.deleted_at.is_(None)
    )
    statement = page_columns(query, fields, "id", connection.dialect)
    rows = connection.execute(statement).all()
    columns = list(statement.selected_columns.keys())
    records = with_relations(rows, columns, fields, connection.dialect)
    return {record.id: record for record in records}


def _encode_cursor(group: Group) -> str:
    return opaque.encode(json.dumps([CURSOR_KIND, group.contact_ids[0]]))


def _decode_cursor(encoded: str) -> int:
    """The lowest contact id of the group the cursor `encoded` ends at."""
    try:
        kind, contact_id = json.loads(opaque.decode(encoded))
    except (ValueError, TypeError, RecursionError):
        raise BadUserInput("`after` is not a valid cursor.") from None
    if kind != CURSOR_KIND or type(contact_id) is not int:
        raise BadUserInput("`after` is not a valid cursor.")
    if not 0 < contact_id <= MAX_ID:
        raise BadUserInput("`after` is not a valid cursor.")
    return contact_id
