"""What the merge tests share: the documents, calls, and three contacts of
one person written three ways (a primary and two duplicates) with what
merging them gives."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from tests.helpers import GraphQL, create_contact
from tests.operations import CONTACT_FIELDS, USER_ERRORS

MERGE = f"""
mutation Merge($input: MergeContactsInput!) {{
  mergeContacts(input: $input) {{
    merge {{ id contact {{ id version }} mergedIds createdAt }}
    contact {{ {CONTACT_FIELDS} deletedAt }}
    currentContact {{ id version }}
    {USER_ERRORS}
  }}
}}
"""
UNDO = f"""
mutation Undo($id: ID!) {{
  undoMerge(id: $id) {{
    merge {{ id contact {{ id version }} mergedIds createdAt }}
    contact {{ {CONTACT_FIELDS} deletedAt }}
    currentContact {{ {CONTACT_FIELDS} deletedAt }}
    {USER_ERRORS}
  }}
}}
"""
MERGE_NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on ContactMerge { contact { id version } mergedIds createdAt }
  }
}
"""
WHOLE = f"query Contact($id: ID!) {{ contact(id: $id) {{ {CONTACT_FIELDS} }} }}"
HISTORY_NODES = "history { nodes { version kind changes { field before after } } }"
HISTORY = f"query History($id: ID!) {{ contact(id: $id) {{ {HISTORY_NODES} }} }}"
TRASH_HISTORY = f"{{ trash(first: 100) {{ nodes {{ id {HISTORY_NODES} }} }} }}"
TRASHED = f"""
{{ trash(first: 100) {{ totalCount nodes {{ {CONTACT_FIELDS} deletedAt }} }} }}
"""
CHANGES = """
query Changes($syncToken: String) {
  contactChanges(syncToken: $syncToken, first: 100) {
    changes { contact { id version firstName } deletedId deletedAt }
    nextSyncToken
  }
}
"""

PRIMARY_INPUT: dict[str, Any] = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "notes": "Met at the Royal Society.",
    "emails": [{"value": "ada@example.com", "label": "work"}],
    "phones": [{"value": "+44 20 7946 0958", "label": "office"}],
    "addresses": [
        {
            "label": "home",
            "street": "12 St James's Square",
            "city": "London",
            "country": "GB",
        }
    ],
    "tags": ["Friends"],
}
# The first duplicate: another first name (the primary's stays), values the
# primary lacks, and the primary's email, phone, address and tag written
# differently.
FIRST_INPUT: dict[str, Any] = {
    "firstName": "Augusta",
    "nickname": "Enchantress of Numbers",
    "company": "Analytical Engines",
    "birthday": "1815-12-10",
    "notes": "Met at the Royal Society.",
    "emails": [
        {"value": "ADA@Example.com", "label": "home"},
        {"value": "ada@engines.example", "primary": True},
    ],
    "phones": [
        {"value": "020 7946 0958", "region": "GB"},
        {"value": "+1 650-253-0000", "label": "mobile"},
    ],
    "addresses": [
        {
            "label": "Home",
            "street": "12 st james's square",
            "city": "LONDON",
            "country": "gb",
        }
    ],
    "tags": ["friends", "Work"],
}
# The second: a company the first already gave, a job title no one else
# has, other notes, favorite.
SECOND_INPUT: dict[str, Any] = {
    "lastName": "King",
    "company": "Babbage & Co",
    "jobTitle": "Mathematician",
    "notes": "Wrote the first program.",
    "favorite": True,
    "emails": [{"value": "lovelace@example.org"}],
    "addresses": [{"city": "Paris", "country": "FR"}],
    "tags": ["Pioneers"],
}
# Merging the two into the primary, in that order (without id and times).
MERGED: dict[str, Any] = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "displayName": "Ada Lovelace",
    "nickname": "Enchantress of Numbers",
    "company": "Analytical Engines",
    "jobTitle": "Mathematician",
    "birthday": "1815-12-10",
    "notes": "Met at the Royal Society.\n\nWrote the first program.",
    "favorite": True,
    "emails": [
        {"value": "ada@example.com", "label": "work", "primary": True},
        {"value": "ada@engines.example", "label": None, "primary": False},
        {"value": "lovelace@example.org", "label": None, "primary": False},
    ],
    "phones": [
        {"value": "+442079460958", "label": "office", "primary": True},
        {"value": "+16502530000", "label": "mobile", "primary": False},
    ],
    "addresses": [
        {
            "label": "home",
            "street": "12 St James's Square",
            "city": "London",
            "region": None,
            "postalCode": None,
            "country": "GB",
        },
        {
            "label": None,
            "street": None,
            "city": "Paris",
            "region": None,
            "postalCode": None,
            "country": "FR",
        },
    ],
}


