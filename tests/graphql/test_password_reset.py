"""Password reset by email, through /graphql, with the mail read from a real
SMTP server on 127.0.0.1 (tests/smtp.py), on SQLite and PostgreSQL.

requestPasswordReset answers before anything is looked up or sent (the
outbox does that), so each test waits for the outbox or for the message."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import PasswordReset, utcnow
from app.services import password_reset
from app.services.mail import OUTBOX
from tests.helpers import DEFAULT_PASSWORD, Accounts, GraphQL, release_database
from tests.smtp import Received, SmtpServer, free_port
from tests.support.password_reset_api import IDLE_TIMEOUT, make_app

LINK_PREFIX = "https://app.example/reset-password?token="
SENDER = "Contacts <no-reply@app.example>"
NEW_PASSWORD = "a brand new passphrase"

REQUEST = """
mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email) { ok userErrors { field message code } }
}
"""
RESET = """
mutation ResetPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input) {
    user { id email }
    accessToken refreshToken expiresIn
    userErrors { field message code }
  }
}
"""
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken userErrors { code } }
}
"""
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(refreshToken: $token) { accessToken userErrors { code } }
}
"""
ME = "query Me { me { email } }"
ACCEPTED = {"requestPasswordReset": {"ok": True, "userErrors": []}}
INVALID_TOKEN = [
    {
        "field": ["input", "token"],
        "message": "This reset link is invalid, expired or already used; "
        "ask for a new one.",
        "code": "INVALID_TOKEN",
    }
]


def request_link(gql: GraphQL, smtp_server: SmtpServer, email: str) -> Received:
    """Ask for a reset of `email`'s account; the message that arrived."""
    already = len(smtp_server.received)
    assert gql.data(REQUEST, {"email": email}) == ACCEPTED
    return smtp_server.wait_for(already + 1)[already]


def token_of(message: Received) -> str:
    (link,) = message.links()
    assert link.startswith(LINK_PREFIX)
    return link.removeprefix(LINK_PREFIX)


def reset(gql: GraphQL, token: str, password: str = NEW_PASSWORD) -> dict[str, Any]:
    variables = {"input": {"token": token, "newPassword": password}}
    payload: dict[str, Any] = gql.data(RESET, variables)["resetPassword"]
    return payload


def login(gql: GraphQL, email: str, password: str) -> dict[str, Any]:
    variables = {"input": {"email": email, "password": password}}
    payload: dict[str, Any] = gql.data(LOGIN, variables)["login"]
    return payload


def test_the_link_arrives_by_smtp_and_resets_the_password(
    mail_gql: GraphQL, mail_accounts: Accounts, smtp_server: SmtpServer
) -> None:
    registered = mail_accounts.register("ada@example.com")

    message = request_link(mail_gql, smtp_server, "  ADA@Example.COM ")

    assert message.mail_from == "no-reply@app.example"
    assert message.rcpt_tos == ["ada@example.com"]
    assert message.message["To"] == "ada@example.com"
    assert message.message["From"] == SENDER
    assert message.message["Subject"] == "Reset your password"
    assert "within 30 minutes" in message.body
    token = token_of(message)
    assert len(token) == 43  # 32 random bytes, URL-safe base64
    payload = reset(mail_gql, token)
    assert payload["userErrors"] == []
    assert payload["user"] == {
        "id": registered["user"]["id"],
        "email": "ada@example.com",
    }
    assert payload["expiresIn"] == 900
    assert mail_gql.data(ME, token=payload["accessToken"]) == {
        "me": {"email": "ada@example.com"}
    }
    assert login(mail_gql, "ada@example.com", NEW_PASSWORD)["userErrors"] == []
    assert login(mail_gql, "ada@example.com", DEFAULT_PASSWORD)["userErrors"] == [
        {"code": "INVALID_CREDENTIALS"}
    ]
    assert len(smtp_server.received) == 1


