"""Listing a user's contacts: filters, orderings and keyset pagination.

Cursors are opaque to clients: URL-safe base64 of `[ordering, key, id]`. Each
page is found with a row-value comparison on an index `(user_id, key, id)`,
never OFFSET, so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Exists,
    Integer,
    Label,
    Select,
    bindparam,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute

from app.db.compiled_reads import CompiledRead
from app.db.reads import read_connection
from app.errors import BadUserInput
from app.extensions import db
from app.models import Contact, Tag, contact_tags
from app.services import opaque
from app.services.contact_rows import (
    ALL_FIELDS,
    ContactRecord,
    contacts_table,
    page_columns,
    with_relations,
)
from app.services.contacts import MAX_ID
from app.services.text import unusable_characters

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
FILTER_TEXT_MAX_LENGTH = 200
PHONE_LIKE = re.compile(r"^[\d\s()+./-]+$")
MIN_PHONE_DIGITS = 3


class OrderField(Enum):
    FIRST_NAME = "FIRST_NAME"
    LAST_NAME = "LAST_NAME"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"

    @property
    def column(self) -> InstrumentedAttribute[Any]:
        return ORDER_COLUMNS[self]

    @property
    def is_time(self) -> bool:
        return self in (OrderField.CREATED_AT, OrderField.UPDATED_AT)


ORDER_COLUMNS = {
    OrderField.FIRST_NAME: Contact.sort_first,
    OrderField.LAST_NAME: Contact.sort_last,
    OrderField.CREATED_AT: Contact.created_at,
    OrderField.UPDATED_AT: Contact.updated_at,
}


@dataclass(frozen=True)
class ContactOrder:
    field: OrderField = OrderField.LAST_NAME
    descending: bool = False


@dataclass(frozen=True)
class ContactFilter:
    search: str | None = None
    tag: str | None = None
    favorite: bool | None = None
    updated_since: datetime | None = None


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass
class ContactPage:
    contacts: list[ContactRecord]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    count_matches: Callable[[], int] = field(repr=False)


@dataclass(frozen=True)
class Cursor:
    """A position in one ordering: the row's sort key, then its id."""

    order: OrderField
    key: Any
    id: int

    def encode(self) -> str:
        return encode_cursor(self.order, self.key, self.id)

    @classmethod
    def decode(cls, encoded: str, order: OrderField, argument: str) -> Cursor:
        invalid = BadUserInput(f"`{argument}` is not a valid cursor.")
        try:
            name, raw_key, row_id = json.loads(opaque.decode(encoded))
            cursor_order = OrderField(name)
        except (ValueError, TypeError, RecursionError):
            # RecursionError: JSON nested past the recursion limit.
            raise invalid from None
        if cursor_order is not order:
            raise BadUserInput(
                f"`{argument}` is a cursor for another orderBy; start again without it."
            )
        key = _cursor_key(raw_key, order)
        if key is None or type(row_id) is not int or not 0 < row_id <= MAX_ID:
            raise invalid
        return cls(order, key, row_id)


COMPACT_JSON = json.JSONEncoder(separators=(",", ":")).encode


def compact_json(value: Any) -> bytes:
    """`COMPACT_JSON(value)` as bytes, from orjson where the two agree: on
    printable ASCII. The standard encoder escapes the rest (and DEL), and
    takes what orjson refuses (a lone surrogate)."""
    with suppress(TypeError):
        encoded = orjson.dumps(value)
        if encoded.isascii() and b"\x7f" not in encoded:
            return encoded
    return COMPACT_JSON(value).encode()


def encode_cursor(order: OrderField, key: Any, row_id: int) -> str:
    """What `Cursor(order, key, row_id).encode()` gives, without the object
    (a page encodes a cursor for each of its rows)."""
    if isinstance(key, datetime):
        key = key.isoformat()
    return opaque.encode_bytes(compact_json([order.value, key, row_id]))


