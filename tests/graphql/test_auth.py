"""Accounts and tokens through /graphql: register, login, me, refreshToken, logout."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from app import create_app
from app.extensions import db
from app.models import AuthSession, User
from tests.helpers import DEFAULT_PASSWORD, GraphQL
from tests.operations import LOGIN_AS_AUTH_PAYLOAD, LOGOUT
from tests.support.auth_api import Login, refresh, register

ME = "{ me { email name } }"

EMAIL = ["input", "email"]
PASSWORD = ["input", "password"]
NAME = ["input", "name"]
REFRESH_TOKEN = ["refreshToken"]

INVALID_CREDENTIALS = {
    "field": None,
    "message": "Wrong email or password.",
    "code": "INVALID_CREDENTIALS",
}
INVALID_REFRESH_TOKEN = "The refresh token is invalid."
REVOKED_REFRESH_TOKEN = "The refresh token has been revoked."
REUSED_REFRESH_TOKEN = "The refresh token was already used; sign in again."
EXPIRED_REFRESH_TOKEN = "The refresh token has expired."
INVALID_ACCESS_TOKEN = "The access token is invalid."
REVOKED_ACCESS_TOKEN = "The access token has been revoked."
EXPIRED_ACCESS_TOKEN = "The access token has expired."
OTHER_KEY = "another-jwt-secret-key-that-is-long-enough-for-hs256"


# --- helpers -----------------------------------------------------------------


def user_error(field: list[str] | None, code: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def refused(*errors: dict[str, Any]) -> dict[str, Any]:
    """An AuthPayload that gives nothing but `errors`."""
    return {
        "user": None,
        "accessToken": None,
        "refreshToken": None,
        "expiresIn": None,
        "userErrors": list(errors),
    }


def without_tokens(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` less its two tokens, which must be two different strings."""
    rest = dict(payload)
    access, refresh = rest.pop("accessToken"), rest.pop("refreshToken")
    assert isinstance(access, str)
    assert access
    assert isinstance(refresh, str)
    assert refresh
    assert access != refresh
    return rest


def signed_in(email: str, name: str | None = None) -> dict[str, Any]:
    """The AuthPayload of a successful register or login, less the tokens."""
    return {"user": {"email": email, "name": name}, "expiresIn": 900, "userErrors": []}


