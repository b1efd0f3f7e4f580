"""contactChanges, black-box through /graphql: a full download without a
token, then each change once with one, tombstones for what was trashed or
purged, the token on the last page only, and SYNC_TOKEN_EXPIRED for a
token past the window or not the viewer's. A client that applies what it
is sent ends equal to a full read, whatever writes come in between (a
property-based test)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services import sync
from tests.helpers import (
    Accounts,
    GraphQL,
    create_contact,
    delete,
    update_contact,
)
from tests.operations import load

CHANGES = """
query Changes($syncToken: String, $first: Int, $after: String) {
  contactChanges(syncToken: $syncToken, first: $first, after: $after) {
    changes { contact { id displayName version } deletedId deletedAt }
    pageInfo { hasNextPage hasPreviousPage endCursor }
    nextSyncToken
  }
}
"""
FULL_READ = "{ contacts(first: 100) { nodes { id displayName version } } }"
RESTORE = load("restore-contact")
PURGE = load("purge-contact")


def changes(gql: GraphQL, token: str, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = gql.data(CHANGES, variables, token)["contactChanges"]
    return found


def sync_all(
    gql: GraphQL, token: str, sync_token: str | None, first: int = 100
) -> tuple[list[dict[str, Any]], str]:
    """Every change since `sync_token`, page by page; and the next token."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = changes(gql, token, syncToken=sync_token, first=first, after=after)
        found += page["changes"]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["nextSyncToken"]
            return found, page["nextSyncToken"]
        assert page["nextSyncToken"] is None
        after = page["pageInfo"]["endCursor"]


def full_read(gql: GraphQL, token: str) -> dict[str, dict[str, Any]]:
    nodes = gql.data(FULL_READ, {}, token)["contacts"]["nodes"]
    return {node["id"]: node for node in nodes}


def summary(found: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [
        ("contact", c["contact"]["displayName"])
        if c["contact"]
        else ("gone", c["deletedId"])
        for c in found
    ]


def test_without_a_token_every_live_contact_a_page_at_a_time(
    gql: GraphQL, token: str
) -> None:
    made = [create_contact(gql, token, {"firstName": f"P{i}"}) for i in range(5)]
    delete(gql, token, made[1]["id"])

    first = changes(gql, token, first=2)
    second = changes(gql, token, first=2, after=first["pageInfo"]["endCursor"])

    assert summary(first["changes"] + second["changes"]) == [
        ("contact", "P0"),
        ("contact", "P2"),
        ("contact", "P3"),
        ("contact", "P4"),
    ]
    assert first["nextSyncToken"] is None
    assert second["nextSyncToken"]
    assert [p["pageInfo"]["hasNextPage"] for p in (first, second)] == [True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in (first, second)] == [
        False,
        True,
    ]


def test_with_a_token_each_change_once_as_it_is_now_and_tombstones(
    gql: GraphQL, token: str
) -> None:
    kept = create_contact(gql, token, {"firstName": "Kept"})
    edited = create_contact(gql, token, {"firstName": "Edited"})
    trashed = create_contact(gql, token, {"firstName": "Trashed"})
    purged = create_contact(gql, token, {"firstName": "Purged"})
    _, sync_token = sync_all(gql, token, None)

    update_contact(gql, token, {"id": edited["id"], "lastName": "Once"})
    update_contact(gql, token, {"id": edited["id"], "lastName": "Twice"})
    new = create_contact(gql, token, {"firstName": "New"})
    delete(gql, token, trashed["id"])
    delete(gql, token, purged["id"])
    gql.data(PURGE, {"id": purged["id"]}, token)
    found, next_token = sync_all(gql, token, sync_token)

    assert [
        (c["contact"] and c["contact"]["id"], c["contact"] and c["contact"]["version"])
        for c in found[:2]
    ] == [(edited["id"], 3), (new["id"], 1)]
    assert found[0]["contact"]["displayName"] == "Edited Twice"
    assert [(c["contact"], c["deletedId"]) for c in found[2:]] == [
        (None, trashed["id"]),
        (None, purged["id"]),
    ]
    assert all(c["deletedAt"] for c in found[2:])
    assert all(c["deletedAt"] is None for c in found[:2])
    assert kept["id"] not in {c["contact"]["id"] for c in found[:2]}
    assert sync_all(gql, token, next_token)[0] == []  # nothing since


def test_a_restore_is_sent_as_the_contact_again(gql: GraphQL, token: str) -> None:
    contact = create_contact(gql, token, {"firstName": "Back"})
    delete(gql, token, contact["id"])
    _, sync_token = sync_all(gql, token, None)

    gql.data(RESTORE, {"id": contact["id"]}, token)
    found, _ = sync_all(gql, token, sync_token)

    assert [(c["contact"]["id"], c["contact"]["version"]) for c in found] == [
        (contact["id"], 3)
    ]


def test_a_change_is_in_the_next_sync_at_once(gql: GraphQL, token: str) -> None:
    _, sync_token = sync_all(gql, token, None)
    contact = create_contact(gql, token, {"firstName": "Now"})

    found, _ = sync_all(gql, token, sync_token)

    assert [c["contact"]["id"] for c in found] == [contact["id"]]


def expired_message(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["extensions"]["code"], e["message"]) for e in body["errors"]]


