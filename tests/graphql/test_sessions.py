"""An account's logins through /graphql: me { sessions }, node(id:) of a
Session, revokeSession and revokeOtherSessions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import decode_token
from sqlalchemy import event, update

from app import create_app
from app.extensions import db
from app.models import AuthSession
from app.schema.ids import to_global_id
from app.services import opaque

if TYPE_CHECKING:  # the `gql` fixture's type (tests/conftest.py)
    from tests.helpers import GraphQL

PASSWORD = "session tests' own passphrase"

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken userErrors { code } }
}
"""
REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken userErrors { code } }
}
"""
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


@dataclass(frozen=True)
class Login:
    email: str
    access: str
    refresh: str
    sid: str  # the login's id, which its access token carries

    @property
    def session_id(self) -> str:
        """The login's global ID."""
        return to_global_id("Session", self.sid)


def post(
    client: FlaskClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    user_agent: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if user_agent is not None:
        headers["User-Agent"] = user_agent
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def sign_in(
    app: Flask,
    client: FlaskClient,
    email: str,
    user_agent: str | None = None,
    *,
    new: bool = False,
) -> Login:
    """Register (`new`) or log in `email`, with `user_agent` as the header."""
    variables = {"input": {"email": email, "password": PASSWORD}}
    field = "register" if new else "login"
    body = post(client, REGISTER if new else LOGIN, variables, None, user_agent)
    payload = body["data"][field]
    assert payload["userErrors"] == []
    access, refresh = payload["accessToken"], payload["refreshToken"]
    with app.app_context():
        return Login(email, access, refresh, decode_token(access)["sid"])


@pytest.fixture
def ada(app: Flask, client: FlaskClient) -> Login:
    return sign_in(app, client, "ada@example.com", "Laptop", new=True)


@pytest.fixture
def grace(app: Flask, client: FlaskClient) -> Login:
    return sign_in(app, client, "grace@example.com", "Grace's phone", new=True)


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
    app: Flask, client: FlaskClient, gql: GraphQL, ada: Login
) -> None:
    before = datetime.now(UTC)
    phone = sign_in(app, client, ada.email, "Phone")

    sessions = sessions_of(gql, ada)

    assert [(s["id"], s["userAgent"], s["current"]) for s in sessions] == [
        (phone.session_id, "Phone", False),
        (ada.session_id, "Laptop", True),
    ]
    created = parse(sessions[0]["createdAt"])
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    # Signing in is the first use.
    assert [s["lastUsedAt"] for s in sessions] == [s["createdAt"] for s in sessions]
    assert [s["current"] for s in sessions_of(gql, phone)] == [True, False]


def test_sessions_lists_only_the_viewers_logins(
    gql: GraphQL, ada: Login, grace: Login
) -> None:
    assert [s["id"] for s in sessions_of(gql, ada)] == [ada.session_id]
    assert [s["id"] for s in sessions_of(gql, grace)] == [grace.session_id]


def test_sessions_leaves_out_ended_and_expired_logins(
    app: Flask, client: FlaskClient, gql: GraphQL, ada: Login
) -> None:
    logged_out = sign_in(app, client, ada.email, "Logged out")
    expired = sign_in(app, client, ada.email, "Expired")
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

    assert [s["userAgent"] for s in sessions_of(gql, ada)] == ["Laptop"]


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
    app: Flask, gql: GraphQL, ada: Login
) -> None:
    (signed_in,) = sessions_of(gql, ada)
    for _ in range(3):
        gql.data(
            "{ me { email } contacts { totalCount } tags { name } }", token=ada.access
        )
    (after_reads,) = sessions_of(gql, ada)

    refreshed = gql.data(REFRESH, {"refreshToken": ada.refresh})["refreshToken"]
    renewed = Login(ada.email, refreshed["accessToken"], "", ada.sid)
    (after_refresh,) = sessions_of(gql, renewed)

    assert after_reads == signed_in
    assert after_refresh["createdAt"] == signed_in["createdAt"]
    assert parse(after_refresh["lastUsedAt"]) > parse(signed_in["lastUsedAt"])


def test_listing_sessions_reads_on_one_autocommit_connection_and_writes_nothing(
    app: Flask, gql: GraphQL, ada: Login
) -> None:
    statements: list[tuple[str, str | None]] = []

    def record(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        level = connection.get_execution_options().get("isolation_level")
        statements.append((statement.split()[0].upper(), level))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        sessions = sessions_of(gql, ada)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert len(sessions) == 1
    # The token check and the list, both reads, without a transaction.
    assert statements == [("SELECT", "AUTOCOMMIT"), ("SELECT", "AUTOCOMMIT")]


def test_sessions_needs_a_token(gql: GraphQL) -> None:
    assert gql.data(SESSIONS) == {"me": None}


# --- node(id:) -----------------------------------------------------------------


def test_node_finds_a_session_of_the_viewer_only(
    app: Flask, client: FlaskClient, gql: GraphQL, ada: Login, grace: Login
) -> None:
    phone = sign_in(app, client, ada.email, "Phone")

    assert gql.data(NODE, {"id": phone.session_id}, ada.access) == {
        "node": {"id": phone.session_id, "userAgent": "Phone", "current": False}
    }
    assert gql.data(NODE, {"id": ada.session_id}, ada.access) == {
        "node": {"id": ada.session_id, "userAgent": "Laptop", "current": True}
    }
    assert gql.data(NODE, {"id": phone.session_id}, grace.access) == {"node": None}


def test_node_of_an_ended_session_is_null(
    gql: GraphQL, app: Flask, client: FlaskClient, ada: Login
) -> None:
    phone = sign_in(app, client, ada.email, "Phone")
    gql.data(REVOKE, {"id": phone.session_id}, ada.access)

    assert gql.data(NODE, {"id": phone.session_id}, ada.access) == {"node": None}


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
    gql: GraphQL, ada: Login, raw: str
) -> None:
    malformed = opaque.encode(raw)

    assert gql.error_codes(NODE, {"id": malformed}, ada.access) == ["BAD_USER_INPUT"]
    assert gql.error_codes(REVOKE, {"id": malformed}, ada.access) == ["BAD_USER_INPUT"]
    assert works(gql, ada)


