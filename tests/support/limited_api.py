"""Apps with rate limiting on, and Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from tests.operations import LOGIN, REGISTER

PASSWORD = "correct horse battery staple"

REDIS_SKIP_REASON = (
    "Redis tests need TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0 (keys are "
    "written under a unique prefix and deleted afterwards)"
)

HIGH = "1000/minute"

ALL_LIMITS_HIGH = {
    "RATELIMIT_LOGIN_PER_IP": HIGH,
    "RATELIMIT_LOGIN_PER_EMAIL": HIGH,
    "RATELIMIT_REGISTER_PER_IP": HIGH,
    "RATELIMIT_REFRESH_PER_IP": HIGH,
    "RATELIMIT_PER_TOKEN": HIGH,
}


def limited_app(make_app: Callable[..., Flask], **settings: Any) -> Flask:
    """An app from `make_app` with rate limiting on, in memory, every rule
    high but what `settings` say."""
    limited = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        **ALL_LIMITS_HIGH,
    }
    return make_app(**(limited | settings))


class Api:
    """One app's /graphql, called from any client address."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        address: str = "192.0.2.1",
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            environ_base={"REMOTE_ADDR": address},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    def __call__(
        self, query: str, variables: dict[str, Any] | None = None, **how: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = self.post(query, variables, **how).get_json()
        return body

    def login(
        self, email: str, password: str = "wrong password", **how: Any
    ) -> TestResponse:
        return self.post(
            LOGIN, {"input": {"email": email, "password": password}}, **how
        )

    def register(self, email: str, **how: Any) -> dict[str, Any]:
        body = self(REGISTER, {"input": {"email": email, "password": PASSWORD}}, **how)
        payload: dict[str, Any] = body["data"]["register"]
        assert payload["userErrors"] == [], body
        return payload


MakeApi = Callable[..., Api]
