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

import pytest

from app.services import passwords
from tests.helpers import REFUSED_LOGIN, GraphQL
from tests.operations import LOGIN
from tests.support.login_timing import KNOWN

ROUNDS = 9
UNKNOWN = "nobody@example.com"
WRONG_PASSWORD = "not the right passphrase"


def failed_login_seconds(timing_gql: GraphQL, email: str) -> float:
    variables = {"input": {"email": email, "password": WRONG_PASSWORD}}
    start = time.perf_counter()
    data = timing_gql.data(LOGIN, variables)
    elapsed = time.perf_counter() - start
    assert data == {"login": REFUSED_LOGIN}
    return elapsed


def unknown_to_wrong_password_ratio(timing_gql: GraphQL) -> float:
    """Median time of an unknown-email login over that of a wrong-password
    one, after a warm-up of each (the first unknown email makes the dummy
    hash, once per process)."""
    failed_login_seconds(timing_gql, UNKNOWN)
    failed_login_seconds(timing_gql, KNOWN)
    unknown: list[float] = []
    wrong: list[float] = []
    for round_ in range(ROUNDS):
        pair = [(UNKNOWN, unknown), (KNOWN, wrong)]
        for email, times in pair if round_ % 2 else reversed(pair):
            times.append(failed_login_seconds(timing_gql, email))
    return statistics.median(unknown) / statistics.median(wrong)


def test_unknown_email_takes_about_as_long_as_a_wrong_password(
    timing_gql: GraphQL,
) -> None:
    ratio = unknown_to_wrong_password_ratio(timing_gql)

    assert 0.5 <= ratio <= 2.0, f"unknown/wrong-password time ratio {ratio:.2f}"


def test_the_measurement_catches_a_login_that_skips_unknown_accounts(
    timing_gql: GraphQL, monkeypatch: pytest.MonkeyPatch
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

    ratio = unknown_to_wrong_password_ratio(timing_gql)

    assert ratio < 0.2, f"unknown/wrong-password time ratio {ratio:.2f}"
