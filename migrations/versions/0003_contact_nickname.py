"""Contact nickname: a nullable column.

The app keeps `search_text` (which the trigram index of 0002 covers) up to
date on every write; existing contacts have no nickname, so their search
text and sort keys are already right and nothing is backfilled.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 19:55:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("nickname")