@dataclass(frozen=True)
class Trio:
    """The primary and its two duplicates, as created."""

    primary: dict[str, Any]
    first: dict[str, Any]
    second: dict[str, Any]

    @property
    def ids(self) -> list[str]:
        return [self.primary["id"], self.first["id"], self.second["id"]]


def create_trio(gql: GraphQL, token: str) -> Trio:
    return Trio(
        create_contact(gql, token, PRIMARY_INPUT),
        create_contact(gql, token, FIRST_INPUT),
        create_contact(gql, token, SECOND_INPUT),
    )


def merge(
    gql: GraphQL,
    token: str,
    primary_id: str,
    other_ids: list[str],
    dry_run: bool | None = None,
) -> dict[str, Any]:
    """The mergeContacts payload."""
    variables: dict[str, Any] = {"primaryId": primary_id, "otherIds": other_ids}
    if dry_run is not None:
        variables["dryRun"] = dry_run
    payload: dict[str, Any] = gql.data(MERGE, {"input": variables}, token)[
        "mergeContacts"
    ]
    return payload


def undo(gql: GraphQL, token: str, merge_id: str) -> dict[str, Any]:
    """The undoMerge payload."""
    payload: dict[str, Any] = gql.data(UNDO, {"id": merge_id}, token)["undoMerge"]
    return payload


def whole(gql: GraphQL, token: str, contact_id: str) -> dict[str, Any] | None:
    """The contact with every field, or None outside the trash."""
    found: dict[str, Any] | None = gql.data(WHOLE, {"id": contact_id}, token)["contact"]
    return found


def revisions(gql: GraphQL, token: str, contact_id: str) -> list[dict[str, Any]]:
    """The contact's revisions, newest first, in the trash or not."""
    found = gql.data(HISTORY, {"id": contact_id}, token)["contact"]
    if found is None:
        in_trash = gql.data(TRASH_HISTORY, {}, token)["trash"]["nodes"]
        [found] = [node for node in in_trash if node["id"] == contact_id]
    nodes: list[dict[str, Any]] = found["history"]["nodes"]
    return nodes


def kinds(gql: GraphQL, token: str, contact_id: str) -> list[tuple[int, str]]:
    """(version, kind) of each of the contact's revisions, newest first."""
    return [(n["version"], n["kind"]) for n in revisions(gql, token, contact_id)]


def trashed(gql: GraphQL, token: str) -> dict[str, Any]:
    found: dict[str, Any] = gql.data(TRASHED, {}, token)["trash"]
    return found


def sync_token(gql: GraphQL, token: str) -> str:
    """A token for the changes after now."""
    found: str = gql.data(CHANGES, {"syncToken": None}, token)["contactChanges"][
        "nextSyncToken"
    ]
    return found


def changes_since(gql: GraphQL, token: str, since: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = gql.data(CHANGES, {"syncToken": since}, token)[
        "contactChanges"
    ]["changes"]
    return found


def without(contact: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    assert contact is not None
    return {key: value for key, value in contact.items() if key not in keys}


def log_rows(app: Flask) -> dict[str, int]:
    """How many rows the change log and the merges hold, every user's."""
    with app.app_context():
        return {
            name: db.session.scalar(
                select(func.count()).select_from(db.metadata.tables[name])
            )
            or 0
            for name in ("contact_changes", "contact_merges")
        }


def merge_together(
    app: Flask, token: str, merges: list[tuple[str, list[str]]]
) -> list[dict[str, Any]]:
    """The payloads of the merges (primary id, other ids), each sent from
    its own thread and test client, all released at once."""
    start = threading.Barrier(len(merges))
    results: list[dict[str, Any]] = [{} for _ in merges]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            client = GraphQL(app.test_client())
            start.wait(timeout=30)
            results[index] = merge(client, token, *merges[index])
        except BaseException as error:  # re-raised below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(merges))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
