"""Operations and helpers the contact, tag and isolation tests share."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from tests.conftest import GraphQL

CONTACT_FIELDS = """
  id firstName lastName displayName nickname company jobTitle birthday notes favorite
  emails { value label primary }
  phones { value label primary }
  addresses { label street city region postalCode country }
  tags { name contactCount }
  version createdAt updatedAt
"""
USER_ERRORS = "userErrors { field message code }"
CREATE = f"""
mutation Create($input: CreateContactInput!) {{
  createContact(input: $input) {{ contact {{ {CONTACT_FIELDS} }} {USER_ERRORS} }}
}}
"""
UPDATE = f"""
mutation Update($input: UpdateContactInput!) {{
  updateContact(input: $input) {{ contact {{ {CONTACT_FIELDS} }} {USER_ERRORS} }}
}}
"""
DELETE = f"""
mutation Delete($id: ID!) {{ deleteContact(id: $id) {{ deletedId {USER_ERRORS} }} }}
"""
CONTACT = f"query Contact($id: ID!) {{ contact(id: $id) {{ {CONTACT_FIELDS} }} }}"
NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Contact { displayName version }
    ... on User { email }
    ... on Tag { name contactCount }
  }
}
"""
CONTACT_TABLES = (
    "contacts",
    "contact_emails",
    "contact_phones",
    "contact_addresses",
    "tags",
    "contact_tags",
)
NOTHING_STORED = dict.fromkeys(CONTACT_TABLES, 0)

FULL_INPUT: dict[str, Any] = {
    "firstName": "  Ada ",
    "lastName": "Lovelace",
    "nickname": " Enchantress of Numbers ",
    "company": "Analytical Engines",
    "jobTitle": "Mathematician",
    "birthday": "1815-12-10",
    "notes": "Wrote the first program.",
    "emails": [
        {"value": "Ada@Example.COM", "label": "work"},
        {"value": "ada@home.example.org", "label": " home ", "primary": False},
    ],
    "phones": [
        {"value": "020 7946 0958", "region": "gb", "label": "office"},
        {"value": "+1 650-253-0000", "primary": True},
    ],
    "addresses": [
        {
            "label": "home",
            "street": "12 St James's Square",
            "city": "London",
            "region": " ",
            "postalCode": "SW1Y 4JH",
            "country": "gb",
        }
    ],
    "tags": ["Friends", " work ", "FRIENDS"],
}
# FULL_INPUT as stored, without id, createdAt and updatedAt.
FULL_CONTACT: dict[str, Any] = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "displayName": "Ada Lovelace",
    "nickname": "Enchantress of Numbers",
    "company": "Analytical Engines",
    "jobTitle": "Mathematician",
    "birthday": "1815-12-10",
    "notes": "Wrote the first program.",
    "favorite": False,
    "emails": [
        {"value": "Ada@example.com", "label": "work", "primary": True},
        {"value": "ada@home.example.org", "label": "home", "primary": False},
    ],
    "phones": [
        {"value": "+442079460958", "label": "office", "primary": False},
        {"value": "+16502530000", "label": None, "primary": True},
    ],
    "addresses": [
        {
            "label": "home",
            "street": "12 St James's Square",
            "city": "London",
            "region": None,
            "postalCode": "SW1Y 4JH",
            "country": "GB",
        }
    ],
    "tags": [
        {"name": "Friends", "contactCount": 1},
        {"name": "work", "contactCount": 1},
    ],
    "version": 1,
}


def create(gql: GraphQL, token: str, input: dict[str, Any]) -> dict[str, Any]:
    """The createContact payload."""
    payload: dict[str, Any] = gql.data(CREATE, {"input": input}, token)["createContact"]
    return payload


def create_contact(gql: GraphQL, token: str, input: dict[str, Any]) -> dict[str, Any]:
    """A contact that must be created without userErrors."""
    payload = create(gql, token, input)
    assert payload["userErrors"] == [], payload["userErrors"]
    contact: dict[str, Any] = payload["contact"]
    return contact


def update(gql: GraphQL, token: str, input: dict[str, Any]) -> dict[str, Any]:
    """The updateContact payload."""
    payload: dict[str, Any] = gql.data(UPDATE, {"input": input}, token)["updateContact"]
    return payload


def update_contact(gql: GraphQL, token: str, input: dict[str, Any]) -> dict[str, Any]:
    payload = update(gql, token, input)
    assert payload["userErrors"] == [], payload["userErrors"]
    contact: dict[str, Any] = payload["contact"]
    return contact


def fetch(gql: GraphQL, token: str, contact_id: str) -> dict[str, Any] | None:
    contact: dict[str, Any] | None = gql.data(CONTACT, {"id": contact_id}, token)[
        "contact"
    ]
    return contact


def delete(gql: GraphQL, token: str, contact_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(DELETE, {"id": contact_id}, token)[
        "deleteContact"
    ]
    return payload


def node(gql: GraphQL, token: str, global_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = gql.data(NODE, {"id": global_id}, token)["node"]
    return found


def global_id(type_name: str, pk: int | str) -> str:
    """An ID the way the server makes them: URL-safe base64 of "Type:pk"."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_id(value: str) -> str:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()


def errors_of(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    """(field, code) of each userError, checking every one has a message."""
    assert all(error["message"] for error in payload["userErrors"])
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


def without_times(contact: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in contact.items()
        if key not in ("id", "createdAt", "updatedAt")
    }


def parse_time(value: str) -> datetime:
    """An ISO 8601 DateTime, which must be in UTC with an explicit offset."""
    assert value.endswith("+00:00"), value
    return datetime.fromisoformat(value)


def stored_rows(app: Flask) -> dict[str, int]:
    """How many rows each contact table holds, for every user together."""
    with app.app_context():
        return {
            name: db.session.scalar(
                select(func.count()).select_from(db.metadata.tables[name])
            )
            or 0
            for name in CONTACT_TABLES
        }
