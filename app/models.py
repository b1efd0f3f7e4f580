"""Typed SQLAlchemy models: the state, and the invariants the database keeps.

Case-insensitive uniqueness (account email, tag name) is enforced through a
lower-cased `*_key` column with an ordinary unique constraint, which behaves
the same on SQLite and PostgreSQL and which Alembic can compare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    DDL,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from app.extensions import Base
from app.fields import (
    CONTACT_FIELDS,
    FALLBACK_FIELDS,
    NAME_FIELDS,
    NAMING_FIELDS,
    SEARCH_NAME_FIELDS,
    SEARCH_OTHER_FIELDS,
    ContactField,
    Kind,
)
from app.services.matching import (
    EMAIL_KEY_LENGTH,
    NAME_KEY_LENGTH,
    email_key,
    name_key,
)

SORT_KEY_LENGTH = 200
# Case-folding can make text up to three times longer ("ß" -> "ss", "ŉ" ->
# "ʼn"), so the `*_key` columns hold three times the input's maximum.
CASEFOLD_GROWTH = 3
USER_AGENT_MAX_LENGTH = 255


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on every database.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are
    stored as naive UTC and made aware again when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254 * CASEFOLD_GROWTH), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


contact_tags = Table(
    "contact_tags",
    Base.metadata,
    Column(
        "contact_id",
        ForeignKey("contacts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "tag_id",
        ForeignKey("tags.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


# The condition of the partial indexes of live contacts, and of the trash's.
LIVE_CONDITION = text("deleted_at IS NULL")
LIVE: dict[str, Any] = {
    "postgresql_where": LIVE_CONDITION,
    "sqlite_where": LIVE_CONDITION,
}
TRASHED_CONDITION = text("deleted_at IS NOT NULL")
TRASHED: dict[str, Any] = {
    "postgresql_where": TRASHED_CONDITION,
    "sqlite_where": TRASHED_CONDITION,
}


class ContactFields:
    """The columns of the contact's declared fields (app.fields), one per
    `ContactField`: declarative copies a mixin's columns into the table."""


def _sql_type(field: ContactField) -> TypeEngine[Any]:
    if field.kind is Kind.TEXT:
        return String(field.max_length)
    if field.kind is Kind.LONG_TEXT:
        return Text()
    if field.kind is Kind.DATE:
        return Date()
    return Boolean()


def _column(field: ContactField) -> MappedColumn[Any]:
    return mapped_column(
        _sql_type(field), nullable=field.nullable, default=field.default
    )


for _field in CONTACT_FIELDS:
    setattr(ContactFields, _field.name, _column(_field))


