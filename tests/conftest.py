"""Fixtures: a fresh app and database per test, on SQLite and (when
TEST_DATABASE_URL is set) PostgreSQL, and a client that speaks GraphQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, text

from app import create_app
from app.config import TestingConfig, database_url
from app.extensions import db

POSTGRES_SKIP_REASON = (
    "PostgreSQL tests need TEST_DATABASE_URL, e.g. "
    "postgresql://postgres@127.0.0.1:5432/postgres (a server the tests may "
    "create and drop databases on)"
)
DEFAULT_PASSWORD = "correct horse battery staple"


def pytest_report_header() -> str:
    """Which GraphQL executor every app of the run uses: the config reads
    GRAPHQL_EXECUTOR from the environment, so `GRAPHQL_EXECUTOR=stock pytest`
    runs the whole suite, apps the tests build themselves included, on
    graphql-core's stock executor (`make test` runs both)."""
    return f"GraphQL executor: {TestingConfig.GRAPHQL_EXECUTOR} (GRAPHQL_EXECUTOR)"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set TEST_DATABASE_URL")
        pytest.skip(POSTGRES_SKIP_REASON)
    return url


def _admin_dsn(server_url: str) -> str:
    return (
        make_url(database_url(server_url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def make_postgres_database(postgres_server_url: str) -> Iterator[Any]:
    """A factory of fresh, empty PostgreSQL databases, all dropped at the end."""
    created: list[str] = []
    admin_dsn = _admin_dsn(postgres_server_url)

    def make() -> str:
        name = f"contacts_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return database_url(
            make_url(database_url(postgres_server_url))
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    yield make
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_database(make_postgres_database: Any) -> str:
    """One PostgreSQL database for the run; each test empties it after use."""
    url: str = make_postgres_database()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_database")
        return url
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(database: str) -> Iterator[Flask]:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        db.create_all()
    yield app
    release_database(app)


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


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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


@pytest.fixture
def gql(client: FlaskClient) -> GraphQL:
    return GraphQL(client)


REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    user { id email name createdAt }
    accessToken refreshToken expiresIn
    userErrors { field message code }
  }
}
"""


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


@pytest.fixture
def accounts(gql: GraphQL) -> Accounts:
    return Accounts(gql)
