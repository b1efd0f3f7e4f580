"""Migration 0006 gives the contacts that exist before it their birthday key
(`birthday_md`, month * 100 + day), the key the app writes, on SQLite and
PostgreSQL, and undoes it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import inspect, text

from app.extensions import db
from app.models import birthday_key

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
BIRTHDAYS = [
    date(1815, 12, 10),
    date(2000, 2, 29),
    date(1999, 1, 1),
    date(1970, 12, 31),
    None,
]


def insert_contacts_before_0006() -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, email_key, password_hash, created_at)"
                " VALUES (1, 'a@example.com', 'a@example.com', 'x', :now)"
            ),
            {"now": now},
        )
        for birthday in BIRTHDAYS:
            connection.execute(
                text(
                    "INSERT INTO contacts (user_id, first_name, birthday, favorite,"
                    " sort_first, sort_last, search_text, version, created_at,"
                    " updated_at) VALUES (1, 'A', :birthday, false, 'a', 'a', 'a',"
                    " 1, :now, :now)"
                ),
                {"birthday": birthday, "now": now},
            )


def stored_keys() -> list[tuple[date | None, int | None]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT birthday, birthday_md FROM contacts ORDER BY id")
        )
        return [
            (date.fromisoformat(b) if isinstance(b, str) else b, key) for b, key in rows
        ]


def test_0006_backfills_the_birthday_key_of_existing_contacts(
    empty_app: Flask,
) -> None:
    with empty_app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0005")
        insert_contacts_before_0006()

        flask_migrate.upgrade(directory=MIGRATIONS, revision="0006")

        assert stored_keys() == [(b, birthday_key(b)) for b in BIRTHDAYS]
        assert [key for _, key in stored_keys()] == [1210, 229, 101, 1231, None]
        indexes = {i["name"]: i for i in inspect(db.engine).get_indexes("contacts")}
        assert indexes["ix_contacts_user_birthday"]["column_names"] == [
            "user_id",
            "birthday_md",
        ]


def test_0006_downgrades_to_0005_keeping_the_birthdays(empty_app: Flask) -> None:
    with empty_app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0005")
        insert_contacts_before_0006()
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0006")

        flask_migrate.downgrade(directory=MIGRATIONS, revision="0005")

        columns = {c["name"] for c in inspect(db.engine).get_columns("contacts")}
        assert "birthday_md" not in columns
        assert "birthday" in columns
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("contacts")}
        assert "ix_contacts_user_birthday" not in indexes
