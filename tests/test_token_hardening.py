"""Tokens under attack: forged, stale, replayed and raced tokens, pruning, and
revocation seen by another process.

tests/graphql/test_auth.py covers each bad token on `{ me }` over POST and on
`refreshToken`; this file adds the cases it lacks (zero leeway, a tampered
payload, another algorithm, a deleted user's refresh token, blank headers),
asks every bad access token through the other ways in (GET, a field that
needs a user, a mutation), with rate limiting on as in production, and
covers what needs threads, a second process or a clock.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import AuthSession, RefreshToken, User, utcnow
from tests.helpers import DEFAULT_PASSWORD, GraphQL
from tests.operations import LOGIN, ME_EMAIL, REFRESH_TOKEN
from tests.support.token_hardening import (
    Login,
    Worker,
    claims_of,
    sign_up,
)

# The `app` fixture with rate limiting on as in production, so a limiter that
# looks at the token is part of what these tests check.
pytestmark = pytest.mark.app_settings(
    RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"
)

OTHER_KEY = "another-jwt-secret-key-that-is-long-enough-for-hs256"

LOGOUT = "mutation { logout { ok } }"

INVALID = "The access token is invalid."
EXPIRED = "The access token has expired."
REVOKED = "The access token has been revoked."


# --- tokens and the login they belong to ------------------------------------------


def sign_in(login: Login) -> Login:
    variables = {"input": {"email": login.email, "password": DEFAULT_PASSWORD}}
    payload = login.gql.data(LOGIN, variables)["login"]
    assert payload["userErrors"] == []
    return Login(
        login.app,
        login.gql,
        login.email,
        payload["accessToken"],
        payload["refreshToken"],
    )


def resign(
    login: Login,
    token: str,
    key: str | None = None,
    algorithm: str = "HS256",
    **changes: Any,
) -> str:
    """`token` with `changes` to its claims, signed with `key` (by default the
    app's own, so only what the test changes is wrong)."""
    key = key or login.app.config["JWT_SECRET_KEY"]
    return jwt.encode({**claims_of(token), **changes}, key, algorithm=algorithm)


def expiring_this_second(login: Login, token: str) -> str:
    """`token`, well signed, with `exp` set to the current whole second: past
    already by a fraction of a second, so only zero leeway refuses it."""
    return resign(login, token, exp=int(time.time()))


def tampered(token: str) -> str:
    """`token` with a payload that lives a day longer, under its old signature."""
    header, _, signature = token.split(".")
    claims = {**claims_of(token), "exp": claims_of(token)["exp"] + 86400}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    return f"{header}.{payload.decode()}.{signature}"


def unsigned(token: str) -> str:
    """`token`'s claims in an `alg: none` token with an empty signature."""
    header = json.dumps({"alg": "none", "typ": "JWT"}).encode()
    encoded = base64.urlsafe_b64encode(header).rstrip(b"=").decode()
    return f"{encoded}.{token.split('.')[1]}."


def delete_user(login: Login) -> None:
    with login.app.app_context():
        db.session.execute(delete(User).where(User.email == login.email))
        db.session.commit()


def revoke(login: Login) -> None:
    """Log out with the access token, through the API."""
    assert login.gql(LOGOUT, token=login.access) == {"data": {"logout": {"ok": True}}}


# --- every bad access token, every way in ----------------------------------------


def authorization(make: Callable[[Login], str]) -> Callable[[Login], str]:
    return lambda login: f"Bearer {make(login)}"


def after(
    spoil: Callable[[Login], None], make: Callable[[Login], str]
) -> Callable[[Login], str]:
    def header(login: Login) -> str:
        spoil(login)
        return f"Bearer {make(login)}"

    return header


BAD_ACCESS: list[tuple[str, Callable[[Login], str], str, dict[str, str]]] = [
    ("garbage", authorization(lambda _: "not-a-token"), INVALID, {}),
    ("three-empty-parts", authorization(lambda _: ".."), INVALID, {}),
    ("bearer-alone", lambda _: "Bearer", INVALID, {}),
    ("bearer-and-spaces", lambda _: "Bearer    ", INVALID, {}),
    ("empty-header", lambda _: "", INVALID, {}),
    (
        "expired-this-second",
        authorization(lambda login: expiring_this_second(login, login.access)),
        EXPIRED,
        {"reason": "TOKEN_EXPIRED"},
    ),
    (
        "expired-a-day-ago",
        authorization(
            lambda login: resign(
                login, login.access, exp=datetime.now(UTC) - timedelta(days=1)
            )
        ),
        EXPIRED,
        {"reason": "TOKEN_EXPIRED"},
    ),
    (
        "tampered-payload",
        authorization(lambda login: tampered(login.access)),
        INVALID,
        {},
    ),
    (
        "signed-with-another-key",
        authorization(lambda login: resign(login, login.access, OTHER_KEY)),
        INVALID,
        {},
    ),
    (
        "hs384-with-the-right-key",
        authorization(lambda login: resign(login, login.access, algorithm="HS384")),
        INVALID,
        {},
    ),
    ("alg-none", authorization(lambda login: unsigned(login.access)), INVALID, {}),
    (
        "refresh-token-as-access-token",
        authorization(lambda login: login.refresh),
        INVALID,
        {},
    ),
    ("user-deleted", after(delete_user, lambda login: login.access), INVALID, {}),
    ("revoked", after(revoke, lambda login: login.access), REVOKED, {}),
]


@dataclass(frozen=True)
class Way:
    """One way a client asks something that needs the viewer."""

    send: Callable[[FlaskClient, str], Any]
    data: dict[str, Any] | None
    path: str
    column: int


def post(query: str) -> Callable[[FlaskClient, str], Any]:
    return lambda client, header: client.post(
        "/graphql", json={"query": query}, headers={"Authorization": header}
    )


def get(query: str) -> Callable[[FlaskClient, str], Any]:
    return lambda client, header: client.get(
        "/graphql", query_string={"query": query}, headers={"Authorization": header}
    )


WAYS = {
    "get-me": Way(get(ME_EMAIL), {"me": None}, "me", 3),
    "post-contacts": Way(post("{ contacts { totalCount } }"), None, "contacts", 3),
    "post-node": Way(
        post('{ node(id: "VGFnOjE=") { id } }'), {"node": None}, "node", 3
    ),
    "post-create-contact": Way(
        post(
            'mutation { createContact(input: {firstName: "Eve"}) { contact { id } } }'
        ),
        None,
        "createContact",
        12,
    ),
}


def answer(response: Any) -> tuple[int, str | None, dict[str, Any]]:
    return response.status_code, response.mimetype, response.get_json()


def refusal(way: Way, message: str, extensions: dict[str, str]) -> dict[str, Any]:
    return {
        "data": way.data,
        "errors": [
            {
                "message": message,
                "locations": [{"line": 1, "column": way.column}],
                "path": [way.path],
                "extensions": {"code": "UNAUTHENTICATED", **extensions},
            }
        ],
    }


@pytest.mark.parametrize(
    ("make_header", "message", "extensions"),
    [case[1:] for case in BAD_ACCESS],
    ids=[case[0] for case in BAD_ACCESS],
)
def test_a_bad_access_token_is_unauthenticated_in_the_contracts_shape(
    client: FlaskClient,
    ada_signed_up: Login,
    make_header: Callable[[Login], str],
    message: str,
    extensions: dict[str, str],
) -> None:
    """Each way in answers HTTP 200 with a GraphQL body, never Flask-JWT-
    Extended's 401/422 `{"msg": ...}`, and nothing in it that names the
    token, the user or the login."""
    secrets = [
        ada_signed_up.access,
        ada_signed_up.refresh,
        ada_signed_up.session_id,
        ada_signed_up.user_global_id,
    ]
    header = make_header(ada_signed_up)
    credentials = header.partition(" ")[2].strip()

    responses = {name: way.send(client, header) for name, way in WAYS.items()}

    assert {name: answer(response) for name, response in responses.items()} == {
        name: (200, "application/json", refusal(way, message, extensions))
        for name, way in WAYS.items()
    }
    for response in responses.values():
        text = response.get_data(as_text=True)
        for secret in [*secrets, *([credentials] if credentials else [])]:
            assert secret not in text


def test_a_token_expiring_this_second_passes_only_with_leeway(
    make_app: Callable[..., Flask], ada_signed_up: Login
) -> None:
    """What the zero-leeway case above proves: with JWT_DECODE_LEEWAY of a
    few seconds the same token still works."""
    token = expiring_this_second(ada_signed_up, ada_signed_up.access)
    lenient = make_app(JWT_DECODE_LEEWAY=30)

    body = GraphQL(lenient.test_client())(ME_EMAIL, token=token)

    assert body == {"data": {"me": {"email": "ada@example.com"}}}
    assert ada_signed_up.app.config["JWT_DECODE_LEEWAY"] == 0


# --- bad refresh tokens -------------------------------------------------------------


def refused_refresh(message: str) -> dict[str, Any]:
    return {
        "data": {
            "refreshToken": {
                "accessToken": None,
                "refreshToken": None,
                "expiresIn": None,
                "userErrors": [
                    {
                        "field": ["refreshToken"],
                        "message": message,
                        "code": "INVALID_TOKEN",
                    }
                ],
            }
        }
    }


def deleted_users_refresh_token(login: Login) -> str:
    delete_user(login)
    return login.refresh


BAD_REFRESH: list[tuple[str, Callable[[Login], str], str]] = [
    (
        "expired-this-second",
        lambda login: expiring_this_second(login, login.refresh),
        "The refresh token has expired.",
    ),
    (
        "tampered-payload",
        lambda login: tampered(login.refresh),
        "The refresh token is invalid.",
    ),
    (
        "hs384-with-the-right-key",
        lambda login: resign(login, login.refresh, algorithm="HS384"),
        "The refresh token is invalid.",
    ),
    ("user-deleted", deleted_users_refresh_token, "The refresh token is invalid."),
]


@pytest.mark.parametrize(
    ("make_token", "message"),
    [case[1:] for case in BAD_REFRESH],
    ids=[case[0] for case in BAD_REFRESH],
)
def test_refresh_token_refuses_a_bad_token_without_echoing_it(
    client: FlaskClient,
    ada_signed_up: Login,
    make_token: Callable[[Login], str],
    message: str,
) -> None:
    token = make_token(ada_signed_up)

    response = client.post(
        "/graphql", json={"query": REFRESH_TOKEN, "variables": {"refreshToken": token}}
    )

    assert response.status_code == 200
    assert response.get_json() == refused_refresh(message)
    assert token not in response.get_data(as_text=True)


# --- two refreshes at once ------------------------------------------------------------


def refresh_at_once(app: Flask, token: str, count: int) -> list[dict[str, Any]]:
    """`refreshToken(token)` from `count` threads released together."""
    barrier = threading.Barrier(count)
    results: list[dict[str, Any]] = []
    failures: list[BaseException] = []

    def run() -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            response = client.post(
                "/graphql",
                json={"query": REFRESH_TOKEN, "variables": {"refreshToken": token}},
            )
            assert response.status_code == 200
            results.append(response.get_json())
        except BaseException as error:  # reported by the test thread below
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    if failures:
        raise failures[0]
    return results


@pytest.mark.parametrize("round_", range(3))
def test_two_concurrent_refreshes_of_one_token_let_exactly_one_through(
    app: Flask, ada_signed_up: Login, round_: int
) -> None:
    """The retiring UPDATE ... WHERE used_at IS NULL is atomic, so the second
    request sees the token as already used: INVALID_TOKEN, and (as for any
    reuse) the login is revoked. Three rounds, as a race is not always run."""
    results = refresh_at_once(app, ada_signed_up.refresh, 2)

    payloads = sorted(
        (body["data"]["refreshToken"] for body in results),
        key=lambda payload: payload["accessToken"] is None,
    )
    winner, loser = payloads
    assert winner["userErrors"] == []
    assert isinstance(winner["accessToken"], str)
    assert isinstance(winner["refreshToken"], str)
    assert (
        loser
        == refused_refresh("The refresh token was already used; sign in again.")[
            "data"
        ]["refreshToken"]
    )
    with app.app_context():
        records = db.session.scalars(select(RefreshToken)).all()
        session = db.session.get_one(AuthSession, ada_signed_up.session_id)
        assert sorted(record.used_at is None for record in records) == [False, True]
        assert session.revoked_at is not None


# --- pruning ----------------------------------------------------------------------


def jti(login: Login) -> str:
    value: str = claims_of(login.refresh)["jti"]
    return value


def expire(app: Flask, *logins: Login) -> None:
    """Make the logins, and every refresh token of theirs, a second past
    their expiry."""
    past = utcnow() - timedelta(seconds=1)
    sessions = [login.session_id for login in logins]
    with app.app_context():
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.id.in_(sessions))
            .values(expires_at=past)
        )
        db.session.execute(
            update(RefreshToken)
            .where(RefreshToken.session_id.in_(sessions))
            .values(expires_at=past)
        )
        db.session.commit()


