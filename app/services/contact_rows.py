"""Contacts read as plain rows, for the listing's hot path.

A page of contacts is read with SQLAlchemy Core, not the ORM: nothing is
hydrated into identity-mapped, change-tracked objects that the request only
reads. The page reads the columns of the fields the caller asks for, and
the related lists it asks for come with it: on PostgreSQL as JSON arrays
that the page statement itself aggregates (one round trip for everything),
elsewhere with one statement per list for the whole page. What the caller
does not ask for is not read at all: a list is left UNLOADED, which refuses
to be read rather than pretend to be empty, and any other field UNREAD.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from operator import itemgetter
from typing import Any, NamedTuple, NoReturn

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Label,
    Select,
    Table,
    and_,
    case,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Dialect

from app.db.reads import read_connection
from app.fields import CONTACT_FIELDS, NAMING_FIELDS, with_contact_fields
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


class Unloaded(Sequence[Any]):
    """A related list the caller said it would not read. Reading it is a
    bug in the look-ahead, so it fails loudly instead of looking empty."""

    def _refuse(self, *_: object) -> NoReturn:
        raise LookupError("this related list was not loaded for the request")

    __getitem__ = __len__ = __iter__ = __contains__ = _refuse

    def __repr__(self) -> str:
        return "UNLOADED"


UNLOADED: Sequence[Any] = Unloaded()


class Unread:
    """A field of a record that the caller said it would not read."""

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD: Any = Unread()


@dataclass(slots=True)
@with_contact_fields
class ContactRecord:
    """One contact as the listing reads it: its id, the declared fields
    (app.fields, added after the id) and the rest; each list holds rows or
    items with the fields of its RelatedList."""

    id: int
    display_name: str
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    sort_first: str
    sort_last: str
    emails: Sequence[Any]
    phones: Sequence[Any]
    addresses: Sequence[Any]
    tags: Sequence[Any]


# The columns a page may read, in the order it reads them.
PAGE_COLUMNS = (
    contacts_table.c.id,
    *(contacts_table.c[field.name] for field in CONTACT_FIELDS),
    contacts_table.c.version,
    contacts_table.c.created_at,
    contacts_table.c.updated_at,
    contacts_table.c.deleted_at,
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
    columns = (contacts_table.c[name] for name in NAMING_FIELDS)
    return and_(*(func.coalesce(column, "") == "" for column in columns))


FIRST_EMAIL = case((_nameless(), _first_value(emails_table))).label("first_email")
FIRST_PHONE = case((_nameless(), _first_value(phones_table))).label("first_phone")
NAMING = (*NAMING_FIELDS, "first_email", "first_phone")
COLUMNS = {column.key: column for column in (*PAGE_COLUMNS, FIRST_EMAIL, FIRST_PHONE)}
# The record's fields read from columns of its own name, then the id and
# sort keys, which cursors need; its display name is made from NAMING.
OWN_COLUMNS = frozenset(COLUMNS) - {"first_email", "first_phone"}
ALL_FIELDS = frozenset(ContactRecord.__dataclass_fields__)


def aggregates_json(dialect: Dialect) -> bool:
    """Whether the database aggregates the related lists into the page
    statement (PostgreSQL's json_agg keeps their order; SQLite's
    json_group_array cannot be told an order before SQLite 3.44)."""
    return dialect.name == "postgresql"


def page_columns(
    query: Select[Any], fields: frozenset[str], sort_key: str, dialect: Dialect
) -> Select[Any]:
    """`query` (filtered and ordered) reading the record `fields` (the id
    and the `sort_key` column, which cursors need, whatever they are), with
    the related lists among them as JSON columns, in Relation order, where
    the database aggregates them."""
    names = {"id", sort_key, *(fields & OWN_COLUMNS)}
    if "display_name" in fields:
        names.update(NAMING)
    columns = [column for name, column in COLUMNS.items() if name in names]
    lists = []
    if aggregates_json(dialect):
        lists = [
            JSON_LISTS[relation] for relation in Relation if relation.value in fields
        ]
    return query.with_only_columns(*columns, *lists)


def with_relations(
    rows: Sequence[Sequence[Any]],
    columns: Sequence[str],
    fields: frozenset[str],
    dialect: Dialect,
) -> list[ContactRecord]:
    """The contacts `rows` (made by `page_columns` for `fields` and
    `dialect`, with these `columns`) with their related lists: from their
    JSON columns, else read with one statement per relation."""
    position = {name: index for index, name in enumerate(columns)}
    if aggregates_json(dialect):
        lists = [_from_json(relation, position) for relation in Relation]
    else:
        id_at = position["id"]
        ids = [row[id_at] for row in rows]
        lists = [_from_groups(relation, fields, ids, id_at) for relation in Relation]
    emails, phones, addresses, tags = lists
    record = _record_maker(position, fields)
    return [
        record(row, emails(row), phones(row), addresses(row), tags(row)) for row in rows
    ]


PageRow = Sequence[Any]
ListOf = Callable[[PageRow], Sequence[Any]]


def _unloaded(_: PageRow) -> Sequence[Any]:
    return UNLOADED


def _from_json(relation: Relation, positions: dict[str, int]) -> ListOf:
    """A row's `relation`, from the JSON column `page_columns` added."""
    position = positions.get(relation.value)
    if position is None:
        return _unloaded
    make = RELATED[relation].item

    def list_of(row: PageRow) -> Sequence[Any]:
        return [make(*item) for item in row[position] or ()]

    return list_of


