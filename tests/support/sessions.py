"""Signing in through /graphql with a user agent, for the sessions tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import decode_token

from app.schema.ids import to_global_id

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