class Contact(ContactFields, Base):
    """A contact; its declared fields (first_name, company, …) are the
    columns ContactFields adds, read with getattr where code is generic."""

    __tablename__ = "contacts"
    # The listing's indexes hold live contacts only (partial: `WHERE
    # deleted_at IS NULL`, which every read of live contacts says), so the
    # trash costs the hot path nothing (migration 0007); the trash has its
    # own, for its newest-deletion-first pages and the daily purge.
    __table_args__ = (
        Index("ix_contacts_user_sort_last", "user_id", "sort_last", "id", **LIVE),
        Index("ix_contacts_user_sort_first", "user_id", "sort_first", "id", **LIVE),
        Index("ix_contacts_user_created", "user_id", "created_at", "id", **LIVE),
        Index("ix_contacts_user_updated", "user_id", "updated_at", "id", **LIVE),
        # The export's chunks: one user's live contacts by id (migration 0010).
        Index("ix_contacts_user_id", "user_id", "id", **LIVE),
        Index("ix_contacts_user_favorite", "user_id", "favorite", **LIVE),
        Index("ix_contacts_user_trash", "user_id", "deleted_at", "id", **TRASHED),
        # `duplicateContacts`: one user's live contacts grouped by name key
        # (migration 0008), read from the index alone.
        Index("ix_contacts_user_name_key", "user_id", "name_key", **LIVE),
        # `upcomingBirthdays`: one range (two across the year's end) of the
        # birthday's month and day, within one user's contacts.
        Index("ix_contacts_user_birthday", "user_id", "birthday_md"),
        # `search` (user_id = ? AND search_text LIKE '%…%'): on PostgreSQL a
        # GIN index of both columns finds one user's matches by trigram
        # (extensions: the "before_create" hook below). SQLite scans.
        Index(
            "ix_contacts_user_search_trgm",
            "user_id",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            postgresql_where=LIVE_CONDITION,
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The declared fields' columns come from ContactFields (app.fields).
    # Derived columns, rewritten by `refresh_derived` on every change: the
    # case-folded sort keys, the text that `search` matches against, and the
    # birthday's month and day.
    sort_first: Mapped[str] = mapped_column(String(SORT_KEY_LENGTH), default="")
    sort_last: Mapped[str] = mapped_column(String(SORT_KEY_LENGTH), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The birthday's month and day, `birthday_key` (null without a birthday).
    birthday_md: Mapped[int | None] = mapped_column(Integer)
    # The name as duplicates are found by (`matching.name_key`; null
    # without a first or last name).
    name_key: Mapped[str | None] = mapped_column(String(NAME_KEY_LENGTH))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while the contact is in the trash: invisible to every read but
    # the trash's, until restored or purged (app/services/trash.py).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    emails: Mapped[list[EmailAddress]] = relationship(
        order_by="EmailAddress.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    phones: Mapped[list[PhoneNumber]] = relationship(
        order_by="PhoneNumber.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    addresses: Mapped[list[PostalAddress]] = relationship(
        order_by="PostalAddress.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary=contact_tags, order_by="Tag.name_key", passive_deletes=True
    )

    # SQLAlchemy adds `WHERE version = <old>` to every UPDATE and raises
    # StaleDataError when another transaction got there first.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read by SQLAlchemy)

    @property
    def display_name(self) -> str:
        return display_name(
            *(getattr(self, name) for name in NAMING_FIELDS),
            self.emails[0].value if self.emails else None,
            self.phones[0].value if self.phones else None,
        )

    def refresh_derived(self) -> None:
        """Recompute the sort keys, search text, birthday key and name key
        from the contact's fields."""
        values = {field.name: getattr(self, field.name) for field in CONTACT_FIELDS}
        derived = derived_values(
            values,
            [email.value for email in self.emails],
            [phone.value for phone in self.phones],
        )
        for name, value in derived.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        return f"<Contact {self.id} v{self.version}>"


# The search index needs two extensions that ship with PostgreSQL (trusted,
# so the database owner may create them): `create_all` makes them first, as
# migration 0002 does.
for extension in ("pg_trgm", "btree_gin"):
    event.listen(
        Contact.__table__,
        "before_create",
        DDL(  # type: ignore[no-untyped-call]  # SQLAlchemy leaves DDL untyped
            f"CREATE EXTENSION IF NOT EXISTS {extension}"
        ).execute_if(dialect="postgresql"),
    )


# The columns a contact's own values derive, in the order `derived_values`
# gives them: every writer (the model, batches, seeding) stores all of them.
DERIVED_COLUMNS = ("sort_first", "sort_last", "search_text", "birthday_md", "name_key")


def derived_values(
    values: Mapping[str, Any], emails: Sequence[str], phones: Sequence[str]
) -> dict[str, Any]:
    """Every DERIVED_COLUMNS value of a contact with these field `values`
    (by name; a field left out is empty), email and phone values."""
    sort_first, sort_last, search_text = derived_columns(values, emails, phones)
    return {
        "sort_first": sort_first,
        "sort_last": sort_last,
        "search_text": search_text,
        "birthday_md": birthday_key(values.get("birthday")),
        "name_key": name_key(values),
    }


def derived_columns(
    values: Mapping[str, Any], emails: Sequence[str], phones: Sequence[str]
) -> tuple[str, str, str]:
    """(sort_first, sort_last, search_text) of a contact with these field
    `values` (by name; a field left out is empty), emails and phones: the
    case-folded sort keys and the text that `search` matches against."""
    fallback = next(
        filter(None, (*(values.get(n) for n in FALLBACK_FIELDS), *emails, *phones)),
        "",
    )
    first_name, last_name = (values.get(name) for name in NAME_FIELDS)
    sort_first = _sort_key(first_name or last_name or fallback)
    sort_last = _sort_key(last_name or first_name or fallback)
    names = " ".join(filter(None, (values.get(n) for n in SEARCH_NAME_FIELDS)))
    others = (values.get(name) or "" for name in SEARCH_OTHER_FIELDS)
    search_text = "\n".join([names, *others, *emails, *phones]).casefold()
    return sort_first, sort_last, search_text


def birthday_key(birthday: date | None) -> int | None:
    """The `birthday_md` of a contact born on `birthday`: its month and day
    as one number, month * 100 + day (10 December is 1210, 29 February 229),
    so that the birthdays of a run of days are a range of it."""
    return None if birthday is None else birthday.month * 100 + birthday.day


NAMES = len(NAME_FIELDS)


def display_name(*naming: str | None) -> str:
    """The display name from `naming`: the values of NAMING_FIELDS, then
    the first email and first phone. The names joined ("first last"), else
    the first of the rest that is not empty."""
    full_name = " ".join(filter(None, naming[:NAMES]))
    return full_name or next(filter(None, naming[NAMES:]), "")


def _sort_key(value: str) -> str:
    """`value` case-folded, cut to fit its column: casefold() can lengthen a
    string ("ß" -> "ss"), and PostgreSQL refuses values longer than the column."""
    return value.casefold()[:SORT_KEY_LENGTH]


def _email_key_of_row(context: Any) -> str:
    """The `value_key` of an email row being inserted: every insert, ORM
    or Core, one row or many, gets it from its `value` without saying so."""
    return email_key(context.get_current_parameters()["value"])


class EmailAddress(Base):
    __tablename__ = "contact_emails"
    # Who else has this address (`duplicateContacts`, the import's check).
    __table_args__ = (Index("ix_contact_emails_value_key", "value_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(String(254))
    # `matching.email_key(value)`: the address as duplicates compare it, one
    # definition on every database (SQLite's lower() knows only ASCII).
    value_key: Mapped[str] = mapped_column(
        String(EMAIL_KEY_LENGTH), default=_email_key_of_row
    )
    label: Mapped[str | None] = mapped_column(String(50))
    primary: Mapped[bool] = mapped_column(Boolean, default=False)


class PhoneNumber(Base):
    __tablename__ = "contact_phones"
    # Who else has this number (E.164, its own key).
    __table_args__ = (Index("ix_contact_phones_value", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(String(50))
    primary: Mapped[bool] = mapped_column(Boolean, default=False)


class PostalAddress(Base):
    __tablename__ = "contact_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(50))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("user_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    name_key: Mapped[str] = mapped_column(String(50 * CASEFOLD_GROWTH))


class AuthSession(Base):
    """One login: the family of refresh tokens that rotation hands out.

    Revoking the session (logout, or reuse of a retired refresh token) ends
    every access and refresh token issued for it, on every worker.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the client said it was when it signed in (cut to fit), and when
    # its refresh token last rotated: set on refresh only, so that reading
    # the API never writes (migration 0004).
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX_LENGTH))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(Base):
    """A refresh token by its `jti`; `used_at` is set when rotation retires it."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordReset(Base):
    """A password-reset token, by the SHA-256 of the token the message
    carried (the token itself is never stored); single use: `used_at`."""

    __tablename__ = "password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ContactChange(Base):
    """One entry of the append-only change log: a change to one contact,
    written in the transaction that made it (app/services/change_log.py).

    `id` is the log's sequence: global and increasing in commit order for
    each user, whose writes take turns. `snapshot` is the contact as the
    change left it (JSON; null for PURGED, whose entry is only a tombstone)
    and `changes` the fields it changed, with their values before and
    after (JSON). `contact_id` is no foreign key: a purged contact's
    tombstone outlives it. History and sync both read this one table.
    """

    __tablename__ = "contact_changes"
    __table_args__ = (
        Index("ix_contact_changes_user_id", "user_id", "id"),
        Index("ix_contact_changes_contact_id", "contact_id", "id"),
        # SQLite would otherwise hand the id of a deleted last entry out
        # again (purging forgets entries), and sync needs ids that only grow.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    snapshot: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str] = mapped_column(Text)


class ContactMerge(Base):
    """One `mergeContacts`: the primary contact that took the others in,
    and what `undoMerge` needs to put everything back
    (app/services/merges.py).

    `snapshot` is the primary as it was before the merge (a change-log
    snapshot, JSON) and `version` the version the merge gave it: the merge
    can be undone while the primary is still at that version. `merged_ids`
    are the others' ids, in the order they were given (JSON), which the
    merge moved to the trash. `undone_at` is set by the undo. The row goes
    with its primary (purged) and with its user.
    """

    __tablename__ = "contact_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    contact: Mapped[Contact] = relationship()
    snapshot: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    merged_ids: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DuplicateMember(Base):
    """One live contact in a group of duplicates: contacts that look like
    one person (app/services/duplicate_groups.py keeps these rows in every
    write's transaction; app/services/duplicates.py reads them).

    A contact in no group has no row. `group_id` is the lowest contact id of
    the group, so the group's own row is the one where it equals
    `contact_id`, and groups come in their listing order by it.
    `reasons` are the kinds of link found in the group, strongest first,
    comma-separated (matching.Reason's values); every row of a group holds
    the same.
    """

    __tablename__ = "duplicate_members"
    __table_args__ = (
        Index("ix_duplicate_members_user_group", "user_id", "group_id", "contact_id"),
    )

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(String(64))


class DuplicateBacklog(Base):
    """An account whose groups of duplicates were never found: it held
    contacts before the groups were kept (migration 0011). The first read
    or write of its groups finds them all and deletes the row."""

    __tablename__ = "duplicate_backlog"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
