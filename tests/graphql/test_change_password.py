"""changePassword through /graphql: the current password and a new one; a
new pair for this login, every other login of the account ended at once;
wrong current password INVALID_CREDENTIALS, counted like login attempts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import decode_token
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services import passwords
from tests.support.change_password import (
    AUTH_FIELDS,
    EMAIL,
    PASSWORD,
    REGISTER,
    Login,
)

if TYPE_CHECKING:  # the `gql` fixture's type (tests/conftest.py)
    from tests.helpers import GraphQL

NEW_PASSWORD = "a freshly chosen passphrase"
LOGIN = f"""
mutation Login($input: LoginInput!) {{ login(input: $input) {{ {AUTH_FIELDS} }} }}
"""
CHANGE = f"""
mutation Change($input: ChangePasswordInput!) {{
  changePassword(input: $input) {{ {AUTH_FIELDS} }}
}}
"""
REFRESH = """
mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    accessToken userErrors { field message code }
  }
}
"""
ME = "{ me { email } }"

CURRENT = ["input", "currentPassword"]
NEW = ["input", "newPassword"]
WRONG_CURRENT = {
    "field": CURRENT,
    "message": "The password is wrong.",
    "code": "INVALID_CREDENTIALS",
}


def refused(*errors: dict[str, Any]) -> dict[str, Any]:
    return {
        "user": None,
        "accessToken": None,
        "refreshToken": None,
        "expiresIn": None,
        "userErrors": list(errors),
    }


def sign_in(gql: GraphQL, email: str = EMAIL, password: str = PASSWORD) -> Login:
    variables = {"input": {"email": email, "password": password}}
    payload = gql.data(LOGIN, variables)["login"]
    assert payload["userErrors"] == []
    return Login(payload["accessToken"], payload["refreshToken"])


def login_errors(gql: GraphQL, password: str, email: str = EMAIL) -> list[Any]:
    variables = {"input": {"email": email, "password": password}}
    errors: list[Any] = gql.data(LOGIN, variables)["login"]["userErrors"]
    return errors


def change(
    gql: GraphQL, login: Login, current: str = PASSWORD, new: str = NEW_PASSWORD
) -> dict[str, Any]:
    variables = {"input": {"currentPassword": current, "newPassword": new}}
    payload: dict[str, Any] = gql.data(CHANGE, variables, login.access)[
        "changePassword"
    ]
    return payload


def works(gql: GraphQL, login: Login) -> bool:
    body = gql(ME, token=login.access)
    if "errors" in body:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        return False
    return True


def refresh_errors(gql: GraphQL, login: Login) -> list[Any]:
    payload = gql.data(REFRESH, {"refreshToken": login.refresh})["refreshToken"]
    errors: list[Any] = payload["userErrors"]
    return errors


def sid(app: Flask, token: str) -> str:
    with app.app_context():
        value: str = decode_token(token)["sid"]
        return value


def test_change_password_gives_this_login_a_new_pair_and_ends_the_others(
    app: Flask, gql: GraphQL, change_password_ada: Login
) -> None:
    phone, tablet = sign_in(gql), sign_in(gql)
    assert works(gql, phone)  # verified once, and cached

    payload = change(gql, change_password_ada)

    assert payload["userErrors"] == []
    assert payload["user"] == {"email": EMAIL, "sessions": [{"current": True}]}
    assert payload["expiresIn"] == 900
    renewed = Login(payload["accessToken"], payload["refreshToken"])
    assert renewed.access != change_password_ada.access
    assert renewed.refresh != change_password_ada.refresh
    # the same login
    assert sid(app, renewed.access) == sid(app, change_password_ada.access)
    assert works(gql, renewed)
    assert not works(gql, phone)
    assert not works(gql, tablet)
    assert refresh_errors(gql, tablet) == [
        {
            "field": ["refreshToken"],
            "message": "The refresh token has been revoked.",
            "code": "INVALID_TOKEN",
        }
    ]
    assert refresh_errors(gql, renewed) == []


def test_the_new_password_signs_in_and_the_old_one_no_longer_does(
    app: Flask, gql: GraphQL, change_password_ada: Login
) -> None:
    with app.app_context():
        old_hash = db.session.scalar(select(User.password_hash))

    change(gql, change_password_ada)

    assert login_errors(gql, NEW_PASSWORD) == []
    assert login_errors(gql, PASSWORD) == [
        {
            "field": None,
            "message": "Wrong email or password.",
            "code": "INVALID_CREDENTIALS",
        }
    ]
    with app.app_context():
        new_hash = db.session.scalar(select(User.password_hash))
        assert new_hash is not None
        assert new_hash != old_hash
        assert new_hash.startswith("$argon2id$")
        assert passwords.verify_password(new_hash, NEW_PASSWORD)


def test_the_refresh_token_held_before_is_retired_like_after_a_refresh(
    gql: GraphQL, change_password_ada: Login
) -> None:
    payload = change(gql, change_password_ada)
    renewed = Login(payload["accessToken"], payload["refreshToken"])

    # Presenting it again is reuse: the login ends, as for a rotated token.
    assert refresh_errors(gql, change_password_ada) == [
        {
            "field": ["refreshToken"],
            "message": "The refresh token was already used; sign in again.",
            "code": "INVALID_TOKEN",
        }
    ]
    assert not works(gql, renewed)


def test_other_accounts_keep_their_logins(
    gql: GraphQL, change_password_ada: Login
) -> None:
    variables = {"input": {"email": "grace@example.com", "password": PASSWORD}}
    grace = gql.data(REGISTER, variables)["register"]

    change(gql, change_password_ada)

    assert works(gql, Login(grace["accessToken"], grace["refreshToken"]))
    assert login_errors(gql, PASSWORD, "grace@example.com") == []


@pytest.mark.parametrize(
    "current",
    ["wrong passphrase", "", PASSWORD.upper(), PASSWORD + " ", "nul\x00byte"],
    ids=["wrong", "empty", "other-case", "trailing-space", "nul"],
)
def test_a_wrong_current_password_is_invalid_credentials_and_changes_nothing(
    gql: GraphQL, change_password_ada: Login, current: str
) -> None:
    phone = sign_in(gql)

    assert change(gql, change_password_ada, current=current) == refused(WRONG_CURRENT)
    assert works(gql, phone)
    assert works(gql, change_password_ada)
    assert refresh_errors(gql, phone) == []
    assert login_errors(gql, PASSWORD) == []
    assert login_errors(gql, NEW_PASSWORD) != []


@pytest.mark.parametrize(
    ("new", "code", "message"),
    [
        ("", "REQUIRED", "Enter a password."),
        ("short", "WEAK_PASSWORD", "Must be at least 8 characters."),
        (
            "password123",
            "WEAK_PASSWORD",
            "This password is too common; choose another.",
        ),
        (
            EMAIL.upper(),
            "WEAK_PASSWORD",
            "The password must not be your email address.",
        ),
        ("x" * 129, "TOO_LONG", "Must be at most 128 characters."),
        ("nul\x00in the middle", "INVALID", "Must not contain NUL characters."),
    ],
    ids=["empty", "short", "common", "email", "long", "nul"],
)
def test_the_new_password_follows_the_register_rules(
    gql: GraphQL, change_password_ada: Login, new: str, code: str, message: str
) -> None:
    phone = sign_in(gql)

    assert change(gql, change_password_ada, new=new) == refused(
        {"field": NEW, "message": message, "code": code}
    )
    assert works(gql, phone)
    assert login_errors(gql, PASSWORD) == []


def test_a_wrong_current_and_a_weak_new_password_are_both_reported(
    gql: GraphQL, change_password_ada: Login
) -> None:
    assert change(
        gql, change_password_ada, current="wrong passphrase", new="short"
    ) == refused(
        WRONG_CURRENT,
        {
            "field": NEW,
            "message": "Must be at least 8 characters.",
            "code": "WEAK_PASSWORD",
        },
    )


def test_the_same_password_again_is_allowed_and_still_ends_the_other_logins(
    gql: GraphQL, change_password_ada: Login
) -> None:
    phone = sign_in(gql)

    payload = change(gql, change_password_ada, new=PASSWORD)

    assert payload["userErrors"] == []
    assert not works(gql, phone)
    assert login_errors(gql, PASSWORD) == []


def test_change_password_needs_a_working_token(
    gql: GraphQL, change_password_ada: Login
) -> None:
    variables = {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}

    assert gql.error_codes(CHANGE, variables) == ["UNAUTHENTICATED"]
    assert gql.error_codes(CHANGE, variables, "not-a-token") == ["UNAUTHENTICATED"]
    gql.data("mutation { logout { ok } }", token=change_password_ada.access)
    assert gql.error_codes(CHANGE, variables, change_password_ada.access) == [
        "UNAUTHENTICATED"
    ]
    assert login_errors(gql, PASSWORD) == []


# --- counted like login attempts -------------------------------------------------


def post(
    client: FlaskClient,
    query: str,
    variables: dict[str, Any],
    token: str | None = None,
) -> tuple[dict[str, Any], str | None]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body, response.headers.get("Retry-After")


def test_attempts_count_with_logins_of_the_account_and_are_refused_over_the_limit(
    change_password_limited_app: Flask,
) -> None:
    client = change_password_limited_app.test_client()
    registered, _ = post(
        client, REGISTER, {"input": {"email": EMAIL, "password": PASSWORD}}
    )
    token = registered["data"]["register"]["accessToken"]
    wrong = {
        "input": {"currentPassword": "wrong passphrase", "newPassword": NEW_PASSWORD}
    }
    right = {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}

    # One login and two changes: the account's three attempts this minute.
    login, _ = post(client, LOGIN, {"input": {"email": EMAIL, "password": "nope!"}})
    assert login["data"]["login"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    for _ in range(2):
        body, _ = post(client, CHANGE, wrong, token)
        assert body["data"]["changePassword"] == refused(WRONG_CURRENT)

    body, retry_after = post(client, CHANGE, right, token)

    assert body["data"] is None
    (error,) = body["errors"]
    assert error["path"] == ["changePassword"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(retry_after or 0)
    assert 0 < error["extensions"]["retryAfter"] <= 60
    # Refused before any change: the old password still holds, and the
    # login form is refused for the account as well.
    login, _ = post(client, LOGIN, {"input": {"email": EMAIL, "password": PASSWORD}})
    assert login["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    with change_password_limited_app.app_context():
        stored = db.session.scalar(select(User.password_hash))
        assert stored is not None
        assert passwords.verify_password(stored, PASSWORD)
