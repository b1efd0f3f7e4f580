"""Session details: the user agent a login was made with, and when its
refresh token last rotated (both nullable: existing logins have neither).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 05:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("auth_sessions") as batch_op:
        batch_op.add_column(
            sa.Column("user_agent", sa.String(length=255), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("auth_sessions") as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("user_agent")
