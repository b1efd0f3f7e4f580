"""What the tests share that is not a fixture: a GraphQL client that posts
the way a frontend does, accounts registered through the API, the contact
operations as calls, and the data the contact tests compare."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from app.extensions import db
from tests.operations import CONTACT, CREATE, DELETE, NODE, REGISTER, UPDATE

DEFAULT_PASSWORD = "correct horse battery staple"
# Secrets long enough for the production config to start with.
PRODUCTION_SECRETS = {"SECRET_KEY": "s" * 48, "JWT_SECRET_KEY": "j" * 48}
INVALID_CREDENTIALS = {
    "field": None,
    "message": "Wrong email or password.",
    "code": "INVALID_CREDENTIALS",
}
# What examples/login.graphql answers to a wrong email or password.
REFUSED_LOGIN = {
    "user": None,
    "accessToken": None,
    "refreshToken": None,
    "expiresIn": None,
    "userErrors": [INVALID_CREDENTIALS],
}


def release_database(app: Flask) -> None:
    """Empty a shared PostgreSQL test database and close the app's
    connections (SQLite files live in each test's tmp_path)."""
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


class GraphQL:
    """Posts operations to /graphql the way a frontend does."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        return body

    def data(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        body = self(query, variables, token)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result

    def error_codes(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> list[str]:
        body = self(query, variables, token)
        return [error["extensions"]["code"] for error in body.get("errors", [])]


class Accounts:
    """Registers users through the API and hands out their tokens."""

    def __init__(self, gql: GraphQL) -> None:
        self.gql = gql
        self.count = 0

    def register(
        self, email: str | None = None, password: str = DEFAULT_PASSWORD
    ) -> dict[str, Any]:
        self.count += 1
        email = email or f"user{self.count}@example.com"
        payload: dict[str, Any] = self.gql.data(
            REGISTER, {"input": {"email": email, "password": password}}
        )["register"]
        assert payload["userErrors"] == []
        return payload

    def token(self, email: str | None = None) -> str:
        token: str = self.register(email)["accessToken"]
        return token


# --- contacts through the API ----------------------------------------------


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


CONTACT_TABLES = (
    "contacts",
    "contact_emails",
    "contact_phones",
    "contact_addresses",
    "tags",
    "contact_tags",
)
NOTHING_STORED = dict.fromkeys(CONTACT_TABLES, 0)


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


# --- a contact with every field, as sent and as stored ----------------------

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
