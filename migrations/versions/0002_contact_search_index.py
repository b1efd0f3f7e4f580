"""Contact search: a trigram index on (user_id, search_text), on PostgreSQL.

`search` is `user_id = ? AND search_text LIKE '%…%'`. A GIN index holding
both columns (`gin_trgm_ops` from pg_trgm for the text, btree_gin for the
integer) finds one user's matches without reading anyone else's: a trigram
index on the text alone reads every user's matches and throws away the
others', which grows with the whole table rather than the user's address
book. Both extensions ship with PostgreSQL and are trusted, so the database
owner can create them.

SQLite has neither and keeps scanning, so this revision does nothing there.
Downgrade drops the index but leaves the extensions, which other objects may
use.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 15:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEX = "ix_contacts_user_search_trgm"


def on_postgresql() -> bool:
    """Whether the target is PostgreSQL, in offline mode (`--sql`) too."""
    return op.get_context().dialect.name == "postgresql"


def upgrade():
    if not on_postgresql():
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.create_index(
        INDEX,
        "contacts",
        ["user_id", "search_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def downgrade():
    if not on_postgresql():
        return
    op.drop_index(INDEX, table_name="contacts")
