"""The signed-in user's account: change the password, delete the account.

Both ask for the account's password again, so that a stolen access token is
not enough to take the account over or destroy it; both are counted like
logins by the GraphQL layer (app/schema/account.py).
"""

from __future__ import annotations

from sqlalchemy import delete

from app.db.transaction import transactional
from app.errors import FieldError, InvalidInput, NotAuthenticated, UserErrorCode
from app.extensions import db
from app.models import User
from app.services import passwords, sessions, tokens
from app.services.text import unusable_characters

CURRENT_PASSWORD_FIELD = ("input", "currentPassword")
NEW_PASSWORD_FIELD = ("input", "newPassword")
PASSWORD_FIELD = ("password",)


@transactional
def change_password(
    user_id: int, session_id: str, current_password: str, new_password: str
) -> tokens.IssuedTokens:
    """Set a new password (register's rules) once `current_password` is
    proved; end every other login of the account and give this login
    (`session_id`) a new pair of tokens.

    INVALID_CREDENTIALS when the current password is wrong, and the new
    password's problems with it; nothing changes then.
    """
    user = _account(user_id)
    errors = _wrong_password(user, current_password, CURRENT_PASSWORD_FIELD)
    errors += passwords.password_problems(new_password, user.email, NEW_PASSWORD_FIELD)
    if errors:
        raise InvalidInput(errors)
    user.password_hash = passwords.hash_password(new_password)
    sessions.revoke_all(user_id, keep=session_id)
    return tokens.renew_session(user, session_id)


@transactional
def delete_account(user_id: int, password: str) -> int:
    """Delete the account and everything it owns, once `password` is
    proved; its id.

    One DELETE of the user: every table that holds an account's rows
    reaches `users` through foreign keys with ON DELETE CASCADE (contacts
    and their lists, tags, logins and their refresh tokens), which
    tests/services/test_accounts_service.py holds every table to. The
    logins go with it, so its tokens stop working at once.
    INVALID_CREDENTIALS when the password is wrong; nothing changes then.
    """
    user = _account(user_id)
    errors = _wrong_password(user, password, PASSWORD_FIELD)
    if errors:
        raise InvalidInput(errors)
    db.session.execute(
        delete(User)
        .where(User.id == user_id)
        .execution_options(synchronize_session=False)
    )
    db.session.expunge(user)
    return user_id


def _account(user_id: int) -> User:
    """The signed-in user's account, locked against a concurrent change of
    its password (PostgreSQL; SQLite writes one at a time anyway)."""
    user = db.session.get(User, user_id, with_for_update=True)
    if user is None:  # deleted since the request's token was checked
        raise NotAuthenticated.invalid()
    return user


def _wrong_password(
    user: User, password: str, path: tuple[str, ...]
) -> list[FieldError]:
    """[INVALID_CREDENTIALS at `path`] unless `password` is the user's.
    A password no account can have (see `auth.register`) is simply wrong."""
    if unusable_characters(password) is None and passwords.verify_password(
        user.password_hash, password
    ):
        return []
    return [
        FieldError(path, "The password is wrong.", UserErrorCode.INVALID_CREDENTIALS)
    ]
