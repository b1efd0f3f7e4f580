"""examples/: every operation validates against schema.graphql, and the whole
set runs in order against the app the way a frontend would use it, with the
variables files as written (ids, cursors and tokens filled in from earlier
responses)."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from graphql import (
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from app.services.mail import OUTBOX
from tests.helpers import GraphQL
from tests.support.examples_schema import REPO

EXAMPLES = REPO / "examples"

# The order a frontend meets them in; test_the_examples_run_in_order runs
# them in this order, and a new example must be added here and to that test.
RUN_ORDER = (
    "register",
    "login",
    "me",
    "create-contact",
    "list-contacts",
    "search-contacts",
    "get-contact",
    "update-contact",
    "upcoming-birthdays",
    "refresh-token",
    "tags",
    "contact-changes",
    "delete-contact",
    "trash",
    "restore-contact",
    "contact-history",
    "revert-contact",
    "purge-contact",
    "empty-trash",
    "create-contacts",
    "import-contacts",
    "update-contacts",
    "rename-tag",
    "delete-tag",
    "delete-contacts",
    "duplicate-contacts",
    "merge-contacts",
    "undo-merge",
    "list-sessions",
    "revoke-session",
    "change-password",
    "revoke-other-sessions",
    "logout",
    "request-password-reset",
    "reset-password",
    "delete-account",
)
EXAMPLE_NAMES = sorted(path.stem for path in EXAMPLES.glob("*.graphql"))


def operation_name(example: str) -> str:
    """list-contacts -> ListContacts."""
    return "".join(part.capitalize() for part in example.split("-"))


def query_of(example: str) -> str:
    return (EXAMPLES / f"{example}.graphql").read_text(encoding="utf-8")


def variables_of(example: str) -> dict[str, Any]:
    variables: dict[str, Any] = json.loads(
        (EXAMPLES / f"{example}.variables.json").read_text(encoding="utf-8")
    )
    return variables


def test_every_example_has_a_variables_file_and_a_place_in_the_run() -> None:
    variables_files = sorted(
        path.name.removesuffix(".variables.json")
        for path in EXAMPLES.glob("*.variables.json")
    )

    assert EXAMPLE_NAMES, f"no examples in {EXAMPLES}"
    assert variables_files == EXAMPLE_NAMES
    assert sorted(RUN_ORDER) == EXAMPLE_NAMES
    assert sorted(path.name for path in EXAMPLES.iterdir()) == sorted(
        [f"{name}.graphql" for name in EXAMPLE_NAMES]
        + [f"{name}.variables.json" for name in EXAMPLE_NAMES]
        + ["README.md"]
    )


def test_the_readme_lists_every_example() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")

    linked = re.findall(r"\]\(([a-z-]+)\.graphql\)", readme)
    assert sorted(linked) == EXAMPLE_NAMES


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_example_is_one_documented_operation_valid_against_the_schema(
    checked_in_schema: GraphQLSchema, example: str
) -> None:
    text = query_of(example)
    document = parse(text)
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]

    assert text.startswith("# "), "start with a comment saying what it does"
    assert validate(checked_in_schema, document) == []
    assert len(operations) == len(document.definitions) == 1
    assert operations[0].name
    assert operations[0].name.value == operation_name(example)


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_example_variables_fit_the_operation(
    checked_in_schema: GraphQLSchema, example: str
) -> None:
    (operation,) = parse(query_of(example)).definitions
    assert isinstance(operation, OperationDefinitionNode)
    variables = variables_of(example)
    definitions = operation.variable_definitions or ()
    declared = {node.variable.name.value for node in definitions}

    # A list of errors when a value does not fit its variable's type.
    coerced = get_variable_values(checked_in_schema, definitions, variables)

    assert not isinstance(coerced, list), [error.message for error in coerced]
    assert set(variables) == declared, "give every variable, even if null"


class Frontend:
    """Runs the examples over HTTP and checks each response is a success."""

    def __init__(self, gql: GraphQL) -> None:
        self.gql = gql
        self.ran: list[str] = []

    def run(
        self,
        example: str,
        token: str | None = None,
        fill: dict[tuple[str, ...], Any] | None = None,
    ) -> dict[str, Any]:
        """The `data` of running `example` with its variables file, where each
        path in `fill` (which the file must have) gets a value from earlier."""
        variables = copy.deepcopy(variables_of(example))
        for path, value in (fill or {}).items():
            *parents, key = path
            target = variables
            for parent in parents:
                target = target[parent]
            assert key in target, f"{example}.variables.json lacks {'.'.join(path)}"
            target[key] = value
        body = self.gql(query_of(example), variables, token)
        assert "errors" not in body, (example, body["errors"])
        data: dict[str, Any] = body["data"]
        assert user_errors(data) == [], (example, data)
        if example not in self.ran:
            self.ran.append(example)
        return data


def user_errors(value: Any) -> list[Any]:
    """Every userErrors entry anywhere in `value`."""
    if isinstance(value, dict):
        found = list(value.get("userErrors", []))
        for key, item in value.items():
            if key != "userErrors":
                found += user_errors(item)
        return found
    if isinstance(value, list):
        return [error for item in value for error in user_errors(item)]
    return []


def mailed_reset_token(app: Flask) -> str:
    """The token of the reset link that the last message carried (the
    testing app's mail backend keeps what it sends: `locmem`)."""
    assert OUTBOX.wait_idle(10)
    message = app.extensions["mailman"].outbox[-1]
    token: str = message.body.split("?token=", 1)[1].split()[0]
    return token


def test_the_examples_run_in_order(app: Flask, gql: GraphQL) -> None:
    frontend = Frontend(gql)

    registered = frontend.run("register")["register"]
    assert registered["user"]["email"] == "ada@example.com"
    assert registered["user"]["name"] == "Ada Lovelace"
    assert registered["expiresIn"] == 900
    user_id = registered["user"]["id"]

    logged_in = frontend.run("login")["login"]
    assert logged_in["user"] == {
        "id": user_id,
        "email": "ada@example.com",
        "name": "Ada Lovelace",
    }
    token, refresh = logged_in["accessToken"], logged_in["refreshToken"]

    assert frontend.run("me", token)["me"] == registered["user"]

    contact = frontend.run("create-contact", token)["createContact"]["contact"]
    contact_id = contact.pop("id")
    assert contact.pop("createdAt")
    assert contact == {
        "displayName": "Grace Hopper",
        "firstName": "Grace",
        "lastName": "Hopper",
        "company": "US Navy",
        "jobTitle": "Computer scientist",
        "birthday": "1906-12-09",
        "favorite": False,
        "emails": [{"value": "grace@navy.example", "label": "work", "primary": True}],
        "phones": [{"value": "+16502530000", "label": "office", "primary": True}],
        "addresses": [{"label": "work", "city": "Arlington", "country": "US"}],
        "tags": [
            {"name": "Navy", "contactCount": 1},
            {"name": "Pioneers", "contactCount": 1},
        ],
        "version": 1,
    }

    page = frontend.run("list-contacts", token)["contacts"]
    assert page["totalCount"] == 1
    assert page["pageInfo"]["hasNextPage"] is False
    assert [(node["id"], node["displayName"]) for node in page["nodes"]] == [
        (contact_id, "Grace Hopper")
    ]
    next_page = frontend.run(
        "list-contacts", token, {("after",): page["pageInfo"]["endCursor"]}
    )["contacts"]
    assert next_page == {
        "totalCount": 1,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [],
    }

    found = frontend.run("search-contacts", token)["contacts"]
    assert found["totalCount"] == 1
    assert [node["id"] for node in found["nodes"]] == [contact_id]

    got = frontend.run("get-contact", token, {("id",): contact_id})["contact"]
    assert (got["id"], got["displayName"], got["version"]) == (
        contact_id,
        "Grace Hopper",
        1,
    )
    assert got["emails"] == contact["emails"]
    assert got["phones"] == contact["phones"]

    updated = frontend.run("update-contact", token, {("input", "id"): contact_id})[
        "updateContact"
    ]["contact"]
    assert updated["updatedAt"]
    del updated["updatedAt"]
    assert updated == {
        "id": contact_id,
        "displayName": "Grace Hopper",
        "jobTitle": "Rear Admiral",
        "favorite": True,
        "tags": [{"name": "Pioneers"}],
        "version": 2,
    }

    birthdays = frontend.run("upcoming-birthdays", token)["upcomingBirthdays"]
    assert birthdays == [
        {
            "date": "2026-12-09",
            "daysUntil": 8,
            "turningAge": 120,
            "contact": {
                "id": contact_id,
                "displayName": "Grace Hopper",
                "birthday": "1906-12-09",
                "emails": [{"value": "grace@navy.example"}],
            },
        }
    ]

    refreshed = frontend.run("refresh-token", None, {("refreshToken",): refresh})[
        "refreshToken"
    ]
    assert refreshed["expiresIn"] == 900
    assert refresh != refreshed["refreshToken"]
    token, refresh = refreshed["accessToken"], refreshed["refreshToken"]

    tags = frontend.run("tags", token)["tags"]
    assert [(tag["name"], tag["contactCount"]) for tag in tags] == [("Pioneers", 1)]

    synced = frontend.run("contact-changes", token)["contactChanges"]
    assert [c["contact"]["id"] for c in synced["changes"]] == [contact_id]
    sync_token = synced["nextSyncToken"]
    assert sync_token

    deleted = frontend.run("delete-contact", token, {("id",): contact_id})
    assert deleted["deleteContact"] == {"deletedId": contact_id, "userErrors": []}

    trashed = frontend.run("trash", token)["trash"]
    assert trashed["totalCount"] == 1
    [in_trash] = trashed["nodes"]
    assert (in_trash["id"], in_trash["version"]) == (contact_id, 3)
    assert in_trash["deletedAt"]

    restored = frontend.run("restore-contact", token, {("id",): contact_id})
    assert restored["restoreContact"]["contact"] == {
        "id": contact_id,
        "displayName": "Grace Hopper",
        "version": 4,
        "deletedAt": None,
        "tags": [{"name": "Pioneers"}],
    }

    history = frontend.run("contact-history", token, {("id",): contact_id})
    revisions = history["contact"]["history"]["nodes"]
    assert [(r["version"], r["kind"]) for r in revisions] == [
        (4, "RESTORED"),
        (3, "DELETED"),
        (2, "UPDATED"),
        (1, "CREATED"),
    ]
    assert revisions[1]["changes"][0]["field"] == "deletedAt"

    reverted = frontend.run("revert-contact", token, {("input", "id"): contact_id})[
        "revertContact"
    ]
    assert reverted["contact"] == {
        "id": contact_id,
        "displayName": "Grace Hopper",
        "jobTitle": "Computer scientist",
        "favorite": False,
        "version": 5,
        "tags": [{"name": "Navy"}, {"name": "Pioneers"}],
    }
    assert reverted["currentContact"] is None

    frontend.run("delete-contact", token, {("id",): contact_id})
    purged = frontend.run("purge-contact", token, {("id",): contact_id})
    assert purged["purgeContact"] == {"deletedId": contact_id, "userErrors": []}
    another = frontend.run("create-contact", token)["createContact"]["contact"]
    frontend.run("delete-contact", token, {("id",): another["id"]})
    emptied = frontend.run("empty-trash", token)["emptyTrash"]
    assert emptied == {"purgedCount": 1, "userErrors": []}
    assert frontend.run("trash", token)["trash"]["totalCount"] == 0
    since = frontend.run("contact-changes", token, {("syncToken",): sync_token})
    assert [
        (change["contact"], change["deletedId"])
        for change in since["contactChanges"]["changes"]
    ] == [(None, i) for i in dict.fromkeys([contact_id, another["id"]])]
    # (one tombstone on SQLite, which gives a purged contact's id out again)

    batch = frontend.run("create-contacts", token)["createContacts"]["contacts"]
    assert [(c["displayName"], c["version"]) for c in batch] == [
        ("Katherine Johnson", 1),
        ("Dorothy Vaughan", 1),
    ]
    assert [[t["name"] for t in c["tags"]] for c in batch] == [
        ["NASA"],
        ["NASA", "Pioneers"],
    ]
    batch_ids = [c["id"] for c in batch]
    # A dry run of a vCard file: one new contact, one already there
    # (Katherine Johnson, by email), one that fails; nothing is created.
    imported = frontend.run("import-contacts", token)["importContacts"]
    assert [
        imported[count]
        for count in ("importedCount", "duplicateCount", "skippedCount", "failedCount")
    ] == [1, 1, 0, 1]
    assert [
        (r["index"], r["status"], r["contact"], r["duplicateOf"], r["errors"])
        for r in imported["records"]
    ] == [
        (0, "IMPORTED", None, None, []),
        (
            1,
            "DUPLICATE",
            None,
            {"id": batch_ids[0], "displayName": "Katherine Johnson"},
            [],
        ),
        (
            2,
            "FAILED",
            None,
            None,
            [
                {
                    "field": ["records", "2", "emails", "0", "value"],
                    "message": "An email address must have an @-sign.",
                    "code": "INVALID",
                }
            ],
        ),
    ]
    changed = frontend.run(
        "update-contacts",
        token,
        {("input", 0, "id"): batch_ids[0], ("input", 1, "id"): batch_ids[1]},
    )["updateContacts"]["contacts"]
    assert [(c["id"], c["jobTitle"], c["favorite"], c["version"]) for c in changed] == [
        (batch_ids[0], "Mathematician", False, 2),
        (batch_ids[1], "Programmer", True, 2),
    ]
    batch_tags = {t["name"]: t["id"] for t in frontend.run("tags", token)["tags"]}
    renamed = frontend.run("rename-tag", token, {("id",): batch_tags["NASA"]})
    assert renamed["renameTag"]["tag"] == {
        "id": batch_tags["NASA"],
        "name": "NASA Langley",
        "contactCount": 2,
    }
    untagged = frontend.run("delete-tag", token, {("id",): batch_tags["Pioneers"]})
    assert untagged["deleteTag"] == {
        "deletedId": batch_tags["Pioneers"],
        "userErrors": [],
    }
    assert [
        (t["name"], t["contactCount"]) for t in frontend.run("tags", token)["tags"]
    ] == [("NASA Langley", 2)]
    gone = frontend.run("delete-contacts", token, {("ids",): batch_ids})[
        "deleteContacts"
    ]
    assert gone == {"deletedIds": batch_ids, "userErrors": []}
    assert frontend.run("trash", token)["trash"]["totalCount"] == 2

    # Grace Hopper twice: one group, linked by all three.
    twins = [
        frontend.run("create-contact", token)["createContact"]["contact"]["id"]
        for _ in range(2)
    ]
    duplicates = frontend.run("duplicate-contacts", token)["duplicateContacts"]
    assert duplicates["pageInfo"]["hasNextPage"] is False
    [group] = duplicates["nodes"]
    assert group["reasons"] == ["SAME_EMAIL", "SAME_PHONE", "SAME_NAME"]
    assert [
        (c["id"], c["displayName"], c["emails"], c["version"])
        for c in group["contacts"]
    ] == [
        (twin, "Grace Hopper", [{"value": "grace@navy.example"}], 1) for twin in twins
    ]

    # The group merged into its first contact, then the merge undone.
    primary, twin = twins
    merged = frontend.run(
        "merge-contacts",
        token,
        {("input", "primaryId"): primary, ("input", "otherIds"): [twin]},
    )["mergeContacts"]
    assert merged["merge"]["mergedIds"] == [twin]
    assert merged["contact"] == {
        "id": primary,
        "displayName": "Grace Hopper",
        "company": "US Navy",
        "notes": None,
        "favorite": False,
        "emails": [{"value": "grace@navy.example", "primary": True}],
        "phones": [{"value": "+16502530000", "primary": True}],
        "tags": [{"name": "Navy"}, {"name": "Pioneers"}],
        "version": 2,
    }
    assert frontend.run("trash", token)["trash"]["totalCount"] == 3
    undone = frontend.run("undo-merge", token, {("id",): merged["merge"]["id"]})
    assert undone["undoMerge"]["contact"] == {
        key: value for key, value in merged["contact"].items() if key != "phones"
    } | {"version": 3}
    assert undone["undoMerge"]["currentContact"] is None
    assert frontend.run("trash", token)["trash"]["totalCount"] == 2

    # Two logins: register's and login's (this one, refreshed since).
    listed = frontend.run("list-sessions", token)["me"]["sessions"]
    assert [session["current"] for session in listed] == [True, False]
    used, created = (
        datetime.fromisoformat(listed[0][key]) for key in ("lastUsedAt", "createdAt")
    )
    assert used > created  # refresh-token moved it
    other_login = listed[1]["id"]

    revoked = frontend.run("revoke-session", token, {("id",): other_login})
    assert revoked["revokeSession"] == {"revokedCount": 1, "userErrors": []}
    assert len(frontend.run("list-sessions", token)["me"]["sessions"]) == 1

    changed = frontend.run("change-password", token)["changePassword"]
    assert changed["expiresIn"] == 900
    token, refresh = changed["accessToken"], changed["refreshToken"]
    new_password = variables_of("change-password")["input"]["newPassword"]
    frontend.run("login", None, {("input", "password"): new_password})

    others = frontend.run("revoke-other-sessions", token)["revokeOtherSessions"]
    assert others == {"revokedCount": 1, "userErrors": []}

    logged_out = frontend.run("logout", token, {("refreshToken",): refresh})
    assert logged_out["logout"] == {"ok": True, "userErrors": []}
    # Logged out means logged out: the access token no longer works.
    assert gql.error_codes(query_of("me"), {}, token) == ["UNAUTHENTICATED"]

    requested = frontend.run("request-password-reset")["requestPasswordReset"]
    assert requested == {"ok": True, "userErrors": []}
    reset = frontend.run(
        "reset-password", None, {("input", "token"): mailed_reset_token(app)}
    )["resetPassword"]
    assert reset["user"] == logged_in["user"]
    reset_password = variables_of("reset-password")["input"]["newPassword"]
    assert variables_of("delete-account")["password"] == reset_password
    signed_in_again = {("input", "password"): reset_password}

    token = frontend.run("login", None, signed_in_again)["login"]["accessToken"]
    deleted_account = frontend.run("delete-account", token)["deleteAccount"]
    assert deleted_account == {"deletedId": user_id, "userErrors": []}

    assert frontend.ran == list(RUN_ORDER)
    # The account is gone, and its tokens with it.
    assert gql.error_codes(query_of("me"), {}, token) == ["UNAUTHENTICATED"]