def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    mail_gql: GraphQL, mail_accounts: Accounts, smtp_server: SmtpServer
) -> None:
    mail_accounts.register("ada@example.com")

    assert mail_gql.data(REQUEST, {"email": "nobody@example.com"}) == ACCEPTED

    assert OUTBOX.wait_idle(IDLE_TIMEOUT)
    assert smtp_server.received == []


@pytest.mark.parametrize(
    ("email", "code"),
    [("", "REQUIRED"), ("not an address", "INVALID"), ("a\x00@example.com", "INVALID")],
)
def test_an_address_that_is_no_address_is_refused_whatever_the_accounts(
    mail_gql: GraphQL, smtp_server: SmtpServer, email: str, code: str
) -> None:
    payload = mail_gql.data(REQUEST, {"email": email})["requestPasswordReset"]

    assert payload["ok"] is False
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["email"], code)
    ]
    assert OUTBOX.wait_idle(IDLE_TIMEOUT)
    assert smtp_server.received == []


def test_the_token_works_once(
    mail_gql: GraphQL, mail_accounts: Accounts, smtp_server: SmtpServer
) -> None:
    mail_accounts.register("ada@example.com")
    token = token_of(request_link(mail_gql, smtp_server, "ada@example.com"))
    first = reset(mail_gql, token)

    again = reset(mail_gql, token, "yet another passphrase")

    assert first["userErrors"] == []
    assert again == {
        "user": None,
        "accessToken": None,
        "refreshToken": None,
        "expiresIn": None,
        "userErrors": INVALID_TOKEN,
    }
    assert login(mail_gql, "ada@example.com", NEW_PASSWORD)["userErrors"] == []
    assert mail_gql.data(ME, token=first["accessToken"]) == {
        "me": {"email": "ada@example.com"}
    }


@pytest.mark.parametrize(("minutes", "works"), [(29, True), (30, False), (31, False)])
def test_the_token_lives_30_minutes(
    mail_gql: GraphQL,
    mail_accounts: Accounts,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    minutes: int,
    works: bool,
) -> None:
    mail_accounts.register("ada@example.com")
    token = token_of(request_link(mail_gql, smtp_server, "ada@example.com"))
    later = utcnow() + timedelta(minutes=minutes)
    monkeypatch.setattr(password_reset, "utcnow", lambda: later)

    payload = reset(mail_gql, token)

    assert (payload["userErrors"] == []) is works
    if not works:
        assert payload["userErrors"] == INVALID_TOKEN
        assert login(mail_gql, "ada@example.com", DEFAULT_PASSWORD)["userErrors"] == []


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        "A" * 43,
        "x" * 10_000,
        "\x00",
        "\ud800",  # a lone surrogate, which JSON can carry
    ],
    ids=["empty", "short", "well-formed", "long", "nul", "surrogate"],
)
def test_an_unknown_token_is_invalid(
    mail_gql: GraphQL, mail_accounts: Accounts, smtp_server: SmtpServer, token: str
) -> None:
    mail_accounts.register("ada@example.com")
    request_link(mail_gql, smtp_server, "ada@example.com")

    assert reset(mail_gql, token)["userErrors"] == INVALID_TOKEN
    assert login(mail_gql, "ada@example.com", DEFAULT_PASSWORD)["userErrors"] == []


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "WEAK_PASSWORD"),
        ("password123", "WEAK_PASSWORD"),
        ("ada@example.com", "WEAK_PASSWORD"),
        ("x" * 129, "TOO_LONG"),
        ("", "REQUIRED"),
    ],
)
def test_the_register_rules_apply_and_the_token_stays_usable(
    mail_gql: GraphQL,
    mail_accounts: Accounts,
    smtp_server: SmtpServer,
    password: str,
    code: str,
) -> None:
    mail_accounts.register("ada@example.com")
    token = token_of(request_link(mail_gql, smtp_server, "ada@example.com"))

    refused = reset(mail_gql, token, password)

    assert refused["accessToken"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "newPassword"], code)
    ]
    assert login(mail_gql, "ada@example.com", DEFAULT_PASSWORD)["userErrors"] == []
    assert reset(mail_gql, token)["userErrors"] == []


