"""Access and refresh tokens, with their server-side state.

Every login opens an `AuthSession`; its access tokens carry the session id
(`sid`) and its refresh tokens are recorded by `jti`. Rotation retires the
refresh token it was given; presenting a retired one again revokes the whole
session. Because the state lives in the database, revocation holds on every
worker and across restarts.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import jwt as pyjwt
from flask import Flask, current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from sqlalchemy import CursorResult, Executable, bindparam, delete, select, update

from app.db.compiled_reads import compiled
from app.db.reads import read_connection
from app.errors import InvalidInput, NotAuthenticated, UserErrorCode
from app.extensions import db
from app.models import (
    USER_AGENT_MAX_LENGTH,
    AuthSession,
    RefreshToken,
    User,
    utcnow,
)
from app.services import sessions
from graphql_fastpath.lru import LruCache

REFRESH_TOKEN_FIELD = ("refreshToken",)
VERIFIED_ACCESS_TOKENS = "verified_access_tokens"


@dataclass(frozen=True)
class IssuedTokens:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str  # the login the pair belongs to


def access_ttl() -> timedelta:
    return _ttl("ACCESS_TOKEN_TTL")


def refresh_ttl() -> timedelta:
    return _ttl("REFRESH_TOKEN_TTL")


def _ttl(setting: str) -> timedelta:
    """A token lifetime from the config (positive: `Config.validate` checks)."""
    ttl: timedelta = current_app.config[setting]
    return ttl


def start_session(user: User, user_agent: str | None = None) -> IssuedTokens:
    """Open a new login for `user` and issue its first pair of tokens;
    `user_agent` is the client's User-Agent header, kept (cleaned, cut to
    fit) to show in the account's list of logins.

    Deletes the user's expired records first, so they go away even when
    nobody runs `flask prune-tokens` (two indexed deletes per sign-in), and
    ends the oldest logins beyond `sessions.MAX_LIVE_SESSIONS`.
    """
    prune_expired(user_id=user.id)
    prune_expired_refresh_tokens(user_id=user.id)
    sessions.make_room_for_one_more(user.id)
    now = utcnow()
    session = AuthSession(
        id=str(uuid.uuid4()),
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        expires_at=now + refresh_ttl(),
        user_agent=clean_user_agent(user_agent),
    )
    db.session.add(session)
    return _issue(user, session)


def clean_user_agent(value: str | None) -> str | None:
    """A User-Agent header as the list of logins shows it: control
    characters (NUL included, which PostgreSQL refuses) dropped, runs of
    white space made one space, cut to USER_AGENT_MAX_LENGTH; None when
    nothing is left."""
    if value is None:
        return None
    printable = "".join(" " if char.isspace() else char for char in value)
    printable = "".join(char for char in printable if char.isprintable())
    cleaned = " ".join(printable.split())[:USER_AGENT_MAX_LENGTH].rstrip()
    return cleaned or None


def renew_session(user: User, session_id: str) -> IssuedTokens:
    """A new pair for the login `session_id` (which must be `user`'s),
    retiring every refresh token it has handed out so far, as rotation
    retires the one it is given: presenting one of them again revokes the
    login. Access tokens already issued keep working until they expire, as
    after a rotation. NotAuthenticated when the login has ended since the
    request's token was checked."""
    session = db.session.get(AuthSession, session_id)
    if session is None or session.user_id != user.id:
        raise NotAuthenticated.invalid()
    if session.revoked_at is not None:
        raise NotAuthenticated.revoked()
    now = utcnow()
    _rowcount(
        update(RefreshToken)
        .where(RefreshToken.session_id == session.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.last_used_at = now
    return _issue(user, session)


def _issue(user: User, session: AuthSession) -> IssuedTokens:
    jti = str(uuid.uuid4())
    identity = str(user.id)
    access = create_access_token(
        identity, expires_delta=access_ttl(), additional_claims={"sid": session.id}
    )
    refresh = create_refresh_token(
        identity,
        expires_delta=refresh_ttl(),
        additional_claims={"sid": session.id, "jti": jti},
    )
    # Timed after the token, so the record never expires before the token
    # does, and pruning expired records never deletes a usable token's.
    expires_at = utcnow() + refresh_ttl()
    session.expires_at = expires_at
    db.session.add(RefreshToken(jti=jti, session_id=session.id, expires_at=expires_at))
    return IssuedTokens(
        user, access, refresh, int(access_ttl().total_seconds()), session.id
    )


def _verified_claims(encoded: str, *, allow_expired: bool = False) -> dict[str, Any]:
    """The claims of a token that Flask-JWT-Extended's settings (key,
    algorithms, leeway, audience, issuer) accept.

    Raises `pyjwt.ExpiredSignatureError` for an expired token and
    `pyjwt.InvalidTokenError` for anything else wrong with it.
    """
    if not encoded.isascii():  # PyJWT fails on lone surrogates otherwise
        raise pyjwt.InvalidTokenError("not a JWT")
    try:
        return decode_token(encoded, allow_expired=allow_expired)
    except JWTExtendedException as error:  # a claim the extension requires
        raise pyjwt.InvalidTokenError(str(error)) from error


def _decode(encoded: str, token_type: str) -> dict[str, Any]:
    """Claims of a well-signed, unexpired token of `token_type`.

    Raises `pyjwt.ExpiredSignatureError` for an expired token and
    `ValueError` for anything else that is wrong with it.
    """
    try:
        claims = _verified_claims(encoded)
    except pyjwt.ExpiredSignatureError:
        raise
    except pyjwt.InvalidTokenError as error:
        raise ValueError("invalid token") from error
    if claims.get("type") != token_type or not isinstance(claims.get("sid"), str):
        raise ValueError("wrong kind of token")
    if not str(claims.get("sub", "")).isdigit():
        raise ValueError("malformed subject")
    return claims


def init_token_cache(app: Flask) -> None:
    """The app's cache of access tokens it has verified, holding at most
    ACCESS_TOKEN_CACHE_SIZE of them (0: verify every time)."""
    app.extensions[VERIFIED_ACCESS_TOKENS] = LruCache[str, dict[str, Any]](
        app.config["ACCESS_TOKEN_CACHE_SIZE"]
    )


def access_claims(encoded: str) -> dict[str, Any]:
    """`_decode(encoded, "access")`, verified once per worker.

    A client sends the same access token with every request until it
    expires, and checking it (signature, encoding, claims) costs more than
    a page of contacts takes to serve. Of the checks that passed once, only
    the expiry can change with time, so a token found in the cache is
    checked for that alone. Revocation is not cached: `authenticate` asks
    the database every time. The claims returned are shared: read them only.
    """
    cache: LruCache[str, dict[str, Any]] = current_app.extensions[
        VERIFIED_ACCESS_TOKENS
    ]
    claims = cache.get(encoded)
    if claims is None:
        claims = _decode(encoded, "access")
        cache.put(encoded, claims)
    elif _has_expired(claims):
        raise pyjwt.ExpiredSignatureError("Signature has expired")
    return claims


def _has_expired(claims: dict[str, Any]) -> bool:
    """PyJWT's own test of `exp` (an integer, once the token was verified),
    with Flask-JWT-Extended's leeway."""
    leeway = current_app.config["JWT_DECODE_LEEWAY"]
    if isinstance(leeway, timedelta):
        leeway = leeway.total_seconds()
    return "exp" in claims and int(claims["exp"]) <= time.time() - leeway


@dataclass(frozen=True)
class Viewer:
    """The signed-in user, as every request reads it: a plain record, not an
    ORM object, because the request only reads it."""

    id: int
    email: str
    name: str | None
    created_at: datetime


VIEWER_COLUMNS = (User.id, User.email, User.name, User.created_at)
VIEWER_OF_SESSION = (
    select(*VIEWER_COLUMNS, AuthSession.revoked_at)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(AuthSession.id == bindparam("session_id"), User.id == bindparam("user_id"))
)


def authenticate(encoded: str) -> tuple[Viewer, str]:
    """The user and session id an access token stands for.

    Raises NotAuthenticated when the token is malformed, badly signed,
    expired, not an access token, or its session was revoked or its user
    deleted.
    """
    try:
        claims = access_claims(encoded)
    except pyjwt.ExpiredSignatureError:
        raise NotAuthenticated.expired() from None
    except ValueError:
        raise NotAuthenticated.invalid() from None
    connection = read_connection()
    rows = compiled(VIEWER_OF_SESSION, connection.dialect).rows(
        connection, {"session_id": claims["sid"], "user_id": int(claims["sub"])}
    )
    if not rows:
        raise NotAuthenticated.invalid()
    user_id, email, name, created_at, revoked_at = rows[0]
    if revoked_at is not None:
        raise NotAuthenticated.revoked()
    return Viewer(user_id, email, name, created_at), claims["sid"]


def authenticate_header(header: str) -> tuple[Viewer, str]:
    """`authenticate` the token of an `Authorization: Bearer <token>`
    header, as /graphql and the exports read it; another scheme, or none
    after it, is NotAuthenticated (invalid)."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated.invalid()
    return authenticate(token.strip())


def _invalid_refresh_token(message: str) -> InvalidInput:
    return InvalidInput.single(
        REFRESH_TOKEN_FIELD, message, UserErrorCode.INVALID_TOKEN
    )


def _refresh_claims(encoded: str) -> dict[str, Any]:
    try:
        return _decode(encoded, "refresh")
    except pyjwt.ExpiredSignatureError:
        raise _invalid_refresh_token("The refresh token has expired.") from None
    except ValueError:
        raise _invalid_refresh_token("The refresh token is invalid.") from None


def rotate(encoded: str) -> IssuedTokens:
    """Retire a refresh token and issue a new pair in the same session.

    A retired token presented again means it leaked (or a client replayed
    it): the whole session is revoked and the caller must log in again.
    Commits that revocation itself, since the caller's transaction is about
    to roll back on the error raised.
    """
    claims = _refresh_claims(encoded)
    now = utcnow()
    retired = _rowcount(
        update(RefreshToken)
        .where(RefreshToken.jti == claims["jti"], RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    session = db.session.get(AuthSession, claims["sid"])
    if session is None or session.user_id != int(claims["sub"]):
        raise _invalid_refresh_token("The refresh token is invalid.")
    if session.revoked_at is not None:
        raise _invalid_refresh_token("The refresh token has been revoked.")
    if retired != 1:
        session.revoked_at = now
        db.session.commit()
        raise _invalid_refresh_token(
            "The refresh token was already used; sign in again."
        )
    prune_expired_refresh_tokens(user_id=session.user_id)
    # The one write that says a login is in use: reads never write (the
    # read path stays one connection without a transaction), so lastUsedAt
    # moves at sign-in and at each rotation.
    session.last_used_at = now
    user = db.session.get_one(User, session.user_id)
    return _issue(user, session)


def session_of_refresh_token(encoded: str) -> AuthSession | None:
    """The session a refresh token belongs to, even when it has expired
    (logging out with an expired token is harmless and should succeed)."""
    try:
        claims = _verified_claims(encoded, allow_expired=True)
    except pyjwt.InvalidTokenError:
        raise _invalid_refresh_token("The refresh token is invalid.") from None
    if claims.get("type") != "refresh" or not isinstance(claims.get("sid"), str):
        raise _invalid_refresh_token("The refresh token is invalid.")
    return db.session.get(AuthSession, claims["sid"])


def revoke_session(session: AuthSession) -> None:
    if session.revoked_at is None:
        session.revoked_at = utcnow()


def prune_expired(now: datetime | None = None, user_id: int | None = None) -> int:
    """Delete sessions (and so their refresh tokens) that can no longer be
    used, all of them or only `user_id`'s; returns how many went."""
    statement = delete(AuthSession).where(AuthSession.expires_at < (now or utcnow()))
    if user_id is not None:
        statement = statement.where(AuthSession.user_id == user_id)
    return _rowcount(statement)


def prune_expired_refresh_tokens(
    now: datetime | None = None, user_id: int | None = None
) -> int:
    """Delete the records of refresh tokens past their expiry in logins
    that live on (rotation keeps extending a login, and each rotation adds a
    record), all of them or only `user_id`'s; returns how many went.

    Safe for reuse detection: a token past its expiry is refused as expired
    before its record is looked at.
    """
    statement = delete(RefreshToken).where(RefreshToken.expires_at < (now or utcnow()))
    if user_id is not None:
        sessions = select(AuthSession.id).where(AuthSession.user_id == user_id)
        statement = statement.where(RefreshToken.session_id.in_(sessions))
    return _rowcount(statement.execution_options(synchronize_session=False))


def _rowcount(statement: Executable) -> int:
    """How many rows an UPDATE or DELETE touched."""
    result = cast(CursorResult[Any], db.session.execute(statement))
    return result.rowcount