def spent_token(app: Flask, login: Login) -> str:
    """Record an old refresh token of the live `login`, rotated out and
    expired long ago; its jti."""
    long_ago = utcnow() - timedelta(days=60)
    record = RefreshToken(
        jti=str(uuid.uuid4()),
        session_id=login.session_id,
        expires_at=long_ago,
        used_at=long_ago,
    )
    with app.app_context():
        db.session.add(record)
        db.session.commit()
        return record.jti


def stored(app: Flask) -> tuple[set[str], set[str]]:
    """The ids of the stored logins, and the jtis of the stored refresh tokens."""
    with app.app_context():
        sessions = set(db.session.scalars(select(AuthSession.id)))
        jtis = set(db.session.scalars(select(RefreshToken.jti)))
    return sessions, jtis


def test_signing_in_deletes_the_users_expired_records_and_no_one_elses(
    app: Flask, ada_signed_up: Login
) -> None:
    ada_live = sign_in(ada_signed_up)
    bob = sign_up(app, ada_signed_up.gql, "bob@example.com")
    bob_live = sign_in(bob)
    expire(app, ada_signed_up, bob)
    spent_token(app, ada_live)
    bob_spent = spent_token(app, bob_live)

    ada_new = sign_in(ada_signed_up)

    kept = [ada_live, ada_new, bob, bob_live]
    assert stored(app) == (
        {login.session_id for login in kept},
        {jti(login) for login in kept} | {bob_spent},
    )


