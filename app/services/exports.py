"""Export: an account's live contacts (never the trash), ordered by id, as
the `ContactData` the writers of app/formats take, read a chunk at a time.

Memory stays flat however large the address book: a chunk of
`EXPORT_CHUNK_SIZE` contacts is read by keyset pagination on the id (the
contacts after the last one of the previous chunk, through the index
(user_id, id) of live contacts, migration 0010), and each of its
related lists (emails, phones, addresses, tags) by one statement for the
whole chunk, never one per contact. Only the chunk being written is in
memory, and only the text of one chunk is waiting to be sent.

Connections (app/db): each chunk's five statements run on one pooled
autocommit connection, taken for that chunk and given back before the
chunk is written out (`reading_a_query`). A slow client therefore holds no
connection while it reads, at the price of one pool checkout per chunk;
a server-side cursor would hold one for the whole download. As in the
API's own listing (READ COMMITTED, a snapshot per statement), a contact
changed while an export runs is written as its chunk found it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import Connection, Select, bindparam

from app.db.reads import read_connection, reading_a_query
from app.errors import BadUserInput
from app.fields import CONTACT_FIELDS
from app.formats.csv_formats import write_csv
from app.formats.record import ContactData
from app.formats.vcard import write_vcard
from app.services.contact_input import AddressInput, EmailInput, PhoneInput
from app.services.contact_queries import (
    ContactFilter,
    Criteria,
    FilterShape,
    matching,
)
from app.services.contact_rows import RELATED, Relation, contacts_table

DEFAULT_CHUNK_SIZE = 500
VCARD_VERSIONS = ("4.0", "3.0")  # the default first
# The text handed on at a time (to the response, to a file): large enough
# that sending is not a write per contact, small enough to stay flat.
TEXT_BATCH = 64 * 1024  # characters
# The statement's parameters besides those of `Criteria.values`.
AFTER = "export_after"
LIMIT = "export_limit"
FIELD_NAMES = tuple(field.name for field in CONTACT_FIELDS)


class ExportFormat(Enum):
    VCARD = "vcard"
    CSV = "csv"


@dataclass(frozen=True)
class Export:
    """One export: which contacts, written how. `tag` is the tag asked for,
    trimmed (None for every contact), for the file's name."""

    selection: Selection
    format: ExportFormat
    version: str
    tag: str | None

    @classmethod
    def of(
        cls,
        user_id: int,
        format: ExportFormat,
        version: str | None = None,
        tag: str | None = None,
    ) -> Export:
        """BadUserInput for a vCard version other than 4.0 (the default)
        and 3.0, or a tag no filter could take; checked before anything is
        read or written. A CSV has no version."""
        version = VCARD_VERSIONS[0] if version is None else version
        if format is ExportFormat.VCARD and version not in VCARD_VERSIONS:
            raise BadUserInput("`version` must be 4.0 or 3.0.")
        selection = Selection.of(user_id, tag)
        return cls(selection, format, version, (tag or "").strip() or None)

    def text(self) -> Iterator[str]:
        """The file, in pieces of about TEXT_BATCH characters: nothing at
        all for a vCard file of no contacts, the header row for a CSV."""
        contacts = self.selection.contacts()
        if self.format is ExportFormat.CSV:
            return batched(write_csv(contacts))
        return batched(write_vcard(contact, self.version) for contact in contacts)


def batched(pieces: Iterable[str], size: int = TEXT_BATCH) -> Iterator[str]:
    """`pieces` joined into strings of at least `size` characters (the
    last one shorter)."""
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer)
            buffer.clear()
            length = 0
    if buffer:
        yield "".join(buffer)


@dataclass(frozen=True)
class Selection:
    """Which contacts an export writes: `user_id`'s live ones, those
    carrying the tag of `criteria` (ignoring case) when it names one."""

    user_id: int
    criteria: Criteria
    chunk_size: int

    @classmethod
    def of(cls, user_id: int, tag: str | None = None) -> Selection:
        """BadUserInput for a tag no filter could take (too long, a NUL),
        as `contacts(filter: {tag})` answers; checked now, before anything
        is streamed. A blank tag selects every contact."""
        size = int(current_app.config.get("EXPORT_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))
        return cls(user_id, Criteria.of(ContactFilter(tag=tag)), size)

    def chunks(self) -> Iterator[list[ContactData]]:
        """The contacts, a chunk at a time, each read on a connection of
        its own that is given back before the chunk is yielded."""
        statement = _chunk_statement(self.criteria.shape)
        values = {**self.criteria.values(self.user_id), LIMIT: self.chunk_size}
        after = 0
        while True:
            with reading_a_query():
                connection = read_connection()
                rows = connection.execute(statement, {**values, AFTER: after}).all()
                chunk = _with_lists(connection, rows)
            if chunk:
                yield chunk
            if len(rows) < self.chunk_size:
                return
            after = rows[-1][0]

    def contacts(self) -> Iterator[ContactData]:
        for chunk in self.chunks():
            yield from chunk


@lru_cache(maxsize=8)
def _chunk_statement(shape: FilterShape) -> Select[Any]:
    """The id and declared fields of the next chunk: the listing's own
    condition of a filter of `shape` (live contacts of the user, tagged),
    after the id AFTER, by id."""
    return (
        matching(shape)
        .with_only_columns(
            contacts_table.c.id, *(contacts_table.c[name] for name in FIELD_NAMES)
        )
        .where(contacts_table.c.id > bindparam(AFTER))
        .order_by(contacts_table.c.id)
        .limit(bindparam(LIMIT))
    )


def _with_lists(connection: Connection, rows: Sequence[Any]) -> list[ContactData]:
    """The contacts of `rows` with their lists, one statement per list."""
    ids = [row[0] for row in rows]
    if not ids:
        return []
    lists = {relation: _grouped(connection, relation, ids) for relation in Relation}
    emails, phones, addresses, tags = (lists[relation] for relation in Relation)
    return [
        ContactData(
            fields=dict(zip(FIELD_NAMES, row[1:], strict=True)),
            emails=[EmailInput(*item) for item in emails[row[0]]],
            phones=[PhoneInput(*item) for item in phones[row[0]]],
            addresses=[AddressInput(*item) for item in addresses[row[0]]],
            tags=[tag.name for tag in tags[row[0]]],
        )
        for row in rows
    ]


def _grouped(
    connection: Connection, relation: Relation, ids: list[int]
) -> defaultdict[int, list[Any]]:
    """The `relation` items of the contacts `ids` (in the order the API
    shows them), by contact id."""
    related = RELATED[relation]
    groups: defaultdict[int, list[Any]] = defaultdict(list)
    for row in connection.execute(related.per_page(ids)):
        groups[row[0]].append(related.item(*row[1:]))
    return groups
