"""A contact's history and revertContact, black-box through /graphql: every
change is a revision (newest first) with the fields it changed; a revert
makes an old version again, lists and tags included, as a new version; a
stale expectedVersion is a CONFLICT that carries the contact as it is now."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import parse

from app.schema.limits import query_cost
from tests.helpers import (
    FULL_CONTACT,
    GraphQL,
    create_contact,
    delete,
    errors_of,
    fetch,
    global_id,
    update,
    update_contact,
)
from tests.operations import CONTACT_FIELDS, load

HISTORY = """
query History($id: ID!, $first: Int, $after: String) {
  contact(id: $id) {
    history(first: $first, after: $after) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { version kind changes { field before after } } }
      nodes { version changedAt kind }
    }
  }
}
"""
REVERT = f"""
mutation Revert($input: RevertContactInput!) {{
  revertContact(input: $input) {{
    contact {{ {CONTACT_FIELDS} }}
    currentContact {{ id version notes }}
    userErrors {{ field message code }}
  }}
}}
"""
UPDATE_WITH_CURRENT = """
mutation Update($input: UpdateContactInput!) {
  updateContact(input: $input) {
    contact { id version }
    currentContact { id version notes tags { name } }
    userErrors { field message code }
  }
}
"""
RESTORE = load("restore-contact")


def history(gql: GraphQL, token: str, contact_id: str, **page: Any) -> dict[str, Any]:
    found: dict[str, Any] = gql.data(HISTORY, {"id": contact_id, **page}, token)[
        "contact"
    ]["history"]
    return found


def revisions(gql: GraphQL, token: str, contact_id: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in history(gql, token, contact_id)["edges"]]


def revert(gql: GraphQL, token: str, input: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(REVERT, {"input": input}, token)["revertContact"]
    return payload


def text(value: Any) -> str:
    """A value as FieldChange shows it: JSON text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_a_new_contact_has_one_revision_with_the_fields_it_was_given(
    gql: GraphQL, token: str
) -> None:
    contact = create_contact(
        gql,
        token,
        {
            "firstName": "Grace",
            "birthday": "1906-12-09",
            "emails": [{"value": "grace@navy.example", "label": "work"}],
            "tags": ["Navy"],
        },
    )

    assert revisions(gql, token, contact["id"]) == [
        {
            "version": 1,
            "kind": "CREATED",
            "changes": [
                {"field": "firstName", "before": None, "after": '"Grace"'},
                {"field": "birthday", "before": None, "after": '"1906-12-09"'},
                {
                    "field": "emails",
                    "before": None,
                    "after": text(
                        [
                            {
                                "value": "grace@navy.example",
                                "label": "work",
                                "primary": True,
                            }
                        ]
                    ),
                },
                {"field": "tags", "before": None, "after": '["Navy"]'},
            ],
        }
    ]


def test_every_change_is_a_revision_newest_first_with_what_changed(
    gql: GraphQL, token: str
) -> None:
    contact = create_contact(gql, token, {"firstName": "Grace", "tags": ["Navy"]})
    update_contact(gql, token, {"id": contact["id"], "lastName": "Hopper"})
    update_contact(
        gql, token, {"id": contact["id"], "favorite": True, "tags": ["Pioneers"]}
    )
    update_contact(gql, token, {"id": contact["id"], "favorite": True})  # no change
    delete(gql, token, contact["id"])
    gql.data(RESTORE, {"id": contact["id"]}, token)

    found = revisions(gql, token, contact["id"])

    assert [(r["version"], r["kind"]) for r in found] == [
        (5, "RESTORED"),
        (4, "DELETED"),
        (3, "UPDATED"),
        (2, "UPDATED"),
        (1, "CREATED"),
    ]
    restored, deleted, third, second, _ = (r["changes"] for r in found)
    [trashed] = deleted
    assert (trashed["field"], trashed["before"]) == ("deletedAt", None)
    assert restored == [
        {"field": "deletedAt", "before": trashed["after"], "after": None}
    ]
    assert json.loads(trashed["after"]).endswith("+00:00")
    assert second == [{"field": "lastName", "before": None, "after": '"Hopper"'}]
    assert third == [
        {"field": "favorite", "before": "false", "after": "true"},
        {"field": "tags", "before": '["Navy"]', "after": '["Pioneers"]'},
    ]


def test_history_pages_newest_first(gql: GraphQL, token: str) -> None:
    contact = create_contact(gql, token, {"firstName": "A"})
    for index in range(4):
        update_contact(gql, token, {"id": contact["id"], "notes": f"n{index}"})

    first = history(gql, token, contact["id"], first=2)
    second = history(
        gql, token, contact["id"], first=2, after=first["pageInfo"]["endCursor"]
    )
    last = history(
        gql, token, contact["id"], first=2, after=second["pageInfo"]["endCursor"]
    )

    assert [n["version"] for n in first["nodes"]] == [5, 4]
    assert [n["version"] for n in second["nodes"]] == [3, 2]
    assert [n["version"] for n in last["nodes"]] == [1]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert last["pageInfo"]["hasNextPage"] is False
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    times = [node["changedAt"] for node in first["nodes"] + second["nodes"]]
    assert times == sorted(times, reverse=True)


def test_history_refuses_a_bad_cursor_and_page_size(gql: GraphQL, token: str) -> None:
    contact = create_contact(gql, token, {"firstName": "A"})

    assert gql.error_codes(HISTORY, {"id": contact["id"], "after": "x"}, token) == [
        "BAD_USER_INPUT"
    ]
    assert gql.error_codes(HISTORY, {"id": contact["id"], "first": 101}, token) == [
        "BAD_USER_INPUT"
    ]