def test_refreshing_deletes_the_users_expired_token_records(
    app: Flask, ada_signed_up: Login
) -> None:
    spent_token(app, ada_signed_up)
    bob = sign_up(app, ada_signed_up.gql, "bob@example.com")
    bob_spent = spent_token(app, bob)

    rotated = ada_signed_up.gql.data(
        REFRESH_TOKEN, {"refreshToken": ada_signed_up.refresh}
    )["refreshToken"]

    assert stored(app) == (
        {ada_signed_up.session_id, bob.session_id},
        {
            jti(ada_signed_up),
            claims_of(rotated["refreshToken"])["jti"],
            jti(bob),
            bob_spent,
        },
    )


def test_registering_prunes_nothing_of_anyone_else(
    app: Flask, ada_signed_up: Login
) -> None:
    expire(app, ada_signed_up)
    ada_spent = spent_token(app, ada_signed_up)

    bob = sign_up(app, ada_signed_up.gql, "bob@example.com")

    assert stored(app) == (
        {ada_signed_up.session_id, bob.session_id},
        {jti(ada_signed_up), ada_spent, jti(bob)},
    )


def test_prune_tokens_command_deletes_every_expired_record(
    app: Flask, ada_signed_up: Login
) -> None:
    ada_live = sign_in(ada_signed_up)
    bob = sign_up(app, ada_signed_up.gql, "bob@example.com")
    expire(app, ada_signed_up, bob)
    spent_token(app, ada_live)

    result = app.test_cli_runner().invoke(args=["prune-tokens"])

    assert (result.exit_code, result.output) == (
        0,
        "Removed 2 expired logins and 1 expired refresh tokens\n",
    )
    assert stored(app) == ({ada_live.session_id}, {jti(ada_live)})
    again = app.test_cli_runner().invoke(args=["prune-tokens"])
    assert (again.exit_code, again.output) == (
        0,
        "Removed 0 expired logins and 0 expired refresh tokens\n",
    )


