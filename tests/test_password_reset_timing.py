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

import pytest
from flask import Flask

from app.services import mail
from tests.helpers import GraphQL
from tests.smtp import SmtpServer
from tests.support.password_reset_timing import KNOWN

ROUNDS = 9
REQUEST = """
mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email) { ok userErrors { code } }
}
"""
ACCEPTED = {"requestPasswordReset": {"ok": True, "userErrors": []}}
UNKNOWN = "nobody@example.com"


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
    reset_timing_gql: GraphQL, smtp_server: SmtpServer
) -> None:
    ratio = unknown_to_known_ratio(reset_timing_gql)

    assert 0.5 <= ratio <= 2.0, f"unknown/known time ratio {ratio:.2f}"
    assert len(smtp_server.received) == ROUNDS + 1  # every known request


def test_the_measurement_catches_a_request_that_sends_before_answering(
    reset_timing_gql: GraphQL, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the outbox's work done inline, a known email answers only once
    the SMTP server accepted the message: far outside the band above."""

    def inline(app: Flask, name: str, job: mail.Job) -> bool:
        job()
        return True

    monkeypatch.setattr(mail.OUTBOX, "submit", inline)

    ratio = unknown_to_known_ratio(reset_timing_gql)

    assert ratio < 0.5, f"unknown/known time ratio {ratio:.2f}"
    assert len(smtp_server.received) == ROUNDS + 1