def login(gql: GraphQL, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
    variables = {"input": {"email": email, "password": password}}
    payload: dict[str, Any] = gql.data(LOGIN_AS_AUTH_PAYLOAD, variables)["login"]
    return payload


def logout(
    gql: GraphQL, refresh_token: str | None = None, token: str | None = None
) -> dict[str, Any]:
    """The whole response body of a logout."""
    variables = {} if refresh_token is None else {"refreshToken": refresh_token}
    return gql(LOGOUT, variables, token)


def logged_out() -> dict[str, Any]:
    return {"data": {"logout": {"ok": True, "userErrors": []}}}


def me(client: FlaskClient, authorization: str | None) -> dict[str, Any]:
    """The body of `{ me }` sent with exactly this Authorization header."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.post("/graphql", json={"query": ME}, headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def unauthenticated(message: str, **extensions: str) -> dict[str, Any]:
    """The body of `{ me }` refused with UNAUTHENTICATED."""
    return {
        "data": {"me": None},
        "errors": [
            {
                "message": message,
                "locations": [{"line": 1, "column": 3}],
                "path": ["me"],
                "extensions": {"code": "UNAUTHENTICATED", **extensions},
            }
        ],
    }


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def resign(app: Flask, token: str, key: str | None = None, **changes: Any) -> str:
    """`token` with its claims changed by `changes`, signed with `key` (by
    default the app's own key, so only the changed claims are wrong)."""
    key = key or app.config["JWT_SECRET_KEY"]
    return jwt.encode({**claims_of(token), **changes}, key, algorithm="HS256")


def expired(app: Flask, token: str) -> str:
    """`token`, well signed, that expired a second ago."""
    return resign(app, token, exp=datetime.now(UTC) - timedelta(seconds=1))


def unsigned(token: str) -> str:
    """`token`'s claims in an `alg: none` token with no signature."""
    header = json.dumps({"alg": "none", "typ": "JWT"}).encode()
    encoded_header = base64.urlsafe_b64encode(header).rstrip(b"=").decode()
    return f"{encoded_header}.{token.split('.')[1]}."


def count(app: Flask, model: type[db.Model]) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def second_login(gql: GraphQL, login_: Login) -> Login:
    payload = login(gql, login_.email)
    assert without_tokens(payload) == signed_in(login_.email, "Ada")
    return Login(
        login_.app, gql, login_.email, payload["accessToken"], payload["refreshToken"]
    )


def assert_works(client: FlaskClient, login_: Login) -> None:
    """The access token of `login_` still works (its refresh token is left
    unspent, for the test to use)."""
    assert me(client, f"Bearer {login_.access}") == {
        "data": {"me": {"email": login_.email, "name": "Ada"}}
    }


# --- register ------------------------------------------------------------------


def test_register_returns_the_user_and_a_working_token_pair(
    client: FlaskClient, gql: GraphQL
) -> None:
    payload = register(gql, "ada@example.com", name="Ada Lovelace")

    assert without_tokens(payload) == signed_in("ada@example.com", "Ada Lovelace")
    assert me(client, f"Bearer {payload['accessToken']}") == {
        "data": {"me": {"email": "ada@example.com", "name": "Ada Lovelace"}}
    }


LONGEST_EMAIL = "l" * 64 + "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 57 + ".com"


@pytest.mark.parametrize(
    ("given", "email", "name"),
    [
        ({"email": "Ada.Lovelace@Example.COM"}, "Ada.Lovelace@example.com", None),
        ({"email": "  ada@example.com  "}, "ada@example.com", None),
        ({"name": "  Ada  "}, "ada@example.com", "Ada"),
        ({"name": "   "}, "ada@example.com", None),
        ({"name": None}, "ada@example.com", None),
        ({"name": "n" * 100}, "ada@example.com", "n" * 100),
        ({"email": LONGEST_EMAIL}, LONGEST_EMAIL, None),
        ({"password": "k7#Qm2!x"}, "ada@example.com", None),
        ({"password": "p" * 128}, "ada@example.com", None),
    ],
    ids=[
        "domain-lower-cased-local-part-kept",
        "email-trimmed",
        "name-trimmed",
        "blank-name-is-null",
        "null-name",
        "name-of-100",
        "email-of-254",
        "password-of-8",
        "password-of-128",
    ],
)
def test_register_accepts_and_cleans_good_input(
    gql: GraphQL, given: dict[str, Any], email: str, name: str | None
) -> None:
    variables = {"email": "ada@example.com", "password": DEFAULT_PASSWORD, **given}

    assert without_tokens(register(gql, **variables)) == signed_in(email, name)
    assert without_tokens(login(gql, email, variables["password"])) == signed_in(
        email, name
    )


TOO_LONG_EMAIL = "a" * 64 + "@" + "b" * 186 + ".com"  # 255 characters


@pytest.mark.parametrize(
    ("given", "errors"),
    [
        (
            {"email": "not-an-email"},
            [user_error(EMAIL, "INVALID", "An email address must have an @-sign.")],
        ),
        (
            {"email": "ada@"},
            [user_error(EMAIL, "INVALID", "There must be something after the @-sign.")],
        ),
        ({"email": ""}, [user_error(EMAIL, "REQUIRED", "Enter an email address.")]),
        ({"email": "   "}, [user_error(EMAIL, "REQUIRED", "Enter an email address.")]),
        (
            {"email": TOO_LONG_EMAIL},
            [user_error(EMAIL, "TOO_LONG", "Must be at most 254 characters.")],
        ),
        (
            {"email": "ada\x00@example.com"},
            [user_error(EMAIL, "INVALID", "Must not contain NUL characters.")],
        ),
        (
            {"name": "n" * 101},
            [user_error(NAME, "TOO_LONG", "Must be at most 100 characters.")],
        ),
        (
            {"name": "Ada\x00"},
            [user_error(NAME, "INVALID", "Must not contain NUL characters.")],
        ),
        ({"password": ""}, [user_error(PASSWORD, "REQUIRED", "Enter a password.")]),
        (
            {"password": "seven77"},
            [user_error(PASSWORD, "WEAK_PASSWORD", "Must be at least 8 characters.")],
        ),
        *[
            (
                {"password": common},
                [
                    user_error(
                        PASSWORD,
                        "WEAK_PASSWORD",
                        "This password is too common; choose another.",
                    )
                ],
            )
            for common in ("password1", "qwertyuiop", "iloveyou", "Password1")
        ],
        (
            {"password": "p" * 129},
            [user_error(PASSWORD, "TOO_LONG", "Must be at most 128 characters.")],
        ),
        (
            {
                "email": "Ada.Lovelace@Example.com",
                "password": "ada.lovelace@EXAMPLE.COM",
            },
            [
                user_error(
                    PASSWORD,
                    "WEAK_PASSWORD",
                    "The password must not be your email address.",
                )
            ],
        ),
        (
            {"email": "nope", "password": "short", "name": "n" * 101},
            [
                user_error(EMAIL, "INVALID", "An email address must have an @-sign."),
                user_error(NAME, "TOO_LONG", "Must be at most 100 characters."),
                user_error(PASSWORD, "WEAK_PASSWORD", "Must be at least 8 characters."),
            ],
        ),
    ],
    ids=[
        "invalid-email",
        "email-without-domain",
        "missing-email",
        "blank-email",
        "too-long-email",
        "nul-in-email",
        "too-long-name",
        "nul-in-name",
        "empty-password",
        "short-password",
        "common-password1",
        "common-qwertyuiop",
        "common-iloveyou",
        "common-in-another-case",
        "too-long-password",
        "password-is-the-email-in-another-case",
        "several-problems-at-once",
    ],
)
def test_register_refuses_bad_input_and_creates_nothing(
    app: Flask, gql: GraphQL, given: dict[str, Any], errors: list[dict[str, Any]]
) -> None:
    variables = {"email": "ada@example.com", "password": DEFAULT_PASSWORD, **given}

    assert register(gql, **variables) == refused(*errors)
    assert count(app, User) == 0
    assert count(app, AuthSession) == 0


@pytest.mark.parametrize(
    "second_email", ["ada@example.com", "ADA@EXAMPLE.COM", " Ada@Example.Com "]
)
def test_register_refuses_an_email_taken_in_any_case(
    app: Flask, gql: GraphQL, second_email: str
) -> None:
    register(gql, "ada@example.com")

    payload = register(gql, second_email, "another fine passphrase")

    assert payload == refused(
        user_error(EMAIL, "TAKEN", "An account with this email already exists.")
    )
    assert count(app, User) == 1
    assert count(app, AuthSession) == 1
    assert login(gql, "ada@example.com", "another fine passphrase") == refused(
        INVALID_CREDENTIALS
    )


def test_register_reports_taken_together_with_the_other_problems(
    gql: GraphQL,
) -> None:
    register(gql, "ada@example.com")

    assert register(gql, "Ada@example.com", "short") == refused(
        user_error(PASSWORD, "WEAK_PASSWORD", "Must be at least 8 characters."),
        user_error(EMAIL, "TAKEN", "An account with this email already exists."),
    )


def test_password_is_stored_as_an_argon2id_hash(app: Flask, gql: GraphQL) -> None:
    register(gql, "ada@example.com")
    register(gql, "bob@example.com")

    with app.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert len(hashes) == 2
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert DEFAULT_PASSWORD not in "".join(hashes)
    assert hashes[0] != hashes[1]  # salted: same password, different hashes


# --- login ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["ada@example.com", "ADA@EXAMPLE.COM", "Ada@Example.com", " ada@example.com "],
)
def test_login_ignores_the_case_of_the_email(
    client: FlaskClient, gql: GraphQL, email: str
) -> None:
    register(gql, "Ada@Example.com", name="Ada")

    payload = login(gql, email)

    assert without_tokens(payload) == signed_in("Ada@example.com", "Ada")
    assert me(client, f"Bearer {payload['accessToken']}") == {
        "data": {"me": {"email": "Ada@example.com", "name": "Ada"}}
    }


# One address, spelt several ways: a domain in punycode or in Unicode, and a
# local part composed (NFC) or decomposed (NFD).
PUNYCODE = "user@xn--bcher-kva.example"
UNICODE_DOMAIN = "User@B\u00dcCHER.example"
NFC = "jos\u00e9@example.com"
NFD = "jose\u0301@example.com"
SPELLINGS = [
    pytest.param(PUNYCODE, "user@b\u00fccher.example", PUNYCODE, id="punycode"),
    pytest.param(PUNYCODE, "user@b\u00fccher.example", UNICODE_DOMAIN, id="idna"),
    pytest.param(UNICODE_DOMAIN, "User@b\u00fccher.example", PUNYCODE, id="unicode"),
    pytest.param(NFD, NFC, NFD, id="nfd"),
    pytest.param(NFD, NFC, NFC, id="nfd-then-nfc"),
    pytest.param(NFC, NFC, NFD, id="nfc-then-nfd"),
]


@pytest.mark.parametrize(("registered", "stored", "other_spelling"), SPELLINGS)
def test_login_and_register_read_an_email_alike_however_it_is_spelt(
    app: Flask, gql: GraphQL, registered: str, stored: str, other_spelling: str
) -> None:
    assert without_tokens(register(gql, registered, name="Ada")) == signed_in(
        stored, "Ada"
    )

    for spelling in (registered, other_spelling):
        assert without_tokens(login(gql, spelling)) == signed_in(stored, "Ada")
    assert register(gql, other_spelling, "another fine passphrase") == refused(
        user_error(EMAIL, "TAKEN", "An account with this email already exists.")
    )
    assert count(app, User) == 1


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@example.com", "a wrong passphrase"),
        ("ada@example.com", DEFAULT_PASSWORD.upper()),
        ("ada@example.com", ""),
        ("bob@example.com", DEFAULT_PASSWORD),
        ("bob@example.com", "a wrong passphrase"),
        ("", DEFAULT_PASSWORD),
        ("ada\x00@example.com", DEFAULT_PASSWORD),
        ("a" * 300 + "@example.com", DEFAULT_PASSWORD),
    ],
    ids=[
        "wrong-password",
        "password-in-another-case",
        "empty-password",
        "unknown-email",
        "unknown-email-and-wrong-password",
        "empty-email",
        "nul-in-email",
        "too-long-email",
    ],
)
def test_login_refuses_wrong_credentials_all_alike(
    app: Flask, gql: GraphQL, email: str, password: str
) -> None:
    register(gql, "ada@example.com")

    assert login(gql, email, password) == refused(INVALID_CREDENTIALS)
    assert count(app, AuthSession) == 1