EXPIRED = (
    "SYNC_TOKEN_EXPIRED",
    "The sync token has expired or is not this account's; sync again without a token.",
)


def test_another_accounts_token_or_a_forged_one_is_expired(
    gql: GraphQL, token: str, accounts: Accounts
) -> None:
    other = accounts.token()
    _, theirs = sync_all(gql, other, None)
    _, mine = sync_all(gql, token, None)

    for bad in (theirs, mine[:-2] + "xx", "not a token", ""):
        body = gql(CHANGES, {"syncToken": bad}, token)
        assert body["data"] is None
        assert expired_message(body) == [EXPIRED]


def test_a_token_past_the_sync_window_is_expired(
    app: Flask, gql: GraphQL, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sync_token = sync_all(gql, token, None)
    # The window shrinks to nothing: the token is now older than it.
    monkeypatch.setattr(sync, "window", lambda: timedelta(seconds=-1))

    body = gql(CHANGES, {"syncToken": sync_token}, token)

    assert expired_message(body) == [EXPIRED]
    monkeypatch.undo()
    assert "errors" not in gql(CHANGES, {"syncToken": sync_token}, token)


def test_a_cursor_belongs_to_its_sync(gql: GraphQL, token: str) -> None:
    for index in range(3):
        create_contact(gql, token, {"firstName": f"P{index}"})
    _, sync_token = sync_all(gql, token, None)
    cursor = changes(gql, token, first=1)["pageInfo"]["endCursor"]

    assert gql.error_codes(
        CHANGES, {"syncToken": sync_token, "after": cursor}, token
    ) == ["BAD_USER_INPUT"]
    assert gql.error_codes(CHANGES, {"after": "garbage"}, token) == ["BAD_USER_INPUT"]
    assert gql.error_codes(CHANGES, {"first": 101}, token) == ["BAD_USER_INPUT"]
    assert gql.error_codes(CHANGES, {}) == ["UNAUTHENTICATED"]


# --- a client that applies the changes ends equal to a full read ------------

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 99)),
        st.tuples(st.just("update"), st.integers(0, 20), st.integers(0, 99)),
        st.tuples(st.just("delete"), st.integers(0, 20)),
        st.tuples(st.just("restore"), st.integers(0, 20)),
        st.tuples(st.just("purge"), st.integers(0, 20)),
        st.tuples(st.just("sync"), st.integers(1, 3)),
    ),
    max_size=25,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS)
def test_a_client_applying_the_changes_ends_equal_to_a_full_read(
    gql: GraphQL, accounts: Accounts, operations: list[tuple[Any, ...]]
) -> None:
    token = accounts.token()
    made: list[str] = []  # every contact ever created, live or not
    client: dict[str, dict[str, Any]] = {}
    sync_token: str | None = None

    def pick(index: int) -> str | None:
        return made[index % len(made)] if made else None

    def apply_sync(page_size: int) -> None:
        nonlocal sync_token
        found, sync_token = sync_all(gql, token, sync_token, first=page_size)
        for change in found:
            if change["contact"] is not None:
                client[change["contact"]["id"]] = change["contact"]
            else:
                client.pop(change["deletedId"], None)
        assert client == full_read(gql, token)

    for operation in operations:
        kind, *args = operation
        target = pick(args[0])
        if kind == "create":
            made.append(create_contact(gql, token, {"firstName": f"N{args[0]}"})["id"])
        elif kind == "sync":
            apply_sync(args[0])
        elif target is None:
            continue
        elif kind == "update":
            gql.data(
                load("update-contact"),
                {"input": {"id": target, "lastName": f"L{args[1]}"}},
                token,
            )
        elif kind == "delete":
            delete(gql, token, target)
        elif kind == "restore":
            gql.data(RESTORE, {"id": target}, token)
        else:
            gql.data(PURGE, {"id": target}, token)
    apply_sync(2)
