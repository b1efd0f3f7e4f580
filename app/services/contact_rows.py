"""Contacts read as plain rows, for the listing's hot path.

A page of contacts is read with SQLAlchemy Core, not the ORM: nothing is
hydrated into identity-mapped, change-tracked objects that the request only
reads. Each related list the caller asks for costs one statement for the
whole page, and a list it does not ask for costs none: it is left UNLOADED,
which refuses to be read rather than pretend to be empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, NoReturn

from sqlalchemy import Row, Select, Table, and_, case, func, select

from app.extensions import db
from app.models import (
    Contact,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    Tag,
    display_name,
)
from app.models import contact_tags as contact_tags_table

contacts_table: Table = Contact.__table__  # type: ignore[assignment]
emails_table: Table = EmailAddress.__table__  # type: ignore[assignment]
phones_table: Table = PhoneNumber.__table__  # type: ignore[assignment]
addresses_table: Table = PostalAddress.__table__  # type: ignore[assignment]
tags_table: Table = Tag.__table__  # type: ignore[assignment]


class Relation(Enum):
    """A contact's related lists, by their field name."""

    EMAILS = "emails"
    PHONES = "phones"
    ADDRESSES = "addresses"
    TAGS = "tags"


ALL_RELATIONS = frozenset(Relation)


class Unloaded(Sequence[Any]):
    """A related list the caller said it would not read. Reading it is a
    bug in the look-ahead, so it fails loudly instead of looking empty."""

    def _refuse(self, *_: object) -> NoReturn:
        raise LookupError("this related list was not loaded for the request")

    __getitem__ = __len__ = __iter__ = __contains__ = _refuse

    def __repr__(self) -> str:
        return "UNLOADED"


UNLOADED: Sequence[Any] = Unloaded()


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One contact as the listing reads it; lists hold Core rows."""

    id: int
    first_name: str | None
    last_name: str | None
    display_name: str
    company: str | None
    job_title: str | None
    birthday: date | None
    notes: str | None
    favorite: bool
    version: int
    created_at: datetime
    updated_at: datetime
    sort_first: str
    sort_last: str
    emails: Sequence[Row[Any]]
    phones: Sequence[Row[Any]]
    addresses: Sequence[Row[Any]]
    tags: Sequence[Row[Any]]


PAGE_COLUMNS = (
    contacts_table.c.id,
    contacts_table.c.first_name,
    contacts_table.c.last_name,
    contacts_table.c.company,
    contacts_table.c.job_title,
    contacts_table.c.birthday,
    contacts_table.c.notes,
    contacts_table.c.favorite,
    contacts_table.c.version,
    contacts_table.c.created_at,
    contacts_table.c.updated_at,
    contacts_table.c.sort_first,
    contacts_table.c.sort_last,
)


def _first_value(table: Table) -> Any:
    """The contact's first email or phone: read by the database only for
    contacts with neither name nor company, whose display name it is."""
    return (
        select(table.c.value)
        .where(table.c.contact_id == contacts_table.c.id)
        .order_by(table.c.position)
        .limit(1)
        .scalar_subquery()
    )


def _nameless() -> Any:
    columns = (
        contacts_table.c.first_name,
        contacts_table.c.last_name,
        contacts_table.c.company,
    )
    return and_(*(func.coalesce(column, "") == "" for column in columns))


FIRST_EMAIL = case((_nameless(), _first_value(emails_table))).label("first_email")
FIRST_PHONE = case((_nameless(), _first_value(phones_table))).label("first_phone")


def page_columns(query: Select[Any]) -> Select[Any]:
    """`query` (filtered and ordered) reading what a ContactRecord needs."""
    return query.with_only_columns(*PAGE_COLUMNS, FIRST_EMAIL, FIRST_PHONE)


def read_rows(query: Select[Any]) -> list[Row[Any]]:
    """The rows of `query`, made by `page_columns`."""
    return list(db.session.connection().execute(query))


def with_relations(
    rows: list[Row[Any]], relations: frozenset[Relation]
) -> list[ContactRecord]:
    """The contacts `rows` with `relations` loaded: one statement each."""
    ids = [row.id for row in rows]
    lists = {
        relation: _related(relation, ids) if relation in relations and ids else {}
        for relation in Relation
    }
    return [_record(row, lists, relations) for row in rows]


def _record(
    row: Row[Any],
    lists: dict[Relation, dict[int, list[Row[Any]]]],
    relations: frozenset[Relation],
) -> ContactRecord:
    def related(relation: Relation) -> Sequence[Row[Any]]:
        if relation not in relations:
            return UNLOADED
        return lists[relation].get(row.id, [])

    return ContactRecord(
        id=row.id,
        first_name=row.first_name,
        last_name=row.last_name,
        display_name=display_name(
            row.first_name, row.last_name, row.company, row.first_email, row.first_phone
        ),
        company=row.company,
        job_title=row.job_title,
        birthday=row.birthday,
        notes=row.notes,
        favorite=row.favorite,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sort_first=row.sort_first,
        sort_last=row.sort_last,
        emails=related(Relation.EMAILS),
        phones=related(Relation.PHONES),
        addresses=related(Relation.ADDRESSES),
        tags=related(Relation.TAGS),
    )


def _related(relation: Relation, ids: list[int]) -> dict[int, list[Row[Any]]]:
    """The relation's rows of the contacts `ids`, grouped by contact, each
    group in the order the ORM relationship has."""
    query = RELATED_QUERIES[relation].where(_contact_id(relation).in_(ids))
    return _grouped(db.session.connection().execute(query))


def _contact_id(relation: Relation) -> Any:
    if relation is Relation.TAGS:
        return contact_tags_table.c.contact_id
    return CHILD_TABLES[relation].c.contact_id


def _grouped(rows: Iterable[Row[Any]]) -> dict[int, list[Row[Any]]]:
    groups: defaultdict[int, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        groups[row.contact_id].append(row)
    return groups


CHILD_TABLES = {
    Relation.EMAILS: emails_table,
    Relation.PHONES: phones_table,
    Relation.ADDRESSES: addresses_table,
}


def _child_query(table: Table, *names: str) -> Select[Any]:
    return select(table.c.contact_id, *(table.c[name] for name in names)).order_by(
        table.c.contact_id, table.c.position
    )


RELATED_QUERIES: dict[Relation, Select[Any]] = {
    Relation.EMAILS: _child_query(emails_table, "value", "label", "primary"),
    Relation.PHONES: _child_query(phones_table, "value", "label", "primary"),
    Relation.ADDRESSES: _child_query(
        addresses_table, "label", "street", "city", "region", "postal_code", "country"
    ),
    Relation.TAGS: select(
        contact_tags_table.c.contact_id, tags_table.c.id, tags_table.c.name
    )
    .join(tags_table, tags_table.c.id == contact_tags_table.c.tag_id)
    .order_by(contact_tags_table.c.contact_id, tags_table.c.name_key),
}


def relations_named(names: Iterator[str] | Iterable[str]) -> frozenset[Relation]:
    """The relations among field `names` (other names are ignored)."""
    by_name = {relation.value: relation for relation in Relation}
    return frozenset(by_name[name] for name in names if name in by_name)