def test_a_reset_ends_every_login_of_the_account_and_no_one_elses(
    mail_gql: GraphQL, mail_accounts: Accounts, smtp_server: SmtpServer
) -> None:
    first = mail_accounts.register("ada@example.com")
    second = login(mail_gql, "ada@example.com", DEFAULT_PASSWORD)
    other = mail_accounts.register("grace@example.com")
    token = token_of(request_link(mail_gql, smtp_server, "ada@example.com"))

    signed_in = reset(mail_gql, token)

    for old in (first, second):
        assert mail_gql.error_codes(ME, token=old["accessToken"]) == ["UNAUTHENTICATED"]
        refreshed = mail_gql.data(REFRESH, {"token": old["refreshToken"]})
        assert refreshed["refreshToken"]["userErrors"] == [{"code": "INVALID_TOKEN"}]
    assert mail_gql.data(ME, token=signed_in["accessToken"]) == {
        "me": {"email": "ada@example.com"}
    }
    assert mail_gql.data(ME, token=other["accessToken"]) == {
        "me": {"email": "grace@example.com"}
    }


def test_using_one_link_ends_the_other_links(
    mail_gql: GraphQL, mail_accounts: Accounts, smtp_server: SmtpServer
) -> None:
    mail_accounts.register("ada@example.com")
    older = token_of(request_link(mail_gql, smtp_server, "ada@example.com"))
    newer = token_of(request_link(mail_gql, smtp_server, "ada@example.com"))

    assert older != newer
    assert reset(mail_gql, newer)["userErrors"] == []
    assert (
        reset(mail_gql, older, "yet another passphrase")["userErrors"] == INVALID_TOKEN
    )


def test_the_token_is_stored_only_as_its_sha256(
    mail_app: Flask, mail_gql: GraphQL, mail_accounts: Accounts, smtp_server: SmtpServer
) -> None:
    mail_accounts.register("ada@example.com")
    token = token_of(request_link(mail_gql, smtp_server, "ada@example.com"))

    with mail_app.app_context():
        (row,) = db.session.scalars(select(PasswordReset)).all()
        stored = [str(getattr(row, c.key)) for c in PasswordReset.__table__.columns]

    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in value for value in stored)
    assert row.used_at is None
    assert row.expires_at - row.created_at == timedelta(minutes=30)


def test_the_link_comes_from_the_setting_not_the_request_host(
    mail_client: FlaskClient, mail_accounts: Accounts, smtp_server: SmtpServer
) -> None:
    mail_accounts.register("ada@example.com")

    response = mail_client.post(
        "/graphql",
        json={"query": REQUEST, "variables": {"email": "ada@example.com"}},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )

    assert response.get_json() == {"data": ACCEPTED}
    (message,) = smtp_server.wait_for(1)
    assert token_of(message)
    assert "evil.example" not in message.body


