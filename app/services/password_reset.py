"""Password reset by email: ask for a link, then set a new password with it.

A request is answered the same, in the same time, whether or not an
account has the address: the request only checks the address's syntax and
hands the rest to the outbox (app/services/mail.py), so looking the account
up, storing the token and talking to the SMTP server all happen after the
answer, and only for an address that has an account.

The token is 32 random bytes (`secrets.token_urlsafe`), stored only as its
SHA-256: a copy of the database opens no account. It lives
PASSWORD_RESET_TTL (30 minutes), works once, and reaches the user only in
the link built from PASSWORD_RESET_URL, never from the request's Host.
Using it sets the password (the register rules), revokes every login of the
account and every other reset link, and signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, cast
from urllib.parse import quote, urlsplit

from flask import current_app
from sqlalchemy import CursorResult, delete, select, update

from app.db.transaction import transactional
from app.errors import FieldError, InvalidInput, UserErrorCode
from app.extensions import db
from app.models import AuthSession, PasswordReset, User, utcnow
from app.services import auth, passwords, tokens
from app.services.mail import OUTBOX, Message, send
from app.services.text import clean_email, email_key, unusable_characters

TOKEN_BYTES = 32
EMAIL_FIELD = ("email",)
TOKEN_FIELD = ("input", "token")
PASSWORD_FIELD = ("input", "newPassword")
SUBJECT = "Reset your password"


def enabled() -> bool:
    return bool(current_app.config["PASSWORD_RESET_ENABLED"])


def _refuse_when_disabled() -> None:
    if not enabled():
        raise InvalidInput.single(
            None,
            "Password reset is switched off on this server; ask its operator.",
            UserErrorCode.DISABLED,
        )


def ttl() -> timedelta:
    value: timedelta = current_app.config["PASSWORD_RESET_TTL"]
    return value


def hash_token(token: str) -> str:
    """The SHA-256 (hex) a token is stored and looked up by. `surrogatepass`:
    JSON can carry lone surrogates, which strict UTF-8 refuses."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def reset_link(token: str) -> str:
    """PASSWORD_RESET_URL with `token` in place of "{token}", else after a
    closing "token=", else appended as the `token` query parameter."""
    base: str = current_app.config["PASSWORD_RESET_URL"]
    value = quote(token, safe="")
    if "{token}" in base:
        return base.replace("{token}", value)
    if base.endswith("token="):
        return base + value
    separator = "&" if urlsplit(base).query else "?"
    if base.endswith(("?", "&")):
        separator = ""
    return f"{base}{separator}token={value}"


def request_reset(email: str) -> None:
    """Queue a reset link for the account of `email`, if there is one.

    Raises InvalidInput only for what does not depend on the account: reset
    switched off, or an address that is not one (syntax alone).
    """
    _refuse_when_disabled()
    errors: list[FieldError] = []
    normalized = clean_email(email, EMAIL_FIELD, errors)
    if errors or normalized is None:
        raise InvalidInput(errors)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    OUTBOX.submit(app, "password reset mail", partial(deliver_reset, normalized))


def deliver_reset(email: str) -> None:
    """The outbox's half of `request_reset`: a token stored and its link
    mailed when `email` has an account; nothing otherwise."""
    message = issue_reset(email)
    if message is not None:
        send(message)


@transactional
def issue_reset(email: str) -> Message | None:
    """A new reset token for the account of `email`, as the message that
    carries its link; None when no account has the address."""
    user = db.session.scalar(select(User).where(User.email_key == email_key(email)))
    if user is None:
        return None
    return reset_message(user, new_token(user))


def new_token(user: User) -> str:
    """A fresh token for `user`, stored as its hash. Expired tokens, of
    every account, are deleted on the way (one indexed delete, in the
    outbox, off any request's path), so the table holds little more than
    the last PASSWORD_RESET_TTL's tokens without a pruning job."""
    now = utcnow()
    db.session.execute(
        delete(PasswordReset)
        .where(PasswordReset.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        PasswordReset(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + ttl(),
        )
    )
    return token


def reset_message(user: User, token: str) -> Message:
    minutes = max(1, round(ttl().total_seconds() / 60))
    body = (
        f"Someone asked to reset the password of the account {user.email}.\n"
        "\n"
        f"To choose a new password, open this link within {minutes} minutes "
        "(it works once):\n"
        "\n"
        f"{reset_link(token)}\n"
        "\n"
        "Setting a new password signs out every device signed in to the "
        "account.\n"
        "If you did not ask for this, ignore this message: your password "
        "stays as it is.\n"
    )
    return Message(to=user.email, subject=SUBJECT, body=body)


@dataclass(frozen=True)
class OperatorLink:
    user: User
    created: bool  # a new account, whose password nobody knows yet
    link: str


@transactional
def link_for_operator(email: str, name: str | None) -> OperatorLink:
    """A reset link for an operator to hand over (`flask create-user
    --reset-password`): for the account of `email`, or for a new one
    (under the register rules, with a random password that is never
    shown, so the user chooses theirs through the link)."""
    _refuse_when_disabled()
    user = None
    if unusable_characters(email) is None:
        user = db.session.scalar(select(User).where(User.email_key == email_key(email)))
    created = user is None
    if user is None:
        # auth's rules for a new account, inside this transaction.
        user = auth._new_account(email, secrets.token_urlsafe(TOKEN_BYTES), name)
    return OperatorLink(user, created, reset_link(new_token(user)))


@transactional
def reset_password(
    token: str, new_password: str, user_agent: str | None = None
) -> tokens.IssuedTokens:
    """Set the password of the token's account and sign in (`user_agent`:
    the client's, for the account's list of logins).

    The token is claimed by one conditional UPDATE (unused and unexpired),
    so of two requests racing with one token only one gets through. A new
    password the register rules refuse rolls everything back, the token's
    use included: the user may try again with the same link.
    """
    _refuse_when_disabled()
    now = utcnow()
    token_hash = hash_token(token)
    claimed = _rowcount(
        update(PasswordReset)
        .where(
            PasswordReset.token_hash == token_hash,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed != 1:
        raise InvalidInput.single(
            TOKEN_FIELD,
            "This reset link is invalid, expired or already used; ask for a new one.",
            UserErrorCode.INVALID_TOKEN,
        )
    user_id = db.session.scalar(
        select(PasswordReset.user_id).where(PasswordReset.token_hash == token_hash)
    )
    # Locked as a login locks it (auth._find_account): a login under way
    # finishes first and its session is revoked below; one that starts
    # later checks the new password.
    user = db.session.scalars(
        select(User).where(User.id == user_id).with_for_update()
    ).one()
    problems = passwords.password_problems(new_password, user.email, PASSWORD_FIELD)
    if problems:
        raise InvalidInput(problems)
    user.password_hash = passwords.hash_password(new_password)
    revoke_every_login(user.id)
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return tokens.start_session(user, user_agent)


def revoke_every_login(user_id: int) -> int:
    """Revoke every live login of the account (their access and refresh
    tokens stop working on every worker); returns how many."""
    return _rowcount(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _rowcount(statement: Any) -> int:
    result = cast(CursorResult[Any], db.session.execute(statement))
    return result.rowcount
