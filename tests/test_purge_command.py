"""`flask purge`, the daily clean-up: contacts in the trash for longer than
TRASH_RETENTION_DAYS, expired logins, and change-log entries older than
the sync window (SYNC_TOKEN_TTL_DAYS and a day)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update

from app import create_app
from app.extensions import db
from app.models import AuthSession, Contact, ContactChange, utcnow
from tests.helpers import (
    Accounts,
    GraphQL,
    create_contact,
    decode_id,
    delete,
    release_database,
)
from tests.operations import load

TRASH = load("trash")


def age(app: Flask, model: type, column: str, days: int, **where: object) -> None:
    """Move `column` of the matching rows `days` into the past."""
    with app.app_context():
        table = model.__table__  # type: ignore[attr-defined]
        statement = update(table).values({column: utcnow() - timedelta(days=days)})
        for name, value in where.items():
            statement = statement.where(table.c[name] == value)
        db.session.execute(statement)
        db.session.commit()


def pk(contact: dict[str, object]) -> int:
    """The primary key behind a contact's global ID."""
    return int(decode_id(str(contact["id"])).partition(":")[2])


def test_purge_deletes_what_is_past_its_window_and_keeps_the_rest(
    app: Flask, runner: FlaskCliRunner, gql: GraphQL, token: str
) -> None:
    expired = create_contact(gql, token, {"firstName": "Expired"})
    recent = create_contact(gql, token, {"firstName": "Recent"})
    live = create_contact(gql, token, {"firstName": "Live"})
    delete(gql, token, expired["id"])
    delete(gql, token, recent["id"])
    ids = {"expired": pk(expired), "recent": pk(recent), "live": pk(live)}
    age(app, Contact, "deleted_at", 31, id=ids["expired"])
    age(app, Contact, "deleted_at", 29, id=ids["recent"])
    age(app, ContactChange, "changed_at", 32, contact_id=ids["live"])
    age(app, AuthSession, "expires_at", 1)

    result = runner.invoke(args=["purge"])

    assert (result.exit_code, result.output) == (
        0,
        "Purged 1 contacts from the trash, 1 change-log entries, "
        "1 expired logins and 0 expired refresh tokens\n",
    )
    with app.app_context():
        assert sorted(db.session.scalars(select(Contact.id))) == [
            ids["recent"],
            ids["live"],
        ]
        assert list(
            db.session.execute(
                select(ContactChange.contact_id, ContactChange.kind).order_by(
                    ContactChange.id
                )
            )
        ) == [
            (ids["recent"], "CREATED"),
            (ids["recent"], "DELETED"),
            (ids["expired"], "PURGED"),
        ]
    again = runner.invoke(args=["purge"])
    assert again.output == (
        "Purged 0 contacts from the trash, 0 change-log entries, "
        "0 expired logins and 0 expired refresh tokens\n"
    )


def test_the_windows_are_settings(database: str) -> None:
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "TRASH_RETENTION_DAYS": 2,
            "SYNC_TOKEN_TTL_DAYS": 5,
        },
    )
    with app.app_context():
        db.create_all()
    gql = GraphQL(app.test_client())
    token = Accounts(gql).token()
    trashed = create_contact(gql, token, {"firstName": "A"})
    live = create_contact(gql, token, {"firstName": "B"})
    delete(gql, token, trashed["id"])
    age(app, Contact, "deleted_at", 3, id=pk(trashed))
    age(app, ContactChange, "changed_at", 7, contact_id=pk(live))

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.output.startswith(
        "Purged 1 contacts from the trash, 1 change-log entries,"
    )
    assert (
        gql.data(TRASH, {"first": 5, "after": None}, token)["trash"]["totalCount"] == 0
    )
    release_database(app)
