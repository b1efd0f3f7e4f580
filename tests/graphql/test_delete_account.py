"""deleteAccount through /graphql: the account and everything it owns go in
one transaction, its tokens stop working at once; a wrong password changes
nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.extensions import db

if TYPE_CHECKING:  # the `gql` fixture's type (tests/conftest.py)
    from tests.helpers import GraphQL

PASSWORD = "delete account tests' passphrase"

AUTH_FIELDS = "user { id } accessToken refreshToken userErrors { field message code }"
REGISTER = f"""
mutation Register($input: RegisterInput!) {{
  register(input: $input) {{ {AUTH_FIELDS} }}
}}
"""
LOGIN = f"""
mutation Login($input: LoginInput!) {{ login(input: $input) {{ {AUTH_FIELDS} }} }}
"""
REFRESH = """
mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) { userErrors { field message code } }
}
"""
DELETE_ACCOUNT = """
mutation DeleteAccount($password: String!) {
  deleteAccount(password: $password) { deletedId userErrors { field message code } }
}
"""
CREATE_CONTACT = """
mutation Create($input: CreateContactInput!) {
  createContact(input: $input) { contact { id } userErrors { code } }
}
"""
EVERYTHING = """
{
  me { email sessions { userAgent } }
  contacts(first: 100) {
    totalCount
    nodes {
      displayName emails { value } phones { value } addresses { city } tags { name }
    }
  }
  tags { name contactCount }
}
"""
ME = "{ me { email } }"
# The tables `Account` puts rows in (tests/services/test_accounts_service.py
# holds every table that can hold an account's rows to ON DELETE CASCADE).
FILLED_BY_AN_ACCOUNT = (
    "users",
    "auth_sessions",
    "refresh_tokens",
    "contacts",
    "contact_emails",
    "contact_phones",
    "contact_addresses",
    "tags",
    "contact_tags",
)
WRONG_PASSWORD = {
    "deletedId": None,
    "userErrors": [
        {
            "field": ["password"],
            "message": "The password is wrong.",
            "code": "INVALID_CREDENTIALS",
        }
    ],
}


class Account:
    """An account registered through the API, with two logins and contacts
    that fill every table an account owns."""

    def __init__(self, gql: GraphQL, email: str) -> None:
        self.gql = gql
        self.email = email
        variables = {"input": {"email": email, "password": PASSWORD}}
        registered = gql.data(REGISTER, variables)["register"]
        assert registered["userErrors"] == []
        self.id: str = registered["user"]["id"]
        self.token: str = registered["accessToken"]
        self.refresh: str = registered["refreshToken"]
        other = gql.data(LOGIN, variables)["login"]
        self.other_token: str = other["accessToken"]
        self.other_refresh: str = other["refreshToken"]
        # A rotation, so refresh_tokens holds a retired record too.
        gql.data(REFRESH, {"refreshToken": self.other_refresh})
        for number in range(2):
            created = gql.data(
                CREATE_CONTACT,
                {
                    "input": {
                        "firstName": f"Friend {number}",
                        "emails": [{"value": f"friend{number}@{email.split('@')[1]}"}],
                        "phones": [{"value": "+44 20 7946 0000"}],
                        "addresses": [{"city": "London", "country": "GB"}],
                        "tags": ["Friends", f"Group {number}"],
                    }
                },
                self.token,
            )["createContact"]
            assert created["userErrors"] == []

    def everything(self) -> dict[str, Any]:
        return self.gql.data(EVERYTHING, token=self.token)

    def delete(self, password: str = PASSWORD) -> dict[str, Any]:
        payload: dict[str, Any] = self.gql.data(
            DELETE_ACCOUNT, {"password": password}, self.token
        )["deleteAccount"]
        return payload


def row_counts(app: Flask) -> dict[str, int]:
    """Every table's number of rows."""
    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in db.metadata.tables.items()
        }


def unauthenticated(gql: GraphQL, token: str) -> bool:
    return gql.error_codes(ME, token=token) == ["UNAUTHENTICATED"]


def test_delete_account_deletes_the_account_and_everything_it_owns_only(
    app: Flask, gql: GraphQL
) -> None:
    grace = Account(gql, "grace@example.com")
    graces_data = grace.everything()
    before = row_counts(app)
    ada = Account(gql, "ada@example.com")
    # Ada has rows in every table an account fills: any left would show.
    with_ada = row_counts(app)
    assert all(with_ada[name] > before[name] for name in FILLED_BY_AN_ACCOUNT)

    payload = ada.delete()

    assert payload == {"deletedId": ada.id, "userErrors": []}
    assert row_counts(app) == before
    assert grace.everything() == graces_data


