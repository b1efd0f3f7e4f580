"""The trash, black-box through /graphql: deleteContact moves a contact to
it, where every other query loses sight of it; restoreContact brings it
back whole; purgeContact and emptyTrash delete for good."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.helpers import (
    FULL_INPUT,
    NOTHING_STORED,
    GraphQL,
    create_contact,
    delete,
    errors_of,
    fetch,
    global_id,
    node,
    parse_time,
    stored_rows,
    update,
)
from tests.operations import CONTACT_FIELDS, load

TRASH = load("trash")
RESTORE = load("restore-contact")
PURGE = load("purge-contact")
EMPTY_TRASH = load("empty-trash")
TRASH_WHOLE = f"""
query Trash($first: Int, $after: String) {{
  trash(first: $first, after: $after) {{
    totalCount
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ cursor node {{ {CONTACT_FIELDS} deletedAt }} }}
  }}
}}
"""
RESTORE_WHOLE = f"""
mutation Restore($id: ID!) {{
  restoreContact(id: $id) {{
    contact {{ {CONTACT_FIELDS} deletedAt }}
    userErrors {{ field message code }}
  }}
}}
"""
EVERYWHERE = """
query Everywhere($tag: String!, $search: String!) {
  contacts { totalCount nodes { id } }
  tagged: contacts(filter: {tag: $tag}) { totalCount nodes { id } }
  found: contacts(filter: {search: $search}) { totalCount nodes { id } }
  favorites: contacts(filter: {favorite: true}) { totalCount nodes { id } }
  byCreation: contacts(orderBy: {field: CREATED_AT, direction: DESC}) {
    totalCount nodes { id }
  }
  tags { name contactCount }
}
"""


def trash(gql: GraphQL, token: str, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = gql.data(TRASH_WHOLE, variables, token)["trash"]
    return found


def restore(gql: GraphQL, token: str, contact_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(RESTORE_WHOLE, {"id": contact_id}, token)[
        "restoreContact"
    ]
    return payload


def purge(gql: GraphQL, token: str, contact_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(PURGE, {"id": contact_id}, token)["purgeContact"]
    return payload


def everywhere(gql: GraphQL, token: str) -> dict[str, Any]:
    found: dict[str, Any] = gql.data(
        EVERYWHERE, {"tag": "friends", "search": "lovelace"}, token
    )
    return found


def listing(ids: list[str]) -> dict[str, Any]:
    return {"totalCount": len(ids), "nodes": [{"id": i} for i in ids]}


def test_a_trashed_contact_is_invisible_everywhere_and_comes_back_whole(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    favorite = {**FULL_INPUT, "lastName": "Byron", "favorite": True, "tags": []}
    other = create_contact(gql, token, favorite)
    tag_ids = {tag["name"]: tag["id"] for tag in gql.data(TAGS_IDS, {}, token)["tags"]}
    before = everywhere(gql, token)

    deleted = delete(gql, token, ada_contact["id"])

    assert deleted == {"deletedId": ada_contact["id"], "userErrors": []}
    assert fetch(gql, token, ada_contact["id"]) is None
    assert node(gql, token, ada_contact["id"]) is None
    assert node(gql, token, tag_ids["Friends"]) is None
    assert everywhere(gql, token) == {
        "contacts": listing([other["id"]]),
        "tagged": listing([]),
        "found": listing([]),
        "favorites": listing([other["id"]]),
        "byCreation": listing([other["id"]]),
        "tags": [],
    }

    restored = restore(gql, token, ada_contact["id"])

    assert restored["userErrors"] == []
    contact = restored["contact"]
    assert contact == {
        **ada_contact,
        "version": 3,
        "updatedAt": contact["updatedAt"],
        "deletedAt": None,
    }
    assert parse_time(contact["updatedAt"]) > parse_time(ada_contact["updatedAt"])
    assert fetch(gql, token, ada_contact["id"]) == {
        key: value for key, value in contact.items() if key != "deletedAt"
    }
    assert everywhere(gql, token) == before
    assert node(gql, token, tag_ids["Friends"]) == {
        "__typename": "Tag",
        "id": tag_ids["Friends"],
        "name": "Friends",
        "contactCount": 1,
    }
    assert trash(gql, token)["totalCount"] == 0


TAGS_IDS = "{ tags { id name } }"
TAGS_COUNTED = "{ tags { id name contactCount } }"


def test_trash_lists_newest_deletion_first_a_page_at_a_time(
    gql: GraphQL, token: str
) -> None:
    ids = [create_contact(gql, token, {"firstName": f"P{i}"})["id"] for i in range(5)]
    for contact_id in (ids[2], ids[0], ids[4], ids[1]):
        delete(gql, token, contact_id)

    first = trash(gql, token, first=3)
    second = trash(gql, token, first=3, after=first["pageInfo"]["endCursor"])

    assert [edge["node"]["id"] for edge in first["edges"]] == [ids[1], ids[4], ids[0]]
    assert [edge["node"]["firstName"] for edge in second["edges"]] == ["P2"]
    assert first["totalCount"] == second["totalCount"] == 4
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True
    times = [parse_time(e["node"]["deletedAt"]) for e in first["edges"]]
    assert times == sorted(times, reverse=True)
    assert [edge["node"]["version"] for edge in first["edges"]] == [2, 2, 2]
    only = gql.data(TRASH, {"first": 1, "after": None}, token)["trash"]
    assert [n["id"] for n in only["nodes"]] == [ids[1]]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 101}, "`first` must be between 0 and 100."),
        ({"first": -1}, "`first` must be between 0 and 100."),
        ({"after": "bm90IGEgY3Vyc29y"}, "`after` is not a valid cursor."),
    ],
    ids=["first-too-big", "first-negative", "bad-cursor"],
)
def test_trash_refuses_bad_arguments(
    gql: GraphQL, token: str, variables: dict[str, Any], message: str
) -> None:
    body = gql(TRASH, variables, token)

    assert [
        (error["message"], error["extensions"]["code"]) for error in body["errors"]
    ] == [(message, "BAD_USER_INPUT")]


def test_a_trashed_contact_cannot_be_updated_or_deleted_again(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    delete(gql, token, ada_contact["id"])

    assert errors_of(delete(gql, token, ada_contact["id"])) == [(["id"], "NOT_FOUND")]
    updated = update(gql, token, {"id": ada_contact["id"], "notes": "x"})
    assert errors_of(updated) == [(["input", "id"], "NOT_FOUND")]
    assert trash(gql, token)["edges"][0]["node"]["version"] == 2


def test_restore_and_purge_need_a_contact_in_the_viewers_trash(
    gql: GraphQL, token: str, accounts: Any, ada_contact: dict[str, Any]
) -> None:
    other_token = accounts.token()

    live_restore = restore(gql, token, ada_contact["id"])
    live_purge = purge(gql, token, ada_contact["id"])
    delete(gql, token, ada_contact["id"])
    foreign_restore = restore(gql, other_token, ada_contact["id"])
    foreign_purge = purge(gql, other_token, ada_contact["id"])
    missing = restore(gql, token, global_id("Contact", 999))
    a_tag = purge(gql, token, global_id("Tag", 1))

    for payload in (live_restore, foreign_restore, missing):
        assert errors_of(payload) == [(["id"], "NOT_FOUND")]
        assert payload["contact"] is None
    for payload in (live_purge, foreign_purge, a_tag):
        assert errors_of(payload) == [(["id"], "NOT_FOUND")]
        assert payload["deletedId"] is None
    assert [e["node"]["id"] for e in trash(gql, token)["edges"]] == [ada_contact["id"]]
    assert trash(gql, other_token)["edges"] == []


def test_purge_deletes_for_good_and_the_tags_only_it_carried(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], app: Flask
) -> None:
    delete(gql, token, ada_contact["id"])

    payload = purge(gql, token, ada_contact["id"])

    assert payload == {"deletedId": ada_contact["id"], "userErrors": []}
    assert stored_rows(app) == NOTHING_STORED
    assert trash(gql, token)["totalCount"] == 0
    assert errors_of(restore(gql, token, ada_contact["id"])) == [(["id"], "NOT_FOUND")]
    assert errors_of(purge(gql, token, ada_contact["id"])) == [(["id"], "NOT_FOUND")]


def test_a_new_contact_takes_a_tag_kept_by_the_trash_and_the_restore_shares_it(
    gql: GraphQL, token: str
) -> None:
    old = create_contact(gql, token, {"firstName": "Old", "tags": ["Work"]})
    [kept] = gql.data(TAGS_IDS, {}, token)["tags"]
    delete(gql, token, old["id"])

    new = create_contact(gql, token, {"firstName": "New", "tags": ["work"]})
    restore(gql, token, old["id"])

    assert new["tags"] == [{"name": "Work", "contactCount": 1}]
    assert gql.data(TAGS_COUNTED, {}, token)["tags"] == [
        {"id": kept["id"], "name": "Work", "contactCount": 2}
    ]


def test_empty_trash_purges_only_the_viewers_trash(
    gql: GraphQL, token: str, accounts: Any, app: Flask
) -> None:
    other_token = accounts.token()
    mine = [create_contact(gql, token, {"firstName": f"M{i}"}) for i in range(3)]
    theirs = create_contact(gql, other_token, {"firstName": "T", "tags": ["x"]})
    delete(gql, token, mine[0]["id"])
    delete(gql, token, mine[2]["id"])
    delete(gql, other_token, theirs["id"])

    emptied = gql.data(EMPTY_TRASH, {}, token)["emptyTrash"]
    again = gql.data(EMPTY_TRASH, {}, token)["emptyTrash"]

    assert emptied == {"purgedCount": 2, "userErrors": []}
    assert again == {"purgedCount": 0, "userErrors": []}
    assert trash(gql, token)["totalCount"] == 0
    assert [e["node"]["id"] for e in trash(gql, other_token)["edges"]] == [theirs["id"]]
    assert [
        c["id"]
        for c in gql.data("{ contacts { nodes { id } } }", {}, token)["contacts"][
            "nodes"
        ]
    ] == [mine[1]["id"]]
    assert stored_rows(app)["contacts"] == 2


def test_the_trash_needs_a_token(gql: GraphQL) -> None:
    assert gql.error_codes(TRASH, {"first": 1, "after": None}) == ["UNAUTHENTICATED"]
    assert gql.error_codes(EMPTY_TRASH, {}) == ["UNAUTHENTICATED"]
