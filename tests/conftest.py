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
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import make_url

from app import create_app
from app.config import TestingConfig, database_url
from app.extensions import db
from tests.helpers import Accounts, GraphQL, release_database
from tests.smtp import SmtpServer, start_smtp_server

POSTGRES_SKIP_REASON = (
    "PostgreSQL tests need TEST_DATABASE_URL, e.g. "
    "postgresql://postgres@127.0.0.1:5432/postgres (a server the tests may "
    "create and drop databases on)"
)


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


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Runs the app's `flask` commands in-process."""
    return app.test_cli_runner()


@pytest.fixture
def gql(client: FlaskClient) -> GraphQL:
    return GraphQL(client)


@pytest.fixture
def accounts(gql: GraphQL) -> Accounts:
    return Accounts(gql)


@pytest.fixture(scope="session")
def smtp_session() -> Iterator[SmtpServer]:
    """One real SMTP server on 127.0.0.1 (aiosmtpd) for the whole run."""
    server, controller = start_smtp_server()
    yield server
    controller.stop()


@pytest.fixture
def smtp_server(smtp_session: SmtpServer) -> SmtpServer:
    """The SMTP server, holding only the messages of this test; an app
    sends to it with `create_app(..., smtp_server.settings())`."""
    smtp_session.clear()
    return smtp_session
