"""createContacts, updateContacts and deleteContacts through /graphql: all
or nothing, errors that name the item by index, the same rules as the
single mutations, the change log, the trash, and rate limits by item."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from graphql import parse

from app.schema.limits import query_cost
from tests.helpers import (
    NOTHING_STORED,
    Accounts,
    GraphQL,
    errors_of,
    fetch,
    stored_rows,
)
from tests.support.statements import executions

USER_ERRORS = "userErrors { field message code }"
CREATE_MANY = f"""
mutation CreateMany($input: [CreateContactInput!]!) {{
  createContacts(input: $input) {{
    contacts {{ id displayName birthday emails {{ value primary }}
               tags {{ name contactCount }} version }}
    {USER_ERRORS}
  }}
}}
"""
UPDATE_MANY = f"""
mutation UpdateMany($input: [UpdateContactInput!]!) {{
  updateContacts(input: $input) {{
    contacts {{ id displayName jobTitle emails {{ value }} tags {{ name }} version }}
    {USER_ERRORS}
  }}
}}
"""
DELETE_MANY = f"""
mutation DeleteMany($ids: [ID!]!) {{
  deleteContacts(ids: $ids) {{ deletedIds {USER_ERRORS} }}
}}
"""
HISTORY = """
query History($id: ID!) {
  contact(id: $id) { history { nodes { version kind } } }
}
"""
TRASH = "query { trash(first: 100) { totalCount nodes { id version } } }"
TAGS = "query { tags { name contactCount } }"
RESTORE = """
mutation Restore($id: ID!) { restoreContact(id: $id) { contact { id tags { name } } } }
"""


def create_many(
    gql: GraphQL, token: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(CREATE_MANY, {"input": items}, token)[
        "createContacts"
    ]
    return payload


def created_ids(gql: GraphQL, token: str, items: list[dict[str, Any]]) -> list[str]:
    payload = create_many(gql, token, items)
    assert payload["userErrors"] == []
    return [contact["id"] for contact in payload["contacts"]]


def update_many(
    gql: GraphQL, token: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(UPDATE_MANY, {"input": items}, token)[
        "updateContacts"
    ]
    return payload


def delete_many(gql: GraphQL, token: str, ids: list[str]) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(DELETE_MANY, {"ids": ids}, token)[
        "deleteContacts"
    ]
    return payload


def history(gql: GraphQL, token: str, contact_id: str) -> list[tuple[int, str]]:
    nodes = gql.data(HISTORY, {"id": contact_id}, token)["contact"]["history"]["nodes"]
    return [(node["version"], node["kind"]) for node in nodes]


# --- createContacts ---------------------------------------------------------


def test_create_contacts_creates_every_item_in_order(gql: GraphQL, token: str) -> None:
    payload = create_many(
        gql,
        token,
        [
            {
                "firstName": "Ada",
                "birthday": "1815-12-10",
                "emails": [{"value": "Ada@Example.COM"}, {"value": "a@b.example"}],
                "tags": ["Friends", " work ", "FRIENDS"],
            },
            {"company": "Analytical Engines", "tags": ["friends", "New"]},
            {"emails": [{"value": "x@y.example", "primary": True}]},
        ],
    )

    assert payload["userErrors"] == []
    contacts = payload["contacts"]
    assert [
        (c["displayName"], c["birthday"], c["emails"], c["tags"], c["version"])
        for c in contacts
    ] == [
        (
            "Ada",
            "1815-12-10",
            [
                {"value": "Ada@example.com", "primary": True},
                {"value": "a@b.example", "primary": False},
            ],
            [
                {"name": "Friends", "contactCount": 2},
                {"name": "work", "contactCount": 1},
            ],
            1,
        ),
        (
            "Analytical Engines",
            None,
            [],
            [
                {"name": "Friends", "contactCount": 2},
                {"name": "New", "contactCount": 1},
            ],
            1,
        ),
        ("x@y.example", None, [{"value": "x@y.example", "primary": True}], [], 1),
    ]
    for contact in contacts:
        assert fetch(gql, token, contact["id"]) is not None
        assert history(gql, token, contact["id"]) == [(1, "CREATED")]


def test_created_contacts_are_found_by_search_and_birthday(
    gql: GraphQL, token: str
) -> None:
    [ada] = created_ids(
        gql, token, [{"lastName": "Lovelace", "birthday": "1815-12-10"}]
    )
    found = gql.data(
        'query { contacts(filter: {search: "LOVE"}) { nodes { id } } '
        'upcomingBirthdays(from: "2026-12-01", first: 10) { contact { id } } }',
        None,
        token,
    )
    assert found["contacts"]["nodes"] == [{"id": ada}]
    assert found["upcomingBirthdays"] == [{"contact": {"id": ada}}]


def test_a_batch_of_200_with_one_bad_item_changes_nothing_and_names_it(
    app: Flask, gql: GraphQL, token: str
) -> None:
    items: list[dict[str, Any]] = [
        {
            "firstName": f"Person {i}",
            "tags": ["Batch"],
            "emails": [{"value": f"p{i}@x.example"}],
        }
        for i in range(200)
    ]
    items[117]["emails"] = [{"value": "not an email"}]

    payload = create_many(gql, token, items)

    assert payload["contacts"] is None
    assert errors_of(payload) == [(["input", "117", "emails", "0", "value"], "INVALID")]
    assert stored_rows(app) == NOTHING_STORED


def test_every_failing_item_is_named(gql: GraphQL, token: str) -> None:
    payload = create_many(
        gql,
        token,
        [
            {"firstName": "Fine"},
            {"notes": "no name"},
            {"firstName": "x" * 101, "phones": [{"value": "12"}]},
        ],
    )

    assert payload["contacts"] is None
    assert errors_of(payload) == [
        (["input", "1"], "REQUIRED"),
        (["input", "2", "firstName"], "TOO_LONG"),
        (["input", "2", "phones", "0", "value"], "INVALID"),
    ]


def test_an_empty_batch_does_nothing(gql: GraphQL, token: str) -> None:
    assert create_many(gql, token, []) == {"contacts": [], "userErrors": []}
    assert update_many(gql, token, []) == {"contacts": [], "userErrors": []}
    assert delete_many(gql, token, []) == {"deletedIds": [], "userErrors": []}


@pytest.mark.parametrize(
    ("document", "variables", "message"),
    [
        (
            CREATE_MANY,
            {"input": [{"firstName": "A"}] * 201},
            "`input` may hold at most 200 items, not 201.",
        ),
        (
            UPDATE_MANY,
            {"input": [{"id": "Q29udGFjdDox"}] * 201},
            "`input` may hold at most 200 items, not 201.",
        ),
        (
            DELETE_MANY,
            {"ids": ["Q29udGFjdDox"] * 501},
            "`ids` may hold at most 500 items, not 501.",
        ),
        (
            DELETE_MANY,
            {"ids": ["Q29udGFjdDox", "nonsense"]},
            "`ids.1` is not a valid ID.",
        ),
    ],
)
def test_too_many_items_or_a_malformed_id_is_bad_user_input(
    app: Flask,
    gql: GraphQL,
    token: str,
    document: str,
    variables: dict[str, Any],
    message: str,
) -> None:
    body = gql(document, variables, token)

    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        (message, "BAD_USER_INPUT")
    ]
    assert stored_rows(app) == NOTHING_STORED


def test_without_a_token_is_unauthenticated(gql: GraphQL) -> None:
    assert gql.error_codes(CREATE_MANY, {"input": [{"firstName": "A"}]}) == [
        "UNAUTHENTICATED"
    ]


# --- updateContacts ---------------------------------------------------------


def test_update_contacts_changes_each_item_with_its_own_version(
    gql: GraphQL, token: str
) -> None:
    a, b, c = created_ids(
        gql,
        token,
        [
            {"firstName": "A", "tags": ["Old"], "emails": [{"value": "a@x.example"}]},
            {"firstName": "B", "tags": ["Old", "Kept"]},
            {"firstName": "C"},
        ],
    )

    payload = update_many(
        gql,
        token,
        [
            {"id": a, "expectedVersion": 1, "jobTitle": "Boss", "emails": []},
            {"id": b, "tags": ["Kept", "New"]},
            {"id": c, "firstName": "C"},  # no change: no new version
        ],
    )

    assert payload["userErrors"] == []
    assert payload["contacts"] == [
        {
            "id": a,
            "displayName": "A",
            "jobTitle": "Boss",
            "emails": [],
            "tags": [{"name": "Old"}],
            "version": 2,
        },
        {
            "id": b,
            "displayName": "B",
            "jobTitle": None,
            "emails": [],
            "tags": [{"name": "Kept"}, {"name": "New"}],
            "version": 2,
        },
        {
            "id": c,
            "displayName": "C",
            "jobTitle": None,
            "emails": [],
            "tags": [],
            "version": 1,
        },
    ]
    assert history(gql, token, a) == [(2, "UPDATED"), (1, "CREATED")]
    assert history(gql, token, c) == [(1, "CREATED")]
    assert gql.data(TAGS, None, token)["tags"] == [
        {"name": "Kept", "contactCount": 1},
        {"name": "New", "contactCount": 1},
        {"name": "Old", "contactCount": 1},
    ]
    # A tag no contact carries any more disappears.
    update_many(gql, token, [{"id": a, "tags": []}])
    assert [t["name"] for t in gql.data(TAGS, None, token)["tags"]] == ["Kept", "New"]


def test_update_contacts_keeps_search_and_sort_keys_derived(
    gql: GraphQL, token: str
) -> None:
    [a] = created_ids(
        gql, token, [{"firstName": "Zed", "emails": [{"value": "z@x.example"}]}]
    )
    update_many(
        gql,
        token,
        [{"id": a, "firstName": None, "emails": [{"value": "q@findme.example"}]}],
    )

    found = gql.data(
        'query { contacts(filter: {search: "FINDME"}) { nodes { id displayName } } }',
        None,
        token,
    )["contacts"]["nodes"]
    assert found == [{"id": a, "displayName": "q@findme.example"}]


def test_a_failing_update_item_changes_nothing(
    gql: GraphQL, accounts: Accounts, token: str
) -> None:
    a, b, c = created_ids(gql, token, [{"firstName": n} for n in "ABC"])
    [theirs] = created_ids(gql, accounts.token(), [{"firstName": "T"}])

    payload = update_many(
        gql,
        token,
        [
            {"id": a, "jobTitle": "Changed"},
            {"id": b, "expectedVersion": 7, "jobTitle": "Changed"},
            {"id": theirs, "jobTitle": "Changed"},
            {"id": c, "firstName": None},
            {"id": a, "jobTitle": "Again"},
        ],
    )

    assert payload["contacts"] is None
    assert errors_of(payload) == [
        (["input", "1", "expectedVersion"], "CONFLICT"),
        (["input", "2", "id"], "NOT_FOUND"),
        (["input", "3"], "REQUIRED"),
        (["input", "4", "id"], "INVALID"),
    ]
    for contact_id in (a, b, c):
        contact = fetch(gql, token, contact_id)
        assert contact is not None
        assert (contact["jobTitle"], contact["version"]) == (None, 1)


# --- deleteContacts ---------------------------------------------------------


def test_delete_contacts_moves_them_to_the_trash(gql: GraphQL, token: str) -> None:
    a, _, c = created_ids(gql, token, [{"firstName": n, "tags": ["T"]} for n in "ABC"])

    assert delete_many(gql, token, [c, a]) == {"deletedIds": [c, a], "userErrors": []}

    assert fetch(gql, token, a) is None
    assert fetch(gql, token, c) is None
    trash = gql.data(TRASH, None, token)["trash"]
    assert trash["totalCount"] == 2
    assert sorted((n["id"], n["version"]) for n in trash["nodes"]) == sorted(
        [(a, 2), (c, 2)]
    )
    assert gql.data(TAGS, None, token)["tags"] == [{"name": "T", "contactCount": 1}]
    restored = gql.data(RESTORE, {"id": a}, token)["restoreContact"]["contact"]
    assert restored == {"id": a, "tags": [{"name": "T"}]}
    assert history(gql, token, a)[:2] == [(3, "RESTORED"), (2, "DELETED")]


def test_a_failing_delete_item_deletes_nothing(
    gql: GraphQL, accounts: Accounts, token: str
) -> None:
    ids = created_ids(gql, token, [{"firstName": n} for n in "ABC"])
    [theirs] = created_ids(gql, accounts.token(), [{"firstName": "T"}])
    delete_many(gql, token, [ids[2]])

    payload = delete_many(gql, token, [ids[0], ids[1], ids[0], theirs, ids[2]])

    assert payload["deletedIds"] is None
    assert errors_of(payload) == [
        (["ids", "2"], "INVALID"),
        (["ids", "3"], "NOT_FOUND"),
        (["ids", "4"], "NOT_FOUND"),
    ]
    assert fetch(gql, token, ids[0]) is not None
    assert fetch(gql, token, ids[1]) is not None


# --- rate limits by item ----------------------------------------------------


@pytest.mark.app_settings(RATELIMIT_ENABLED=True, RATELIMIT_PER_TOKEN="5/minute")
def test_a_batch_counts_one_use_of_the_token_per_item(gql: GraphQL, token: str) -> None:
    limited = gql

    assert (
        limited.data(CREATE_MANY, {"input": [{"firstName": "A"}] * 4}, token)[
            "createContacts"
        ]["userErrors"]
        == []
    )
    body = limited(CREATE_MANY, {"input": [{"firstName": "B"}] * 2}, token)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]
    assert (
        limited.data(CREATE_MANY, {"input": [{"firstName": "C"}]}, token)[
            "createContacts"
        ]["userErrors"]
        == []
    )


# --- the SQL does not grow with the batch -----------------------------------


@contextmanager
def statement_kinds(app: Flask) -> Iterator[Counter[str]]:
    """How many statements of each kind (verb and first table) run while
    the block runs; an executemany is one statement."""
    kinds: Counter[str] = Counter()
    with executions(app) as seen:
        yield kinds
    kinds.update(execution.kind for execution in seen)


def batch_statements(
    app: Flask, gql: GraphQL, token: str, size: int
) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """The statements of a create, an update and a delete of `size` items."""
    items = [
        {
            "firstName": f"Person {i}",
            "emails": [{"value": f"p{i}@x.example"}],
            "phones": [{"value": f"+1650253{i:04d}"}],
            "addresses": [{"city": "Paris", "country": "FR"}],
            "tags": ["Batch", f"Group {i % 3}"],
        }
        for i in range(size)
    ]
    with statement_kinds(app) as created:
        ids = created_ids(gql, token, items)
    changes = [
        {
            "id": contact_id,
            "expectedVersion": 1,
            "jobTitle": "Changed",
            "emails": [{"value": f"new{i}@x.example"}],
            "tags": ["Batch", "Changed"],
        }
        for i, contact_id in enumerate(ids)
    ]
    with statement_kinds(app) as updated:
        assert update_many(gql, token, changes)["userErrors"] == []
    with statement_kinds(app) as deleted:
        assert delete_many(gql, token, ids)["userErrors"] == []
    return created, updated, deleted


def test_the_statements_of_a_batch_do_not_grow_with_its_items(
    app: Flask, gql: GraphQL, accounts: Accounts
) -> None:
    one, ten, full = (
        batch_statements(app, gql, accounts.token(), size) for size in (1, 10, 200)
    )

    assert one == ten == full
    created, updated, deleted = full
    # At most a few statements of each kind: the lists of the contacts
    # read back (and locked) are one statement per list. The groups of
    # duplicates relinked around the written contacts read their facts and
    # who shares an email, phone or name with them, once per step outward
    # (app/services/duplicate_groups.py): a few more reads by email and
    # phone key, none for a delete (the trashed have no facts to follow).
    assert max(created.values()) <= 5
    assert max(updated.values()) <= 6
    assert max(deleted.values()) <= 3
    # The whole request, the token's check and the payload's reads included.
    assert sum(created.values()) <= 35
    assert sum(updated.values()) <= 40
    assert sum(deleted.values()) <= 20


# --- concurrent batches on PostgreSQL ---------------------------------------


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_concurrent_batches_on_postgresql_lose_nothing(
    app: Flask, gql: GraphQL, token: str
) -> None:
    ids = created_ids(gql, token, [{"firstName": f"P{i}"} for i in range(100)])
    batches: list[tuple[str, dict[str, Any], str]] = [
        (
            UPDATE_MANY,
            {"input": [{"id": i, "jobTitle": "J"} for i in ids]},
            "updateContacts",
        ),
        (
            UPDATE_MANY,
            {"input": [{"id": i, "notes": "N"} for i in ids]},
            "updateContacts",
        ),
        *[
            (
                CREATE_MANY,
                {
                    "input": [
                        {"firstName": f"New {n}.{i}", "tags": ["Shared", f"T{i % 7}"]}
                        for i in range(50)
                    ]
                },
                "createContacts",
            )
            for n in range(3)
        ],
    ]
    start = threading.Barrier(len(batches))
    results: list[Any] = [None] * len(batches)

    def run(index: int) -> None:
        document, variables, field = batches[index]
        client = GraphQL(app.test_client())
        start.wait()
        results[index] = client.data(document, variables, token)[field]["userErrors"]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [[]] * len(batches)
    everything = gql.data(
        "query { contacts(first: 100) { totalCount } tags { name contactCount } }",
        None,
        token,
    )
    assert everything["contacts"]["totalCount"] == 250
    tags = {tag["name"]: tag["contactCount"] for tag in everything["tags"]}
    assert tags["Shared"] == 150
    assert sum(tags[f"T{i}"] for i in range(7)) == 150
    for contact_id in ids:
        contact = fetch(gql, token, contact_id)
        assert contact is not None
        assert (contact["jobTitle"], contact["notes"], contact["version"]) == (
            "J",
            "N",
            3,
        )
    assert history(gql, token, ids[0])[0][0] == 3
    assert [kind for _, kind in history(gql, token, ids[0])] == [
        "UPDATED",
        "UPDATED",
        "CREATED",
    ]


# --- the query cost counts items --------------------------------------------


@pytest.mark.parametrize(
    ("document", "variables", "cost"),
    [
        # 200 items, and 200 contacts of up to 50 emails each.
        (
            "mutation($input: [CreateContactInput!]!) { createContacts(input: $input)"
            " { contacts { id emails { value } } userErrors { field } } }",
            {"input": [{"firstName": "A"}] * 200},
            200 + 200 + 200 * 50,
        ),
        (
            'mutation { createContacts(input: [{firstName: "A"}, {firstName: "B"}])'
            " { contacts { id } } }",
            {},
            2 + 2,
        ),
        # One input object where a list is expected is a list of one.
        (
            'mutation { updateContacts(input: {id: "x"}) { contacts { id } } }',
            {},
            1 + 1,
        ),
        (
            "mutation($ids: [ID!]!) { deleteContacts(ids: $ids) { deletedIds } }",
            {"ids": ["a", "b", "c"]},
            3,
        ),
        # Each batch counts its own items, fragments included.
        (
            "mutation($a: [ID!]!, $b: [CreateContactInput!]!) {"
            " deleteContacts(ids: $a) { deletedIds }"
            " createContacts(input: $b) { ...Made } }"
            " fragment Made on ContactsPayload { contacts { tags { name } } }",
            {"a": ["a"] * 5, "b": [{}] * 4},
            5 + 4 + 4 + 4 * 50,
        ),
    ],
)
def test_the_query_cost_counts_a_batch_by_its_items(
    document: str, variables: dict[str, Any], cost: int
) -> None:
    assert query_cost(parse(document), variables, None) == cost