# --- me ------------------------------------------------------------------------


def test_me_is_null_without_a_token(client: FlaskClient, ada: Login) -> None:
    assert me(client, None) == {"data": {"me": None}}


def test_me_is_the_user_of_the_token(client: FlaskClient, ada: Login) -> None:
    bob = register(ada.gql, "bob@example.com", name="Bob")

    assert me(client, f"Bearer {ada.access}") == {
        "data": {"me": {"email": "ada@example.com", "name": "Ada"}}
    }
    assert me(client, f"Bearer {bob['accessToken']}") == {
        "data": {"me": {"email": "bob@example.com", "name": "Bob"}}
    }


def delete_user(login_: Login) -> str:
    with login_.app.app_context():
        db.session.execute(delete(User).where(User.email == login_.email))
        db.session.commit()
    return f"Bearer {login_.access}"


def log_out_first(login_: Login) -> str:
    assert logout(login_.gql, token=login_.access) == logged_out()
    return f"Bearer {login_.access}"


BAD_AUTHORIZATIONS: list[tuple[str, Callable[[Login], str], dict[str, Any]]] = [
    ("garbage", lambda _: "Bearer not-a-token", unauthenticated(INVALID_ACCESS_TOKEN)),
    ("bearer-without-token", lambda _: "Bearer", unauthenticated(INVALID_ACCESS_TOKEN)),
    ("basic-scheme", lambda _: "Basic xyz", unauthenticated(INVALID_ACCESS_TOKEN)),
    (
        "token-in-another-scheme",
        lambda ada: f"Token {ada.access}",
        unauthenticated(INVALID_ACCESS_TOKEN),
    ),
    (
        "signed-with-another-key",
        lambda ada: f"Bearer {resign(ada.app, ada.access, OTHER_KEY)}",
        unauthenticated(INVALID_ACCESS_TOKEN),
    ),
    (
        "alg-none",
        lambda ada: f"Bearer {unsigned(ada.access)}",
        unauthenticated(INVALID_ACCESS_TOKEN),
    ),
    (
        "other-subject",
        lambda ada: f"Bearer {resign(ada.app, ada.access, sub='2')}",
        unauthenticated(INVALID_ACCESS_TOKEN),
    ),
    (
        "expired",
        lambda ada: f"Bearer {expired(ada.app, ada.access)}",
        unauthenticated(EXPIRED_ACCESS_TOKEN, reason="TOKEN_EXPIRED"),
    ),
    (
        "refresh-token",
        lambda ada: f"Bearer {ada.refresh}",
        unauthenticated(INVALID_ACCESS_TOKEN),
    ),
    ("user-deleted", delete_user, unauthenticated(INVALID_ACCESS_TOKEN)),
    ("revoked-by-logout", log_out_first, unauthenticated(REVOKED_ACCESS_TOKEN)),
]