def cursors_of(records: list[ContactRecord], order: OrderField) -> list[str]:
    key = order.column.key
    return [encode_cursor(order, getattr(record, key), record.id) for record in records]


def _cursor_key(raw: Any, order: OrderField) -> str | datetime | None:
    """The sort key a cursor carries, or None when no row could have it: text
    a database can take (no NUL, no lone surrogate: `unusable_characters`),
    or an aware time that UTC can hold. Values a database would choke on
    must be BAD_USER_INPUT, not a crash."""
    if not isinstance(raw, str) or unusable_characters(raw) is not None:
        return None
    if not order.is_time:
        return raw
    try:
        key = datetime.fromisoformat(raw)
        return key.astimezone(UTC) if key.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def page_size(name: str, value: int | None) -> int | None:
    if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
        raise BadUserInput(f"`{name}` must be between 0 and {MAX_PAGE_SIZE}.")
    return value


def _cursor(encoded: str | None, order: OrderField, argument: str) -> Cursor | None:
    """The decoded cursor; an empty string is malformed, not "no cursor"."""
    return None if encoded is None else Cursor.decode(encoded, order, argument)


def list_contacts(
    user_id: int,
    page: PageRequest,
    filter: ContactFilter | None = None,
    order: ContactOrder | None = None,
    fields: frozenset[str] = ALL_FIELDS,
) -> ContactPage:
    """One page of the user's contacts that match `filter`, in `order`: the
    records hold the `fields` (ContactRecord's names; the id and sort keys
    always) and leave the others UNREAD, or UNLOADED for related lists."""
    order = order or ContactOrder()
    first = page_size("first", page.first)
    last = page_size("last", page.last)
    if first is not None and last is not None:
        raise BadUserInput("Give `first` or `last`, not both.")
    after = _cursor(page.after, order.field, "after")
    before = _cursor(page.before, order.field, "before")
    criteria = Criteria.of(filter or ContactFilter())

    backward = last is not None
    if last is not None:
        size = last
    else:
        size = first if first is not None else DEFAULT_PAGE_SIZE
    shape = PageShape(
        criteria=criteria.shape,
        order=order,
        backward=backward,
        after=after is not None,
        before=before is not None,
        fields=fields & ALL_FIELDS,
    )
    values = {
        **criteria.values(user_id),
        **_cursor_values(AFTER, after),
        **_cursor_values(BEFORE, before),
        LIMIT: size + 1,
    }
    connection = read_connection()
    read = _page_statement(shape, connection.dialect)
    rows = read.rows(connection, values)
    # As Relay's spec has it: a page cut short, or rows on the far side of
    # `after` / `before` (the cursor's own row included), mean more pages.
    more = len(rows) > size
    has_previous = (backward and more) or (
        after is not None and _matches_beyond(read, rows, shape, AFTER, values)
    )
    has_next = (not backward and more) or (
        before is not None and _matches_beyond(read, rows, shape, BEFORE, values)
    )
    rows = rows[:size]
    if backward:
        rows.reverse()
    records = with_relations(rows, read.columns, shape.fields, connection.dialect)

    def count_matches() -> int:
        matches = matching(criteria.shape).subquery()
        statement = select(func.count()).select_from(matches)
        return db.session.scalar(statement, criteria.values(user_id)) or 0

    return ContactPage(
        contacts=records,
        cursors=cursors_of(records, order.field),
        has_next_page=has_next,
        has_previous_page=has_previous,
        count_matches=count_matches,
    )


# The names of the parameters the listing's statements are bound to.
USER_ID = "user_id"
PATTERN = "pattern_{}"
TAG_KEY = "tag_key"
FAVORITE = "favorite"
UPDATED_SINCE = "updated_since"
AFTER = "after"
BEFORE = "before"
LIMIT = "limit"


@dataclass(frozen=True)
class FilterShape:
    """Which conditions a filter puts in the statement, not their values:
    statements are built and compiled once per shape."""

    patterns: int = 0
    tag: bool = False
    favorite: bool = False
    updated_since: bool = False


