"""Accounts: register, log in, refresh, log out."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db.transaction import transactional
from app.errors import FieldError, InvalidInput, NotAuthenticated, UserErrorCode
from app.extensions import db
from app.models import AuthSession, User
from app.services import passwords, tokens
from app.services.text import (
    clean_email,
    clean_text,
    email_key,
    unusable_characters,
)

NAME_MAX_LENGTH = 100
EMAIL_FIELD = ("input", "email")
PASSWORD_FIELD = ("input", "password")


@transactional
def register(
    email: str, password: str, name: str | None, user_agent: str | None = None
) -> tokens.IssuedTokens:
    """A new account, signed in (`user_agent`: the client's, for its list of
    logins)."""
    return tokens.start_session(_new_account(email, password, name), user_agent)


@transactional
def create_account(email: str, password: str, name: str | None) -> User:
    """A new account under the same rules as `register`, without signing in
    (for operators: `flask create-user`)."""
    return _new_account(email, password, name)


def _new_account(email: str, password: str, name: str | None) -> User:
    errors: list[FieldError] = []
    normalized = clean_email(email, EMAIL_FIELD, errors)
    clean_name = clean_text(name, ("input", "name"), NAME_MAX_LENGTH, errors)
    errors += passwords.password_problems(password, email, PASSWORD_FIELD)
    if normalized and _email_taken(normalized):
        errors.append(_taken())
    if errors:
        raise InvalidInput(errors)
    assert normalized is not None
    user = User(
        email=normalized,
        email_key=email_key(normalized),
        name=clean_name,
        password_hash=passwords.hash_password(password),
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request registered the same email since we looked.
        raise InvalidInput([_taken()]) from None
    return user


def _email_taken(email: str) -> bool:
    return account_id(email) is not None


def account_id(email: str) -> int | None:
    """The id of the account of `email`, in any spelling of it (compared
    as logins compare it), or None; text no database can compare (NUL)
    names no account."""
    if unusable_characters(email) is not None:
        return None
    return db.session.scalar(select(User.id).where(User.email_key == email_key(email)))


def _taken() -> FieldError:
    return FieldError(
        EMAIL_FIELD, "An account with this email already exists.", UserErrorCode.TAKEN
    )


@transactional
def login(
    email: str, password: str, user_agent: str | None = None
) -> tokens.IssuedTokens:
    """Tokens for the account, or INVALID_CREDENTIALS, the same (and in about
    the same time) whether the email is unknown or the password wrong. A
    password no account can have (see `register`) is simply wrong.
    `user_agent`: the client's, for the account's list of logins."""
    user = _find_account(email)
    if unusable_characters(password) is not None or not passwords.verify_password(
        user.password_hash if user else None, password
    ):
        raise InvalidInput.single(
            None, "Wrong email or password.", UserErrorCode.INVALID_CREDENTIALS
        )
    assert user is not None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return tokens.start_session(user, user_agent)


def _find_account(email: str) -> User | None:
    """The account of `email`, if any, locked until the login commits
    (PostgreSQL; SQLite writes one at a time anyway): a password change,
    reset or account deletion under way finishes first, and the password is
    checked against what it left, so no login made with an old password
    outlives the change that ended the others. An email no database can
    compare (NUL, a lone surrogate) matches none."""
    if unusable_characters(email) is not None:
        return None
    return db.session.scalar(
        select(User).where(User.email_key == email_key(email)).with_for_update()
    )


@transactional
def refresh(refresh_token: str) -> tokens.IssuedTokens:
    return tokens.rotate(refresh_token)


@transactional
def logout(
    viewer: tokens.Viewer | None,
    viewer_session_id: str | None,
    refresh_token: str | None,
) -> None:
    """End the viewer's current login and the login of `refresh_token`.

    Either proves the caller holds a login, so either is enough; with neither
    there is nothing to log out of. Logging out twice is fine.
    """
    if viewer is None and refresh_token is None:
        raise NotAuthenticated.required()
    if viewer_session_id is not None:
        session = db.session.get(AuthSession, viewer_session_id)
        if session is not None:
            tokens.revoke_session(session)
    if refresh_token is not None:
        session = tokens.session_of_refresh_token(refresh_token)
        if session is not None:
            tokens.revoke_session(session)