def _from_groups(
    relation: Relation, fields: frozenset[str], ids: list[int], id_at: int
) -> ListOf:
    """A row's `relation` (its id at `id_at`), read for all the rows `ids`
    in one statement."""
    if relation.value not in fields:
        return _unloaded
    groups = _related(relation, ids) if ids else {}

    def list_of(row: PageRow) -> Sequence[Any]:
        return groups.get(row[id_at], [])

    return list_of


RecordMaker = Callable[..., ContactRecord]
# The record's fields before its lists, in the record's order.
SCALARS = tuple(ContactRecord.__dataclass_fields__)[: -len(Relation)]


def _record_maker(position: dict[str, int], fields: frozenset[str]) -> RecordMaker:
    """Makes the record of a row with these column `position`s, and its
    lists; the fields the row does not hold are UNREAD."""
    # The fields are picked from (*row, UNREAD, display name).
    unread_at, name_at = len(position), len(position) + 1
    slots = {**position, "display_name": name_at}
    scalars = itemgetter(*[slots.get(name, unread_at) for name in SCALARS])
    naming = (
        itemgetter(*[position[name] for name in NAMING])
        if "display_name" in fields
        else None
    )

    def record(
        row: PageRow,
        emails: Sequence[Any],
        phones: Sequence[Any],
        addresses: Sequence[Any],
        tags: Sequence[Any],
    ) -> ContactRecord:
        name = UNREAD if naming is None else display_name(*naming(row))
        # The scalars are SCALARS, in the record's order (mypy cannot count).
        return ContactRecord(  # type: ignore[call-arg]
            *scalars((*row, UNREAD, name)), emails, phones, addresses, tags
        )

    return record


class EmailItem(NamedTuple):
    value: str
    label: str | None
    primary: bool


class PhoneItem(NamedTuple):
    value: str
    label: str | None
    primary: bool


class AddressItem(NamedTuple):
    label: str | None
    street: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None


class TagItem(NamedTuple):
    id: int
    name: str


@dataclass(frozen=True)
class RelatedList:
    """Where a related list lives and how it is ordered (as the ORM
    relationship orders it); `fields` are the columns of `item`."""

    source: FromClause
    contact_id: ColumnElement[int]
    fields: tuple[ColumnElement[Any], ...]
    order: ColumnElement[Any]
    item: Callable[..., Any]

    def per_page(self, ids: list[int]) -> Select[Any]:
        """The list's rows for the contacts `ids`, by contact."""
        return (
            select(self.contact_id, *self.fields)
            .select_from(self.source)
            .where(self.contact_id.in_(ids))
            .order_by(self.contact_id, self.order)
        )

    def as_json(self, name: str) -> Label[Any]:
        """A column of the page: the contact's list as a JSON array of
        arrays (null when empty), on PostgreSQL."""
        items = aggregate_order_by(func.json_build_array(*self.fields), self.order)
        return (
            select(func.json_agg(items))
            .select_from(self.source)
            .where(self.contact_id == contacts_table.c.id)
            .correlate(contacts_table)
            .scalar_subquery()
            .label(name)
        )


def _child_list(table: Table, item: type[NamedTuple]) -> RelatedList:
    return RelatedList(
        source=table,
        contact_id=table.c.contact_id,
        fields=tuple(table.c[name] for name in item._fields),
        order=table.c.position,
        item=item,
    )


RELATED = {
    Relation.EMAILS: _child_list(emails_table, EmailItem),
    Relation.PHONES: _child_list(phones_table, PhoneItem),
    Relation.ADDRESSES: _child_list(addresses_table, AddressItem),
    Relation.TAGS: RelatedList(
        source=contact_tags_table.join(
            tags_table, tags_table.c.id == contact_tags_table.c.tag_id
        ),
        contact_id=contact_tags_table.c.contact_id,
        fields=(tags_table.c.id, tags_table.c.name),
        order=tags_table.c.name_key,
        item=TagItem,
    ),
}
JSON_LISTS = {
    relation: RELATED[relation].as_json(relation.value) for relation in Relation
}


def _related(relation: Relation, ids: list[int]) -> dict[int, list[Any]]:
    """The relation's rows of the contacts `ids`, grouped by contact."""
    rows = read_connection().execute(RELATED[relation].per_page(ids))
    groups: defaultdict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row.contact_id].append(row)
    return groups
