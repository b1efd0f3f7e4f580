"""Duplicates: the keys contacts are matched by, and their indexes.

`contacts.name_key` is the first and last name in Unicode NFKC, case-folded,
whitespace collapsed (null without either), and `contact_emails.value_key`
the address case-folded: both `app.services.matching`'s, which the app
writes on every change. `duplicateContacts` groups one user's live contacts
by each key with a GROUP BY, never comparing them pair by pair:

- (user_id, name_key) over live contacts (partial, as the listing's
  indexes are) answers the names' GROUP BY from the index alone;
- contact_emails(value_key) and contact_phones(value) find who else has
  an address or number, which the import's check asks for a whole file's
  keys at once.

A stored email key rather than an index on lower(value): SQLite's lower()
changes ASCII letters only, and PostgreSQL's depends on the database's
locale, so only a key the app computes compares the same on both.

Existing rows are back-filled by the app's own functions (NFKC and
case-folding are not SQL on SQLite), a few thousand rows a statement.
Downgrade drops the indexes and both columns, in place (SQLite 3.35 or
later), keeping every contact and its lists.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 09:00:00

"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from app.services.matching import EMAIL_KEY_LENGTH, NAME_KEY_LENGTH, email_key, name_key

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NAME_INDEX = "ix_contacts_user_name_key"
EMAIL_INDEX = "ix_contact_emails_value_key"
PHONE_INDEX = "ix_contact_phones_value"
LIVE = sa.text("deleted_at IS NULL")
CHUNK = 5000


def upgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(
            sa.Column("name_key", sa.String(length=NAME_KEY_LENGTH), nullable=True)
        )
    with op.batch_alter_table("contact_emails") as batch_op:
        batch_op.add_column(
            sa.Column("value_key", sa.String(length=EMAIL_KEY_LENGTH), nullable=True)
        )
    backfill(
        "contacts",
        "first_name, last_name",
        "name_key",
        lambda row: name_key({"first_name": row[1], "last_name": row[2]}),
    )
    backfill("contact_emails", "value", "value_key", lambda row: email_key(row[1]))
    with op.batch_alter_table("contact_emails") as batch_op:
        batch_op.alter_column(
            "value_key",
            existing_type=sa.String(length=EMAIL_KEY_LENGTH),
            nullable=False,
        )
        batch_op.create_index(EMAIL_INDEX, ["value_key"], unique=False)
    op.create_index(
        NAME_INDEX,
        "contacts",
        ["user_id", "name_key"],
        unique=False,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.create_index(PHONE_INDEX, "contact_phones", ["value"], unique=False)


def backfill(
    table: str, columns: str, key_column: str, key: Callable[[Any], str | None]
) -> None:
    """Set `key_column` of every row of `table` to `key` of its (id,
    `columns`), CHUNK rows a statement, in id order."""
    bind = op.get_bind()
    read = sa.text(
        f"SELECT id, {columns} FROM {table} WHERE id > :after ORDER BY id LIMIT :chunk"
    )
    write = sa.text(f"UPDATE {table} SET {key_column} = :key WHERE id = :id")
    after = 0
    while rows := bind.execute(read, {"after": after, "chunk": CHUNK}).all():
        bind.execute(write, [{"id": row[0], "key": key(row)} for row in rows])
        after = rows[-1][0]


def downgrade():
    op.drop_index(PHONE_INDEX, table_name="contact_phones")
    op.drop_index(NAME_INDEX, table_name="contacts")
    op.drop_index(EMAIL_INDEX, table_name="contact_emails")
    # ALTER TABLE … DROP COLUMN, which SQLite has had since 3.35, rather
    # than batch mode: batch mode copies `contacts` into a new table and
    # drops the old one, and with foreign keys on, dropping it deletes
    # every email, phone and address of every contact (ON DELETE CASCADE).
    op.execute("ALTER TABLE contact_emails DROP COLUMN value_key")
    op.execute("ALTER TABLE contacts DROP COLUMN name_key")
