"""Both targets in this process, through Flask's test client: counting SQL
statements per request, and profiling the app (bench/profile_request.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import event

from app import create_app
from app.extensions import db
from bench import handwritten


def production_app(database_url: str, env: Mapping[str, str]) -> Flask:
    """The app as gunicorn runs it in the benchmark: production config,
    rate limits off, against `database_url`."""
    return create_app(
        "production",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": env["SECRET_KEY"],
            "JWT_SECRET_KEY": env["JWT_SECRET_KEY"],
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",  # required; unused when off
            "PASSWORD_RESET_ENABLED": False,  # no mail server here
        },
    )


@contextmanager
def quiet() -> Iterator[None]:
    """The app's log lines (written to the current stdout) go nowhere."""
    with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
        yield


def post(app: Flask, body: Mapping[str, Any], token: str | None = None) -> Any:
    """The parsed response to POST /graphql; RuntimeError unless 200."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = app.test_client().post("/graphql", json=body, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"status {response.status_code}: {response.data[:200]!r}")
    return json.loads(response.data)


def login(app: Flask, email: str, password: str) -> str:
    """An access token, from the API's `login` mutation."""
    mutation = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }"
    variables = {"input": {"email": email, "password": password}}
    with quiet():
        payload = post(app, {"query": mutation, "variables": variables})
    token: str = payload["data"]["login"]["accessToken"]
    return token


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: object) -> None:
        self.count += 1


def app_statements(app: Flask, body: Mapping[str, Any], token: str) -> int:
    """SQL statements the app runs for one request (after a first one, so
    that caches are warm, as in a worker that has served a while)."""
    counter = StatementCounter()
    with app.app_context():
        engine = db.engine
    with quiet():
        post(app, body, token)
        event.listen(engine, "before_cursor_execute", counter)
        try:
            post(app, body, token)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
    return counter.count


def handwritten_statements(
    database_url: str, jwt_secret: str, body: Mapping[str, Any], token: str
) -> int:
    """SQL statements the hand-written endpoint runs for one request."""
    counter = StatementCounter()

    class CountingCursor(psycopg.Cursor[Any]):
        def execute(self, *args: Any, **kwargs: Any) -> Any:
            counter()
            return super().execute(*args, **kwargs)

    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(
            database_url, autocommit=True, cursor_factory=CountingCursor
        )

    app = handwritten.create_app(connect, jwt_secret)
    post(app, body, token)
    counter.count = 0
    post(app, body, token)
    return counter.count
