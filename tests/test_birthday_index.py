"""upcomingBirthdays is one statement, answered on PostgreSQL by the index
(user_id, birthday_md): a range of it, or two across the year's end, on a
seeded address book (EXPLAINed as PostgreSQL plans it, sequential scans
allowed; the address books of tests/test_search_indexes.py)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.helpers import GraphQL
from tests.support.statements import executions, plan_nodes

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


@pytest.mark.parametrize(
    ("start", "days", "ranges"),
    [("2026-06-10", 30, 1), ("2026-12-20", 30, 2), ("2027-02-20", 14, 1)],
)
def test_upcoming_birthdays_is_one_statement_on_the_birthday_index(
    seeded_address_books: tuple[GraphQL, str], start: str, days: int, ranges: int
) -> None:
    gql, token = seeded_address_books
    app: Flask = gql.client.application

    with executions(app) as seen:
        found = gql.data(UPCOMING, {"from": start, "days": days}, token)
    # The token check, then the birthdays with their emails, in one.
    birthdays = [s for s in seen if "birthday_md" in s.statement]
    assert len(birthdays) == 1
    assert len([s for s in seen if "contact_emails" in s.statement]) == 1

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
