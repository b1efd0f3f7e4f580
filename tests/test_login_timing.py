"""Login takes about as long for an unknown email as for a wrong password, so
its timing does not tell which emails have accounts.

A benchmark, not a unit test: it uses the production Argon2id cost (so the
hash check dominates everything else a login does), interleaves the two kinds
of attempt so drift on a busy machine hits both alike, and compares medians
with a generous ratio. A second test shows the measurement does catch a login
that skips the check for unknown accounts. SQLite only: the database plays
no part in what is measured.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.extensions import db
from app.services import passwords
from tests.helpers import DEFAULT_PASSWORD, GraphQL

PRODUCTION_COST = {
    "PASSWORD_HASH_TIME_COST": 3,
    "PASSWORD_HASH_MEMORY_COST": 64 * 1024,
    "PASSWORD_HASH_PARALLELISM": 4,
}
ROUNDS = 9
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken userErrors { code } }
}
"""
REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { userErrors { code } }
}
"""
REFUSED = {
    "login": {"accessToken": None, "userErrors": [{"code": "INVALID_CREDENTIALS"}]}
}
KNOWN = "ada@example.com"
UNKNOWN = "nobody@example.com"
WRONG_PASSWORD = "not the right passphrase"


@pytest.fixture
def gql(tmp_path: Path) -> Iterator[GraphQL]:
    """/graphql of an app hashing at the production cost, with one account."""
    app: Flask = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'timing.db'}",
            "RATELIMIT_ENABLED": False,
            **PRODUCTION_COST,
        },
    )
    with app.app_context():
        db.create_all()
    gql = GraphQL(app.test_client())
    variables = {"input": {"email": KNOWN, "password": DEFAULT_PASSWORD}}
    assert gql.data(REGISTER, variables) == {"register": {"userErrors": []}}
    yield gql
    with app.app_context():
        db.engine.dispose()


def failed_login_seconds(gql: GraphQL, email: str) -> float:
    variables = {"input": {"email": email, "password": WRONG_PASSWORD}}
    start = time.perf_counter()
    data = gql.data(LOGIN, variables)
    elapsed = time.perf_counter() - start
    assert data == REFUSED
    return elapsed


def unknown_to_wrong_password_ratio(gql: GraphQL) -> float:
    """Median time of an unknown-email login over that of a wrong-password
    one, after a warm-up of each (the first unknown email makes the dummy
    hash, once per process)."""
    failed_login_seconds(gql, UNKNOWN)
    failed_login_seconds(gql, KNOWN)
    unknown: list[float] = []
    wrong: list[float] = []
    for round_ in range(ROUNDS):
        pair = [(UNKNOWN, unknown), (KNOWN, wrong)]
        for email, times in pair if round_ % 2 else reversed(pair):
            times.append(failed_login_seconds(gql, email))
    return statistics.median(unknown) / statistics.median(wrong)


def test_unknown_email_takes_about_as_long_as_a_wrong_password(gql: GraphQL) -> None:
    ratio = unknown_to_wrong_password_ratio(gql)

    assert 0.5 <= ratio <= 2.0, f"unknown/wrong-password time ratio {ratio:.2f}"


def test_the_measurement_catches_a_login_that_skips_unknown_accounts(
    gql: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the dummy-hash check an unknown email answers many times
    faster, far outside the band the test above allows."""
    verify = passwords.verify_password
    monkeypatch.setattr(
        passwords,
        "verify_password",
        lambda password_hash, password: (
            password_hash is not None and verify(password_hash, password)
        ),
    )

    ratio = unknown_to_wrong_password_ratio(gql)

    assert ratio < 0.2, f"unknown/wrong-password time ratio {ratio:.2f}"