@pytest.mark.parametrize(
    ("authorization", "body"),
    [case[1:] for case in BAD_AUTHORIZATIONS],
    ids=[case[0] for case in BAD_AUTHORIZATIONS],
)
def test_me_with_a_bad_token_is_unauthenticated_without_echoing_it(
    client: FlaskClient,
    ada: Login,
    authorization: Callable[[Login], str],
    body: dict[str, Any],
) -> None:
    register(ada.gql, "bob@example.com")  # user 2 exists: "other-subject" is real
    header = authorization(ada)

    response = client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": header}
    )

    assert response.status_code == 200
    assert response.get_json() == body
    credentials = header.partition(" ")[2]
    if credentials:
        assert credentials not in response.get_data(as_text=True)


def test_access_tokens_live_as_long_as_the_configured_ttl(tmp_path: Path) -> None:
    """The one test that waits: a token of a 1-second app really expires.
    (SQLite only, so the wait happens once.)"""
    short_lived = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'short.db'}",
            "ACCESS_TOKEN_TTL": timedelta(seconds=1),
        },
    )
    with short_lived.app_context():
        db.create_all()
    try:
        client = short_lived.test_client()
        payload = register(GraphQL(client), "ada@example.com")
        assert payload["expiresIn"] == 1
        time.sleep(1)
        assert me(client, f"Bearer {payload['accessToken']}") == unauthenticated(
            EXPIRED_ACCESS_TOKEN, reason="TOKEN_EXPIRED"
        )
    finally:
        with short_lived.app_context():
            db.engine.dispose()


