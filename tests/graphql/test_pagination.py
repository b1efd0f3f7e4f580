"""The `contacts` connection: page sizes, cursors, orderings and keyset paging."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from app.extensions import db
from app.models import Contact
from app.schema.ids import pk_of
from tests.helpers import Accounts, GraphQL, create
from tests.operations import DELETE, UPDATE

CONTACTS = """
query Contacts(
  $first: Int, $after: String, $last: Int, $before: String,
  $filter: ContactFilter, $orderBy: ContactOrder
) {
  contacts(
    first: $first, after: $after, last: $last, before: $before,
    filter: $filter, orderBy: $orderBy
  ) {
    edges { cursor node { id } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""

# Last names in their LAST_NAME ASC order.
SEVEN = ["Adams", "Baker", "Clark", "Davis", "Evans", "Fisher", "Green"]


def create_contact(gql: GraphQL, token: str, **fields: Any) -> str:
    payload = create(gql, token, fields)
    assert payload["userErrors"] == []
    contact_id: str = payload["contact"]["id"]
    return contact_id


def create_by_last_name(gql: GraphQL, token: str, names: list[str]) -> list[str]:
    """Contacts named `names`, created in a shuffled order; their ids in the
    order of `names`."""
    order = list(range(len(names)))
    random.Random(len(names)).shuffle(order)
    created = {i: create_contact(gql, token, lastName=names[i]) for i in order}
    return [created[i] for i in range(len(names))]


def contacts_page(gql: GraphQL, token: str, **arguments: Any) -> dict[str, Any]:
    """One page, checked for the connection's invariants: `nodes` are the
    edges' nodes, and the page cursors are those of the first and last edge."""
    connection: dict[str, Any] = gql.data(CONTACTS, arguments, token)["contacts"]
    edges = connection["edges"]
    page_info = connection["pageInfo"]
    assert connection["nodes"] == [edge["node"] for edge in edges]
    assert page_info["startCursor"] == (edges[0]["cursor"] if edges else None)
    assert page_info["endCursor"] == (edges[-1]["cursor"] if edges else None)
    return connection


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def flags(connection: dict[str, Any]) -> tuple[bool, bool]:
    """(hasPreviousPage, hasNextPage)."""
    page_info = connection["pageInfo"]
    return page_info["hasPreviousPage"], page_info["hasNextPage"]


def walk_forward(
    gql: GraphQL, token: str, size: int, after: str | None = None, **arguments: Any
) -> list[dict[str, Any]]:
    """Every page from `after` (else the start) to the end, `size` at a time."""
    pages = [contacts_page(gql, token, first=size, after=after, **arguments)]
    while pages[-1]["pageInfo"]["hasNextPage"]:
        after = pages[-1]["pageInfo"]["endCursor"]
        pages.append(contacts_page(gql, token, first=size, after=after, **arguments))
    return pages


def walk_backward(
    gql: GraphQL, token: str, size: int, before: str | None = None, **arguments: Any
) -> list[dict[str, Any]]:
    """Every page from `before` (else the end) to the start, `size` at a time."""
    pages = [contacts_page(gql, token, last=size, before=before, **arguments)]
    while pages[-1]["pageInfo"]["hasPreviousPage"]:
        before = pages[-1]["pageInfo"]["startCursor"]
        pages.append(contacts_page(gql, token, last=size, before=before, **arguments))
    return pages


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def order_by(field: str, direction: str) -> dict[str, str]:
    return {"field": field, "direction": direction}


def encode_cursor(parts: Any) -> str:
    raw = json.dumps(parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_default_page_is_20_with_has_next_page(
    gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    created = [create_contact(gql, token, lastName=f"Name{n:02}") for n in range(21)]

    connection = contacts_page(gql, token)

    assert ids(connection) == created[:20]
    assert flags(connection) == (False, True)
    assert connection["totalCount"] == 21


def test_first_100_is_allowed(gql: GraphQL, accounts: Accounts) -> None:
    token = accounts.token()
    created = create_by_last_name(gql, token, SEVEN)

    assert ids(contacts_page(gql, token, first=100)) == created


@pytest.mark.parametrize("count", [7, 6, 1])
def test_first_after_visits_every_contact_once_in_order(
    gql: GraphQL, accounts: Accounts, count: int
) -> None:
    token = accounts.token()
    created = create_by_last_name(gql, token, SEVEN[:count])

    pages = walk_forward(gql, token, 3)

    assert [ids(page) for page in pages] == chunks(created, 3)
    last = len(pages) - 1
    assert [flags(page) for page in pages] == [
        (index > 0, index < last) for index in range(len(pages))
    ]
    assert {page["totalCount"] for page in pages} == {count}


@pytest.mark.parametrize("count", [7, 6, 1])
def test_last_before_visits_every_contact_once_backwards(
    gql: GraphQL, accounts: Accounts, count: int
) -> None:
    token = accounts.token()
    created = create_by_last_name(gql, token, SEVEN[:count])

    pages = walk_backward(gql, token, 3)

    # Pages from the end: each page in reading order, the last one short.
    expected = [chunk[::-1] for chunk in chunks(created[::-1], 3)]
    assert [ids(page) for page in pages] == expected
    last = len(pages) - 1
    assert [flags(page) for page in pages] == [
        (index < last, index > 0) for index in range(len(pages))
    ]


def test_after_and_before_together_bound_the_page(
    gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    created = create_by_last_name(gql, token, SEVEN)
    edges = contacts_page(gql, token)["edges"]

    connection = contacts_page(
        gql, token, first=10, after=edges[1]["cursor"], before=edges[5]["cursor"]
    )

    assert ids(connection) == created[2:5]
    assert flags(connection) == (True, True)


def test_total_count_is_every_match_not_the_page(
    gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    create_by_last_name(gql, token, SEVEN)
    first_page = contacts_page(gql, token, first=2)

    second_page = contacts_page(
        gql, token, first=2, after=first_page["pageInfo"]["endCursor"]
    )

    assert (first_page["totalCount"], second_page["totalCount"]) == (7, 7)


def test_first_zero_returns_an_empty_page(gql: GraphQL, accounts: Accounts) -> None:
    token = accounts.token()
    create_by_last_name(gql, token, SEVEN[:3])

    connection = contacts_page(gql, token, first=0)

    assert connection == {
        "edges": [],
        "nodes": [],
        "pageInfo": {
            "hasNextPage": True,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "totalCount": 3,
    }


def test_no_contacts_is_an_empty_connection(gql: GraphQL, accounts: Accounts) -> None:
    token = accounts.token()

    assert contacts_page(gql, token) == {
        "edges": [],
        "nodes": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "totalCount": 0,
    }


@pytest.mark.parametrize(
    "arguments",
    [
        {"first": 101},
        {"first": -1},
        {"last": 101},
        {"last": -1},
        {"first": 1, "last": 1},
        {"first": 0, "last": 0},
    ],
    ids=["first-101", "first-negative", "last-101", "last-negative", "both", "both-0"],
)
def test_page_size_outside_the_rules_is_bad_user_input(
    gql: GraphQL, accounts: Accounts, arguments: dict[str, int]
) -> None:
    token = accounts.token()

    body = gql(CONTACTS, arguments, token)

    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == [
        "BAD_USER_INPUT"
    ]


MALFORMED_CURSORS = [
    "nope",
    "!!!",
    "",
    encode_cursor(["LAST_NAME", "adams"]),
    encode_cursor(["LAST_NAME", "adams", "1"]),
    encode_cursor(["LAST_NAME", 5, 1]),
    encode_cursor(["LAST_NAME", "a\x00b", 1]),
    encode_cursor(["LAST_NAME", "adams", 0]),
    encode_cursor(["LAST_NAME", "adams", 2**63]),
    encode_cursor(["NO_SUCH_ORDER", "adams", 1]),
    encode_cursor({"order": "LAST_NAME"}),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
]


@pytest.mark.parametrize("argument", ["after", "before"])
@pytest.mark.parametrize("cursor", MALFORMED_CURSORS)
def test_malformed_cursor_is_bad_user_input(
    gql: GraphQL, accounts: Accounts, argument: str, cursor: str
) -> None:
    token = accounts.token()
    create_by_last_name(gql, token, SEVEN[:2])

    assert gql.error_codes(CONTACTS, {argument: cursor}, token) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor(["CREATED_AT", "yesterday", 1]),
        encode_cursor(["CREATED_AT", "2024-01-01T00:00:00", 1]),
        encode_cursor(["CREATED_AT", "0001-01-01T00:00:00+05:00", 1]),
    ],
    ids=["not-a-time", "naive-time", "before-year-1-in-utc"],
)
def test_malformed_time_cursor_is_bad_user_input(
    gql: GraphQL, accounts: Accounts, cursor: str
) -> None:
    token = accounts.token()

    codes = gql.error_codes(
        CONTACTS, {"after": cursor, "orderBy": order_by("CREATED_AT", "ASC")}, token
    )

    assert codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("cursor_field", "used_with"),
    [
        ("FIRST_NAME", None),
        ("LAST_NAME", "FIRST_NAME"),
        ("CREATED_AT", "UPDATED_AT"),
        ("UPDATED_AT", "LAST_NAME"),
    ],
)
def test_cursor_from_another_order_field_is_bad_user_input(
    gql: GraphQL, accounts: Accounts, cursor_field: str, used_with: str | None
) -> None:
    token = accounts.token()
    create_by_last_name(gql, token, SEVEN[:3])
    cursor = contacts_page(gql, token, first=1, orderBy=order_by(cursor_field, "ASC"))[
        "pageInfo"
    ]["endCursor"]
    arguments: dict[str, Any] = {"first": 1, "after": cursor}
    if used_with:
        arguments["orderBy"] = order_by(used_with, "ASC")

    assert gql.error_codes(CONTACTS, arguments, token) == ["BAD_USER_INPUT"]


# (label, fields) in creation order; "hopper" and "hopper-again" tie on every
# name, "Ada"/"ada" tie on first name ignoring case.
NAMED_CONTACTS: list[tuple[str, dict[str, str]]] = [
    ("lovelace", {"firstName": "Ada", "lastName": "Lovelace"}),
    ("hopper", {"firstName": "Grace", "lastName": "Hopper"}),
    ("turing", {"firstName": "alan", "lastName": "turing"}),
    ("adams", {"firstName": "Zed", "lastName": "Adams"}),
    ("hopper-again", {"firstName": "Grace", "lastName": "Hopper"}),
    ("ada", {"firstName": "ada", "lastName": "Zuse"}),
]


@pytest.mark.parametrize(
    ("field", "ascending"),
    [
        ("LAST_NAME", ["adams", "hopper", "hopper-again", "lovelace", "turing", "ada"]),
        (
            "FIRST_NAME",
            ["lovelace", "ada", "turing", "hopper", "hopper-again", "adams"],
        ),
        (
            "CREATED_AT",
            ["lovelace", "hopper", "turing", "adams", "hopper-again", "ada"],
        ),
    ],
)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_order_field_and_direction_with_ties_broken_by_id(
    gql: GraphQL,
    accounts: Accounts,
    field: str,
    ascending: list[str],
    direction: str,
) -> None:
    token = accounts.token()
    label_of = {
        create_contact(gql, token, **fields): label for label, fields in NAMED_CONTACTS
    }
    expected = ascending if direction == "ASC" else ascending[::-1]

    pages = walk_forward(gql, token, 2, orderBy=order_by(field, direction))
    backward = walk_backward(gql, token, 2, orderBy=order_by(field, direction))

    assert [label_of[id] for page in pages for id in ids(page)] == expected
    assert [label_of[id] for page in backward[::-1] for id in ids(page)] == expected


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_updated_at_order_follows_the_latest_change(
    gql: GraphQL, accounts: Accounts, direction: str
) -> None:
    token = accounts.token()
    first, second, third = create_by_last_name(gql, token, SEVEN[:3])
    gql.data(UPDATE, {"input": {"id": first, "notes": "changed"}}, token)
    ascending = [second, third, first]

    pages = walk_forward(gql, token, 2, orderBy=order_by("UPDATED_AT", direction))

    expected = ascending if direction == "ASC" else ascending[::-1]
    assert [id for page in pages for id in ids(page)] == expected


@pytest.mark.parametrize("field", ["CREATED_AT", "UPDATED_AT"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_equal_times_are_ordered_by_id(
    app: Flask, gql: GraphQL, accounts: Accounts, field: str, direction: str
) -> None:
    token = accounts.token()
    created = create_by_last_name(gql, token, SEVEN)
    same_time = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    with app.app_context():
        db.session.execute(update(Contact).values(created_at=same_time))
        db.session.execute(update(Contact).values(updated_at=same_time))
        db.session.commit()
    by_id = sorted(created, key=lambda id: pk_of(id, "Contact") or 0)

    pages = walk_forward(gql, token, 3, orderBy=order_by(field, direction))

    expected = by_id if direction == "ASC" else by_id[::-1]
    assert [id for page in pages for id in ids(page)] == expected


def test_default_order_falls_back_when_there_is_no_last_name(
    gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    label_of = {
        create_contact(gql, token, **fields): label
        for label, fields in [
            ("zeta-company", {"company": "Zeta Corp"}),
            ("baker", {"firstName": "Amy", "lastName": "Baker"}),
            ("email-only", {"emails": [{"value": "dora@example.com"}]}),
            ("acme-company", {"company": "acme", "jobTitle": "Buyer"}),
            ("phone-only", {"phones": [{"value": "+1 650-253-0000"}]}),
            ("carl", {"firstName": "Carl", "company": "Aardvark Ltd"}),
        ]
    }

    connection = contacts_page(gql, token)

    assert [label_of[id] for id in ids(connection)] == [
        "phone-only",
        "acme-company",
        "baker",
        "carl",
        "email-only",
        "zeta-company",
    ]


def test_changes_between_pages_neither_repeat_nor_skip_contacts(
    gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    created = create_by_last_name(gql, token, SEVEN[:6])
    first_page = contacts_page(gql, token, first=3)
    # The contact at the cursor and one already seen go; one that sorts
    # before the cursor and one that sorts after the next page arrive.
    for contact_id in (created[1], created[2]):
        gql.data(DELETE, {"id": contact_id}, token)
    create_contact(gql, token, lastName="Aaronson")
    late = create_contact(gql, token, lastName="Zimmer")

    rest = walk_forward(gql, token, 3, after=first_page["pageInfo"]["endCursor"])

    assert ids(first_page) == created[:3]
    assert [ids(page) for page in rest] == [created[3:6], [late]]


def test_changes_between_pages_backwards_neither_repeat_nor_skip_contacts(
    gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    created = create_by_last_name(gql, token, SEVEN[:6])
    last_page = contacts_page(gql, token, last=3)
    gql.data(DELETE, {"id": created[3]}, token)
    create_contact(gql, token, lastName="Zimmer")

    rest = contacts_page(
        gql, token, last=3, before=last_page["pageInfo"]["startCursor"]
    )

    assert ids(last_page) == created[3:]
    assert ids(rest) == created[:3]
    assert flags(rest) == (False, True)


def test_lists_only_the_viewers_contacts(gql: GraphQL, accounts: Accounts) -> None:
    owner, other = accounts.token(), accounts.token()
    mine = create_by_last_name(gql, owner, SEVEN[:3])
    create_by_last_name(gql, other, SEVEN[:4])

    connection = contacts_page(gql, owner)

    assert ids(connection) == mine
    assert connection["totalCount"] == 3


def test_contacts_without_a_token_is_unauthenticated(gql: GraphQL) -> None:
    body = gql(CONTACTS)

    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == [
        "UNAUTHENTICATED"
    ]