@dataclass(frozen=True)
class Criteria:
    """A filter, checked and ready to bind: the LIKE patterns on the search
    text (a contact matches any of them), the tag's key, and the rest."""

    patterns: tuple[str, ...] = ()
    tag_key: str | None = None
    favorite: bool | None = None
    updated_since: datetime | None = None

    @classmethod
    def of(cls, filter: ContactFilter) -> Criteria:
        search = _filter_text(filter.search, "search")
        tag = _filter_text(filter.tag, "tag")
        return cls(
            patterns=_search_patterns(search) if search else (),
            tag_key=tag.casefold() if tag else None,
            favorite=filter.favorite,
            updated_since=(
                _since(filter.updated_since)
                if filter.updated_since is not None
                else None
            ),
        )

    @property
    def shape(self) -> FilterShape:
        return FilterShape(
            patterns=len(self.patterns),
            tag=self.tag_key is not None,
            favorite=self.favorite is not None,
            updated_since=self.updated_since is not None,
        )

    def values(self, user_id: int) -> dict[str, Any]:
        """The parameters of `matching(self.shape)` for `user_id`."""
        values: dict[str, Any] = {USER_ID: user_id}
        for index, pattern in enumerate(self.patterns):
            values[PATTERN.format(index)] = pattern
        if self.tag_key is not None:
            values[TAG_KEY] = self.tag_key
        if self.favorite is not None:
            values[FAVORITE] = self.favorite
        if self.updated_since is not None:
            values[UPDATED_SINCE] = self.updated_since
        return values


@dataclass(frozen=True)
class PageShape:
    """Everything that decides the text of a page's statement."""

    criteria: FilterShape
    order: ContactOrder
    backward: bool
    after: bool
    before: bool
    fields: frozenset[str]


def matching(shape: FilterShape) -> Select[int]:
    """The ids of the user's contacts that match a filter of `shape`, with
    the parameters `Criteria.values` gives."""
    # `deleted_at IS NULL`, as the partial indexes say it: not in the trash.
    query = select(Contact.id).where(
        Contact.user_id == bindparam(USER_ID), Contact.deleted_at.is_(None)
    )
    if shape.patterns:
        query = query.where(
            or_(
                *(
                    Contact.search_text.like(
                        bindparam(PATTERN.format(index)), escape="\\"
                    )
                    for index in range(shape.patterns)
                )
            )
        )
    if shape.tag:
        query = query.where(_tagged())
    if shape.favorite:
        query = query.where(
            contacts_table.c.favorite == bindparam(FAVORITE, type_=Boolean)
        )
    if shape.updated_since:
        query = query.where(
            Contact.updated_at
            >= bindparam(UPDATED_SINCE, type_=Contact.updated_at.type)
        )
    return query


@lru_cache(maxsize=512)
def _page_statement(shape: PageShape, dialect: Dialect) -> CompiledRead:
    """The page statement of `shape`, compiled for `dialect`, once. With a
    cursor it also says whether any match lies on the cursor's far side
    (`_beyond_column`), so that a deep page needs no statement more."""
    window = matching(shape.criteria)
    if shape.after:
        window = window.where(_beyond(AFTER, shape.order, forward=True))
    if shape.before:
        window = window.where(_beyond(BEFORE, shape.order, forward=False))
    descending = shape.order.descending != shape.backward
    query = window.order_by(*_sort(shape.order.field, descending))
    sort_key = shape.order.field.column.key
    statement = page_columns(query, shape.fields, sort_key, dialect).limit(
        bindparam(LIMIT, type_=Integer)
    )
    if shape.after:
        statement = statement.add_columns(_beyond_column(shape, AFTER))
    if shape.before:
        statement = statement.add_columns(_beyond_column(shape, BEFORE))
    return CompiledRead.of(statement, dialect)