# --- refreshToken ----------------------------------------------------------------


def test_refresh_token_returns_a_new_working_pair(
    client: FlaskClient, ada: Login
) -> None:
    payload = refresh(ada.gql, ada.refresh)

    assert without_tokens(payload) == signed_in("ada@example.com", "Ada")
    assert payload["accessToken"] != ada.access
    assert payload["refreshToken"] != ada.refresh
    assert me(client, f"Bearer {payload['accessToken']}") == {
        "data": {"me": {"email": "ada@example.com", "name": "Ada"}}
    }
    again = refresh(ada.gql, payload["refreshToken"])
    assert without_tokens(again) == signed_in("ada@example.com", "Ada")


def test_reusing_a_retired_refresh_token_revokes_the_whole_login(
    client: FlaskClient, ada: Login
) -> None:
    other = second_login(ada.gql, ada)
    rotated = refresh(ada.gql, ada.refresh)

    assert refresh(ada.gql, ada.refresh) == refused(
        user_error(REFRESH_TOKEN, "INVALID_TOKEN", REUSED_REFRESH_TOKEN)
    )
    assert me(client, f"Bearer {rotated['accessToken']}") == unauthenticated(
        REVOKED_ACCESS_TOKEN
    )
    assert me(client, f"Bearer {ada.access}") == unauthenticated(REVOKED_ACCESS_TOKEN)
    assert refresh(ada.gql, rotated["refreshToken"]) == refused(
        user_error(REFRESH_TOKEN, "INVALID_TOKEN", REVOKED_REFRESH_TOKEN)
    )
    assert_works(client, other)
    assert without_tokens(refresh(ada.gql, other.refresh)) == signed_in(
        "ada@example.com", "Ada"
    )