# --- revocation seen by another process -----------------------------------------------


def test_a_token_revoked_here_is_refused_by_another_process(
    ada_signed_up: Login, worker: Worker
) -> None:
    assert worker.ask(ME_EMAIL, token=ada_signed_up.access) == {
        "data": {"me": {"email": ada_signed_up.email}}
    }

    revoke(ada_signed_up)

    assert worker.ask(ME_EMAIL, token=ada_signed_up.access) == {
        "data": {"me": None},
        "errors": [
            {
                "message": REVOKED,
                "locations": [{"line": 1, "column": 3}],
                "path": ["me"],
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }
    assert worker.ask(
        REFRESH_TOKEN, {"refreshToken": ada_signed_up.refresh}
    ) == refused_refresh("The refresh token has been revoked.")


def test_a_refresh_token_retired_there_is_refused_here(
    ada_signed_up: Login, worker: Worker
) -> None:
    rotated = worker.ask(REFRESH_TOKEN, {"refreshToken": ada_signed_up.refresh})[
        "data"
    ]["refreshToken"]
    assert rotated["userErrors"] == []

    assert ada_signed_up.gql(
        REFRESH_TOKEN, {"refreshToken": ada_signed_up.refresh}
    ) == refused_refresh("The refresh token was already used; sign in again.")
    assert worker.ask(ME_EMAIL, token=rotated["accessToken"])["errors"][0][
        "message"
    ] == (REVOKED)
