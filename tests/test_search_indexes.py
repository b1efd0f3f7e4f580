"""The indexes behind search and keyset pages, and search's literal matching.

On PostgreSQL, the statements a real GraphQL request runs are EXPLAINed on a
seeded address book: a search is answered by the (user_id, search_text)
trigram index, and a page after a cursor starts at the cursor in the
(user_id, sort key, id) index of its ordering, with no Sort. On every
database, LIKE's wildcards and its escape character in the search text match
themselves (tests/graphql/test_filters.py covers `%` and `_` alone).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Contact, EmailAddress, User
from app.services import seed
from tests.helpers import Accounts, GraphQL, create
from tests.support.statements import Execution, executions, index_names, plan_nodes

SEARCH_INDEX = "ix_contacts_user_search_trgm"
ORDER_INDEXES = {
    "LAST_NAME": "ix_contacts_user_sort_last",
    "FIRST_NAME": "ix_contacts_user_sort_first",
    "CREATED_AT": "ix_contacts_user_created",
    "UPDATED_AT": "ix_contacts_user_updated",
}
CONTACTS = """
query Contacts(
  $filter: ContactFilter, $orderBy: ContactOrder, $first: Int, $after: String
) {
  contacts(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { node { id } }
    pageInfo { endCursor }
    totalCount
  }
}
"""


def contacts(
    gql: GraphQL, token: str, variables: dict[str, Any]
) -> tuple[list[Execution], dict[str, Any]]:
    """One `contacts` request: the statements it ran, and the connection."""
    app: Flask = gql.client.application
    with executions(app) as seen:
        connection: dict[str, Any] = gql.data(CONTACTS, variables, token)["contacts"]
    return seen, connection


def create_contact(gql: GraphQL, token: str, fields: dict[str, Any]) -> str:
    payload = create(gql, token, fields)
    assert payload["userErrors"] == []
    contact_id: str = payload["contact"]["id"]
    return contact_id


def viewer_id() -> int:
    return db.session.execute(
        select(User.id).where(User.email == seed.demo_email(1))
    ).scalar_one()


def a_rare_name(app: Flask) -> str:
    """The part before "@" of the viewer's first seeded email: "first.last",
    which few contacts share."""
    with app.app_context():
        email = db.session.execute(
            select(EmailAddress.value)
            .join(Contact)
            .where(Contact.user_id == viewer_id())
            .order_by(EmailAddress.id)
            .limit(1)
        ).scalar_one()
    return email.partition("@")[0]


def contacts_containing(app: Flask, needle: str) -> int:
    """How many of the viewer's contacts have `needle` in their search text,
    counted in Python."""
    with app.app_context():
        texts = db.session.scalars(
            select(Contact.search_text).where(Contact.user_id == viewer_id())
        )
        return sum(needle in search_text for search_text in texts)


def test_search_is_answered_by_the_trigram_index(
    seeded_address_books: tuple[GraphQL, str],
) -> None:
    gql, token = seeded_address_books
    app: Flask = gql.client.application
    name = a_rare_name(app)

    seen, connection = contacts(gql, token, {"filter": {"search": name.upper()}})

    searches = [s for s in seen if "LIKE" in s.statement]
    assert len(searches) == 2  # the page and totalCount
    assert [
        SEARCH_INDEX in index_names(plan_nodes(app, s, seqscan=False)) for s in searches
    ] == [True, True]
    expected = contacts_containing(app, name)
    assert expected >= 1
    assert connection["totalCount"] == expected
    assert len(connection["edges"]) == min(expected, 20)


def test_wildcards_in_search_match_themselves_through_the_index(
    seeded_address_books: tuple[GraphQL, str],
) -> None:
    gql, token = seeded_address_books
    app: Flask = gql.client.application
    wanted = create_contact(gql, token, {"company": "Per\\cent 100%_off"})
    create_contact(gql, token, {"company": "Percent 100x-off"})

    seen, connection = contacts(gql, token, {"filter": {"search": "r\\cent 100%_O"}})

    page = next(s for s in seen if "LIKE" in s.statement)
    assert SEARCH_INDEX in index_names(plan_nodes(app, page, seqscan=False))
    assert [edge["node"]["id"] for edge in connection["edges"]] == [wanted]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(ORDER_INDEXES))
def test_page_after_a_cursor_starts_there_in_the_orderings_index(
    seeded_address_books: tuple[GraphQL, str], field: str, direction: str
) -> None:
    gql, token = seeded_address_books
    app: Flask = gql.client.application
    order = {"field": field, "direction": direction}
    _, first_page = contacts(gql, token, {"orderBy": order, "first": 100})
    after = first_page["pageInfo"]["endCursor"]

    seen, _ = contacts(gql, token, {"orderBy": order, "first": 20, "after": after})

    page = next(s for s in seen if "ORDER BY" in s.statement and "LIMIT" in s.statement)
    nodes = plan_nodes(app, page)
    scans = [node for node in nodes if node.get("Index Name") == ORDER_INDEXES[field]]
    assert [node["Node Type"] for node in nodes if "Sort" in node["Node Type"]] == []
    # The page, and hasPreviousPage's EXISTS (evaluated once, as an InitPlan).
    assert [scan.get("Parent Relationship") for scan in scans] == ["InitPlan", "Outer"]
    for scan in scans:
        # The cursor is where each scan starts, not a filter on rows read
        # from the top.
        assert "ROW(" in scan["Index Cond"]
        assert "Filter" not in scan


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("\\", ["backslash", "all three"]),
        ("k\\s", ["backslash"]),
        ("\\%", []),
        ("50%_off", ["wildcards"]),
        ("% off", []),
        ("0%_", ["wildcards"]),
        ("%_\\", ["all three"]),
        ("_\\%", []),
    ],
)
def test_backslash_and_wildcards_together_match_themselves(
    gql: GraphQL, accounts: Accounts, search: str, expected: list[str]
) -> None:
    token = accounts.token()
    companies = {
        "backslash": "Back\\slash Ltd",
        "lookalike": "Backslash Ltd",
        "wildcards": "50%_off Stores",
        "near miss": "50x off Stores",
        "all three": "Odd %_\\ Name",
    }
    labels = {
        create_contact(gql, token, {"company": company}): label
        for label, company in companies.items()
    }

    _, connection = contacts(gql, token, {"filter": {"search": search}})

    assert [labels[edge["node"]["id"]] for edge in connection["edges"]] == expected
