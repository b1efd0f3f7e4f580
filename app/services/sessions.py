"""An account's logins (`AuthSession`): list the live ones, end one, or end
all but one.

A login is live while it is neither revoked nor expired. Ending one sets
its `revoked_at`, which `tokens.authenticate` reads from the database on
every request, so its access and refresh tokens stop working at once, on
every worker. A login of another account is treated exactly like one that
does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, select, update

from app.db.transaction import transactional
from app.errors import InvalidInput, UserErrorCode
from app.extensions import db
from app.models import AuthSession, utcnow

SESSION_ID_FIELD = ("id",)
# The most live logins an account keeps: signing in beyond it ends the
# oldest, so the list of logins (`me { sessions }`) stays short whatever a
# client does (a script that logs in on every run, say).
MAX_LIVE_SESSIONS = 100


@dataclass(frozen=True)
class SessionRecord:
    """One live login, as the account's list of logins shows it."""

    id: str
    created_at: datetime
    last_used_at: datetime | None
    user_agent: str | None


def _live(user_id: int, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
    )


_RECORD_COLUMNS = (
    AuthSession.id,
    AuthSession.created_at,
    AuthSession.last_used_at,
    AuthSession.user_agent,
)


def live_sessions(user_id: int) -> list[SessionRecord]:
    """The user's live logins, newest first (one indexed query)."""
    rows = db.session.execute(
        select(*_RECORD_COLUMNS)
        .where(*_live(user_id, utcnow()))
        .order_by(AuthSession.created_at.desc(), AuthSession.id)
    )
    return [SessionRecord(*row) for row in rows]


def live_session(user_id: int, session_id: str) -> SessionRecord | None:
    """The user's live login `session_id`; None when it is missing, ended,
    or another account's."""
    row = db.session.execute(
        select(*_RECORD_COLUMNS).where(
            AuthSession.id == session_id, *_live(user_id, utcnow())
        )
    ).first()
    return SessionRecord(*row) if row is not None else None


@transactional
def revoke(user_id: int, session_id: str | None) -> int:
    """End the user's live login `session_id` (the caller's own included:
    that is a log-out); 1. NOT_FOUND when there is no such live login of
    this user, or `session_id` is None (an ID of another kind of object)."""
    if session_id is None or not _is_session_id(session_id):
        raise _not_found()
    revoked = _revoke_where(user_id, AuthSession.id == session_id)
    if revoked != 1:
        raise _not_found()
    return revoked


@transactional
def revoke_others(user_id: int, current_session_id: str) -> int:
    """End every live login of the user but `current_session_id`; how many."""
    return revoke_all(user_id, keep=current_session_id)


def revoke_all(user_id: int, keep: str | None = None) -> int:
    """End every live login of the user, but `keep` when given, in the
    caller's transaction (a password change or reset); how many ended."""
    condition = AuthSession.id != keep if keep is not None else None
    return _revoke_where(user_id, condition)


def make_room_for_one_more(user_id: int) -> int:
    """End the user's oldest live logins beyond the newest
    MAX_LIVE_SESSIONS - 1, before a sign-in adds one; how many ended."""
    newest = (
        select(AuthSession.id)
        .where(*_live(user_id, utcnow()))
        .order_by(AuthSession.created_at.desc(), AuthSession.id)
        .limit(MAX_LIVE_SESSIONS - 1)
    )
    return _revoke_where(user_id, AuthSession.id.not_in(newest.scalar_subquery()))


def _revoke_where(user_id: int, condition: ColumnElement[bool] | None) -> int:
    now = utcnow()
    statement = update(AuthSession).where(*_live(user_id, now))
    if condition is not None:
        statement = statement.where(condition)
    result = cast(
        CursorResult[Any],
        db.session.execute(
            statement.values(revoked_at=now).execution_options(
                synchronize_session=False
            )
        ),
    )
    return result.rowcount


def _is_session_id(value: str) -> bool:
    """A session id as `tokens.start_session` writes it (a UUID, lower case)."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _not_found() -> InvalidInput:
    return InvalidInput.single(
        SESSION_ID_FIELD, "No session with this id.", UserErrorCode.NOT_FOUND
    )
