"""CompiledRead reads what SQLAlchemy Core reads, conversions included."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Select, bindparam, event, func, literal, select
from sqlalchemy.exc import DBAPIError

from app.db.compiled_reads import CompiledRead, compiled
from app.extensions import db
from app.models import Contact
from tests.support.compiled_reads import BORN, CREATED

CONTACTS = (
    select(
        Contact.first_name,
        Contact.birthday,
        Contact.favorite,
        Contact.created_at,
        literal("bound by the statement").label("constant"),
    )
    .where(
        Contact.favorite == bindparam("favorite"),
        Contact.created_at >= bindparam("since", type_=Contact.created_at.type),
    )
    .order_by(Contact.first_name)
    .limit(bindparam("limit"))
)


def core_rows(statement: Select[Any], values: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in db.session.execute(statement, values)]


def compiled_rows(
    statement: Select[Any], values: dict[str, Any]
) -> list[tuple[Any, ...]]:
    connection = db.session.connection()
    read = CompiledRead.of(statement, connection.dialect)
    return [tuple(row) for row in read.rows(connection, values)]


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"favorite": True, "limit": 5}, ["Ada", "Hedy"]),
        ({"favorite": False, "limit": 5}, ["Grace"]),
        ({"favorite": True, "limit": 1}, ["Ada"]),
    ],
)
def test_rows_and_their_types_are_those_core_reads(
    three_contacts: None, values: dict[str, Any], names: list[str]
) -> None:
    # An aware time in another zone: the type's own bind conversion makes it
    # UTC (and naive on SQLite) for the comparison.
    since = (CREATED - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=5)))
    values = {**values, "since": since}

    rows = compiled_rows(CONTACTS, values)

    assert rows == core_rows(CONTACTS, values)
    favorite = values["favorite"]
    assert rows == [
        (name, BORN, favorite, CREATED, "bound by the statement") for name in names
    ]
    assert all(type(row[2]) is bool and row[3].tzinfo is UTC for row in rows)


def test_a_bound_time_is_converted_as_core_converts_it(three_contacts: None) -> None:
    after_creation = {"favorite": True, "limit": 5, "since": CREATED + timedelta(1)}

    assert compiled_rows(CONTACTS, after_creation) == []


def test_a_statement_is_compiled_once_per_dialect(three_contacts: None) -> None:
    dialect = db.session.connection().dialect

    assert compiled(CONTACTS, dialect) is compiled(CONTACTS, dialect)
    read = compiled(CONTACTS, dialect)
    assert "bound by the statement" not in read.sql
    assert "bound by the statement" in read.constants.values()


VALUES = {"favorite": True, "limit": 5, "since": CREATED - timedelta(seconds=1)}


def test_a_failing_read_raises_as_the_engine_raises_and_hides_its_parameters(
    three_contacts: None,
) -> None:
    failing = select(func.no_such_function(bindparam("name")))
    connection = db.session.connection()
    read = CompiledRead.of(failing, connection.dialect)

    with pytest.raises(DBAPIError) as raised:
        read.rows(connection, {"name": "Ada"})

    assert "Ada" not in str(raised.value)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(raised.value)
    db.session.rollback()
    assert compiled_rows(CONTACTS, VALUES) == core_rows(CONTACTS, VALUES)


def test_each_read_is_one_statement_to_the_engine_events(three_contacts: None) -> None:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    connection = db.session.connection()
    read = compiled(CONTACTS, connection.dialect)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        read.rows(connection, VALUES)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert seen == [read.sql]
