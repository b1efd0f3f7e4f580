"""The export's index: one user's live contacts by id, (user_id, id) WHERE
deleted_at IS NULL.

An export (app/services/exports.py) reads a user's live contacts a chunk at
a time, after the last id of the previous chunk, by id. Without this index
PostgreSQL walks the primary key from that id and skips every other user's
contacts in between: 80,000 rows skipped, 37 ms, for the first chunk of a
user whose contacts come after four others' (measured on 5 x 20,000), and
over a whole export every row in the id range its contacts span. With it,
each chunk reads its own rows only. Partial like the listing's indexes
(migration 0007): the trash costs nothing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 09:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = "ix_contacts_user_id"
LIVE = sa.text("deleted_at IS NULL")


def upgrade():
    op.create_index(
        INDEX,
        "contacts",
        ["user_id", "id"],
        unique=False,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade():
    op.drop_index(INDEX, table_name="contacts")
