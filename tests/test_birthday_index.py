"""upcomingBirthdays is one statement, answered on PostgreSQL by the index
(user_id, birthday_md): a range of it, or two across the year's end, on a
seeded address book (EXPLAINed as PostgreSQL plans it, sequential scans
allowed; the address books of tests/test_search_indexes.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from app.extensions import db
from tests.helpers import GraphQL

BIRTHDAY_INDEX = "ix_contacts_user_birthday"
UPCOMING = """
query Upcoming($days: Int, $from: Date) {
  upcomingBirthdays(days: $days, from: $from, first: 500) {
    contact { id displayName emails { value } }
    date
    daysUntil
  }
}
"""

Statement = tuple[str, Any]


@contextmanager
def statements(app: Flask) -> Iterator[list[Statement]]:
    seen: list[Statement] = []

    def record(*args: Any) -> None:
        _connection, _cursor, statement, parameters, _context, _many = args
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan_nodes(app: Flask, statement: Statement) -> list[dict[str, Any]]:
    sql, parameters = statement
    with app.app_context(), db.engine.connect() as connection:
        explained = connection.exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) {sql}", parameters
        ).scalar_one()

    def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield node
        for child in node.get("Plans", []):
            if child["Parent Relationship"] != "SubPlan":
                yield from walk(child)

    return list(walk(explained[0]["Plan"]))


@pytest.mark.parametrize(
    ("start", "days", "ranges"),
    [("2026-06-10", 30, 1), ("2026-12-20", 30, 2), ("2027-02-20", 14, 1)],
)
def test_upcoming_birthdays_is_one_statement_on_the_birthday_index(
    seeded_address_books: tuple[GraphQL, str], start: str, days: int, ranges: int
) -> None:
    gql, token = seeded_address_books
    app: Flask = gql.client.application

    with statements(app) as seen:
        found = gql.data(UPCOMING, {"from": start, "days": days}, token)
    # The token check, then the birthdays with their emails, in one.
    birthdays = [s for s in seen if "birthday_md" in s[0]]
    assert len(birthdays) == 1
    assert len([s for s in seen if "contact_emails" in s[0]]) == 1

    nodes = plan_nodes(app, birthdays[0])
    scans = [node for node in nodes if node.get("Index Name") == BIRTHDAY_INDEX]
    assert len(scans) == ranges
    for scan in scans:
        assert "birthday_md >=" in scan["Index Cond"]
        assert "user_id =" in scan["Index Cond"]
    assert [n["Node Type"] for n in nodes if n["Node Type"] == "Seq Scan"] == []
    items = found["upcomingBirthdays"]
    assert items, "the seeded address book has birthdays in every month"
    assert [item["daysUntil"] for item in items] == sorted(
        item["daysUntil"] for item in items
    )
    assert all(0 <= item["daysUntil"] < days for item in items)
