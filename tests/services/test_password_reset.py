"""Password reset without HTTP: app.services.password_reset and the outbox
of app.services.mail."""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import func, insert, select

from app.errors import FieldError, InvalidInput, UserErrorCode
from app.extensions import db
from app.models import AuthSession, PasswordReset, User, utcnow
from app.services import auth, password_reset, passwords
from app.services.mail import Message, Outbox, send
from tests.helpers import DEFAULT_PASSWORD

NEW_PASSWORD = "a brand new passphrase"
INVALID_TOKEN = FieldError(
    ("input", "token"),
    "This reset link is invalid, expired or already used; ask for a new one.",
    UserErrorCode.INVALID_TOKEN,
)


def count(model: type[db.Model]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def account(email: str = "ada@example.com") -> User:
    auth.register(email, DEFAULT_PASSWORD, None)
    return db.session.scalars(select(User).where(User.email == email)).one()


def locmem_outbox() -> list[Any]:
    """What the `locmem` backend (TestingConfig's) kept, emptied first
    when read before sending."""
    state = current_app.extensions["mailman"]
    if not hasattr(state, "outbox"):
        state.outbox = []
    sent: list[Any] = state.outbox
    return sent


def token_of(message: Message) -> str:
    prefix = "https://app.example/reset-password?token="
    (line,) = [line for line in message.body.splitlines() if line.startswith(prefix)]
    return line.removeprefix(prefix)


# reset_link


@pytest.mark.parametrize(
    ("setting", "link"),
    [
        (
            "https://app.example/reset?token={token}",
            "https://app.example/reset?token=T",
        ),
        ("https://app.example/r/{token}/", "https://app.example/r/T/"),
        ("https://app.example/reset", "https://app.example/reset?token=T"),
        ("https://app.example/reset?", "https://app.example/reset?token=T"),
        (
            "https://app.example/reset?lang=en",
            "https://app.example/reset?lang=en&token=T",
        ),
        ("https://app.example/reset?token=", "https://app.example/reset?token=T"),
        ("https://app.example/#/reset", "https://app.example/#/reset?token=T"),
    ],
)
def test_the_link_is_built_from_the_setting(
    app: Flask, setting: str, link: str
) -> None:
    app.config["PASSWORD_RESET_URL"] = setting
    with app.app_context():
        assert password_reset.reset_link("T") == link


def test_the_link_quotes_what_it_inserts(app_context: None) -> None:
    assert password_reset.reset_link("a/b?c") == (
        "https://app.example/reset-password?token=a%2Fb%3Fc"
    )


# request_reset and issue_reset


def test_issue_reset_stores_the_hash_of_the_token_it_mails(app_context: None) -> None:
    user = account()
    before = utcnow()

    message = password_reset.issue_reset("ada@example.com")

    assert message is not None
    assert message.to == "ada@example.com"
    assert message.subject == "Reset your password"
    token = token_of(message)
    row = db.session.scalars(select(PasswordReset)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.user_id == user.id
    assert row.used_at is None
    assert before <= row.created_at <= utcnow()
    assert row.expires_at == row.created_at + timedelta(minutes=30)


def test_issue_reset_for_an_unknown_email_writes_nothing(app_context: None) -> None:
    account()

    assert password_reset.issue_reset("nobody@example.com") is None
    assert count(PasswordReset) == 0


def test_issue_reset_finds_the_account_under_any_spelling(app_context: None) -> None:
    account("ada@bücher.example")

    message = password_reset.issue_reset("ADA@xn--bcher-kva.EXAMPLE")

    assert message is not None
    assert message.to == "ada@bücher.example"


def test_a_new_token_deletes_every_expired_one(app_context: None) -> None:
    account()
    grace = account("grace@example.com")
    password_reset.issue_reset("ada@example.com")
    password_reset.issue_reset("grace@example.com")
    password_reset.issue_reset("grace@example.com")
    rows = db.session.scalars(select(PasswordReset)).all()
    ada_rows = [row for row in rows if row.user_id != grace.id]
    grace_rows = [row for row in rows if row.user_id == grace.id]
    for row in (*ada_rows, grace_rows[0]):
        row.expires_at = utcnow() - timedelta(seconds=1)
    live = grace_rows[1].token_hash
    db.session.commit()

    password_reset.issue_reset("grace@example.com")

    rows = db.session.scalars(select(PasswordReset)).all()
    assert len(rows) == 2
    assert live in {row.token_hash for row in rows}
    assert {row.user_id for row in rows} == {grace.id}


def test_request_reset_queues_the_work_and_answers_before_it(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[Flask, str]] = []

    def submit(app: Flask, name: str, job: object) -> bool:
        queued.append((app, name))
        return True

    monkeypatch.setattr(password_reset.OUTBOX, "submit", submit)
    with app.app_context():
        account()
        password_reset.request_reset("ada@example.com")
        assert count(PasswordReset) == 0

    assert queued == [(app, "password reset mail")]


@pytest.mark.parametrize(
    ("email", "code"),
    [("", UserErrorCode.REQUIRED), ("ada@", UserErrorCode.INVALID)],
)
def test_request_reset_refuses_what_is_no_address(
    app_context: None, email: str, code: UserErrorCode
) -> None:
    with pytest.raises(InvalidInput) as raised:
        password_reset.request_reset(email)

    assert [(e.field, e.code) for e in raised.value.errors] == [(("email",), code)]


def test_deliver_reset_sends_through_the_configured_backend(
    app_context: None,
) -> None:
    account()
    locmem_outbox().clear()

    password_reset.deliver_reset("ada@example.com")
    password_reset.deliver_reset("nobody@example.com")

    (sent,) = locmem_outbox()
    assert sent.to == ["ada@example.com"]
    assert sent.from_email == "Contacts <no-reply@app.example>"
    assert "https://app.example/reset-password?token=" in sent.body


# reset_password


def test_reset_sets_the_password_revokes_every_login_and_signs_in(
    app_context: None,
) -> None:
    user = account()
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    message = password_reset.issue_reset("ada@example.com")
    assert message is not None

    issued = password_reset.reset_password(token_of(message), NEW_PASSWORD, "Phone")

    db.session.expire_all()
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    sessions = db.session.scalars(select(AuthSession)).all()
    assert len(sessions) == 3
    live = [s for s in sessions if s.revoked_at is None]
    assert [s.id for s in live] == [issued.session_id]
    assert live[0].user_agent == "Phone"
    assert issued.user.id == user.id
    assert db.session.scalars(select(PasswordReset.used_at)).one() is not None


@pytest.mark.parametrize("state", ["used", "expired", "unknown"])
def test_a_used_expired_or_unknown_token_changes_nothing(
    app_context: None, state: str
) -> None:
    user = account()
    message = password_reset.issue_reset("ada@example.com")
    assert message is not None
    token = token_of(message)
    row = db.session.scalars(select(PasswordReset)).one()
    if state == "used":
        row.used_at = utcnow()
    elif state == "expired":
        row.expires_at = utcnow()
    else:
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    db.session.commit()
    password_hash = user.password_hash

    with pytest.raises(InvalidInput) as raised:
        password_reset.reset_password(token, NEW_PASSWORD)

    assert raised.value.errors == [INVALID_TOKEN]
    db.session.expire_all()
    assert user.password_hash == password_hash
    assert db.session.scalars(select(AuthSession.revoked_at)).all() == [None]


def test_a_weak_password_rolls_back_the_tokens_use(app_context: None) -> None:
    account()
    message = password_reset.issue_reset("ada@example.com")
    assert message is not None

    with pytest.raises(InvalidInput) as raised:
        password_reset.reset_password(token_of(message), "ada@example.com")

    assert [e.code for e in raised.value.errors] == [UserErrorCode.WEAK_PASSWORD]
    assert db.session.scalars(select(PasswordReset.used_at)).one() is None
    assert db.session.scalars(select(AuthSession.revoked_at)).all() == [None]


def test_the_reset_mutations_refuse_when_switched_off(app: Flask) -> None:
    app.config["PASSWORD_RESET_ENABLED"] = False
    disabled = [
        FieldError(
            None,
            "Password reset is switched off on this server; ask its operator.",
            UserErrorCode.DISABLED,
        )
    ]
    with app.app_context():
        for call in (
            lambda: password_reset.request_reset("ada@example.com"),
            lambda: password_reset.reset_password("A" * 43, NEW_PASSWORD),
            lambda: password_reset.link_for_operator("ada@example.com", None),
        ):
            with pytest.raises(InvalidInput) as raised:
                call()
            assert raised.value.errors == disabled


def test_revoke_every_login_counts_the_live_ones(app_context: None) -> None:
    user = account()
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    account("grace@example.com")

    assert password_reset.revoke_every_login(user.id) == 2
    assert password_reset.revoke_every_login(user.id) == 0


# link_for_operator


def test_an_operator_link_for_an_existing_account(app_context: None) -> None:
    user = account()

    issued = password_reset.link_for_operator("ADA@example.com", "ignored")

    assert (issued.user.id, issued.created) == (user.id, False)
    assert issued.link.startswith("https://app.example/reset-password?token=")
    assert count(User) == 1


def test_an_operator_link_for_a_new_account_whose_password_nobody_knows(
    app_context: None,
) -> None:
    issued = password_reset.link_for_operator("grace@example.com", "Grace")

    assert issued.created is True
    user = db.session.get_one(User, issued.user.id)
    assert (user.email, user.name) == ("grace@example.com", "Grace")
    assert count(AuthSession) == 0


# the outbox


def test_the_outbox_runs_jobs_in_order_in_their_apps_context(app: Flask) -> None:
    outbox = Outbox()
    seen: list[tuple[int, str]] = []
    threads: set[str] = set()

    def job(number: int) -> None:
        seen.append((number, current_app.name))
        threads.add(threading.current_thread().name)

    for number in range(5):
        assert outbox.submit(app, f"job {number}", lambda n=number: job(n))

    assert outbox.wait_idle(10)
    assert seen == [(number, app.name) for number in range(5)]
    assert threads == {"outbox"}


def test_a_failing_job_is_logged_by_its_errors_type_only(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox()
    ran: list[str] = []

    def fails() -> None:
        raise ValueError("a secret token")

    outbox.submit(app, "the failing job", fails)
    outbox.submit(app, "the next job", lambda: ran.append("next"))

    assert outbox.wait_idle(10)
    assert ran == ["next"]
    messages = [r.getMessage() for r in caplog.records if r.name == "app.services.mail"]
    assert messages == ["the failing job failed (ValueError)"]
    assert "a secret token" not in caplog.text


def test_a_full_outbox_drops_the_job_with_a_warning(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(capacity=1)
    release = threading.Event()

    def blocking() -> None:
        release.wait(10)

    outbox.submit(app, "blocking job", blocking)

    assert outbox.submit(app, "one too many", lambda: None) is False
    release.set()
    assert outbox.wait_idle(10)
    assert "outbox full (1 jobs); dropped one too many" in caplog.text
    assert caplog.records[-1].levelno == logging.WARNING


def test_send_needs_an_app_context_and_uses_the_default_sender(
    app_context: None,
) -> None:
    locmem_outbox().clear()

    send(Message(to="ada@example.com", subject="Hello", body="Body"))

    (sent,) = locmem_outbox()
    assert (sent.subject, sent.body, sent.to) == ("Hello", "Body", ["ada@example.com"])


def test_a_reset_waits_for_a_login_under_way_and_revokes_its_session(
    app: Flask,
) -> None:
    """PostgreSQL: a login holds the account's row (auth._find_account) until
    it commits its new session; the reset waits for it, so that session is
    among those it revokes (SQLite writes one at a time, so it cannot race)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
        user_id = account().id
        message = password_reset.issue_reset("ada@example.com")
        assert message is not None
        token = token_of(message)
        engine = db.engine
    issued: list[str] = []

    def reset() -> None:
        with app.app_context():
            issued.append(password_reset.reset_password(token, NEW_PASSWORD).session_id)

    with engine.connect() as login:
        # A login under way: the row locked, its session not yet committed.
        login.execute(select(User.id).where(User.id == user_id).with_for_update())
        login.execute(
            insert(AuthSession).values(
                id="racing-login",
                user_id=user_id,
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        racer = threading.Thread(target=reset)
        racer.start()
        racer.join(timeout=1)
        waited = racer.is_alive()
        login.commit()
    racer.join(timeout=10)

    assert waited
    with app.app_context():
        sessions = {
            session.id: session.revoked_at
            for session in db.session.scalars(select(AuthSession))
        }
    assert sessions.pop(issued[0]) is None
    assert sessions.pop("racing-login") is not None
    assert all(revoked is not None for revoked in sessions.values())
