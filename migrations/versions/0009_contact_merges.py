"""Contact merges: one row per `mergeContacts`, what `undoMerge` reads.

Each row holds the primary contact, its snapshot before the merge (the
change log's JSON), the version the merge gave it, the ids of the contacts
merged into it (JSON; they went to the trash) and when it was undone. It
goes with its user and with its primary (ON DELETE CASCADE: purging the
primary deletes its merges). No existing data needs a row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contact_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("merged_ids", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_merges_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_contact_merges_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_merges")),
    )
    with op.batch_alter_table("contact_merges") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_merges_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_merges_user_id"), ["user_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("contact_merges") as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_merges_user_id"))
        batch_op.drop_index(batch_op.f("ix_contact_merges_contact_id"))
    op.drop_table("contact_merges")
