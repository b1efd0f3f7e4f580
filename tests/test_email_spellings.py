"""One address, however it is spelt, is one account for every rule that
compares emails: the per-email login limit counts all its spellings together
(tests/graphql/test_auth.py has register and login)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.extensions import db
from tests.helpers import GraphQL, release_database

HIGH = "1000/minute"
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken userErrors { code } }
}
"""
SPELLINGS = [
    "user@xn--bcher-kva.example",
    "USER@B\u00dcCHER.example",
    "user@bu\u0308cher.example",  # NFD: u and a combining diaeresis
]


@pytest.fixture
def limited_app(database: str) -> Iterator[Flask]:
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_LOGIN_PER_IP": HIGH,
            "RATELIMIT_LOGIN_PER_EMAIL": f"{len(SPELLINGS) - 1}/minute",
            "RATELIMIT_REGISTER_PER_IP": HIGH,
            "RATELIMIT_REFRESH_PER_IP": HIGH,
            "RATELIMIT_PER_TOKEN": HIGH,
            "RATELIMIT_PER_IP": HIGH,
        },
    )
    with app.app_context():
        db.create_all()
    yield app
    release_database(app)


def login(gql: GraphQL, email: str) -> dict[str, Any]:
    return gql(LOGIN, {"input": {"email": email, "password": "not the password"}})


def test_the_per_email_login_limit_counts_every_spelling_together(
    limited_app: Flask,
) -> None:
    gql = GraphQL(limited_app.test_client())
    *first, last = SPELLINGS

    for spelling in first:
        assert login(gql, spelling)["data"]["login"]["userErrors"] == [
            {"code": "INVALID_CREDENTIALS"}
        ]
    refused = login(gql, last)

    assert [error["extensions"]["code"] for error in refused["errors"]] == [
        "RATE_LIMITED"
    ]
    other = login(gql, "other@b\u00fccher.example")
    assert "errors" not in other
