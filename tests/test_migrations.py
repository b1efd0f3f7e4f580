"""The Alembic migrations build exactly the schema the models describe, on an
empty SQLite file and an empty PostgreSQL database, and undo it again; 0008
back-fills the duplicate keys of the contacts that exist before it,
and 0011 puts the accounts holding contacts in the backlog of groups."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, text

from app.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def built_here(obj: Any, *_: Any) -> bool:
    """Leave out what the models create only on another database
    (`.ddl_if(dialect=...)`), as migrations/env.py does for autogenerate."""
    rule = getattr(obj, "_ddl_if", None)
    return rule is None or rule.dialect in (None, db.engine.dialect.name)


def schema_differences() -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": built_here}
        )
        differences: list[Any] = compare_metadata(context, db.metadata)
    return differences


def upgrade() -> None:
    flask_migrate.upgrade(directory=str(MIGRATIONS))


def test_upgrade_builds_every_table_of_the_models(empty_app: Flask) -> None:
    with empty_app.app_context():
        assert table_names() == set()

        upgrade()

        assert table_names() == set(db.metadata.tables) | {"alembic_version"}


def test_upgraded_database_matches_the_models_exactly(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()

        assert schema_differences() == []


def test_downgrade_to_base_leaves_only_alembic_version(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()

        flask_migrate.downgrade(directory=str(MIGRATIONS), revision="base")

        assert table_names() == {"alembic_version"}


def test_upgrade_after_downgrade_rebuilds_the_same_schema(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
        flask_migrate.downgrade(directory=str(MIGRATIONS), revision="base")

        upgrade()

        assert schema_differences() == []


def test_flask_db_upgrade_command_builds_the_schema(empty_app: Flask) -> None:
    result = empty_app.test_cli_runner().invoke(
        args=["db", "upgrade", "--directory", str(MIGRATIONS)]
    )

    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert schema_differences() == []


def insert_contacts_before_0008() -> None:
    """Contacts as 0007 left them: named, unnamed, with emails."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, email_key, password_hash, created_at)"
                " VALUES (1, 'a@example.com', 'a@example.com', 'x', :now)"
            ),
            {"now": now},
        )
        for contact_id, first, last, company in (
            (1, " ＡＤＡ ", "Lovelace", None),
            (2, None, "King  Noel", None),
            (3, None, None, "Acme"),
        ):
            connection.execute(
                text(
                    "INSERT INTO contacts (id, user_id, first_name, last_name,"
                    " company, favorite, sort_first, sort_last, search_text,"
                    " version, created_at, updated_at) VALUES (:id, 1, :first,"
                    " :last, :company, false, 'a', 'a', 'a', 1, :now, :now)"
                ),
                {
                    "id": contact_id,
                    "first": first,
                    "last": last,
                    "company": company,
                    "now": now,
                },
            )
        for email_id, contact_id, value in (
            (1, 1, "Ada@example.com"),
            (2, 3, "ÄRGER@example.com"),
        ):
            connection.execute(
                text(
                    "INSERT INTO contact_emails (id, contact_id, position, value,"
                    ' "primary") VALUES (:id, :contact_id, 0, :value, false)'
                ),
                {"id": email_id, "contact_id": contact_id, "value": value},
            )


def test_0008_backfills_the_duplicate_keys_of_existing_contacts(
    empty_app: Flask,
) -> None:
    with empty_app.app_context():
        flask_migrate.upgrade(directory=str(MIGRATIONS), revision="0007")
        insert_contacts_before_0008()

        flask_migrate.upgrade(directory=str(MIGRATIONS), revision="0008")

        with db.engine.connect() as connection:
            names = connection.execute(
                text("SELECT id, name_key FROM contacts ORDER BY id")
            ).all()
            emails = connection.execute(
                text("SELECT id, value_key FROM contact_emails ORDER BY id")
            ).all()
        assert [tuple(row) for row in names] == [
            (1, "ada lovelace"),
            (2, "king noel"),
            (3, None),
        ]
        assert [tuple(row) for row in emails] == [
            (1, "ada@example.com"),
            (2, "ärger@example.com"),
        ]
        inspector = inspect(db.engine)
        indexes = {
            index["name"]: index["column_names"]
            for table in ("contacts", "contact_emails", "contact_phones")
            for index in inspector.get_indexes(table)
        }
        assert indexes["ix_contacts_user_name_key"] == ["user_id", "name_key"]
        assert indexes["ix_contact_emails_value_key"] == ["value_key"]
        assert indexes["ix_contact_phones_value"] == ["value"]


def test_0008_downgrades_to_0007_keeping_the_contacts(empty_app: Flask) -> None:
    with empty_app.app_context():
        flask_migrate.upgrade(directory=str(MIGRATIONS), revision="0007")
        insert_contacts_before_0008()
        flask_migrate.upgrade(directory=str(MIGRATIONS), revision="0008")

        flask_migrate.downgrade(directory=str(MIGRATIONS), revision="0007")

        inspector = inspect(db.engine)
        assert "name_key" not in {c["name"] for c in inspector.get_columns("contacts")}
        assert "value_key" not in {
            c["name"] for c in inspector.get_columns("contact_emails")
        }
        assert "ix_contact_phones_value" not in {
            i["name"] for i in inspector.get_indexes("contact_phones")
        }
        with db.engine.connect() as connection:
            kept = connection.execute(
                text("SELECT count(*) FROM contact_emails")
            ).scalar_one()
        assert kept == 2


def test_0011_puts_every_account_holding_contacts_in_the_backlog(
    empty_app: Flask,
) -> None:
    with empty_app.app_context():
        flask_migrate.upgrade(directory=str(MIGRATIONS), revision="0007")
        insert_contacts_before_0008()
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, email_key, password_hash,"
                    " created_at) VALUES (2, 'b@example.com', 'b@example.com',"
                    " 'x', :now)"
                ),
                {"now": datetime.now(UTC).replace(tzinfo=None)},
            )

        flask_migrate.upgrade(directory=str(MIGRATIONS), revision="0011")

        with db.engine.connect() as connection:
            backlog = connection.execute(
                text("SELECT user_id FROM duplicate_backlog")
            ).all()
            members = connection.execute(
                text("SELECT count(*) FROM duplicate_members")
            ).scalar_one()
        # User 1 holds contacts, user 2 none (nothing to find).
        assert [tuple(row) for row in backlog] == [(1,)]
        assert members == 0
