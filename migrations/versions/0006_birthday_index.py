"""Upcoming birthdays: contacts.birthday_md and an index on (user_id, birthday_md).

`birthday_md` is the birthday's month and day as one number, month * 100 +
day (null without a birthday), which the app keeps on every write
(`Contact.refresh_derived`). `upcomingBirthdays` asks for one range of it,
or two across the year's end, among one user's contacts: the index
(user_id, birthday_md) answers that without reading anyone else's contacts
or anyone without a birthday in the window.

Existing contacts are backfilled from their birthday in SQL, on each
database with its own date functions. Downgrade drops the index and the
column; the birthdays themselves are untouched.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 05:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEX = "ix_contacts_user_birthday"
# month * 100 + day of `birthday`, as `app.models.birthday_key` computes it.
BACKFILL = {
    "postgresql": (
        "CAST(EXTRACT(MONTH FROM birthday) * 100 + EXTRACT(DAY FROM birthday)"
        " AS INTEGER)"
    ),
    "sqlite": (
        "CAST(strftime('%m', birthday) AS INTEGER) * 100"
        " + CAST(strftime('%d', birthday) AS INTEGER)"
    ),
}


def upgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("birthday_md", sa.Integer(), nullable=True))
    key = BACKFILL[op.get_context().dialect.name]
    op.execute(f"UPDATE contacts SET birthday_md = {key} WHERE birthday IS NOT NULL")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.create_index(INDEX, ["user_id", "birthday_md"], unique=False)


def downgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("birthday_md")