def test_revert_restores_scalars_lists_and_tags_as_a_new_version(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    changed = update_contact(
        gql,
        token,
        {
            "id": ada_contact["id"],
            "firstName": "Augusta",
            "birthday": None,
            "notes": None,
            "emails": [],
            "phones": [{"value": "+44 20 7946 0000"}],
            "addresses": [],
            "tags": ["Poets"],
        },
    )
    assert changed["version"] == 2

    payload = revert(
        gql, token, {"id": ada_contact["id"], "toVersion": 1, "expectedVersion": 2}
    )

    assert payload["userErrors"] == []
    assert payload["currentContact"] is None
    reverted = payload["contact"]
    assert {
        key: value
        for key, value in reverted.items()
        if key not in ("id", "createdAt", "updatedAt", "version")
    } == {key: value for key, value in FULL_CONTACT.items() if key != "version"}
    assert reverted["version"] == 3
    assert fetch(gql, token, ada_contact["id"]) == reverted
    assert gql.data("{ tags { name } }", {}, token)["tags"] == [
        {"name": "Friends"},
        {"name": "work"},
    ]
    [latest, *_] = revisions(gql, token, ada_contact["id"])
    assert (latest["version"], latest["kind"]) == (3, "REVERTED")
    assert [change["field"] for change in latest["changes"]] == [
        "firstName",
        "birthday",
        "notes",
        "emails",
        "phones",
        "addresses",
        "tags",
    ]


def test_reverting_to_the_current_state_changes_nothing(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    payload = revert(gql, token, {"id": ada_contact["id"], "toVersion": 1})

    assert payload["userErrors"] == []
    assert payload["contact"] == ada_contact
    assert len(revisions(gql, token, ada_contact["id"])) == 1


@pytest.mark.parametrize("to_version", [0, 2, -1, 2**31 - 1])
def test_revert_to_a_version_the_history_lacks_is_not_found(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], to_version: int
) -> None:
    payload = revert(gql, token, {"id": ada_contact["id"], "toVersion": to_version})

    assert errors_of(payload) == [(["input", "toVersion"], "NOT_FOUND")]
    assert payload["contact"] is None
    assert fetch(gql, token, ada_contact["id"]) == ada_contact


def test_revert_of_a_contact_not_the_viewers_or_in_the_trash_is_not_found(
    gql: GraphQL, token: str, accounts: Any, ada_contact: dict[str, Any]
) -> None:
    other = accounts.token()

    foreign = revert(gql, other, {"id": ada_contact["id"], "toVersion": 1})
    delete(gql, token, ada_contact["id"])
    trashed = revert(gql, token, {"id": ada_contact["id"], "toVersion": 1})
    missing = revert(gql, token, {"id": global_id("Contact", 999), "toVersion": 1})

    for payload in (foreign, trashed, missing):
        assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]
        assert payload["contact"] is None
        assert payload["currentContact"] is None


def test_a_stale_revert_is_a_conflict_with_the_contact_as_it_is_now(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    update_contact(gql, token, {"id": ada_contact["id"], "notes": "now"})

    payload = revert(
        gql, token, {"id": ada_contact["id"], "toVersion": 1, "expectedVersion": 1}
    )

    assert errors_of(payload) == [(["input", "expectedVersion"], "CONFLICT")]
    assert payload["contact"] is None
    assert payload["currentContact"] == {
        "id": ada_contact["id"],
        "version": 2,
        "notes": "now",
    }
    assert len(revisions(gql, token, ada_contact["id"])) == 2


def test_a_stale_update_is_a_conflict_with_the_contact_as_it_is_now(
    gql: GraphQL, token: str
) -> None:
    contact = create_contact(gql, token, {"firstName": "A", "tags": ["x"]})
    update_contact(gql, token, {"id": contact["id"], "notes": "theirs"})

    payload: dict[str, Any] = gql.data(
        UPDATE_WITH_CURRENT,
        {"input": {"id": contact["id"], "expectedVersion": 1, "notes": "mine"}},
        token,
    )["updateContact"]

    assert payload["contact"] is None
    assert errors_of(payload) == [(["input", "expectedVersion"], "CONFLICT")]
    assert payload["currentContact"] == {
        "id": contact["id"],
        "version": 2,
        "notes": "theirs",
        "tags": [{"name": "x"}],
    }


def test_other_user_errors_carry_no_current_contact(gql: GraphQL, token: str) -> None:
    contact = create_contact(gql, token, {"firstName": "A"})

    payload: dict[str, Any] = gql.data(
        UPDATE_WITH_CURRENT,
        {"input": {"id": contact["id"], "firstName": "x" * 101}},
        token,
    )["updateContact"]

    assert errors_of(payload) == [(["input", "firstName"], "TOO_LONG")]
    assert payload["currentContact"] is None
    assert errors_of(update(gql, token, {"id": contact["id"], "firstName": None})) == [
        (["input"], "REQUIRED")
    ]


@pytest.mark.parametrize(
    ("document", "cost"),
    [
        # trash: its page, and each contact's history page below it
        ("{ trash(first: 10) { nodes { id } } }", 10 + 10),
        (
            "{ trash(first: 10) { nodes { history(first: 5) { nodes { version } } } }}",
            10 + 10 * (1 + 5 + 5),
        ),
        # a history page without `first` is the default page of 20
        (
            '{ contact(id: "x") { history { edges { node { version } } } } }',
            20 + 20 * 1,
        ),
        (
            "{ contactChanges(first: 50) { changes { contact { emails { value } } } }}",
            50 + 50 * (1 + 1 * 50),
        ),
    ],
    ids=["trash", "trash-history", "history-default", "contact-changes"],
)
def test_the_new_connections_count_their_pages_in_the_query_cost(
    document: str, cost: int
) -> None:
    assert query_cost(parse(document), {}, None) == cost