def test_every_token_of_a_deleted_account_stops_working_at_once(
    app: Flask, gql: GraphQL, database: str
) -> None:
    ada = Account(gql, "ada@example.com")
    other_worker = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database})
    elsewhere = other_worker.test_client()
    try:
        # Verified and cached by another worker first.
        seen = elsewhere.post(
            "/graphql",
            json={"query": ME},
            headers={"Authorization": f"Bearer {ada.other_token}"},
        )
        assert seen.get_json() == {"data": {"me": {"email": "ada@example.com"}}}

        ada.delete()

        refused = elsewhere.post(
            "/graphql",
            json={"query": ME},
            headers={"Authorization": f"Bearer {ada.other_token}"},
        ).get_json()
    finally:
        with other_worker.app_context():
            db.session.remove()
            db.engine.dispose()
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    assert unauthenticated(gql, ada.token)
    assert unauthenticated(gql, ada.other_token)
    refreshed = gql.data(REFRESH, {"refreshToken": ada.refresh})["refreshToken"]
    assert refreshed["userErrors"] == [
        {
            "field": ["refreshToken"],
            "message": "The refresh token is invalid.",
            "code": "INVALID_TOKEN",
        }
    ]


def test_a_deleted_accounts_email_no_longer_signs_in_and_can_register_afresh(
    gql: GraphQL,
) -> None:
    ada = Account(gql, "ada@example.com")
    ada.delete()
    variables = {"input": {"email": "ada@example.com", "password": PASSWORD}}

    assert gql.data(LOGIN, variables)["login"]["userErrors"] == [
        {
            "field": None,
            "message": "Wrong email or password.",
            "code": "INVALID_CREDENTIALS",
        }
    ]
    again = gql.data(REGISTER, variables)["register"]
    assert again["userErrors"] == []
    fresh = gql.data(EVERYTHING, token=again["accessToken"])
    assert fresh["contacts"] == {"totalCount": 0, "nodes": []}
    assert fresh["tags"] == []


@pytest.mark.parametrize(
    "password",
    ["wrong passphrase", "", PASSWORD.upper(), "nul\x00byte"],
    ids=["wrong", "empty", "other-case", "nul"],
)
def test_a_wrong_password_is_invalid_credentials_and_deletes_nothing(
    app: Flask, gql: GraphQL, password: str
) -> None:
    ada = Account(gql, "ada@example.com")
    data = ada.everything()
    before = row_counts(app)

    assert ada.delete(password) == WRONG_PASSWORD
    assert row_counts(app) == before
    assert ada.everything() == data
    assert not unauthenticated(gql, ada.other_token)


def test_delete_account_needs_a_working_token(app: Flask, gql: GraphQL) -> None:
    ada = Account(gql, "ada@example.com")
    before = row_counts(app)
    variables = {"password": PASSWORD}

    assert gql.error_codes(DELETE_ACCOUNT, variables) == ["UNAUTHENTICATED"]
    assert gql.error_codes(DELETE_ACCOUNT, variables, "not-a-token") == [
        "UNAUTHENTICATED"
    ]
    gql.data("mutation { logout { ok } }", token=ada.token)
    assert gql.error_codes(DELETE_ACCOUNT, variables, ada.token) == ["UNAUTHENTICATED"]
    assert row_counts(app) == before


def test_deleting_twice_in_one_document_deletes_once(app: Flask, gql: GraphQL) -> None:
    ada = Account(gql, "ada@example.com")

    body = gql(
        "mutation($p: String!) { first: deleteAccount(password: $p) { deletedId } "
        "second: deleteAccount(password: $p) { deletedId } }",
        {"p": PASSWORD},
        ada.token,
    )

    # The second finds the account gone (deleteAccount's payload is
    # non-null, so its error nulls `data`); the first's deletion stands.
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["second"], "UNAUTHENTICATED")
    ]
    assert row_counts(app)["users"] == 0


def test_attempts_are_counted_like_logins_and_refused_over_the_limit(
    delete_account_limited_app: Flask,
) -> None:
    client = delete_account_limited_app.test_client()

    def post(query: str, variables: dict[str, Any], token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )

    registered = post(
        REGISTER, {"input": {"email": "ada@example.com", "password": PASSWORD}}
    ).get_json()["data"]["register"]
    token = registered["accessToken"]
    for _ in range(2):
        wrong = post(DELETE_ACCOUNT, {"password": "wrong passphrase"}, token)
        assert wrong.get_json()["data"]["deleteAccount"] == WRONG_PASSWORD

    refused = post(DELETE_ACCOUNT, {"password": PASSWORD}, token)

    body = refused.get_json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["path"] == ["deleteAccount"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert refused.headers["Retry-After"] == str(error["extensions"]["retryAfter"])
    assert row_counts(delete_account_limited_app)["users"] == 1
    assert post(ME, {}, token).get_json() == {
        "data": {"me": {"email": "ada@example.com"}}
    }