def refresh_token_after_logout(login_: Login) -> str:
    assert logout(login_.gql, login_.refresh) == logged_out()
    return login_.refresh


BAD_REFRESH_TOKENS: list[tuple[str, Callable[[Login], str], str]] = [
    ("garbage", lambda _: "not-a-token", INVALID_REFRESH_TOKEN),
    ("empty", lambda _: "", INVALID_REFRESH_TOKEN),
    ("access-token", lambda ada: ada.access, INVALID_REFRESH_TOKEN),
    ("expired", lambda ada: expired(ada.app, ada.refresh), EXPIRED_REFRESH_TOKEN),
    (
        "signed-with-another-key",
        lambda ada: resign(ada.app, ada.refresh, OTHER_KEY),
        INVALID_REFRESH_TOKEN,
    ),
    ("alg-none", lambda ada: unsigned(ada.refresh), INVALID_REFRESH_TOKEN),
    (
        "other-subject",
        lambda ada: resign(ada.app, ada.refresh, sub="2"),
        INVALID_REFRESH_TOKEN,
    ),
    ("logged-out", refresh_token_after_logout, REVOKED_REFRESH_TOKEN),
]


@pytest.mark.parametrize(
    ("make_token", "message"),
    [case[1:] for case in BAD_REFRESH_TOKENS],
    ids=[case[0] for case in BAD_REFRESH_TOKENS],
)
def test_refresh_token_refuses_a_bad_token(
    ada: Login, make_token: Callable[[Login], str], message: str
) -> None:
    register(ada.gql, "bob@example.com")  # user 2 exists: "other-subject" is real

    assert refresh(ada.gql, make_token(ada)) == refused(
        user_error(REFRESH_TOKEN, "INVALID_TOKEN", message)
    )


def test_a_refused_refresh_token_leaves_its_login_alone(
    client: FlaskClient, ada: Login
) -> None:
    """Only a retired token presented again is a sign of theft; a forged or
    expired copy of a live one proves nothing and must not log anyone out."""
    for token in (
        expired(ada.app, ada.refresh),
        resign(ada.app, ada.refresh, OTHER_KEY),
    ):
        assert refresh(ada.gql, token)["userErrors"][0]["code"] == "INVALID_TOKEN"

    assert_works(client, ada)
    assert without_tokens(refresh(ada.gql, ada.refresh)) == signed_in(
        "ada@example.com", "Ada"
    )


# --- logout ----------------------------------------------------------------------


def assert_revoked(client: FlaskClient, login_: Login) -> None:
    assert me(client, f"Bearer {login_.access}") == unauthenticated(
        REVOKED_ACCESS_TOKEN
    )
    assert refresh(login_.gql, login_.refresh) == refused(
        user_error(REFRESH_TOKEN, "INVALID_TOKEN", REVOKED_REFRESH_TOKEN)
    )


def test_logout_with_the_access_token_revokes_its_login(
    client: FlaskClient, ada: Login
) -> None:
    assert logout(ada.gql, token=ada.access) == logged_out()

    assert_revoked(client, ada)


def test_logout_with_only_the_refresh_token_revokes_its_login(
    client: FlaskClient, ada: Login
) -> None:
    assert logout(ada.gql, ada.refresh) == logged_out()

    assert_revoked(client, ada)


def test_logout_with_both_tokens_revokes_the_login(
    client: FlaskClient, ada: Login
) -> None:
    assert logout(ada.gql, ada.refresh, token=ada.access) == logged_out()

    assert_revoked(client, ada)


def test_logout_with_an_expired_access_token_still_ends_the_refresh_tokens_login(
    client: FlaskClient, ada: Login
) -> None:
    """Clients log out long after their 15-minute access token expired; the
    refresh token alone proves the login, so the stale header must not stop it."""
    assert logout(ada.gql, ada.refresh, token=expired(ada.app, ada.access)) == (
        logged_out()
    )

    assert_revoked(client, ada)