def _beyond_column(shape: PageShape, prefix: str) -> Label[bool]:
    """`_any_beyond` as a column of the page: an uncorrelated EXISTS, which
    PostgreSQL evaluates once for the whole page."""
    return _any_beyond(shape, prefix).label(f"{prefix}_beyond")


def _any_beyond(shape: PageShape, prefix: str) -> Exists:
    """Whether any match lies before the `after` cursor or after the
    `before` one (`prefix`), the cursor's own row included."""
    beyond = _beyond(prefix, shape.order, forward=prefix == BEFORE, inclusive=True)
    return matching(shape.criteria).where(beyond).correlate(None).exists()


def _matches_beyond(
    read: CompiledRead,
    rows: list[Sequence[Any]],
    shape: PageShape,
    prefix: str,
    values: dict[str, Any],
) -> bool:
    """The page's `_beyond_column` for the cursor at `prefix`; for an empty
    page, which has no row to carry it, asked with a statement of its own
    (the page's `values` bind it)."""
    if rows:
        return bool(rows[0][read.columns.index(f"{prefix}_beyond")])
    return bool(db.session.scalar(select(_any_beyond(shape, prefix)), values))


def _cursor_values(prefix: str, cursor: Cursor | None) -> dict[str, Any]:
    if cursor is None:
        return {}
    return {f"{prefix}_key": cursor.key, f"{prefix}_id": cursor.id}


def _since(moment: datetime) -> datetime:
    """`moment` in UTC (a naive one is taken as UTC); BAD_USER_INPUT when UTC
    cannot hold it (year 1 with a positive offset, year 9999 with a negative)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadUserInput("`updatedSince` is out of range.") from None


def _filter_text(value: str | None, argument: str) -> str | None:
    """The trimmed text of a filter argument, None when blank. Too long, or
    with characters no database can compare, is BAD_USER_INPUT."""
    if value is None:
        return None
    if len(value) > FILTER_TEXT_MAX_LENGTH:
        raise BadUserInput(
            f"`{argument}` must be at most {FILTER_TEXT_MAX_LENGTH} characters."
        )
    unusable = unusable_characters(value)
    if unusable is not None:
        raise BadUserInput(f"`{argument}` must not contain {unusable}.")
    return value.strip() or None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_patterns(text: str) -> tuple[str, ...]:
    """LIKE patterns for a case-insensitive substring match on the
    searchable fields (app.fields), emails and phones.

    `%` and `_` match themselves. Text that looks like a phone number also
    matches by its digits alone, so "(650) 253-0000" finds +16502530000.
    """
    needle = text.casefold()
    patterns = [f"%{_escape_like(needle)}%"]
    digits = re.sub(r"\D", "", needle)
    if PHONE_LIKE.match(needle) and len(digits) >= MIN_PHONE_DIGITS:
        patterns.append(f"%{digits}%")
    return tuple(patterns)


def _tagged() -> ColumnElement[bool]:
    return exists().where(
        contact_tags.c.contact_id == Contact.id,
        contact_tags.c.tag_id == Tag.id,
        Tag.user_id == bindparam(USER_ID),
        Tag.name_key == bindparam(TAG_KEY),
    )


def _sort(order: OrderField, descending: bool) -> list[ColumnElement[Any]]:
    columns = [order.column, Contact.id]
    return [column.desc() if descending else column.asc() for column in columns]


def _beyond(
    prefix: str, order: ContactOrder, *, forward: bool, inclusive: bool = False
) -> ColumnElement[bool]:
    """Rows after the cursor bound to `prefix` in reading order (forward)
    or before it."""
    column = order.field.column
    row = tuple_(column, Contact.id)
    position = tuple_(
        bindparam(f"{prefix}_key", type_=column.type),
        bindparam(f"{prefix}_id", type_=Integer),
    )
    ascending = forward != order.descending
    if ascending:
        return row >= position if inclusive else row > position
    return row <= position if inclusive else row < position
