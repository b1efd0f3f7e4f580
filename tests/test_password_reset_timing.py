"""requestPasswordReset takes about as long for an unknown email as for one
with an account, so its timing does not tell which emails have accounts.

Measured as tests/test_login_timing.py measures login: the two kinds of
request interleaved, medians compared with a generous ratio. The request
itself only checks the address and queues the rest (app/services/mail.py),
so the mail, sent to a real SMTP server that takes 50 ms to accept it, is
outside the answer's time: the test waits for the outbox between requests,
off the clock. A second test shows the measurement catches a request that
looks the account up and sends the mail before answering.
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
from app.services import mail
from tests.helpers import DEFAULT_PASSWORD, GraphQL
from tests.smtp import SmtpServer

ROUNDS = 9
SMTP_DELAY = 0.05  # seconds the server takes to accept a message
REQUEST = """
mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email) { ok userErrors { code } }
}
"""
REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { userErrors { code } }
}
"""
ACCEPTED = {"requestPasswordReset": {"ok": True, "userErrors": []}}
KNOWN = "ada@example.com"
UNKNOWN = "nobody@example.com"


@pytest.fixture
def gql(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[GraphQL]:
    """/graphql of an app that mails the tests' (slow) SMTP server, with one
    account."""
    app: Flask = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'timing.db'}",
            "RATELIMIT_ENABLED": False,
            **smtp_server.settings(),
        },
    )
    with app.app_context():
        db.create_all()
    gql = GraphQL(app.test_client())
    variables = {"input": {"email": KNOWN, "password": DEFAULT_PASSWORD}}
    assert gql.data(REGISTER, variables) == {"register": {"userErrors": []}}
    smtp_server.delay = SMTP_DELAY
    yield gql
    assert mail.OUTBOX.wait_idle(30)
    with app.app_context():
        db.engine.dispose()


def request_seconds(gql: GraphQL, email: str) -> float:
    start = time.perf_counter()
    data = gql.data(REQUEST, {"email": email})
    elapsed = time.perf_counter() - start
    assert data == ACCEPTED
    assert mail.OUTBOX.wait_idle(30)
    return elapsed


def unknown_to_known_ratio(gql: GraphQL) -> float:
    request_seconds(gql, UNKNOWN)
    request_seconds(gql, KNOWN)
    unknown: list[float] = []
    known: list[float] = []
    for round_ in range(ROUNDS):
        pair = [(UNKNOWN, unknown), (KNOWN, known)]
        for email, times in pair if round_ % 2 else reversed(pair):
            times.append(request_seconds(gql, email))
    return statistics.median(unknown) / statistics.median(known)


def test_an_unknown_email_takes_about_as_long_as_a_known_one(
    gql: GraphQL, smtp_server: SmtpServer
) -> None:
    ratio = unknown_to_known_ratio(gql)

    assert 0.5 <= ratio <= 2.0, f"unknown/known time ratio {ratio:.2f}"
    assert len(smtp_server.received) == ROUNDS + 1  # every known request


def test_the_measurement_catches_a_request_that_sends_before_answering(
    gql: GraphQL, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the outbox's work done inline, a known email answers only once
    the SMTP server accepted the message: far outside the band above."""

    def inline(app: Flask, name: str, job: mail.Job) -> bool:
        job()
        return True

    monkeypatch.setattr(mail.OUTBOX, "submit", inline)

    ratio = unknown_to_known_ratio(gql)

    assert ratio < 0.5, f"unknown/known time ratio {ratio:.2f}"
    assert len(smtp_server.received) == ROUNDS + 1