# --- revokeSession -------------------------------------------------------------


def test_revoke_session_ends_another_login_at_once(
    app: Flask, client: FlaskClient, gql: GraphQL, ada: Login
) -> None:
    phone = sign_in(app, client, ada.email, "Phone")
    assert works(gql, phone)  # its token verified once, and cached

    payload = gql.data(REVOKE, {"id": phone.session_id}, ada.access)["revokeSession"]

    assert payload == {"revokedCount": 1, "userErrors": []}
    assert not works(gql, phone)
    assert refresh_refused(gql, phone)
    assert works(gql, ada)
    assert [s["id"] for s in sessions_of(gql, ada)] == [ada.session_id]


def test_revoke_session_of_the_callers_own_login_logs_it_out(
    gql: GraphQL, ada: Login
) -> None:
    payload = gql.data(REVOKE, {"id": ada.session_id}, ada.access)["revokeSession"]

    assert payload == {"revokedCount": 1, "userErrors": []}
    assert not works(gql, ada)
    assert refresh_refused(gql, ada)


def test_revoke_session_of_another_account_is_not_found_and_changes_nothing(
    gql: GraphQL, ada: Login, grace: Login
) -> None:
    payload = gql.data(REVOKE, {"id": grace.session_id}, ada.access)["revokeSession"]

    assert payload == {"revokedCount": 0, "userErrors": [NOT_FOUND]}
    assert works(gql, grace)
    assert not refresh_refused(gql, grace)


@pytest.mark.parametrize("which", ["unknown", "revoked", "expired", "contact id"])
def test_revoke_session_of_no_live_login_is_not_found(
    app: Flask, client: FlaskClient, gql: GraphQL, ada: Login, which: str
) -> None:
    phone = sign_in(app, client, ada.email, "Phone")
    target = {
        "unknown": to_global_id("Session", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        "contact id": to_global_id("Contact", 1),
    }.get(which, phone.session_id)
    if which == "revoked":
        gql.data(REVOKE, {"id": phone.session_id}, ada.access)
    if which == "expired":
        with app.app_context():
            db.session.execute(
                update(AuthSession)
                .where(AuthSession.id == phone.sid)
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            db.session.commit()

    payload = gql.data(REVOKE, {"id": target}, ada.access)["revokeSession"]

    assert payload == {"revokedCount": 0, "userErrors": [NOT_FOUND]}
    assert works(gql, ada)


@pytest.mark.parametrize(
    "operation",
    [REVOKE, REVOKE_OTHERS],
    ids=["revokeSession", "revokeOtherSessions"],
)
def test_ending_logins_needs_a_token(gql: GraphQL, ada: Login, operation: str) -> None:
    variables = {"id": ada.session_id} if operation is REVOKE else None

    assert gql.error_codes(operation, variables) == ["UNAUTHENTICATED"]
    assert gql.error_codes(operation, variables, "not-a-token") == ["UNAUTHENTICATED"]
    assert works(gql, ada)


# --- revokeOtherSessions -------------------------------------------------------


def test_revoke_other_sessions_ends_every_other_login_of_the_account_only(
    app: Flask, client: FlaskClient, gql: GraphQL, ada: Login, grace: Login
) -> None:
    phone = sign_in(app, client, ada.email, "Phone")
    tablet = sign_in(app, client, ada.email, "Tablet")
    assert works(gql, phone)

    payload = gql.data(REVOKE_OTHERS, token=ada.access)["revokeOtherSessions"]

    assert payload == {"revokedCount": 2, "userErrors": []}
    assert not works(gql, phone)
    assert not works(gql, tablet)
    assert refresh_refused(gql, tablet)
    assert works(gql, ada)
    assert works(gql, grace)
    assert [s["id"] for s in sessions_of(gql, ada)] == [ada.session_id]
    again = gql.data(REVOKE_OTHERS, token=ada.access)["revokeOtherSessions"]
    assert again == {"revokedCount": 0, "userErrors": []}


@pytest.fixture
def other_worker(database: str, app: Flask) -> Iterator[Flask]:
    """A second app on the same database: another worker, with its own
    cache of verified access tokens."""
    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database})
    yield other
    with other.app_context():  # the `app` fixture empties the database
        db.session.remove()
        db.engine.dispose()


def test_a_revoked_login_is_refused_at_once_by_another_worker(
    app: Flask, client: FlaskClient, gql: GraphQL, ada: Login, other_worker: Flask
) -> None:
    phone = sign_in(app, client, ada.email, "Phone")
    elsewhere = other_worker.test_client()
    assert works(elsewhere, phone)  # verified and cached over there

    gql.data(REVOKE_OTHERS, token=ada.access)

    assert not works(elsewhere, phone)
    assert works(elsewhere, ada)
