"""Every user sees and changes only their own contacts and tags: another
user's behave exactly like missing ones, and stay as they were."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import (
    GraphQL,
    create_contact,
    delete,
    errors_of,
    fetch,
    node,
    update,
    update_contact,
)
from tests.operations import CONTACT, CREATE, DELETE, NODE, UPDATE
from tests.support.isolation import SNAPSHOT, Alice


def snapshot(gql: GraphQL, token: str) -> dict[str, Any]:
    """Everything the user can read."""
    return gql.data(SNAPSHOT, token=token)


def test_another_users_contact_is_null(gql: GraphQL, alice: Alice, bob: str) -> None:
    assert fetch(gql, bob, alice.contact_id) is None


def test_node_of_another_users_contact_tag_or_user_is_null(
    gql: GraphQL, alice: Alice, bob: str
) -> None:
    for global_id in (alice.contact_id, alice.user_id, *alice.tag_ids):
        assert node(gql, bob, global_id) is None


def test_another_user_sees_no_contacts_and_no_tags(
    gql: GraphQL, alice: Alice, bob: str
) -> None:
    assert snapshot(gql, bob)["contacts"] == {"totalCount": 0, "nodes": []}
    assert snapshot(gql, bob)["tags"] == []


@pytest.mark.parametrize(
    "change",
    [
        {"notes": "taken over"},
        {"notes": "taken over", "expectedVersion": 1},
        {"notes": "taken over", "expectedVersion": 99},
        {"firstName": "x" * 101},
        {"tags": []},
    ],
    ids=["plain", "current-version", "stale-version", "invalid", "drop-tags"],
)
def test_updating_another_users_contact_is_not_found_and_changes_nothing(
    gql: GraphQL, alice: Alice, bob: str, change: dict[str, Any]
) -> None:
    before = snapshot(gql, alice.token)

    payload = update(gql, bob, {"id": alice.contact_id, **change})

    assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]
    assert payload["contact"] is None
    assert snapshot(gql, alice.token) == before


def test_deleting_another_users_contact_is_not_found_and_changes_nothing(
    gql: GraphQL, alice: Alice, bob: str
) -> None:
    before = snapshot(gql, alice.token)

    payload = delete(gql, bob, alice.contact_id)

    assert errors_of(payload) == [(["id"], "NOT_FOUND")]
    assert payload["deletedId"] is None
    assert snapshot(gql, alice.token) == before


def test_same_tag_names_make_separate_tags_per_user(
    gql: GraphQL, alice: Alice, bob: str
) -> None:
    before = snapshot(gql, alice.token)

    contact = create_contact(gql, bob, {"firstName": "Bo", "tags": ["friends", "WORK"]})

    bob_tags = snapshot(gql, bob)["tags"]
    assert [(tag["name"], tag["contactCount"]) for tag in bob_tags] == [
        ("friends", 1),
        ("WORK", 1),
    ]
    assert not {tag["id"] for tag in bob_tags} & set(alice.tag_ids)
    assert snapshot(gql, alice.token) == before

    update_contact(gql, bob, {"id": contact["id"], "tags": []})
    delete(gql, bob, contact["id"])

    assert snapshot(gql, bob)["tags"] == []
    assert snapshot(gql, alice.token) == before


def test_another_users_activity_leaves_the_first_users_data_unchanged(
    gql: GraphQL, alice: Alice, bob: str
) -> None:
    before = snapshot(gql, alice.token)

    contact = create_contact(
        gql,
        bob,
        {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "emails": [{"value": "ada@example.com"}],
            "tags": ["Friends"],
        },
    )
    update_contact(gql, bob, {"id": contact["id"], "notes": "mine"})
    delete(gql, bob, contact["id"])

    assert snapshot(gql, alice.token) == before


ANONYMOUS_OPERATIONS = [
    pytest.param("{ contacts { totalCount } }", {}, id="contacts"),
    pytest.param(CONTACT, {"id": "contact"}, id="contact"),
    pytest.param(CREATE, {"input": {"firstName": "Eve"}}, id="createContact"),
    pytest.param(
        UPDATE, {"input": {"id": "contact", "notes": "x"}}, id="updateContact"
    ),
    pytest.param(DELETE, {"id": "contact"}, id="deleteContact"),
    pytest.param("{ tags { id } }", {}, id="tags"),
    pytest.param(NODE, {"id": "contact"}, id="node-contact"),
    pytest.param(NODE, {"id": "tag"}, id="node-tag"),
]


def with_alices_ids(variables: Any, alice: Alice) -> Any:
    """`variables` with the placeholders "contact" and "tag" made real IDs."""
    if isinstance(variables, dict):
        return {key: with_alices_ids(value, alice) for key, value in variables.items()}
    return {"contact": alice.contact_id, "tag": alice.tag_ids[0]}.get(
        variables, variables
    )


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-token", "garbage"])
@pytest.mark.parametrize(("operation", "variables"), ANONYMOUS_OPERATIONS)
def test_without_a_valid_token_every_contact_field_is_unauthenticated(
    gql: GraphQL,
    alice: Alice,
    operation: str,
    variables: dict[str, Any],
    token: str | None,
) -> None:
    before = snapshot(gql, alice.token)

    codes = gql.error_codes(operation, with_alices_ids(variables, alice), token)

    assert codes == ["UNAUTHENTICATED"]
    assert snapshot(gql, alice.token) == before