def test_neither_token_nor_link_is_logged(
    mail_gql: GraphQL,
    mail_accounts: Accounts,
    smtp_server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mail_accounts.register("ada@example.com")
    caplog.set_level(logging.DEBUG)

    token = token_of(request_link(mail_gql, smtp_server, "ada@example.com"))
    assert OUTBOX.wait_idle(IDLE_TIMEOUT)
    reset(mail_gql, token)
    reset(mail_gql, token)

    logged = "\n".join(
        record.getMessage() + str(record.__dict__) for record in caplog.records
    )
    assert caplog.records
    assert token not in logged
    assert hashlib.sha256(token.encode()).hexdigest() not in logged


def test_a_mail_server_that_is_down_changes_no_answer_and_logs_no_secret(
    database: str,
    smtp_server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(database, smtp_server, MAIL_PORT=free_port(), MAIL_TIMEOUT=2.0)
    gql = GraphQL(app.test_client())
    Accounts(gql).register("ada@example.com")
    caplog.set_level(logging.INFO, logger="app")
    try:
        assert gql.data(REQUEST, {"email": "ada@example.com"}) == ACCEPTED
        assert OUTBOX.wait_idle(IDLE_TIMEOUT)
        with app.app_context():
            (row,) = db.session.scalars(select(PasswordReset)).all()
    finally:
        release_database(app)

    failures = [r for r in caplog.records if r.name == "app.services.mail"]
    assert [r.getMessage() for r in failures] == [
        "password reset mail failed (ConnectionRefusedError)"
    ]
    assert row.used_at is None  # stored, never sent: it expires unused


def test_with_reset_switched_off_both_mutations_say_so_and_the_rest_works(
    database: str, smtp_server: SmtpServer
) -> None:
    app = make_app(database, smtp_server, PASSWORD_RESET_ENABLED=False)
    gql = GraphQL(app.test_client())
    disabled = [
        {
            "field": None,
            "message": "Password reset is switched off on this server; "
            "ask its operator.",
            "code": "DISABLED",
        }
    ]
    try:
        Accounts(gql).register("ada@example.com")

        requested = gql.data(REQUEST, {"email": "ada@example.com"})
        reset_payload = reset(gql, "A" * 43)
        logged_in = login(gql, "ada@example.com", DEFAULT_PASSWORD)
        assert OUTBOX.wait_idle(IDLE_TIMEOUT)
    finally:
        release_database(app)

    assert requested == {"requestPasswordReset": {"ok": False, "userErrors": disabled}}
    assert reset_payload["userErrors"] == disabled
    assert logged_in["userErrors"] == []
    assert smtp_server.received == []


@pytest.mark.app_settings(
    RATELIMIT_ENABLED=True,
    RATELIMIT_STORAGE_URI="memory://",
    RATELIMIT_RESET_REQUEST_PER_IP="6/minute",
    RATELIMIT_RESET_REQUEST_PER_EMAIL="2/hour",
    RATELIMIT_RESET_PASSWORD_PER_IP="3/minute",
    RATELIMIT_REGISTER_PER_IP="100/minute",
)
class TestRateLimits:
    """Requests per address and per email, uses of a token per address."""

    @staticmethod
    def refused(gql: GraphQL, query: str, variables: dict[str, Any]) -> Any:
        body = gql(query, variables)
        (error,) = body["errors"]
        return error["extensions"]

    def test_per_email_whatever_its_spelling_or_account(
        self, mail_gql: GraphQL, mail_accounts: Accounts
    ) -> None:
        mail_accounts.register("ada@example.com")
        for email in ("ada@example.com", "nobody@example.com"):
            assert mail_gql.data(REQUEST, {"email": email}) == ACCEPTED
            assert mail_gql.data(REQUEST, {"email": email.upper()}) == ACCEPTED

            extensions = self.refused(mail_gql, REQUEST, {"email": f" {email} "})

            assert extensions["code"] == "RATE_LIMITED"
            assert 3500 < extensions["retryAfter"] <= 3600

    def test_per_address(self, mail_gql: GraphQL) -> None:
        for number in range(6):
            email = f"user{number}@example.com"
            assert mail_gql.data(REQUEST, {"email": email}) == ACCEPTED

        extensions = self.refused(mail_gql, REQUEST, {"email": "seventh@example.com"})

        assert extensions["code"] == "RATE_LIMITED"
        assert 0 < extensions["retryAfter"] <= 60

    def test_token_uses_per_address(self, mail_gql: GraphQL) -> None:
        for _ in range(3):
            assert reset(mail_gql, "A" * 43)["userErrors"] == INVALID_TOKEN

        extensions = self.refused(
            mail_gql, RESET, {"input": {"token": "A" * 43, "newPassword": NEW_PASSWORD}}
        )

        assert extensions["code"] == "RATE_LIMITED"
        assert 0 < extensions["retryAfter"] <= 60
