"""The address book over time: the trash (contacts.deleted_at) and the
change log (contact_changes).

`deleteContact` now sets `deleted_at`; a contact with it set is in the
trash and missing to every other read. The listing's indexes become
partial, `WHERE deleted_at IS NULL`, the very condition every read of live
contacts says, so the trash costs lists and search nothing (on PostgreSQL
and SQLite alike; the trigram index is PostgreSQL's only). The trash gets
its own index (user_id, deleted_at, id) over trashed contacts only.

`contact_changes` is the append-only log that history and sync read: one
row per change, with the contact's snapshot after it (JSON) and the fields
it changed. Its ids only grow (AUTOINCREMENT on SQLite, which would
otherwise reuse the id of a deleted last row), as sync needs. Existing
contacts have no entries: their history starts with their next change.
The log's `contact_id` is no foreign key, since a purged contact's
tombstone outlives it.

Downgrade drops the log, makes the indexes whole again and drops
`deleted_at`; contacts in the trash then come back (delete them first if
they must stay gone).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 05:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")
TRASHED = sa.text("deleted_at IS NOT NULL")
LISTING_INDEXES = {
    "ix_contacts_user_sort_last": ["user_id", "sort_last", "id"],
    "ix_contacts_user_sort_first": ["user_id", "sort_first", "id"],
    "ix_contacts_user_created": ["user_id", "created_at", "id"],
    "ix_contacts_user_updated": ["user_id", "updated_at", "id"],
    "ix_contacts_user_favorite": ["user_id", "favorite"],
}
SEARCH_INDEX = "ix_contacts_user_search_trgm"
TRASH_INDEX = "ix_contacts_user_trash"


def on_postgresql():
    return op.get_context().dialect.name == "postgresql"


def where(condition):
    return {"postgresql_where": condition, "sqlite_where": condition}


def create_search_index(**partial):
    op.create_index(
        SEARCH_INDEX,
        "contacts",
        ["user_id", "search_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
        **partial,
    )


def upgrade():
    op.add_column(
        "contacts", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True)
    )
    for name, columns in LISTING_INDEXES.items():
        op.drop_index(name, table_name="contacts")
        op.create_index(name, "contacts", columns, unique=False, **where(LIVE))
    op.create_index(
        TRASH_INDEX,
        "contacts",
        ["user_id", "deleted_at", "id"],
        unique=False,
        **where(TRASHED),
    )
    if on_postgresql():
        op.drop_index(SEARCH_INDEX, table_name="contacts")
        create_search_index(postgresql_where=LIVE)

    op.create_table(
        "contact_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_contact_changes_user_id", "contact_changes", ["user_id", "id"])
    op.create_index(
        "ix_contact_changes_contact_id", "contact_changes", ["contact_id", "id"]
    )
    op.create_index("ix_contact_changes_changed_at", "contact_changes", ["changed_at"])


def downgrade():
    op.drop_index("ix_contact_changes_changed_at", table_name="contact_changes")
    op.drop_index("ix_contact_changes_contact_id", table_name="contact_changes")
    op.drop_index("ix_contact_changes_user_id", table_name="contact_changes")
    op.drop_table("contact_changes")

    if on_postgresql():
        op.drop_index(SEARCH_INDEX, table_name="contacts")
        create_search_index()
    op.drop_index(TRASH_INDEX, table_name="contacts")
    for name, columns in LISTING_INDEXES.items():
        op.drop_index(name, table_name="contacts")
        op.create_index(name, "contacts", columns, unique=False)
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("deleted_at")
