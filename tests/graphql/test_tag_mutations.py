"""renameTag and deleteTag: a tag's contacts change with it (a new version,
a TAG_RENAMED or TAG_DELETED revision, a change in sync); renaming to a
name the viewer has, ignoring case, merges; someone else's tag and a bad
name change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import (
    Accounts,
    GraphQL,
    create_contact,
    delete,
    errors_of,
    fetch,
    global_id,
    node,
    parse_time,
)
from tests.operations import load

RENAME_TAG = load("rename-tag")
DELETE_TAG = load("delete-tag")
RESTORE_CONTACT = load("restore-contact")
CONTACT_CHANGES = load("contact-changes")
TAGS = "{ tags { id name contactCount } }"
HISTORY = """
query History($id: ID!) {
  contact(id: $id) {
    history { nodes { version kind changes { field before after } } }
  }
}
"""


def tagged(gql: GraphQL, token: str, *names: str) -> dict[str, Any]:
    """A new contact carrying `names`."""
    return create_contact(gql, token, {"firstName": "Someone", "tags": list(names)})


def tag_ids(gql: GraphQL, token: str) -> dict[str, str]:
    return {tag["name"]: tag["id"] for tag in gql.data(TAGS, token=token)["tags"]}


def names_and_counts(gql: GraphQL, token: str) -> list[tuple[str, int]]:
    return [
        (tag["name"], tag["contactCount"])
        for tag in gql.data(TAGS, token=token)["tags"]
    ]


def rename(gql: GraphQL, token: str, tag_id: str, name: str) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(RENAME_TAG, {"id": tag_id, "name": name}, token)[
        "renameTag"
    ]
    return payload


def delete_tag(gql: GraphQL, token: str, tag_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(DELETE_TAG, {"id": tag_id}, token)["deleteTag"]
    return payload


def current(gql: GraphQL, token: str, contact_id: str) -> dict[str, Any]:
    found = fetch(gql, token, contact_id)
    assert found is not None
    return found


def tag_names(gql: GraphQL, token: str, contact_id: str) -> list[str]:
    return [tag["name"] for tag in current(gql, token, contact_id)["tags"]]


def revisions(gql: GraphQL, token: str, contact_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = gql.data(HISTORY, {"id": contact_id}, token)[
        "contact"
    ]["history"]["nodes"]
    return found


def latest_tags_change(
    gql: GraphQL, token: str, contact_id: str
) -> tuple[int, str, Any, Any]:
    """(version, kind, tags before, tags after) of the newest revision."""
    newest = revisions(gql, token, contact_id)[0]
    [change] = [c for c in newest["changes"] if c["field"] == "tags"]
    return (
        newest["version"],
        newest["kind"],
        json.loads(change["before"]),
        json.loads(change["after"]),
    )


def test_rename_renames_the_tag_on_every_contact(gql: GraphQL, token: str) -> None:
    first = tagged(gql, token, "Work", "Family")
    second = tagged(gql, token, "Work")
    work = tag_ids(gql, token)["Work"]

    payload = rename(gql, token, work, "  Job ")

    assert payload == {
        "tag": {"id": work, "name": "Job", "contactCount": 2},
        "userErrors": [],
    }
    assert names_and_counts(gql, token) == [("Family", 1), ("Job", 2)]
    for contact in (first, second):
        now = current(gql, token, contact["id"])
        assert now["version"] == 2
        assert parse_time(now["updatedAt"]) >= parse_time(contact["updatedAt"])
    assert tag_names(gql, token, first["id"]) == ["Family", "Job"]
    assert latest_tags_change(gql, token, first["id"]) == (
        2,
        "TAG_RENAMED",
        ["Family", "Work"],
        ["Family", "Job"],
    )
    assert latest_tags_change(gql, token, second["id"]) == (
        2,
        "TAG_RENAMED",
        ["Work"],
        ["Job"],
    )


def test_a_new_case_of_the_same_name_is_a_rename(gql: GraphQL, token: str) -> None:
    contact = tagged(gql, token, "nasa")
    nasa = tag_ids(gql, token)["nasa"]

    payload = rename(gql, token, nasa, "NASA")

    assert payload["tag"] == {"id": nasa, "name": "NASA", "contactCount": 1}
    assert current(gql, token, contact["id"])["version"] == 2


def test_rename_to_the_same_name_changes_nothing(gql: GraphQL, token: str) -> None:
    contact = tagged(gql, token, "Work")
    work = tag_ids(gql, token)["Work"]

    payload = rename(gql, token, work, "Work")

    assert payload["tag"] == {"id": work, "name": "Work", "contactCount": 1}
    assert current(gql, token, contact["id"])["version"] == 1


def test_rename_to_a_name_taken_ignoring_case_merges(gql: GraphQL, token: str) -> None:
    both = tagged(gql, token, "Office", "Work")
    office_only = tagged(gql, token, "Office")
    work_only = tagged(gql, token, "Work")
    ids = tag_ids(gql, token)

    payload = rename(gql, token, ids["Office"], "WORK")

    assert payload == {
        "tag": {"id": ids["Work"], "name": "Work", "contactCount": 3},
        "userErrors": [],
    }
    assert names_and_counts(gql, token) == [("Work", 3)]
    assert node(gql, token, ids["Office"]) is None
    assert tag_names(gql, token, both["id"]) == ["Work"]
    assert tag_names(gql, token, office_only["id"]) == ["Work"]
    assert current(gql, token, both["id"])["version"] == 2
    assert current(gql, token, office_only["id"])["version"] == 2
    assert current(gql, token, work_only["id"])["version"] == 1
    assert latest_tags_change(gql, token, both["id"]) == (
        2,
        "TAG_RENAMED",
        ["Office", "Work"],
        ["Work"],
    )


def test_delete_keeps_the_contacts_without_the_tag(gql: GraphQL, token: str) -> None:
    first = tagged(gql, token, "Old", "Keep")
    second = tagged(gql, token, "Old")
    old = tag_ids(gql, token)["Old"]

    payload = delete_tag(gql, token, old)

    assert payload == {"deletedId": old, "userErrors": []}
    assert names_and_counts(gql, token) == [("Keep", 1)]
    assert node(gql, token, old) is None
    assert tag_names(gql, token, first["id"]) == ["Keep"]
    assert tag_names(gql, token, second["id"]) == []
    assert current(gql, token, second["id"])["version"] == 2
    assert latest_tags_change(gql, token, first["id"]) == (
        2,
        "TAG_DELETED",
        ["Keep", "Old"],
        ["Keep"],
    )
    assert latest_tags_change(gql, token, second["id"])[:2] == (2, "TAG_DELETED")


def test_the_changed_contacts_are_in_the_next_sync(gql: GraphQL, token: str) -> None:
    renamed = tagged(gql, token, "A")
    untagged = tagged(gql, token, "B")
    tagged(gql, token, "C")
    sync_token = gql.data(CONTACT_CHANGES, {}, token)["contactChanges"]["nextSyncToken"]
    ids = tag_ids(gql, token)

    rename(gql, token, ids["A"], "Z")
    delete_tag(gql, token, ids["B"])

    changes = gql.data(CONTACT_CHANGES, {"syncToken": sync_token, "first": 10}, token)[
        "contactChanges"
    ]["changes"]
    assert [(c["contact"]["id"], c["contact"]["version"]) for c in changes] == [
        (renamed["id"], 2),
        (untagged["id"], 2),
    ]


def test_contacts_in_the_trash_change_with_the_tag(gql: GraphQL, token: str) -> None:
    tagged(gql, token, "Team")
    trashed = tagged(gql, token, "Team", "Gone")
    ids = tag_ids(gql, token)
    delete(gql, token, trashed["id"])

    rename(gql, token, ids["Team"], "Crew")
    assert delete_tag(gql, token, ids["Gone"])["userErrors"] == [
        {"field": ["id"], "message": "No tag with this id.", "code": "NOT_FOUND"}
    ]  # carried from the trash only: not shown, so not found

    restored = gql.data(RESTORE_CONTACT, {"id": trashed["id"]}, token)[
        "restoreContact"
    ]["contact"]
    assert restored["tags"] == [{"name": "Crew"}, {"name": "Gone"}]
    assert restored["version"] == 4  # created, trashed, renamed, restored
    assert [r["kind"] for r in revisions(gql, token, trashed["id"])] == [
        "RESTORED",
        "TAG_RENAMED",
        "DELETED",
        "CREATED",
    ]


def test_another_accounts_tag_is_not_found(gql: GraphQL, accounts: Accounts) -> None:
    mine, theirs = accounts.token(), accounts.token()
    their_contact = tagged(gql, theirs, "Secret")
    their_tag = tag_ids(gql, theirs)["Secret"]
    not_found = [(["id"], "NOT_FOUND")]

    renamed = rename(gql, mine, their_tag, "Mine now")
    deleted = delete_tag(gql, mine, their_tag)

    assert renamed["tag"] is None
    assert errors_of(renamed) == not_found
    assert deleted["deletedId"] is None
    assert errors_of(deleted) == not_found
    assert names_and_counts(gql, theirs) == [("Secret", 1)]
    assert current(gql, theirs, their_contact["id"])["version"] == 1


@pytest.mark.parametrize(
    "tag_id", [global_id("Tag", 999), global_id("Contact", 1), "not an id at all"]
)
def test_an_unknown_id_is_not_found(gql: GraphQL, token: str, tag_id: str) -> None:
    tagged(gql, token, "Work")

    body = gql(RENAME_TAG, {"id": tag_id, "name": "Other"}, token)

    if "errors" in body:  # an ID that is no global ID at all
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    else:
        assert errors_of(body["data"]["renameTag"]) == [(["id"], "NOT_FOUND")]
        assert errors_of(delete_tag(gql, token, tag_id)) == [(["id"], "NOT_FOUND")]
    assert names_and_counts(gql, token) == [("Work", 1)]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("   ", "REQUIRED"),
        ("", "REQUIRED"),
        ("x" * 51, "TOO_LONG"),
        ("a\x00b", "INVALID"),
    ],
)
def test_a_bad_name_changes_nothing(
    gql: GraphQL, token: str, name: str, code: str
) -> None:
    contact = tagged(gql, token, "Work")
    work = tag_ids(gql, token)["Work"]

    payload = rename(gql, token, work, name)

    assert payload["tag"] is None
    assert errors_of(payload) == [(["name"], code)]
    assert names_and_counts(gql, token) == [("Work", 1)]
    assert current(gql, token, contact["id"])["version"] == 1
    assert [r["kind"] for r in revisions(gql, token, contact["id"])] == ["CREATED"]


def test_a_name_of_fifty_characters_is_fine(gql: GraphQL, token: str) -> None:
    tagged(gql, token, "Work")
    work = tag_ids(gql, token)["Work"]

    assert rename(gql, token, work, "y" * 50)["tag"]["name"] == "y" * 50
