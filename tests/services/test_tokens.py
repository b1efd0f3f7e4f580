"""Access and refresh tokens and their server-side state: app.services.tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import select

from app.errors import FieldError, InvalidInput, NotAuthenticated, UserErrorCode
from app.extensions import db
from app.models import AuthSession, RefreshToken, User, utcnow
from app.services import tokens
from tests.factories import UserFactory

INVALID_TOKEN = FieldError(
    ("refreshToken",), "The refresh token is invalid.", UserErrorCode.INVALID_TOKEN
)


def sign_in(user: User) -> tokens.IssuedTokens:
    issued = tokens.start_session(user)
    db.session.commit()
    return issued


def session_of(issued: tokens.IssuedTokens) -> AuthSession:
    return db.session.get_one(AuthSession, decode_token(issued.access_token)["sid"])


def expired_copy(encoded: str) -> str:
    """A well-signed token with the claims of `encoded`, expired a second ago."""
    claims = decode_token(encoded)
    make = create_access_token if claims["type"] == "access" else create_refresh_token
    extra = {key: claims[key] for key in ("sid", "jti") if key in claims}
    expired: str = make(
        claims["sub"], expires_delta=timedelta(seconds=-1), additional_claims=extra
    )
    return expired


def about(expected: datetime, actual: datetime) -> bool:
    return abs(actual - expected) < timedelta(seconds=5)


def test_start_session_opens_a_login_with_a_first_pair(app_context: None) -> None:
    user = UserFactory(email="ada@example.com")

    issued = sign_in(user)

    access = decode_token(issued.access_token)
    refresh = decode_token(issued.refresh_token)
    session = db.session.get_one(AuthSession, access["sid"])
    record = db.session.scalars(select(RefreshToken)).one()
    assert (issued.user, issued.expires_in) == (user, 900)
    assert (access["type"], access["sub"], access["exp"] - access["iat"]) == (
        "access",
        str(user.id),
        900,
    )
    assert (refresh["type"], refresh["sub"], refresh["sid"], refresh["jti"]) == (
        "refresh",
        str(user.id),
        session.id,
        record.jti,
    )
    assert (session.user_id, session.revoked_at) == (user.id, None)
    assert (record.session_id, record.used_at) == (session.id, None)
    assert about(utcnow() + timedelta(days=30), session.expires_at)
    assert record.expires_at == session.expires_at


def test_each_sign_in_is_a_login_of_its_own(app_context: None) -> None:
    user = UserFactory(email="ada@example.com")

    first, second = sign_in(user), sign_in(user)

    assert session_of(first).id != session_of(second).id


def test_authenticate_returns_the_user_and_login_of_an_access_token(
    app_context: None,
) -> None:
    user = UserFactory(email="ada@example.com")
    UserFactory(email="bob@example.com")
    issued = sign_in(user)

    assert tokens.authenticate(issued.access_token) == (
        tokens.Viewer(user.id, user.email, user.name, user.created_at),
        session_of(issued).id,
    )


def revoke(issued: tokens.IssuedTokens) -> str:
    tokens.revoke_session(session_of(issued))
    db.session.commit()
    return issued.access_token


@pytest.mark.parametrize(
    ("make_token", "message", "extensions"),
    [
        (lambda _: "not-a-token", "The access token is invalid.", {}),
        (lambda issued: issued.refresh_token, "The access token is invalid.", {}),
        (
            lambda issued: expired_copy(issued.access_token),
            "The access token has expired.",
            {"reason": "TOKEN_EXPIRED"},
        ),
        (revoke, "The access token has been revoked.", {}),
    ],
    ids=["garbage", "refresh-token", "expired", "revoked"],
)
def test_authenticate_refuses_a_bad_access_token(
    app_context: None,
    make_token: Callable[[tokens.IssuedTokens], str],
    message: str,
    extensions: dict[str, str],
) -> None:
    token = make_token(sign_in(UserFactory(email="ada@example.com")))

    with pytest.raises(NotAuthenticated) as refused:
        tokens.authenticate(token)

    assert (refused.value.message, refused.value.extensions) == (message, extensions)


def refuse_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def decode(*_: object, **__: object) -> None:
        raise AssertionError("the token was decoded again")

    monkeypatch.setattr(tokens.pyjwt, "decode", decode)


def test_authenticate_verifies_a_token_once(
    app_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory(email="ada@example.com")
    issued = sign_in(user)
    first = tokens.authenticate(issued.access_token)
    refuse_decoding(monkeypatch)

    assert tokens.authenticate(issued.access_token) == first
    assert first[0].id == user.id


def test_a_verified_token_still_expires(
    app_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = sign_in(UserFactory(email="ada@example.com"))
    tokens.authenticate(issued.access_token)
    expires = decode_token(issued.access_token)["exp"]
    refuse_decoding(monkeypatch)
    monkeypatch.setattr(tokens.time, "time", lambda: float(expires))

    with pytest.raises(NotAuthenticated) as refused:
        tokens.authenticate(issued.access_token)

    assert (refused.value.message, refused.value.extensions) == (
        "The access token has expired.",
        {"reason": "TOKEN_EXPIRED"},
    )


def test_a_verified_token_is_refused_once_its_login_is_revoked(
    app_context: None,
) -> None:
    issued = sign_in(UserFactory(email="ada@example.com"))
    tokens.authenticate(issued.access_token)

    with pytest.raises(NotAuthenticated) as refused:
        tokens.authenticate(revoke(issued))

    assert refused.value.message == "The access token has been revoked."


def test_only_good_tokens_are_remembered(app_context: None, app: Flask) -> None:
    issued = sign_in(UserFactory(email="ada@example.com"))
    for bad in ("not-a-token", issued.refresh_token, expired_copy(issued.access_token)):
        with pytest.raises(NotAuthenticated):
            tokens.authenticate(bad)
    tokens.authenticate(issued.access_token)

    assert len(app.extensions[tokens.VERIFIED_ACCESS_TOKENS]) == 1


def test_a_cache_of_size_zero_verifies_every_time(
    app_context: None, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["ACCESS_TOKEN_CACHE_SIZE"] = 0
    tokens.init_token_cache(app)
    issued = sign_in(UserFactory(email="ada@example.com"))
    tokens.authenticate(issued.access_token)
    refuse_decoding(monkeypatch)

    with pytest.raises(AssertionError, match="decoded again"):
        tokens.authenticate(issued.access_token)
    assert len(app.extensions[tokens.VERIFIED_ACCESS_TOKENS]) == 0


def test_rotate_retires_the_token_and_extends_the_login(app_context: None) -> None:
    issued = sign_in(UserFactory(email="ada@example.com"))
    session = session_of(issued)
    session.expires_at = utcnow() + timedelta(days=1)
    db.session.commit()

    rotated = tokens.rotate(issued.refresh_token)
    db.session.commit()

    old_jti = decode_token(issued.refresh_token)["jti"]
    new_jti = decode_token(rotated.refresh_token)["jti"]
    records = {r.jti: r for r in db.session.scalars(select(RefreshToken))}
    assert set(records) == {old_jti, new_jti}
    assert records[old_jti].used_at is not None
    assert records[new_jti].used_at is None
    assert session_of(rotated).id == session.id
    assert about(utcnow() + timedelta(days=30), session.expires_at)


def test_rotate_commits_the_revocation_of_a_reused_token_despite_failing(
    app_context: None,
) -> None:
    """The caller rolls back on the error; the revocation must survive that."""
    issued = sign_in(UserFactory(email="ada@example.com"))
    tokens.rotate(issued.refresh_token)
    db.session.commit()

    with pytest.raises(InvalidInput) as refused:
        tokens.rotate(issued.refresh_token)
    db.session.rollback()

    assert refused.value.errors == [
        FieldError(
            ("refreshToken",),
            "The refresh token was already used; sign in again.",
            UserErrorCode.INVALID_TOKEN,
        )
    ]
    assert session_of(issued).revoked_at is not None


def test_session_of_refresh_token_finds_the_login_even_when_expired(
    app_context: None,
) -> None:
    issued = sign_in(UserFactory(email="ada@example.com"))

    assert tokens.session_of_refresh_token(issued.refresh_token) == session_of(issued)
    assert tokens.session_of_refresh_token(
        expired_copy(issued.refresh_token)
    ) == session_of(issued)


@pytest.mark.parametrize(
    "make_token",
    [lambda _: "not-a-token", lambda issued: issued.access_token],
    ids=["garbage", "access-token"],
)
def test_session_of_refresh_token_refuses_what_is_no_refresh_token(
    app_context: None, make_token: Callable[[tokens.IssuedTokens], str]
) -> None:
    token = make_token(sign_in(UserFactory(email="ada@example.com")))

    with pytest.raises(InvalidInput) as refused:
        tokens.session_of_refresh_token(token)

    assert refused.value.errors == [INVALID_TOKEN]


def test_revoke_session_keeps_the_first_revocation_time(app_context: None) -> None:
    session = session_of(sign_in(UserFactory(email="ada@example.com")))
    tokens.revoke_session(session)
    first = session.revoked_at

    tokens.revoke_session(session)

    assert first is not None
    assert session.revoked_at == first


def test_prune_expired_deletes_only_expired_logins_and_their_tokens(
    app_context: None,
) -> None:
    user = UserFactory(email="ada@example.com")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    expiries = {
        "expired": now - timedelta(seconds=1),
        "long-expired": now - timedelta(days=90),
        "expiring-now": now,
        "live": now + timedelta(days=1),
        "live-but-revoked": now + timedelta(days=1),
    }
    names: dict[str, str] = {}
    for name, expires_at in expiries.items():
        session = session_of(sign_in(user))
        session.expires_at = expires_at
        if name == "live-but-revoked":
            tokens.revoke_session(session)
        names[session.id] = name
    db.session.commit()

    assert tokens.prune_expired(now) == 2
    db.session.commit()

    left = db.session.scalars(select(AuthSession.id)).all()
    assert sorted(names[sid] for sid in left) == [
        "expiring-now",
        "live",
        "live-but-revoked",
    ]
    token_sessions = db.session.scalars(select(RefreshToken.session_id)).all()
    assert sorted(token_sessions) == sorted(left)


def test_prune_expired_defaults_to_now(app_context: None) -> None:
    user = UserFactory(email="ada@example.com")
    expired, live = session_of(sign_in(user)), session_of(sign_in(user))
    expired.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert tokens.prune_expired() == 1
    db.session.commit()

    assert db.session.scalars(select(AuthSession.id)).all() == [live.id]