def test_logout_with_an_expired_refresh_token_ends_its_login(
    client: FlaskClient, ada: Login
) -> None:
    assert logout(ada.gql, expired(ada.app, ada.refresh)) == logged_out()

    assert_revoked(client, ada)


def test_logout_without_any_token_is_unauthenticated(gql: GraphQL) -> None:
    body = logout(gql)

    assert body["data"] is None
    assert [error["extensions"] for error in body["errors"]] == [
        {"code": "UNAUTHENTICATED"}
    ]


def test_logout_with_a_bad_access_token_and_no_refresh_token_is_unauthenticated(
    ada: Login,
) -> None:
    body = logout(ada.gql, token=expired(ada.app, ada.access))

    assert body["data"] is None
    assert [error["extensions"] for error in body["errors"]] == [
        {"code": "UNAUTHENTICATED", "reason": "TOKEN_EXPIRED"}
    ]


@pytest.mark.parametrize("with_header", [False, True], ids=["alone", "with-header"])
@pytest.mark.parametrize(
    "make_token",
    [
        lambda _: "not-a-token",
        lambda ada: ada.access,
        lambda ada: unsigned(ada.refresh),
    ],
    ids=["garbage", "access-token", "alg-none"],
)
def test_logout_with_a_bad_refresh_token_fails_and_changes_nothing(
    client: FlaskClient,
    ada: Login,
    make_token: Callable[[Login], str],
    with_header: bool,
) -> None:
    body = logout(ada.gql, make_token(ada), token=ada.access if with_header else None)

    assert body == {
        "data": {
            "logout": {
                "ok": False,
                "userErrors": [
                    user_error(REFRESH_TOKEN, "INVALID_TOKEN", INVALID_REFRESH_TOKEN)
                ],
            }
        }
    }
    assert_works(client, ada)


def test_logging_out_twice_with_the_same_refresh_token_is_fine(
    client: FlaskClient, ada: Login
) -> None:
    assert logout(ada.gql, ada.refresh) == logged_out()
    assert logout(ada.gql, ada.refresh) == logged_out()

    assert_revoked(client, ada)


def test_logging_out_one_login_leaves_the_others_working(
    client: FlaskClient, ada: Login
) -> None:
    other = second_login(ada.gql, ada)
    bob = register(ada.gql, "bob@example.com")

    assert logout(ada.gql, ada.refresh, token=ada.access) == logged_out()

    assert_revoked(client, ada)
    assert_works(client, other)
    assert me(client, f"Bearer {bob['accessToken']}") == {
        "data": {"me": {"email": "bob@example.com", "name": None}}
    }
    assert without_tokens(refresh(ada.gql, other.refresh)) == signed_in(
        "ada@example.com", "Ada"
    )


# --- across app instances ------------------------------------------------------


def test_revocation_holds_on_another_app_instance(ada: Login, other_app: Flask) -> None:
    other_client = other_app.test_client()
    other = second_login(GraphQL(other_client), ada)
    assert_works(other_client, ada)

    assert logout(ada.gql, ada.refresh, token=ada.access) == logged_out()

    assert me(other_client, f"Bearer {ada.access}") == unauthenticated(
        REVOKED_ACCESS_TOKEN
    )
    assert refresh(GraphQL(other_client), ada.refresh) == refused(
        user_error(REFRESH_TOKEN, "INVALID_TOKEN", REVOKED_REFRESH_TOKEN)
    )
    assert_works(other_client, other)


def test_refresh_token_reuse_is_caught_on_another_app_instance(
    client: FlaskClient, ada: Login, other_app: Flask
) -> None:
    other_gql = GraphQL(other_app.test_client())
    rotated = refresh(ada.gql, ada.refresh)

    assert refresh(other_gql, ada.refresh) == refused(
        user_error(REFRESH_TOKEN, "INVALID_TOKEN", REUSED_REFRESH_TOKEN)
    )
    assert me(client, f"Bearer {rotated['accessToken']}") == unauthenticated(
        REVOKED_ACCESS_TOKEN
    )
