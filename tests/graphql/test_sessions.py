"""An account's logins through /graphql: me { sessions }, node(id:) of a
Session, revokeSession and revokeOtherSessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from app.extensions import db
from app.models import AuthSession
from app.schema.ids import to_global_id
from app.services import opaque
from tests.support.sessions import Login, post, sign_in
from tests.support.statements import executions

if TYPE_CHECKING:  # the `gql` fixture's type (tests/conftest.py)
    from tests.helpers import GraphQL

REFRESH = """
mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    accessToken refreshToken userErrors { field message code }
  }
}
"""
SESSIONS = "{ me { sessions { id createdAt lastUsedAt userAgent current } } }"
NODE = """
query Node($id: ID!) {
  node(id: $id) { id ... on Session { userAgent current } }
}
"""
REVOKE = """
mutation Revoke($id: ID!) {
  revokeSession(id: $id) { revokedCount userErrors { field message code } }
}
"""
REVOKE_OTHERS = """
mutation { revokeOtherSessions { revokedCount userErrors { field message code } } }
"""
ME = "{ me { email } }"
NOT_FOUND = {
    "field": ["id"],
    "message": "No session with this id.",
    "code": "NOT_FOUND",
}


def sessions_of(gql: GraphQL, login: Login) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = gql.data(SESSIONS, token=login.access)["me"][
        "sessions"
    ]
    return sessions


def works(gql: GraphQL | FlaskClient, login: Login) -> bool:
    """Whether the login's access token still works (on the app of `gql`,
    or of `client`: another worker)."""
    if isinstance(gql, FlaskClient):
        body = post(gql, ME, token=login.access)
    else:
        body = gql(ME, token=login.access)
    if "errors" in body:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        assert body["errors"][0]["message"] in (
            "The access token has been revoked.",
            "The access token is invalid.",
        )
        return False
    assert body["data"] == {"me": {"email": login.email}}
    return True


def refresh_refused(gql: GraphQL, login: Login) -> bool:
    payload = gql.data(REFRESH, {"refreshToken": login.refresh})["refreshToken"]
    return bool(payload["userErrors"])


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- me { sessions } -----------------------------------------------------------


def test_sessions_lists_the_live_logins_newest_first_with_the_callers_marked(
    app: Flask, client: FlaskClient, gql: GraphQL, sessions_ada: Login
) -> None:
    before = datetime.now(UTC)
    phone = sign_in(app, client, sessions_ada.email, "Phone")

    sessions = sessions_of(gql, sessions_ada)

    assert [(s["id"], s["userAgent"], s["current"]) for s in sessions] == [
        (phone.session_id, "Phone", False),
        (sessions_ada.session_id, "Laptop", True),
    ]
    created = parse(sessions[0]["createdAt"])
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    # Signing in is the first use.
    assert [s["lastUsedAt"] for s in sessions] == [s["createdAt"] for s in sessions]
    assert [s["current"] for s in sessions_of(gql, phone)] == [True, False]


def test_sessions_lists_only_the_viewers_logins(
    gql: GraphQL, sessions_ada: Login, sessions_grace: Login
) -> None:
    assert [s["id"] for s in sessions_of(gql, sessions_ada)] == [
        sessions_ada.session_id
    ]
    assert [s["id"] for s in sessions_of(gql, sessions_grace)] == [
        sessions_grace.session_id
    ]


def test_sessions_leaves_out_ended_and_expired_logins(
    app: Flask, client: FlaskClient, gql: GraphQL, sessions_ada: Login
) -> None:
    logged_out = sign_in(app, client, sessions_ada.email, "Logged out")
    expired = sign_in(app, client, sessions_ada.email, "Expired")
    gql.data(
        "mutation { logout { ok } }",
        token=logged_out.access,
    )
    with app.app_context():
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.id == expired.sid)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()

    assert [s["userAgent"] for s in sessions_of(gql, sessions_ada)] == ["Laptop"]


@pytest.mark.parametrize(
    ("header", "stored"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        ),
        ("  two   spaces\tand a tab  ", "two spaces and a tab"),
        ("bell\x07 and escape\x1b[31m", "bell and escape[31m"),
        ("x" * 300, "x" * 255),
        ("é" * 300, "é" * 255),
        ("   ", None),
        ("", None),
    ],
    ids=["plain", "white-space", "control", "long", "latin-1", "blank", "empty"],
)
def test_the_user_agent_is_recorded_cleaned_and_cut_to_255_characters(
    app: Flask,
    client: FlaskClient,
    gql: GraphQL,
    header: str,
    stored: str | None,
) -> None:
    login = sign_in(app, client, "ua@example.com", header, new=True)

    (session,) = sessions_of(gql, login)

    assert session["userAgent"] == stored


def test_refreshing_moves_last_used_at_and_reading_does_not(
    app: Flask, gql: GraphQL, sessions_ada: Login
) -> None:
    (signed_in,) = sessions_of(gql, sessions_ada)
    for _ in range(3):
        gql.data(
            "{ me { email } contacts { totalCount } tags { name } }",
            token=sessions_ada.access,
        )
    (after_reads,) = sessions_of(gql, sessions_ada)

    refreshed = gql.data(REFRESH, {"refreshToken": sessions_ada.refresh})[
        "refreshToken"
    ]
    renewed = Login(sessions_ada.email, refreshed["accessToken"], "", sessions_ada.sid)
    (after_refresh,) = sessions_of(gql, renewed)

    assert after_reads == signed_in
    assert after_refresh["createdAt"] == signed_in["createdAt"]
    assert parse(after_refresh["lastUsedAt"]) > parse(signed_in["lastUsedAt"])


def test_listing_sessions_reads_on_one_autocommit_connection_and_writes_nothing(
    app: Flask, gql: GraphQL, sessions_ada: Login
) -> None:
    with executions(app) as seen:
        sessions = sessions_of(gql, sessions_ada)
    statements = [(e.verb, e.isolation_level) for e in seen]

    assert len(sessions) == 1
    # The token check and the list, both reads, without a transaction.
    assert statements == [("SELECT", "AUTOCOMMIT"), ("SELECT", "AUTOCOMMIT")]


def test_sessions_needs_a_token(gql: GraphQL) -> None:
    assert gql.data(SESSIONS) == {"me": None}


# --- node(id:) -----------------------------------------------------------------


def test_node_finds_a_session_of_the_viewer_only(
    app: Flask,
    client: FlaskClient,
    gql: GraphQL,
    sessions_ada: Login,
    sessions_grace: Login,
) -> None:
    phone = sign_in(app, client, sessions_ada.email, "Phone")

    assert gql.data(NODE, {"id": phone.session_id}, sessions_ada.access) == {
        "node": {"id": phone.session_id, "userAgent": "Phone", "current": False}
    }
    assert gql.data(NODE, {"id": sessions_ada.session_id}, sessions_ada.access) == {
        "node": {"id": sessions_ada.session_id, "userAgent": "Laptop", "current": True}
    }
    assert gql.data(NODE, {"id": phone.session_id}, sessions_grace.access) == {
        "node": None
    }


def test_node_of_an_ended_session_is_null(
    gql: GraphQL, app: Flask, client: FlaskClient, sessions_ada: Login
) -> None:
    phone = sign_in(app, client, sessions_ada.email, "Phone")
    gql.data(REVOKE, {"id": phone.session_id}, sessions_ada.access)

    assert gql.data(NODE, {"id": phone.session_id}, sessions_ada.access) == {
        "node": None
    }


@pytest.mark.parametrize(
    "raw",
    [
        "Session:not-a-uuid",
        "Session:12",
        "Session:6F9619FF-8B86-D011-B42D-00C04FC964FF",  # upper case
        "Session:{6f9619ff-8b86-d011-b42d-00c04fc964ff}",
        "Session:6f9619ff8b86d011b42d00c04fc964ff",  # no hyphens
    ],
)
def test_a_session_id_not_spelt_as_ours_is_bad_user_input(
    gql: GraphQL, sessions_ada: Login, raw: str
) -> None:
    malformed = opaque.encode(raw)

    assert gql.error_codes(NODE, {"id": malformed}, sessions_ada.access) == [
        "BAD_USER_INPUT"
    ]
    assert gql.error_codes(REVOKE, {"id": malformed}, sessions_ada.access) == [
        "BAD_USER_INPUT"
    ]
    assert works(gql, sessions_ada)


# --- revokeSession -------------------------------------------------------------


def test_revoke_session_ends_another_login_at_once(
    app: Flask, client: FlaskClient, gql: GraphQL, sessions_ada: Login
) -> None:
    phone = sign_in(app, client, sessions_ada.email, "Phone")
    assert works(gql, phone)  # its token verified once, and cached

    payload = gql.data(REVOKE, {"id": phone.session_id}, sessions_ada.access)[
        "revokeSession"
    ]

    assert payload == {"revokedCount": 1, "userErrors": []}
    assert not works(gql, phone)
    assert refresh_refused(gql, phone)
    assert works(gql, sessions_ada)
    assert [s["id"] for s in sessions_of(gql, sessions_ada)] == [
        sessions_ada.session_id
    ]


def test_revoke_session_of_the_callers_own_login_logs_it_out(
    gql: GraphQL, sessions_ada: Login
) -> None:
    payload = gql.data(REVOKE, {"id": sessions_ada.session_id}, sessions_ada.access)[
        "revokeSession"
    ]

    assert payload == {"revokedCount": 1, "userErrors": []}
    assert not works(gql, sessions_ada)
    assert refresh_refused(gql, sessions_ada)


def test_revoke_session_of_another_account_is_not_found_and_changes_nothing(
    gql: GraphQL, sessions_ada: Login, sessions_grace: Login
) -> None:
    payload = gql.data(REVOKE, {"id": sessions_grace.session_id}, sessions_ada.access)[
        "revokeSession"
    ]

    assert payload == {"revokedCount": 0, "userErrors": [NOT_FOUND]}
    assert works(gql, sessions_grace)
    assert not refresh_refused(gql, sessions_grace)


@pytest.mark.parametrize("which", ["unknown", "revoked", "expired", "contact id"])
def test_revoke_session_of_no_live_login_is_not_found(
    app: Flask, client: FlaskClient, gql: GraphQL, sessions_ada: Login, which: str
) -> None:
    phone = sign_in(app, client, sessions_ada.email, "Phone")
    target = {
        "unknown": to_global_id("Session", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        "contact id": to_global_id("Contact", 1),
    }.get(which, phone.session_id)
    if which == "revoked":
        gql.data(REVOKE, {"id": phone.session_id}, sessions_ada.access)
    if which == "expired":
        with app.app_context():
            db.session.execute(
                update(AuthSession)
                .where(AuthSession.id == phone.sid)
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            db.session.commit()

    payload = gql.data(REVOKE, {"id": target}, sessions_ada.access)["revokeSession"]

    assert payload == {"revokedCount": 0, "userErrors": [NOT_FOUND]}
    assert works(gql, sessions_ada)


@pytest.mark.parametrize(
    "operation",
    [REVOKE, REVOKE_OTHERS],
    ids=["revokeSession", "revokeOtherSessions"],
)
def test_ending_logins_needs_a_token(
    gql: GraphQL, sessions_ada: Login, operation: str
) -> None:
    variables = {"id": sessions_ada.session_id} if operation is REVOKE else None

    assert gql.error_codes(operation, variables) == ["UNAUTHENTICATED"]
    assert gql.error_codes(operation, variables, "not-a-token") == ["UNAUTHENTICATED"]
    assert works(gql, sessions_ada)


# --- revokeOtherSessions -------------------------------------------------------


def test_revoke_other_sessions_ends_every_other_login_of_the_account_only(
    app: Flask,
    client: FlaskClient,
    gql: GraphQL,
    sessions_ada: Login,
    sessions_grace: Login,
) -> None:
    phone = sign_in(app, client, sessions_ada.email, "Phone")
    tablet = sign_in(app, client, sessions_ada.email, "Tablet")
    assert works(gql, phone)

    payload = gql.data(REVOKE_OTHERS, token=sessions_ada.access)["revokeOtherSessions"]

    assert payload == {"revokedCount": 2, "userErrors": []}
    assert not works(gql, phone)
    assert not works(gql, tablet)
    assert refresh_refused(gql, tablet)
    assert works(gql, sessions_ada)
    assert works(gql, sessions_grace)
    assert [s["id"] for s in sessions_of(gql, sessions_ada)] == [
        sessions_ada.session_id
    ]
    again = gql.data(REVOKE_OTHERS, token=sessions_ada.access)["revokeOtherSessions"]
    assert again == {"revokedCount": 0, "userErrors": []}


def test_a_revoked_login_is_refused_at_once_by_another_worker(
    app: Flask, client: FlaskClient, gql: GraphQL, sessions_ada: Login, other_app: Flask
) -> None:
    phone = sign_in(app, client, sessions_ada.email, "Phone")
    elsewhere = other_app.test_client()
    assert works(elsewhere, phone)  # verified and cached over there

    gql.data(REVOKE_OTHERS, token=sessions_ada.access)

    assert not works(elsewhere, phone)
    assert works(elsewhere, sessions_ada)
