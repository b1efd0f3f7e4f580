"""Groups of duplicates kept in the database: `duplicate_members`, one row
per live contact in a group (app/services/duplicate_groups.py), and
`duplicate_backlog`, the accounts whose groups are still to be found.

Before, each worker found a user's groups in memory, from scratch on its
first request (61 times a contacts page for 10,000 contacts). Now every
write regroups what it touched in its own transaction, and a page of
groups is one indexed read. The groups of contacts that exist before this
revision are not found here (that is the app's matching, not SQL): every
account holding contacts goes into the backlog, and the first read or
write of its groups finds them all and takes it out.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 17:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "duplicate_members",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_duplicate_members_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_duplicate_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_duplicate_members")),
    )
    op.create_index(
        "ix_duplicate_members_user_group",
        "duplicate_members",
        ["user_id", "group_id", "contact_id"],
        unique=False,
    )
    backlog = op.create_table(
        "duplicate_backlog",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_duplicate_backlog_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_duplicate_backlog")),
    )
    contacts = sa.table("contacts", sa.column("user_id"))
    op.execute(
        backlog.insert().from_select(
            ["user_id"], sa.select(contacts.c.user_id).distinct()
        )
    )


def downgrade():
    op.drop_table("duplicate_backlog")
    op.drop_index("ix_duplicate_members_user_group", table_name="duplicate_members")
    op.drop_table("duplicate_members")
